//! Errors that name the message, the field and the byte offset where parsing stopped.

use core::fmt;

/// Why a message could not be parsed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    /// The input ended before the field did. For a frame cut by the capture's
    /// snaplen this is the expected outcome, not a malformed message.
    Truncated { needed: usize, available: usize },
    /// The field holds a value the protocol does not allow.
    Invalid { value: u64, reason: &'static str },
    /// Bytes are left over inside the declared length after the last field.
    TrailingBytes { count: usize },
    /// A declared length disagrees with the length the content needs.
    LengthMismatch { declared: usize, expected: usize },
}

/// A parse error: which message, which field, at which byte of the message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Error {
    /// The message being parsed, in the protocol's words ("CLC Proposal").
    pub message: &'static str,
    /// The field being read ("v2_ext.eid_count").
    pub field: &'static str,
    /// Byte offset of the field from the start of the message.
    pub offset: usize,
    pub kind: ErrorKind,
}

impl Error {
    /// True when more input would have let parsing go on (a cut frame or a
    /// message still arriving on a stream), as opposed to a malformed one.
    pub fn is_truncated(&self) -> bool {
        matches!(self.kind, ErrorKind::Truncated { .. })
    }

    /// The same error seen from an enclosing message: `offset` is where the
    /// inner message starts inside the outer one.
    pub fn within(self, message: &'static str, offset: usize) -> Self {
        Error { message, offset: self.offset + offset, ..self }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: field {} at byte {}: ", self.message, self.field, self.offset)?;
        match self.kind {
            ErrorKind::Truncated { needed, available } => {
                write!(f, "truncated (needs {needed} bytes, {available} left)")
            }
            ErrorKind::Invalid { value, reason } => write!(f, "invalid value {value:#x}: {reason}"),
            ErrorKind::TrailingBytes { count } => {
                write!(f, "{count} trailing bytes inside the declared length")
            }
            ErrorKind::LengthMismatch { declared, expected } => {
                write!(f, "declared length {declared} but the content needs {expected}")
            }
        }
    }
}

impl std::error::Error for Error {}

pub type Result<T> = core::result::Result<T, Error>;
