//! Where frames come from: a capture file read through libpcap (pcap and
//! pcapng) or a live interface, behind [`FrameSource`] so the pipeline runs
//! on any input.

mod live;

pub use live::{LiveCapture, LiveConfig, LiveError, LiveStats, DEFAULT_FILTER};

use dissect::capture::LinkType;
use std::path::{Path, PathBuf};

/// Capture time of a frame.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Timestamp {
    pub secs: i64,
    pub nanos: u32,
}

impl Timestamp {
    pub fn as_secs_f64(self) -> f64 {
        self.secs as f64 + f64::from(self.nanos) / 1e9
    }
}

/// One captured frame as the source hands it over: its bytes owned, or
/// borrowed from the source (`Frame<&[u8]>`, [`FrameSource::next_frames_with`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Frame<D = Vec<u8>> {
    /// 1-based, as Wireshark counts.
    pub number: u64,
    pub time: Timestamp,
    /// The captured bytes (at most the snaplen).
    pub data: D,
    /// The frame's length on the wire.
    pub orig_len: usize,
    pub link: LinkType,
}

impl Frame {
    pub fn borrowed(&self) -> Frame<&[u8]> {
        Frame {
            number: self.number,
            time: self.time,
            data: &self.data,
            orig_len: self.orig_len,
            link: self.link,
        }
    }
}

impl Frame<&[u8]> {
    /// The frame with its bytes copied out of the source's buffer.
    pub fn owned(&self) -> Frame {
        Frame {
            number: self.number,
            time: self.time,
            data: self.data.to_vec(),
            orig_len: self.orig_len,
            link: self.link,
        }
    }
}

/// A source could not produce the next frame (a truncated or corrupt file).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourceError {
    /// Number the frame would have had.
    pub frame: u64,
    pub message: String,
}

impl std::fmt::Display for SourceError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "frame {}: {}", self.frame, self.message)
    }
}

impl std::error::Error for SourceError {}

pub trait FrameSource {
    /// The next frame; None at the end. After an error a source ends.
    fn next_frame(&mut self) -> Option<Result<Frame, SourceError>>;

    /// Hands the next frames to `take`, their bytes borrowed from the source
    /// where it can (no copy per frame on a long read): at most `max`, and
    /// only as many as are there without waiting (one, by default, so a live
    /// source shows each frame as it comes). None at the end; an error ends
    /// the batch after the frames before it.
    fn next_frames_with(
        &mut self,
        max: usize,
        take: &mut dyn FnMut(Frame<&[u8]>),
    ) -> Option<Result<(), SourceError>> {
        let _ = max;
        self.next_frame().map(|r| r.map(|f| take(f.borrowed())))
    }

    /// How far through its input the source is, where that is known (files).
    fn position(&self) -> Option<Position> {
        None
    }
}

/// Bytes of a file read so far, of `total`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Position {
    pub bytes: u64,
    pub total: u64,
}

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
        match self.capture.next_packet().map(|packet| frame(number, link, packet).owned()) {
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
