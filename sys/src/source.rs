//! Where frames come from: capture files (pcap and pcapng, gzip-compressed
//! or not, several merged by time) read by [`engine::capture_file`], or a
//! live interface through libpcap, behind [`FrameSource`] so the pipeline
//! runs on any input.

mod live;

pub use live::{LiveCapture, LiveConfig, LiveError, LiveStats, DEFAULT_FILTER};

use dissect::capture::LinkType;
use engine::capture_file::{Interface, Reader};
use engine::frame::{Frame, FrameSource, Position, SourceError, Timestamp};
use std::fs::File;
use std::io::Read;
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

/// Capture files read as one: their frames in time order (ties in the
/// order the files were given), numbered in that order. One file is read
/// as it is.
pub struct CaptureFiles {
    files: Vec<Input>,
    /// The last frame's number, in the merged order.
    number: u64,
}

/// One file being read.
struct Input {
    name: String,
    reader: Reader<Box<dyn Read + Send>>,
    /// Bytes read of a compressed file (the reader sees them decompressed).
    compressed: Option<Arc<AtomicU64>>,
    /// The file's size; 0 when unknown (a pipe).
    size: u64,
    state: State,
    /// Link types not decoded that were reported.
    reported: Vec<LinkType>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    /// The reader must move to its next frame.
    Advance,
    /// The reader's current frame waits its turn.
    Ready(Timestamp),
    Done,
}

/// gzip's magic: such a file is read through a decompressor.
const GZIP: [u8; 2] = [0x1f, 0x8b];

impl Input {
    fn open(path: &Path) -> Result<Self, String> {
        let mut file = File::open(path).map_err(|e| e.to_string())?;
        let size = file
            .metadata()
            .map_or(0, |m| if m.is_file() { m.len() } else { 0 });
        // The first bytes are read, not sought back to: the file may be a pipe.
        let mut magic = Vec::with_capacity(2);
        (&mut file)
            .take(2)
            .read_to_end(&mut magic)
            .map_err(|e| e.to_string())?;
        let (input, compressed): (Box<dyn Read + Send>, _) = if magic == GZIP {
            let count = Arc::new(AtomicU64::new(0));
            let counted = Counted {
                inner: std::io::Cursor::new(magic).chain(file),
                count: count.clone(),
            };
            (Box::new(flate2::read::MultiGzDecoder::new(counted)), Some(count))
        } else {
            (Box::new(std::io::Cursor::new(magic).chain(file)), None)
        };
        let reader = Reader::open(input).map_err(|e| match compressed {
            Some(_) => format!("gzip-compressed: {e}"),
            None => e.0,
        })?;
        Ok(Input {
            name: path.display().to_string(),
            reader,
            compressed,
            size,
            state: State::Advance,
            reported: Vec::new(),
        })
    }

    fn bytes_read(&self) -> u64 {
        match &self.compressed {
            // The decompressor reads ahead: the count can run past what was handed over.
            Some(count) => count.load(Ordering::Relaxed).min(self.size),
            None => self.reader.offset(),
        }
    }
}

/// Counts the bytes read through it.
struct Counted<R> {
    inner: R,
    count: Arc<AtomicU64>,
}

impl<R: Read> Read for Counted<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.count.fetch_add(n as u64, Ordering::Relaxed);
        Ok(n)
    }
}

impl CaptureFiles {
    /// Opens every file; the first that cannot be read as a capture is an
    /// error naming it.
    pub fn open<P: AsRef<Path>>(paths: &[P]) -> Result<Self, String> {
        let files = paths
            .iter()
            .map(|p| Input::open(p.as_ref()).map_err(|e| format!("{}: {e}", p.as_ref().display())))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(CaptureFiles { files, number: 0 })
    }

    /// The next frame in time order and its interface, to `take`; None once
    /// every file has ended. A frame a file cannot give is an error naming
    /// it (and, of several files, which file and its frame there); reading
    /// goes on where the file allows. Frames of a link type that is not
    /// decoded are counted but not handed over: an error says so once per
    /// file and link type.
    pub fn next_with<T>(
        &mut self,
        take: impl FnOnce(Frame<&[u8]>, &Interface) -> T,
    ) -> Option<Result<T, SourceError>> {
        let several = self.files.len() > 1;
        loop {
            let mut next: Option<(usize, Timestamp)> = None;
            for (i, input) in self.files.iter_mut().enumerate() {
                if input.state == State::Advance {
                    let before = input.reader.frames();
                    match input.reader.advance() {
                        Ok(true) => {
                            let time = input.reader.current().map(|(f, _)| f.time).unwrap_or_default();
                            input.state = State::Ready(time);
                        }
                        Ok(false) => input.state = State::Done,
                        Err(e) => {
                            // A frame skipped in its file is numbered here too.
                            self.number += input.reader.frames() - before;
                            let at = self.number + u64::from(input.reader.frames() == before);
                            return Some(Err(error(input, several, at, e)));
                        }
                    }
                }
                if let State::Ready(time) = input.state {
                    // Strictly earlier: a tie goes to the file given first.
                    if next.is_none_or(|(_, t)| time < t) {
                        next = Some((i, time));
                    }
                }
            }
            let (i, _) = next?;
            let input = &mut self.files[i];
            input.state = State::Advance;
            self.number += 1;
            let Some((mut frame, interface)) = input.reader.current() else {
                continue;
            };
            if !interface.decoded {
                let link = interface.link;
                if input.reported.contains(&link) {
                    continue;
                }
                input.reported.push(link);
                let e = SourceError {
                    frame: frame.number,
                    message: not_decoded(link),
                };
                return Some(Err(error(input, several, self.number, e)));
            }
            frame.number = self.number;
            return Some(Ok(take(frame, interface)));
        }
    }
}

/// `e` of `input`, numbered `at` in the merged order; of several files, the
/// message names the file and the frame's number in it.
fn error(input: &Input, several: bool, at: u64, e: SourceError) -> SourceError {
    SourceError {
        frame: at,
        message: match several {
            true => format!("{} frame {}: {}", input.name, e.frame, e.message),
            false => e.message,
        },
    }
}

/// Says what is decoded instead, naming the link type as libpcap does.
fn not_decoded(link: LinkType) -> String {
    let name = i32::try_from(link.0)
        .ok()
        .and_then(|v| pcap::Linktype(v).get_name().ok())
        .map_or(String::new(), |n| format!(" ({n})"));
    format!(
        "link type {}{name} is not decoded (smc-analyze decodes {}): its frames are skipped",
        link.0,
        dissect::capture::DECODED
    )
}

impl FrameSource for CaptureFiles {
    fn next_frame(&mut self) -> Option<Result<Frame, SourceError>> {
        self.next_with(|frame, _| frame.owned())
    }

    /// The batch without a copy: each frame is borrowed from its file's buffer.
    fn next_frames_with(
        &mut self,
        max: usize,
        take: &mut dyn FnMut(Frame<&[u8]>),
    ) -> Option<Result<(), SourceError>> {
        for n in 0..max {
            match self.next_with(|frame, _| take(frame)) {
                Some(Ok(())) => {}
                Some(Err(e)) => return Some(Err(e)),
                None if n == 0 => return None,
                None => break,
            }
        }
        Some(Ok(()))
    }

    fn position(&self) -> Option<Position> {
        let total: u64 = self.files.iter().map(|f| f.size).sum();
        let bytes = self.files.iter().map(Input::bytes_read).sum();
        (total > 0).then_some(Position { bytes, total })
    }
}

/// Frame `number` of a live capture of type `link`, from libpcap's packet.
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
