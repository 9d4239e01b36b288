//! Cuts one direction's byte stream into CLC messages using the length in
//! each CLC header, and knows where CLC ends and other data begins.

use super::stream::Chunk;
use dissect::clc::{frame_len, ClcType, Eyecatcher, Framing};

/// Why a direction carries no (more) CLC.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClcEnd {
    /// The SYN-ACK lacked the SMC option: the connection is plain TCP.
    NoSmcOption,
    /// A Decline was sent: the connection fell back to TCP.
    Fallback,
    /// The client's Confirm completed the handshake: data moves to RDMA or ISM.
    SmcMode,
    /// Joined mid-stream and no CLC header turned up in the scanned bytes.
    NotFound,
}

/// A complete CLC message cut from the stream.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClcRecord {
    /// Stream offset of its first byte.
    pub offset: u64,
    pub bytes: Vec<u8>,
}

impl ClcRecord {
    /// The header's message type.
    pub fn kind(&self) -> ClcType {
        ClcType(self.bytes.get(4).copied().unwrap_or_default())
    }
}

/// What the framer found in the bytes fed to it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Framed {
    Clc(ClcRecord),
    /// Bytes where a CLC header belonged that are not one, or a message cut by a gap.
    Garbage {
        offset: u64,
        reason: NotClc,
    },
}

/// Why the bytes at a CLC message boundary gave no message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NotClc {
    /// The header framing rejected them (foreign eyecatcher, length below the minimum).
    Header(dissect::Error),
    /// A gap in the stream cut the message being collected.
    CutByGap,
    /// The capture ended inside the message being collected.
    CaptureEnded,
}

impl core::fmt::Display for NotClc {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            NotClc::Header(e) => e.fmt(f),
            NotClc::CutByGap => f.write_str("CLC message cut by a gap"),
            NotClc::CaptureEnded => f.write_str("capture ended inside a CLC message"),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    /// A CLC message starts at the next byte.
    Expect,
    /// Looking for an eyecatcher; `left` bytes may still be skipped.
    Scan {
        left: usize,
    },
    Done(ClcEnd),
}

#[derive(Debug)]
pub(crate) struct ClcFramer {
    mode: Mode,
    /// Bytes of the message being collected (or of the scan window).
    buf: Vec<u8>,
    /// Stream offset of `buf[0]`.
    offset: u64,
    /// Bytes a scan for the next CLC header may skip before giving up.
    scan_limit: usize,
}

impl ClcFramer {
    /// A framer for a stream seen from its start.
    pub fn at_start(scan_limit: usize) -> Self {
        ClcFramer {
            mode: Mode::Expect,
            buf: Vec::new(),
            offset: 0,
            scan_limit,
        }
    }

    /// A framer for a stream joined without the handshake.
    pub fn mid_stream(scan_limit: usize) -> Self {
        ClcFramer {
            mode: Mode::Scan { left: scan_limit },
            buf: Vec::new(),
            offset: 0,
            scan_limit,
        }
    }

    pub fn end(&mut self, why: ClcEnd) {
        if !matches!(self.mode, Mode::Done(_)) {
            self.mode = Mode::Done(why);
            self.buf = Vec::new();
        }
    }

    pub fn ended(&self) -> Option<ClcEnd> {
        match self.mode {
            Mode::Done(why) => Some(why),
            _ => None,
        }
    }

    /// End of input: a message still being collected is reported cut.
    pub fn finish(&mut self, out: &mut Vec<Framed>) {
        if matches!(self.mode, Mode::Expect) && !self.buf.is_empty() {
            out.push(Framed::Garbage {
                offset: self.offset,
                reason: NotClc::CaptureEnded,
            });
        }
        self.buf = Vec::new();
    }

