//! The 4-byte LLC header and its framing rules (Linux `struct smc_llc_hdr`).
//!
//! Byte 0: version (high nibble) and type (low nibble). v1: byte 1 length
//! (always 44), byte 2 low nibble ADD_LINK reject reason. v2: bytes 1-2 length
//! (44..8192) in the SENDER's host byte order, because Linux stores a plain
//! `u16` there. Byte 3: flags.

use crate::error::{ErrorKind, Layer, Reason, Result};
use crate::named_values;
use crate::wire::{ByteOrder, Put, Reader};

/// Every v1 LLC message is this long; v2 messages are at least this long.
pub const LLC_V1_LEN: usize = 44;
/// Largest v2 LLC message Linux accepts (`SMC_WR_BUF_V2_SIZE`).
pub const LLC_V2_MAX_LEN: usize = 8192;
pub(crate) const HEADER_LEN: usize = 4;

named_values! {
    /// Byte 0 of an LLC message: version nibble and type nibble together.
    pub struct LlcType(u8) {
        CONFIRM_LINK = 0x01 => "CONFIRM_LINK",
        ADD_LINK = 0x02 => "ADD_LINK",
        ADD_LINK_CONT = 0x03 => "ADD_LINK_CONT",
        DELETE_LINK = 0x04 => "DELETE_LINK",
        REQ_ADD_LINK = 0x05 => "REQ_ADD_LINK",
        CONFIRM_RKEY = 0x06 => "CONFIRM_RKEY",
        TEST_LINK = 0x07 => "TEST_LINK",
        CONFIRM_RKEY_CONT = 0x08 => "CONFIRM_RKEY_CONT",
        DELETE_RKEY = 0x09 => "DELETE_RKEY",
        CONFIRM_LINK_V2 = 0x21 => "CONFIRM_LINK_V2",
        ADD_LINK_V2 = 0x22 => "ADD_LINK_V2",
        ADD_LINK_CONT_V2 = 0x23 => "ADD_LINK_CONT_V2",
        DELETE_LINK_V2 = 0x24 => "DELETE_LINK_V2",
        REQ_ADD_LINK_V2 = 0x25 => "REQ_ADD_LINK_V2",
        CONFIRM_RKEY_V2 = 0x26 => "CONFIRM_RKEY_V2",
        TEST_LINK_V2 = 0x27 => "TEST_LINK_V2",
        CONFIRM_RKEY_CONT_V2 = 0x28 => "CONFIRM_RKEY_CONT_V2",
        DELETE_RKEY_V2 = 0x29 => "DELETE_RKEY_V2",
    }
}

impl LlcType {
    /// The version nibble: 0 for v1, 2 for v2.
    pub fn version(self) -> u8 {
        self.0 >> 4
    }

    /// The type nibble, which is what Linux dispatches on.
    pub fn kind(self) -> u8 {
        self.0 & 0x0f
    }

    /// Linux frames every message whose version nibble is not 0 as v2.
    pub fn is_v2_framing(self) -> bool {
        self.version() != 0
    }

    /// The same message type in the given version (0 or 2).
    pub fn with_version(self, version: u8) -> Self {
        LlcType((version << 4) | self.kind())
    }
}

named_values! {
    /// Byte 3 of the header. Some bits mean different things per message type.
    pub struct LlcFlags(u8) {
        RESPONSE = 0x80 => "RESPONSE",
        /// ADD_LINK: the responder rejects the new link.
        ADD_LINK_REJECT = 0x40 => "ADD_LINK_REJECT",
        /// DELETE_LINK: delete every link of the link group.
        DELETE_LINK_ALL = 0x40 => "DELETE_LINK_ALL",
        /// DELETE_LINK: orderly (not an abort).
        DELETE_LINK_ORDERLY = 0x20 => "DELETE_LINK_ORDERLY",
        /// CONFIRM_RKEY / DELETE_RKEY response: the rkey operation failed.
        RKEY_NEGATIVE = 0x20 => "RKEY_NEGATIVE",
        /// CONFIRM_RKEY response: the requester may retry.
        RKEY_RETRY = 0x10 => "RKEY_RETRY",
        /// CONFIRM_LINK: RMBEs carry no eyecatcher (Linux requires both bits).
        NO_RMBE_EYECATCHER = 0x03 => "NO_RMBE_EYECATCHER",
    }
}

crate::flag_bits!(LlcFlags);

named_values! {
    /// ADD_LINK reject reason (v1 byte 2, low nibble).
    pub struct AddLinkRejectReason(u8) {
        NONE = 0 => "NONE",
        NO_ALT_PATH = 1 => "NO_ALT_PATH",
    }
}

/// The LLC header as kept inside every message. The length is not stored:
/// emit writes the message's real length; [`super::LlcLax`] shows the
/// declared one when a message is broken.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct LlcHeader {
    pub llc_type: LlcType,
    /// Byte order of the v2 length field as seen; `Big` for v1.
    pub length_order: ByteOrder,
    /// v1 only: v2 has the length in this byte, so Linux loses the reason there.
    pub reject_reason: AddLinkRejectReason,
    pub flags: LlcFlags,
}

