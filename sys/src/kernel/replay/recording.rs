//! The replay's own traffic: one libpcap capture per interface, kept in
//! memory (up to a cap) until the run is over, then merged in time order.

use std::net::IpAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;

use engine::frame::{Frame, FrameSource};

use crate::source::{LiveCapture, LiveConfig, DEFAULT_FILTER};

/// Frame bytes kept over all interfaces; past this, frames are counted, not kept.
pub const MAX_BYTES: usize = 512 << 20;

/// Captures under way.
pub struct Recording {
    stop: Arc<AtomicBool>,
    threads: Vec<(String, JoinHandle<Kept>)>,
}

/// What one interface's capture kept.
#[derive(Default)]
struct Kept {
    frames: Vec<Frame>,
    lost: u64,
    error: Option<String>,
}

/// The frames of every interface in time order, and what could not be kept.
pub struct Recorded {
    pub frames: Vec<Frame>,
    pub lost: u64,
    pub errors: Vec<String>,
}

impl Recording {
    /// Opens a capture on each of `interfaces`, leaving out the control
    /// connection (TCP port `control_port`); once this returns, they capture.
    pub fn start(interfaces: &[String], control_port: u16) -> Result<Recording, String> {
        let stop = Arc::new(AtomicBool::new(false));
        let filter = format!("({DEFAULT_FILTER}) and not tcp port {control_port}");
        let budget = MAX_BYTES / interfaces.len().max(1);
        let mut threads = Vec::new();
        for name in interfaces {
            let config = LiveConfig {
                interface: name.clone(),
                filter: Some(filter.clone()),
                snaplen: 65535,
                buffer_size: 32 << 20,
                promiscuous: false,
                count: None,
                duration: None,
                stop: stop.clone(),
            };
            let mut capture = LiveCapture::open(config).map_err(|e| format!("{name}: {e}"))?;
            let thread = std::thread::spawn(move || {
                let mut kept = Kept::default();
                let mut bytes = 0;
                while let Some(r) = capture.next_frame() {
                    match r {
                        Ok(f) if bytes + f.data.len() <= budget => {
                            bytes += f.data.len();
                            kept.frames.push(f);
                        }
                        Ok(_) => kept.lost += 1,
                        Err(e) => {
                            kept.error
                                .get_or_insert(format!("frame {}: {}", e.frame, e.message));
                        }
                    }
                }
                kept
            });
            threads.push((name.clone(), thread));
        }
        Ok(Recording { stop, threads })
    }

    /// Stops every capture and merges what they kept.
    pub fn finish(self) -> Recorded {
        self.stop.store(true, Ordering::Relaxed);
        let mut out = Recorded {
            frames: Vec::new(),
            lost: 0,
            errors: Vec::new(),
        };
        for (name, thread) in self.threads {
            match thread.join() {
                Ok(kept) => {
                    out.frames.extend(kept.frames);
                    out.lost += kept.lost;
                    out.errors.extend(kept.error.map(|e| format!("{name}: {e}")));
                }
                Err(_) => out.errors.push(format!("{name}: the capture thread panicked")),
            }
        }
        // Stable: frames of one interface keep their order on equal times.
        out.frames.sort_by_key(|f| f.time);
        for (i, f) in out.frames.iter_mut().enumerate() {
            f.number = i as u64 + 1;
        }
        out
    }
}

/// The interfaces that reach `peer`: one with an address in the peer's
/// subnet, or the loopback device when the peer is this host.
pub fn interfaces_to(peer: IpAddr) -> Result<Vec<String>, String> {
    let devices = pcap::Device::list().map_err(|e| format!("listing interfaces: {e}"))?;
    let own = devices.iter().any(|d| d.addresses.iter().any(|a| a.addr == peer));
    if peer.is_loopback() || own {
        return Ok(devices
            .iter()
            .filter(|d| d.flags.is_loopback())
            .map(|d| d.name.clone())
            .take(1)
            .collect());
    }
    let reaches = |a: &pcap::Address| match (a.addr, a.netmask, peer) {
        (IpAddr::V4(x), Some(IpAddr::V4(m)), IpAddr::V4(p)) => {
            let m = u32::from(m);
            u32::from(x) & m == u32::from(p) & m
        }
        (IpAddr::V6(x), Some(IpAddr::V6(m)), IpAddr::V6(p)) => {
            let m = u128::from(m);
            u128::from(x) & m == u128::from(p) & m
        }
        _ => false,
    };
    Ok(devices
        .iter()
        .filter(|d| d.addresses.iter().any(reaches))
        .map(|d| d.name.clone())
        .collect())
}
