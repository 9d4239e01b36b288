//! CLC, the handshake on the TCP stream: Proposal, Accept, Confirm, Decline
//! (Linux net/smc/smc_clc.h and smc_clc.c; where the protocol notes and the
//! kernel disagree, this follows the kernel).
//!
//! [`ClcMessage`] parses any CLC message, [`parse_lax`] keeps the header when
//! the body fails, and [`frame_len`] tells a TCP reassembler how long the
//! message starting at a stream position is.

pub mod accept_confirm;
pub mod codes;
pub mod decline;
pub mod first_contact;
pub mod header;
pub mod proposal;
pub mod proposal_areas;

pub use accept_confirm::{
    buffer_size, AcceptConfirm, AcceptConfirmBody, SmcdAcceptConfirm, SmcdV2, SmcrAcceptConfirm, SmcrV2,
};
pub use codes::{ClcType, DeclineDiagnosis, Eyecatcher, FeatureMask, OsType, Path, Release};
pub use decline::Decline;
pub use first_contact::{FceV2x, FirstContactExt, GidList};
pub use header::{Envelope, Header, HEADER_LEN, TRAILER_LEN};
pub use proposal::Proposal;
pub use proposal_areas::{
    Eid, IpPrefixArea, Ipv6Prefix, IsmDevice, IsmEntry, SmcdArea, SmcdV2Extension, V2Extension,
};

use crate::error::{Error, ErrorKind, Layer, Reason, Result};
use crate::wire::{Lax, Put, Reader, Wire};

/// Any CLC message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ClcMessage {
    Proposal(Proposal),
    Accept(AcceptConfirm),
    Confirm(AcceptConfirm),
    Decline(Decline),
    /// A type Linux does not know (it would reject it); shown, not an error.
    Unknown(Unknown),
}

/// A message of unknown type: header bits, type, raw body, trailer as seen.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unknown {
    pub kind: ClcType,
    pub env: Envelope,
    pub body: Vec<u8>,
}

impl ClcMessage {
    pub fn kind(&self) -> ClcType {
        match self {
            ClcMessage::Proposal(_) => ClcType::PROPOSAL,
            ClcMessage::Accept(_) => ClcType::ACCEPT,
            ClcMessage::Confirm(_) => ClcType::CONFIRM,
            ClcMessage::Decline(_) => ClcType::DECLINE,
            ClcMessage::Unknown(u) => u.kind,
        }
    }
}

impl Wire for ClcMessage {
    const NAME: &'static str = "CLC message";
    const LAYER: Layer = Layer::Clc;
    const WHOLE: bool = true;

    fn read(r: &mut Reader<'_>, _: ()) -> Result<Self> {
        r.whole(Self::NAME, |mut m| {
            let header = Header::read(&mut m.clone(), ())?;
            Ok(match header.kind {
                ClcType::PROPOSAL => ClcMessage::Proposal(Proposal::read(&mut m, ())?),
                // One call for both: with two the reader stayed out of line.
                ClcType::ACCEPT | ClcType::CONFIRM => {
                    let a = AcceptConfirm::read(&mut m, ())?;
                    match a.kind {
                        ClcType::ACCEPT => ClcMessage::Accept(a),
                        _ => ClcMessage::Confirm(a),
                    }
                }
                ClcType::DECLINE => ClcMessage::Decline(Decline::read(&mut m, ())?),
                kind => {
                    let o = header::open(m)?;
                    let env = o.envelope();
                    let mut body = o.body;
                    ClcMessage::Unknown(Unknown {
                        kind,
                        env,
                        body: body.rest().to_vec(),
                    })
                }
            })
        })
    }

    fn write(&self, out: &mut Vec<u8>, _: ()) {
        match self {
            ClcMessage::Proposal(m) => m.emit(out),
            ClcMessage::Accept(m) | ClcMessage::Confirm(m) => m.emit(out),
            ClcMessage::Decline(m) => m.emit(out),
            ClcMessage::Unknown(u) => {
                u.env.header(u.kind, self.wire_len()).emit(out);
                out.put_bytes(&u.body);
                out.put_be_u32(u.env.trailer.0);
            }
        }
    }