impl LlcHeader {
    pub fn version(&self) -> u8 {
        self.llc_type.version()
    }

    pub fn is_response(&self) -> bool {
        self.flags.contains(LlcFlags::RESPONSE)
    }

    /// Read the header of a message of `total` bytes; returns it with the
    /// declared length.
    #[inline(always)]
    pub(crate) fn read(r: &mut Reader<'_>, total: usize) -> Result<(LlcHeader, usize)> {
        let llc_type = LlcType(r.u8("type")?);
        if !llc_type.is_v2_framing() {
            let length = r.u8("length")?;
            if usize::from(length) != LLC_V1_LEN {
                return Err(r.invalid("length", 1, length.into(), Reason::LlcV1Length));
            }
            let reject_reason = AddLinkRejectReason(r.u8("reject_reason")? & 0x0f);
            let flags = LlcFlags(r.u8("flags")?);
            let header = LlcHeader {
                llc_type,
                length_order: ByteOrder::Big,
                reject_reason,
                flags,
            };
            return Ok((header, LLC_V1_LEN));
        }
        let raw: [u8; 2] = r.array("length")?;
        let (length_order, length) = match v2_length(raw, total) {
            Some(found) => found,
            None => {
                let value = u16::from_le_bytes(raw).into();
                return Err(r.invalid("length", 2, value, Reason::LlcV2Length));
            }
        };
        let flags = LlcFlags(r.u8("flags")?);
        let header = LlcHeader {
            llc_type,
            length_order,
            reject_reason: AddLinkRejectReason::NONE,
            flags,
        };
        Ok((header, length))
    }

    /// Write the header of a message of `total` bytes.
    pub(crate) fn write(&self, total: usize, out: &mut Vec<u8>) {
        out.put_u8(self.llc_type.0);
        if self.llc_type.is_v2_framing() {
            out.put_u16_in(self.length_order, u16::try_from(total).unwrap_or(u16::MAX));
        } else {
            out.put_u8(u8::try_from(total).unwrap_or(u8::MAX));
            out.put_u8(self.reject_reason.0 & 0x0f);
        }
        out.put_u8(self.flags.0);
    }
}

/// Pick the byte order of a v2 length: a value in 44..=8192 is required; when
/// both orders give one, the one equal to the bytes we have wins, then little
/// endian (the x86 and arm64 peers seen in captures).
pub(crate) fn v2_length(raw: [u8; 2], total: usize) -> Option<(ByteOrder, usize)> {
    let valid = |v: u16| {
        (LLC_V1_LEN..=LLC_V2_MAX_LEN)
            .contains(&usize::from(v))
            .then_some(usize::from(v))
    };
    let le = valid(u16::from_le_bytes(raw)).map(|v| (ByteOrder::Little, v));
    let be = valid(u16::from_be_bytes(raw)).map(|v| (ByteOrder::Big, v));
    match (le, be) {
        (Some(l), Some(b)) if b.1 == total && l.1 != total => Some(b),
        (Some(l), _) => Some(l),
        (None, b) => b,
    }
}

/// Frame one LLC message: read the header, check the declared length against
/// the input, and hand back a reader over the body (offsets from byte 0).
#[inline(always)]
pub(crate) fn open(mut r: Reader<'_>) -> Result<(LlcHeader, Reader<'_>)> {
    let bytes = r.unread();
    let (header, length) = LlcHeader::read(&mut r, bytes.len())?;
    if bytes.len() > length {
        let kind = ErrorKind::LengthMismatch {
            declared: length,
            expected: bytes.len(),
        };
        return Err(crate::Error {
            offset: 1,
            ..r.error("length", kind)
        });
    }
    let body = r.sub(length - HEADER_LEN, "body")?;
    Ok((header, body))
}

/// Check that a typed parser got the message type it handles (v1 or v2).
pub(crate) fn expect_kind(message: &'static str, header: &LlcHeader, kind: LlcType) -> Result<()> {
    if header.llc_type.kind() == kind.kind() && matches!(header.version(), 0 | 2) {
        return Ok(());
    }
    Err(crate::Error {
        layer: Layer::Llc,
        message,
        field: "type",
        offset: 0,
        kind: ErrorKind::Invalid {
            value: header.llc_type.0.into(),
            reason: Reason::NotTheLlcTypeParsed,
        },
    })
}

/// The declared length cannot hold what the body says it carries. `r` is the
/// body reader, whose end is the declared length.
pub(crate) fn length_mismatch(r: &Reader<'_>, expected: usize) -> crate::Error {
    let declared = r.offset() + r.remaining();
    crate::Error {
        offset: 1,
        ..r.error("length", ErrorKind::LengthMismatch { declared, expected })
    }
}
