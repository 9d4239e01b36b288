//! The 8-byte CLC header, the 4-byte trailer, and the framing every CLC
//! message shares (kernel struct smc_clc_msg_hdr / smc_clc_msg_trail).

use super::codes::{ClcType, Eyecatcher, Path};
use crate::error::{Error, ErrorKind, Layer, Reason, Result};
use crate::wire::{Put, Reader, Wire};

pub const HEADER_LEN: usize = 8;
pub const TRAILER_LEN: usize = 4;
/// The first-contact bit (Accept, Confirm) / out-of-sync bit (Decline) inside `typev2`.
pub const FIRST_CONTACT_MASK: u8 = 0b10;

/// The header as it is on the wire.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Header {
    pub eyecatcher: Eyecatcher,
    pub kind: ClcType,
    /// Total length, header and trailer included.
    pub length: u16,
    /// High nibble of byte 7 (1 or 2; Linux treats every value above 1 as v2).
    pub version: u8,
    pub typev2: Path,
    pub typev1: Path,
}

impl Wire for Header {
    const NAME: &'static str = "CLC header";
    const LAYER: Layer = Layer::Clc;

    /// Read the header; rejects what Linux rejects before looking at the body:
    /// a foreign eyecatcher and version 0.
    #[inline(always)]
    fn read(r: &mut Reader<'_>, _: ()) -> Result<Header> {
        let eyecatcher = Eyecatcher(r.be_u32("header.eyecatcher")?);
        if !eyecatcher.is_valid() {
            return Err(r.invalid("header.eyecatcher", 4, eyecatcher.0.into(), Reason::Eyecatcher));
        }
        let kind = ClcType(r.u8("header.type")?);
        let length = r.be_u16("header.length")?;
        // Named as a whole: its parts mean different things per message type.
        let bits = r.u8("header.flags")?;
        let version = bits >> 4;
        if version == 0 {
            return Err(r.invalid("header.version", 1, version.into(), Reason::ClcVersion));
        }
        Ok(Header {
            eyecatcher,
            kind,
            length,
            version,
            typev2: Path((bits >> 2) & 3),
            typev1: Path(bits & 3),
        })
    }

    fn write(&self, out: &mut Vec<u8>, _: ()) {
        out.put_be_u32(self.eyecatcher.0);
        out.put_u8(self.kind.0);
        out.put_be_u16(self.length);
        out.put_u8((self.version << 4) | ((self.typev2.0 & 3) << 2) | (self.typev1.0 & 3));
    }

    fn wire_len(&self) -> usize {
        HEADER_LEN
    }
}

/// The header bits a message keeps (its type and length follow from the
/// message itself) plus the trailer, kept raw so it re-emits as seen.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Envelope {
    pub eyecatcher: Eyecatcher,
    pub version: u8,
    pub typev2: Path,
    pub typev1: Path,
    pub trailer: Eyecatcher,
}

impl Envelope {
    pub fn is_v1(&self) -> bool {
        self.version == 1
    }

    /// Bit 3 of byte 7: first contact (Accept, Confirm) or out of sync (Decline).
    pub fn flag(&self) -> bool {
        self.typev2.0 & FIRST_CONTACT_MASK != 0
    }

    pub(crate) fn header(&self, kind: ClcType, length: usize) -> Header {
        Header {
            eyecatcher: self.eyecatcher,
            kind,
            // Emit never panics; a body past 64 KiB cannot be a CLC message anyway.
            length: u16::try_from(length).unwrap_or(u16::MAX),
            version: self.version,
            typev2: self.typev2,
            typev1: self.typev1,
        }
    }
}

/// A message opened for parsing: its header, a reader over the body (bytes
/// 8 to length-4, offsets counted from the start of the message) and the trailer.
pub(crate) struct Opened<'a> {
    pub header: Header,
    pub body: Reader<'a>,
    pub trailer: Eyecatcher,
}

impl Opened<'_> {
    pub fn envelope(&self) -> Envelope {
        Envelope {
            eyecatcher: self.header.eyecatcher,
            version: self.header.version,
            typev2: self.header.typev2,
            typev1: self.header.typev1,
            trailer: self.trailer,
        }
    }

    /// An error about the declared length (at byte 5).
    pub fn length_error(&self, kind: ErrorKind) -> Error {
        Error {
            offset: 5,
            ..self.body.error("header.length", kind)
        }
    }

    /// Reject a length Linux rejects: `expected` is what the content needs.
    pub fn expect_length(&self, expected: usize) -> Result<()> {
        let declared = usize::from(self.header.length);
        if declared == expected {
            return Ok(());
        }
        Err(self.length_error(ErrorKind::LengthMismatch { declared, expected }))
    }

    /// Linux checks the trailer of every message but Decline.
    pub fn check_trailer(&self) -> Result<()> {
        if self.trailer.is_valid() {
            return Ok(());
        }
        let offset = usize::from(self.header.length) - TRAILER_LEN;
        Err(self
            .body
            .invalid_at("trailer", offset, self.trailer.0.into(), Reason::Trailer))
    }
}

/// Read the header of a message spanning all `r` holds and check the declared
/// length against it: more declared than given is truncation, less leaves
/// trailing bytes. Inline, as the readers of the fixed parts: the message's
/// reader then stays in registers.
#[inline(always)]
pub(crate) fn open(mut r: Reader<'_>) -> Result<Opened<'_>> {
    let bytes = r.unread();
    let header = Header::read(&mut r, ())?;
    let declared = usize::from(header.length);
    if declared < HEADER_LEN + TRAILER_LEN {
        return Err(r.invalid_at(
            "header.length",
            5,
            declared as u64,
            Reason::ShorterThanHeaderAndTrailer,
        ));
    }
    if declared > bytes.len() {
        let kind = ErrorKind::Truncated {
            needed: declared,
            available: bytes.len(),
        };
        return Err(Error {
            offset: bytes.len(),
            ..r.error("body", kind)
        });
    }
    if declared < bytes.len() {
        let kind = ErrorKind::TrailingBytes {
            count: bytes.len() - declared,
        };
        return Err(Error {
            offset: declared,
            ..r.error("header.length", kind)
        });
    }
    let body = r.sub(declared - HEADER_LEN - TRAILER_LEN, "body")?;
    let trailer = Eyecatcher(r.be_u32("trailer")?);
    Ok(Opened {
        header,
        body,
        trailer,
    })
}