    fn wire_len(&self) -> usize {
        match self {
            ClcMessage::Proposal(m) => m.wire_len(),
            ClcMessage::Accept(m) | ClcMessage::Confirm(m) => m.wire_len(),
            ClcMessage::Decline(m) => m.wire_len(),
            ClcMessage::Unknown(u) => HEADER_LEN + u.body.len() + TRAILER_LEN,
        }
    }
}

/// What a lax parse of a CLC message got.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ClcLax {
    /// Present once the 8-byte header parsed.
    pub header: Option<Header>,
    /// Present when the whole message parsed.
    pub message: Option<ClcMessage>,
}

/// Parse what can be parsed: the header even when the body fails.
pub fn parse_lax(bytes: &[u8]) -> Lax<ClcLax> {
    let header = match Header::read(&mut Reader::new(ClcMessage::LAYER, ClcMessage::NAME, bytes), ()) {
        Ok(h) => h,
        Err(e) => {
            return Lax {
                parsed: ClcLax::default(),
                error: Some(e),
            }
        }
    };
    match ClcMessage::parse(bytes) {
        Ok(m) => Lax {
            parsed: ClcLax {
                header: Some(header),
                message: Some(m),
            },
            error: None,
        },
        Err(e) => Lax {
            parsed: ClcLax {
                header: Some(header),
                message: None,
            },
            error: Some(e),
        },
    }
}

/// Where a CLC message starting at a TCP stream position ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Framing {
    /// The 8-byte header is not all there yet.
    NeedMore,
    /// The whole message, header and trailer included, is this many bytes.
    Length(usize),
}

/// The smallest length a message of each type can have: legacy v1 Proposal,
/// SMC-D v1 Accept/Confirm, v1 Decline, or header plus trailer.
fn min_len(kind: ClcType) -> usize {
    match kind {
        ClcType::PROPOSAL => 52,
        ClcType::ACCEPT | ClcType::CONFIRM => 48,
        ClcType::DECLINE => decline::DECLINE_V1_LEN,
        _ => HEADER_LEN + TRAILER_LEN,
    }
}

/// Frame a CLC message at the start of `bytes` (the stream from a message
/// boundary on). Fails on a foreign eyecatcher as soon as its first byte is
/// wrong, and on a length below the type's minimum: the stream is then not
/// (or no longer) CLC.
pub fn frame_len(bytes: &[u8]) -> Result<Framing> {
    if bytes.len() < HEADER_LEN {
        return partial_header(bytes);
    }
    // Rejects a foreign eyecatcher as partial_header does.
    let mut r = Reader::new(ClcMessage::LAYER, ClcMessage::NAME, bytes);
    let header = Header::read(&mut r, ())?;
    let length = usize::from(header.length);
    if length < min_len(header.kind) {
        return Err(r.invalid_at("header.length", 5, length as u64, Reason::BelowTypeMinimum));
    }
    Ok(Framing::Length(length))
}

/// The start of a header: wait for the rest unless the eyecatcher is already wrong.
fn partial_header(bytes: &[u8]) -> Result<Framing> {
    let seen = &bytes[..bytes.len().min(4)];
    let good = [Eyecatcher::SMCR, Eyecatcher::SMCD]
        .iter()
        .any(|e| e.0.to_be_bytes().starts_with(seen));
    if good {
        return Ok(Framing::NeedMore);
    }
    let mut value = [0u8; 4];
    value[..seen.len()].copy_from_slice(seen);
    let kind = ErrorKind::Invalid {
        value: u32::from_be_bytes(value).into(),
        reason: Reason::Eyecatcher,
    };
    Err(Error {
        layer: ClcMessage::LAYER,
        message: ClcMessage::NAME,
        field: "header.eyecatcher",
        offset: 0,
        kind,
    })
}
