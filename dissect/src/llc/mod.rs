//! LLC: SMC-R link layer control, carried in RoCE SENDs on the link's RC QP.
//!
//! Layouts follow Linux `net/smc/smc_llc.c` (`struct smc_llc_msg_*`). Every
//! message is an [`Llc`] of a body type; [`LlcMessage`] picks the body from
//! the type nibble the way Linux does, and keeps unknown types raw.

mod header;
mod link;
mod rkey;

#[cfg(test)]
mod proptests;
#[cfg(test)]
mod tests;

pub(crate) use header::v2_length;
pub use header::{AddLinkRejectReason, LlcFlags, LlcHeader, LlcType, LLC_V1_LEN, LLC_V2_MAX_LEN};
pub use link::{
    AddLink, AddLinkCont, AddLinkV2Ext, ConfirmLink, DeleteLink, DeleteLinkReason, QpMtu, RequestAddLink,
    TestLink,
};
pub use rkey::{ConfirmRkey, ConfirmRkeyCont, DeleteRkey, LinkRtoken, RkeyPair, Rtoken};

use crate::error::{Error, Layer, Result};
use crate::wire::{Lax, Put, Reader, Wire};

/// The part after the 4-byte header of one LLC message type. It is read and
/// written with the header: some layouts differ between v1 and v2, and v2
/// has fields in the sender's byte order. The readers are forced inline into
/// [`LlcMessage`]'s parse, header and helpers too, so its [`Reader`] stays in
/// registers; the reader given stops at the declared length.
pub trait LlcBody: Wire<LlcHeader> {
    /// The type it parses; `None` for [`RawBody`], which takes any.
    const KIND: Option<LlcType>;
}

/// One LLC message: the header and a typed body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Llc<B> {
    pub header: LlcHeader,
    pub body: B,
}

impl<B: LlcBody> Wire for Llc<B> {
    const NAME: &'static str = <B as Wire<LlcHeader>>::NAME;
    const LAYER: Layer = Layer::Llc;
    const WHOLE: bool = true;

    fn read(r: &mut Reader<'_>, _: ()) -> Result<Self> {
        r.whole(Self::NAME, |m| {
            let (header, mut r) = header::open(m)?;
            if let Some(kind) = B::KIND {
                header::expect_kind(Self::NAME, &header, kind)?;
            }
            let body = B::read(&mut r, header)?;
            r.finish("reserved")?;
            Ok(Llc { header, body })
        })
    }

    fn write(&self, out: &mut Vec<u8>, _: ()) {
        self.header.write(self.wire_len(), out);
        self.body.write(out, self.header);
    }

    fn wire_len(&self) -> usize {
        header::HEADER_LEN + self.body.wire_len()
    }
}

/// The body of an LLC message whose type this crate does not know, kept as seen.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct RawBody {
    pub bytes: Vec<u8>,
}

impl LlcBody for RawBody {
    const KIND: Option<LlcType> = None;
}

impl Wire<LlcHeader> for RawBody {
    const NAME: &'static str = "LLC message";
    const LAYER: Layer = Layer::Llc;

    fn read(r: &mut Reader<'_>, _: LlcHeader) -> Result<Self> {
        Ok(RawBody {
            bytes: r.rest().to_vec(),
        })
    }
    fn write(&self, out: &mut Vec<u8>, _: LlcHeader) {
        out.put_bytes(&self.bytes);
    }
    fn wire_len(&self) -> usize {
        self.bytes.len()
    }
}

/// Any LLC message, typed by its header the way Linux dispatches: on the type
/// nibble, for version 0 (v1) and 2 (v2).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LlcMessage {
    ConfirmLink(Llc<ConfirmLink>),
    AddLink(Llc<AddLink>),
    AddLinkCont(Llc<AddLinkCont>),
    DeleteLink(Llc<DeleteLink>),
    RequestAddLink(Llc<RequestAddLink>),
    ConfirmRkey(Llc<ConfirmRkey>),
    TestLink(Llc<TestLink>),
    ConfirmRkeyCont(Llc<ConfirmRkeyCont>),
    DeleteRkey(Llc<DeleteRkey>),
    /// A version or type this crate does not know: not an error.
    Unknown(Llc<RawBody>),
}

/// Applies `$f` to the `Llc<_>` inside any variant.
macro_rules! each_variant {
    ($msg:expr, $m:ident => $f:expr) => {
        match $msg {
            LlcMessage::ConfirmLink($m) => $f,
            LlcMessage::AddLink($m) => $f,
            LlcMessage::AddLinkCont($m) => $f,
            LlcMessage::DeleteLink($m) => $f,
            LlcMessage::RequestAddLink($m) => $f,
            LlcMessage::ConfirmRkey($m) => $f,
            LlcMessage::TestLink($m) => $f,
            LlcMessage::ConfirmRkeyCont($m) => $f,
            LlcMessage::DeleteRkey($m) => $f,
            LlcMessage::Unknown($m) => $f,
        }
    };
}

