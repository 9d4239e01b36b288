//! Where frames come from: a capture file read through libpcap (pcap and
//! pcapng) or a live interface, behind [`FrameSource`] so the pipeline runs
//! on any input.

mod live;

pub use live::{LiveCapture, LiveConfig, LiveError, LiveStats, DEFAULT_FILTER};

use dissect::capture::LinkType;
use engine::frame::{Frame, FrameSource, Position, SourceError, Timestamp};
use std::path::{Path, PathBuf};

/// A pcap or pcapng file.
pub struct PcapFile {
    capture: pcap::Capture<pcap::Offline>,
    link: LinkType,
    last: u64,
    done: bool,
    /// libpcap's file descriptor as /proc shows it, and the file's size.
    progress: Option<(PathBuf, u64)>,
}

impl PcapFile {
    pub fn open(path: &Path) -> Result<Self, SourceError> {
        let target = path.canonicalize().ok();
        let before = target.as_deref().map(fds_to).unwrap_or_default();
        let capture = pcap::Capture::from_file_with_precision(path, pcap::Precision::Nano).map_err(|e| {
            SourceError {
                frame: 1,
                message: e.to_string(),
            }
        })?;
        // libpcap reports DLT values, which is what LinkType holds.
        let link = LinkType(u32::try_from(capture.get_datalink().0).unwrap_or(u32::MAX));
        Ok(PcapFile {
            capture,
            link,
            last: 0,
            done: false,
            progress: fdinfo_of(target, &before),
        })
    }
}

/// The descriptors open now on `target`, as /proc/self/fd names them.
fn fds_to(target: &Path) -> Vec<std::ffi::OsString> {
    let Ok(dir) = std::fs::read_dir("/proc/self/fd") else {
        return Vec::new();
    };
    dir.filter_map(|e| e.ok())
        .filter(|e| std::fs::read_link(e.path()).is_ok_and(|l| l == target))
        .map(|e| e.file_name())
        .collect()
}

/// libpcap keeps its FILE to itself; the descriptor on `target` that
/// appeared while it opened the file has the read offset in /proc/self/fdinfo.
fn fdinfo_of(target: Option<PathBuf>, before: &[std::ffi::OsString]) -> Option<(PathBuf, u64)> {
    let target = target?;
    let total = std::fs::metadata(&target).ok()?.len();
    let fd = fds_to(&target).into_iter().find(|fd| !before.contains(fd))?;
    Some((Path::new("/proc/self/fdinfo").join(fd), total))
}

impl FrameSource for PcapFile {
    fn next_frame(&mut self) -> Option<Result<Frame, SourceError>> {
        if self.done {
            return None;
        }
        let (number, link) = (self.last + 1, self.link);
        match self
            .capture
            .next_packet()
            .map(|packet| frame(number, link, packet).owned())
        {
            Ok(f) => {
                self.last = number;
                Some(Ok(f))
            }
            Err(pcap::Error::NoMorePackets) => {
                self.done = true;
                None
            }
            Err(e) => Some(Err(self.failed(e))),
        }
    }

    /// The whole batch in one libpcap call: a call per frame costs more than
    /// libpcap's reading of the frame.
    fn next_frames_with(
        &mut self,
        max: usize,
        take: &mut dyn FnMut(Frame<&[u8]>),
    ) -> Option<Result<(), SourceError>> {
        if self.done {
            return None;
        }
        let (link, last) = (self.link, &mut self.last);
        let dispatched = self.capture.dispatch(Some(max), |packet| {
            *last += 1;
            take(frame(*last, link, packet));
        });
        match dispatched {
            Ok(0) => {
                self.done = true;
                None
            }
            Ok(_) => Some(Ok(())),
            Err(e) => Some(Err(self.failed(e))),
        }
    }

    fn position(&self) -> Option<Position> {
        let (fdinfo, total) = self.progress.as_ref()?;
        let info = std::fs::read_to_string(fdinfo).ok()?;
        let pos = info
            .lines()
            .find_map(|l| l.strip_prefix("pos:"))?
            .trim()
            .parse()
            .ok()?;
        // The FILE reads ahead in blocks: the offset can run past the frames handed over.
        Some(Position {
            bytes: u64::min(pos, *total),
            total: *total,
        })
    }
}

impl PcapFile {
    /// Ends the file at damage: libpcap cannot resynchronise inside it. The
    /// error names the frame it stopped at.
    fn failed(&mut self, e: pcap::Error) -> SourceError {
        self.done = true;
        SourceError {
            frame: self.last + 1,
            message: e.to_string(),
        }
    }
}

/// Frame `number` of a capture of type `link`, from libpcap's packet (files
/// and live interfaces alike).
fn frame(number: u64, link: LinkType, packet: pcap::Packet<'_>) -> Frame<&[u8]> {
    let ts = packet.header.ts;
    Frame {
        number,
        // Opened with nanosecond precision, tv_usec holds nanoseconds.
        time: Timestamp {
            secs: ts.tv_sec,
            nanos: u32::try_from(ts.tv_usec).unwrap_or(0),
        },
        data: packet.data,
        orig_len: usize::try_from(packet.header.len).unwrap_or(usize::MAX),
        link,
    }
}
