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

    /// Nanoseconds from `earlier` to `self`; 0 when `earlier` is not earlier.
    pub fn nanos_since(self, earlier: Timestamp) -> u64 {
        let ns = |t: Timestamp| i128::from(t.secs) * 1_000_000_000 + i128::from(t.nanos);
        u64::try_from(ns(self) - ns(earlier)).unwrap_or(0)
    }
}

/// Seconds since the Unix epoch with all nine digits of the nanoseconds, as
/// tshark's `frame.time_epoch`: exact, where an f64 keeps only microseconds.
impl std::fmt::Display for Timestamp {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // In nanoseconds first: before 1970, -1 s and 0.25 s is -0.75 s.
        let total = i128::from(self.secs) * 1_000_000_000 + i128::from(self.nanos);
        let sign = if total < 0 { "-" } else { "" };
        let (secs, nanos) = (
            total.unsigned_abs() / 1_000_000_000,
            total.unsigned_abs() % 1_000_000_000,
        );
        write!(f, "{sign}{secs}.{nanos:09}")
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

#[cfg(test)]
mod tests {
    use super::Timestamp;

    #[test]
    fn epoch_text_keeps_every_nanosecond() {
        let t = |secs, nanos| Timestamp { secs, nanos }.to_string();
        assert_eq!(t(1_733_600_000, 123_456_789), "1733600000.123456789");
        assert_eq!(t(1_733_600_000, 5), "1733600000.000000005");
        assert_eq!(t(0, 0), "0.000000000");
        assert_eq!(t(-1, 250_000_000), "-0.750000000");
        assert_eq!(t(-2, 0), "-2.000000000");
    }
}
