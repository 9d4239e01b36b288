//! A captured frame as the core sees it, and the trait every source of
//! frames implements. Data only: reading files and interfaces is the I/O
//! edge's (crate smc-sys).

use dissect::capture::LinkType;

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
    /// The next frame; None at the end. After an error a source goes on
    /// where its input allows (past a damaged frame, or with its other
    /// files) and ends otherwise.
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