impl LlcMessage {
    pub fn header(&self) -> &LlcHeader {
        each_variant!(self, m => &m.header)
    }
}

impl Wire for LlcMessage {
    const NAME: &'static str = "LLC message";
    const LAYER: Layer = Layer::Llc;
    const WHOLE: bool = true;

    fn read(r: &mut Reader<'_>, _: ()) -> Result<Self> {
        let llc_type = match r.peek_u8(0) {
            Some(b) => LlcType(b),
            None => return Llc::<RawBody>::read(r, ()).map(LlcMessage::Unknown),
        };
        if !matches!(llc_type.version(), 0 | 2) {
            return Llc::read(r, ()).map(LlcMessage::Unknown);
        }
        Ok(match llc_type.kind() {
            0x1 => LlcMessage::ConfirmLink(Llc::read(r, ())?),
            0x2 => LlcMessage::AddLink(Llc::read(r, ())?),
            0x3 => LlcMessage::AddLinkCont(Llc::read(r, ())?),
            0x4 => LlcMessage::DeleteLink(Llc::read(r, ())?),
            0x5 => LlcMessage::RequestAddLink(Llc::read(r, ())?),
            0x6 => LlcMessage::ConfirmRkey(Llc::read(r, ())?),
            0x7 => LlcMessage::TestLink(Llc::read(r, ())?),
            0x8 => LlcMessage::ConfirmRkeyCont(Llc::read(r, ())?),
            0x9 => LlcMessage::DeleteRkey(Llc::read(r, ())?),
            _ => LlcMessage::Unknown(Llc::read(r, ())?),
        })
    }

    fn write(&self, out: &mut Vec<u8>, _: ()) {
        each_variant!(self, m => m.emit(out))
    }

    fn wire_len(&self) -> usize {
        each_variant!(self, m => m.wire_len())
    }
}

/// What a lax parse of an LLC message got.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct LlcLax {
    /// The header, if its 4 bytes and length were readable.
    pub header: Option<LlcHeader>,
    /// The length the header declares.
    pub declared_length: Option<usize>,
    /// The whole message, if it parsed.
    pub message: Option<LlcMessage>,
}

/// Parse an LLC message, keeping the header when the body is broken or cut.
pub fn parse_lax(bytes: &[u8]) -> Lax<LlcLax> {
    let mut parsed = LlcLax::default();
    let mut r = Reader::new(Layer::Llc, LlcMessage::NAME, bytes);
    match LlcHeader::read(&mut r, bytes.len()) {
        Ok((header, length)) => {
            parsed.header = Some(header);
            parsed.declared_length = Some(length);
        }
        Err(error) => {
            return Lax {
                parsed,
                error: Some(error),
            }
        }
    }
    let error = match LlcMessage::parse(bytes) {
        Ok(message) => {
            parsed.message = Some(message);
            None
        }
        Err(error) => Some(error),
    };
    Lax { parsed, error }
}

/// What a SEND on an SMC-R link QP carries: Linux demultiplexes on byte 0.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SendPayloadKind {
    /// Byte 0 is 0xFE: a CDC message ([`crate::cdc::SmcrCdc`]).
    Cdc,
    /// Anything else: an LLC message ([`LlcMessage`]).
    Llc,
    /// No payload to look at.
    Empty,
}

/// Say whether a SEND payload on an SMC-R QP is CDC or LLC.
pub fn classify_send(payload: &[u8]) -> SendPayloadKind {
    match payload.first() {
        None => SendPayloadKind::Empty,
        Some(&crate::cdc::CDC_TYPE) => SendPayloadKind::Cdc,
        Some(_) => SendPayloadKind::Llc,
    }
}

/// A parsed SEND payload of an SMC-R link.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SmcrControl {
    Cdc(crate::cdc::SmcrCdc),
    Llc(LlcMessage),
}

/// Parse a SEND payload of an SMC-R link as CDC or LLC (see [`classify_send`]).
// Inline with SmcrCdc::parse: the caller's result is built in place, not copied out.
#[inline(always)]
pub fn parse_send(payload: &[u8]) -> core::result::Result<SmcrControl, Error> {
    match classify_send(payload) {
        SendPayloadKind::Cdc => crate::cdc::SmcrCdc::parse(payload).map(SmcrControl::Cdc),
        SendPayloadKind::Llc | SendPayloadKind::Empty => LlcMessage::parse(payload).map(SmcrControl::Llc),
    }
}