    /// Feeds one in-order chunk; found messages and garbage go to `out`.
    pub fn feed(&mut self, chunk: Chunk, out: &mut Vec<Framed>) {
        match (chunk, self.mode) {
            (_, Mode::Done(_)) => {}
            (Chunk::Gap(n), _) => {
                if matches!(self.mode, Mode::Expect) && !self.buf.is_empty() {
                    out.push(Framed::Garbage {
                        offset: self.offset,
                        reason: NotClc::CutByGap,
                    });
                }
                // After a gap no message boundary is known: look for one.
                self.offset += self.buf.len() as u64 + n;
                self.buf.clear();
                if matches!(self.mode, Mode::Expect) {
                    self.mode = Mode::Scan {
                        left: self.scan_limit,
                    };
                }
            }
            (Chunk::Data(data), _) => {
                // Most segments carry whole messages: cut them straight from
                // the segment, and hold back only what is left of it.
                let mut held = std::mem::take(&mut self.buf);
                if held.is_empty() {
                    let used = self.cut(data, out);
                    held.extend_from_slice(data.get(used..).unwrap_or_default());
                } else {
                    held.extend_from_slice(data);
                    let used = self.cut(&held, out);
                    held.drain(..used.min(held.len()));
                }
                if self.ended().is_none() {
                    self.buf = held;
                }
            }
        }
    }

    /// Cuts what `bytes` (the stream from stream offset `self.offset` on)
    /// holds; returns how many bytes it used up.
    fn cut(&mut self, bytes: &[u8], out: &mut Vec<Framed>) -> usize {
        let mut used = 0;
        loop {
            let rest = bytes.get(used..).unwrap_or_default();
            if rest.is_empty() {
                // Whatever the mode, nothing to look at until more bytes come.
                return used;
            }
            match self.mode {
                Mode::Done(_) => return used,
                Mode::Scan { left } => {
                    used += self.scan(rest, left);
                    if !matches!(self.mode, Mode::Expect) {
                        return used;
                    }
                }
                Mode::Expect => match frame_len(rest) {
                    Ok(Framing::NeedMore) => return used,
                    Err(e) => {
                        out.push(Framed::Garbage {
                            offset: self.offset,
                            reason: NotClc::Header(e),
                        });
                        // frame_len fails only on a byte it saw.
                        used += 1;
                        self.offset += 1;
                        self.mode = Mode::Scan {
                            left: self.scan_limit,
                        };
                    }
                    Ok(Framing::Length(len)) => {
                        let Some(message) = rest.get(..len) else {
                            return used;
                        };
                        let record = ClcRecord {
                            offset: self.offset,
                            bytes: message.to_vec(),
                        };
                        used += len;
                        self.offset += len as u64;
                        // A Decline ends CLC; so does the client's Confirm (the
                        // only Confirm there is).
                        match record.kind() {
                            ClcType::DECLINE => self.end(ClcEnd::Fallback),
                            ClcType::CONFIRM => self.end(ClcEnd::SmcMode),
                            _ => {}
                        }
                        out.push(Framed::Clc(record));
                    }
                },
            }
        }
    }

    /// Skips to the next plausible CLC header in `bytes`; returns how many
    /// bytes it skipped. The mode becomes Expect when one starts there.
    fn scan(&mut self, bytes: &[u8], left: usize) -> usize {
        let mut skipped = 0;
        let found = loop {
            let rest = bytes.get(skipped..).unwrap_or_default();
            match frame_len(rest) {
                // A header that might still complete: wait for more bytes.
                Ok(Framing::NeedMore) => break false,
                Ok(Framing::Length(len)) if rest.len() < len => break false,
                Ok(Framing::Length(len)) if has_trailer(rest.get(..len).unwrap_or_default()) => break true,
                _ => skipped += 1,
            }
        };
        self.offset += skipped as u64;
        self.mode = match left.checked_sub(skipped) {
            _ if found => Mode::Expect,
            Some(left) => Mode::Scan { left },
            None => Mode::Done(ClcEnd::NotFound),
        };
        skipped
    }
}

/// The trailer repeats an eyecatcher: a cheap check against a false start
/// when scanning data that may not be CLC at all.
fn has_trailer(message: &[u8]) -> bool {
    [Eyecatcher::SMCR, Eyecatcher::SMCD]
        .iter()
        .any(|e| message.ends_with(&e.0.to_be_bytes()))
}
