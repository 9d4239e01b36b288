//! A live interface through libpcap. Immediate mode hands each frame over as
//! it arrives. Reads do not block: libpcap 1.10 on Linux keeps polling past
//! its read timeout, so the capture waits on the socket itself, a short while
//! at a time, to stop (count, duration, a signal) and report libpcap's
//! statistics while the wire is quiet.

use super::{Frame, FrameSource, SourceError};
use crate::privilege;
use dissect::capture::LinkType;
use nix::poll::{poll, PollFd, PollFlags};
use std::os::fd::AsFd;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// What SMC puts on the wire: TCP (handshake, CLC, fallback), RoCEv2
/// (UDP 4791) and RoCEv1 (ethertype 0x8915), tagged or not.
pub const DEFAULT_FILTER: &str = "tcp or udp port 4791 or ether proto 0x8915 \
     or (vlan and (tcp or udp port 4791 or ether proto 0x8915))";
/// For link types without an Ethernet header (raw IP, cooked captures of some kinds).
const IP_ONLY_FILTER: &str = "tcp or udp port 4791";

/// How long one wait for frames lasts before the capture checks whether it should stop.
const WAIT_MS: u16 = 100;

pub struct LiveConfig {
    pub interface: String,
    /// BPF program; None for [`DEFAULT_FILTER`].
    pub filter: Option<String>,
    pub snaplen: u32,
    /// Kernel ring for frames not yet read, in bytes. libpcap gives each
    /// frame a slot of the snaplen on interfaces with segmentation offload.
    pub buffer_size: u32,
    pub promiscuous: bool,
    /// Stop after this many frames.
    pub count: Option<u64>,
    /// Stop after this long.
    pub duration: Option<Duration>,
    /// Set (by a signal handler) to stop at the next frame or timeout.
    pub stop: Arc<AtomicBool>,
}

/// libpcap's counters since the capture opened.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct LiveStats {
    /// Frames that passed the filter (Linux counts them in the kernel).
    pub received: u32,
    /// Dropped because the capture buffer was full.
    pub dropped: u32,
    /// Dropped by the interface or its driver.
    pub if_dropped: u32,
}

/// Opening a live capture failed.
#[derive(Debug)]
pub enum LiveError {
    /// The process lacks CAP_NET_RAW; `detail` is libpcap's own message.
    NoPermission {
        detail: String,
    },
    Open {
        detail: String,
    },
    Filter {
        filter: String,
        detail: String,
    },
}

impl std::fmt::Display for LiveError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            LiveError::NoPermission { detail } => write!(
                f,
                "live capture needs CAP_NET_RAW, which this process does not have ({detail}); \
                 run it as root (sudo smc-analyze live ...: it gives root up once the capture is open) \
                 or grant the capability to the binary once: \
                 sudo setcap cap_net_raw,cap_net_admin=eip $(command -v smc-analyze)"
            ),
            LiveError::Open { detail } => write!(f, "{detail}"),
            LiveError::Filter { filter, detail } => write!(f, "capture filter \"{filter}\": {detail}"),
        }
    }
}

impl std::error::Error for LiveError {}

type StatsHook = Box<dyn FnMut(LiveStats) + Send>;

/// A live capture on one interface.
pub struct LiveCapture {
    capture: pcap::Capture<pcap::Active>,
    link: LinkType,
    filter: String,
    last: u64,
    count: Option<u64>,
    deadline: Option<Instant>,
    stop: Arc<AtomicBool>,
    done: bool,
    report: Option<(Duration, Instant, StatsHook)>,
}

impl LiveCapture {
    pub fn open(config: LiveConfig) -> Result<Self, LiveError> {
        let snaplen = i32::try_from(config.snaplen).unwrap_or(i32::MAX);
        let opened = pcap::Capture::from_device(config.interface.as_str())
            .map(|c| {
                c.promisc(config.promiscuous)
                    .snaplen(snaplen)
                    .immediate_mode(true)
                    .buffer_size(i32::try_from(config.buffer_size).unwrap_or(i32::MAX))
                    .precision(pcap::Precision::Nano)
            })
            .and_then(|c| c.open())
            .and_then(|c| c.setnonblock());
        let mut capture = match opened {
            Ok(c) => c,
            Err(e) if privilege::has_capability(privilege::CAP_NET_RAW) == Some(false) => {
                return Err(LiveError::NoPermission {
                    detail: e.to_string(),
                })
            }
            Err(e) => {
                return Err(LiveError::Open {
                    detail: e.to_string(),
                })
            }
        };
        let filter = match config.filter {
            Some(f) => f,
            // The Ethernet terms do not compile for every link type.
            None if capture.compile(DEFAULT_FILTER, true).is_ok() => DEFAULT_FILTER.to_owned(),
            None => IP_ONLY_FILTER.to_owned(),
        };
        capture.filter(&filter, true).map_err(|e| LiveError::Filter {
            filter: filter.clone(),
            detail: e.to_string(),
        })?;
        let link = LinkType(u32::try_from(capture.get_datalink().0).unwrap_or(u32::MAX));
        Ok(LiveCapture {
            capture,
            link,
            filter,
            last: 0,
            count: config.count,
            deadline: config.duration.map(|d| Instant::now() + d),
            stop: config.stop,
            done: false,
            report: None,
        })
    }

    /// The BPF program in use.
    pub fn filter(&self) -> &str {
        &self.filter
    }

    pub fn link(&self) -> LinkType {
        self.link
    }

    /// Calls `hook` with the statistics every `every`, frames or not.
    pub fn report_every(&mut self, every: Duration, hook: impl FnMut(LiveStats) + Send + 'static) {
        self.report = Some((every, Instant::now() + every, Box::new(hook)));
    }

    /// libpcap's counters now (zeros if libpcap cannot say).
    pub fn stats(&mut self) -> LiveStats {
        self.capture
            .stats()
            .map(|s| LiveStats {
                received: s.received,
                dropped: s.dropped,
                if_dropped: s.if_dropped,
            })
            .unwrap_or_default()
    }

    fn should_stop(&self) -> bool {
        self.done
            || self.stop.load(Ordering::Relaxed)
            || self.count.is_some_and(|n| self.last >= n)
            || self.deadline.is_some_and(|d| Instant::now() >= d)
    }

    fn maybe_report(&mut self) {
        let due = matches!(&self.report, Some((_, next, _)) if Instant::now() >= *next);
        if due {
            let stats = self.stats();
            if let Some((every, next, hook)) = &mut self.report {
                *next = Instant::now() + *every;
                hook(stats);
            }
        }
    }
}

impl FrameSource for LiveCapture {
    fn next_frame(&mut self) -> Option<Result<Frame, SourceError>> {
        loop {
            if self.should_stop() {
                self.done = true;
                return None;
            }
            self.maybe_report();
            let number = self.last + 1;
            match self.capture.next_packet() {
                Ok(packet) => {
                    self.last = number;
                    return Some(Ok(super::frame(number, self.link, packet).owned()));
                }
                // Nothing ready. An interrupted wait (EINTR) just means: look at `stop`.
                Err(pcap::Error::TimeoutExpired) => {
                    let mut socket = [PollFd::new(self.capture.as_fd(), PollFlags::POLLIN)];
                    let _ = poll(&mut socket, WAIT_MS);
                }
                Err(e) => {
                    // The interface went away or the socket failed: nothing more will come.
                    self.done = true;
                    return Some(Err(SourceError {
                        frame: number,
                        message: e.to_string(),
                    }));
                }
            }
        }
    }
}
