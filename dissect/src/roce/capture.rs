//! RoCE packets as a capture holds them. A frame cut by the snaplen lost its
//! ICRC and payload tail: that is reported as a [`Truncation`], and only a
//! packet whose *wire* length cannot hold its headers is malformed.

use super::bth::Bth;
use super::ext::ExtHeaders;
use super::grh::{Grh, GRH_LEN};
use super::packet::ICRC_LEN;
use crate::error::{Error, ErrorKind, Layer, Reason, Result};
use crate::wire::{Lax, Reader, Wire};

const NAME_V2: &str = "RoCEv2 packet";
const NAME_V1: &str = "RoCEv1 packet";

/// How a packet was cut by the capture.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Truncation {
    /// Length of the packet on the wire.
    pub wire_len: usize,
    /// Bytes of it the capture holds.
    pub captured_len: usize,
    /// Length the payload had on the wire (the captured payload is shorter).
    pub payload_len: usize,
}

/// A packet from a capture: complete (`icrc` set) or cut (`truncated` set,
/// payload as far as captured, no ICRC). The payload is borrowed from the
/// capture: a reader of millions of packets copies none.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CapturedRoce<'a> {
    /// Present for RoCEv1.
    pub grh: Option<Grh>,
    pub ib: IbSlice<'a>,
    pub icrc: Option<u32>,
    pub truncated: Option<Truncation>,
}

/// [`super::IbPacket`] with its payload borrowed from the bytes it was read from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct IbSlice<'a> {
    pub bth: Bth,
    pub ext: ExtHeaders,
    pub payload: &'a [u8],
}

/// What a lax parse got before it stopped.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct RoceLayers<'a> {
    pub grh: Option<Grh>,
    pub bth: Option<Bth>,
    pub ext: ExtHeaders,
    pub payload: &'a [u8],
    pub icrc: Option<u32>,
    pub truncated: Option<Truncation>,
}

/// Read BTH, extension headers and payload of a packet `wire_len` bytes
/// long on the wire, recording each layer in `out` (empty, as
/// `RoceLayers::default()` makes it). Leaves `r` at the pad.
pub(crate) fn read_transport<'a>(
    r: &mut Reader<'a>,
    wire_len: usize,
    out: &mut RoceLayers<'a>,
) -> Result<Bth> {
    let bth = Bth::read(r, ())?;
    out.bth = Some(bth);
    // Most packets (SEND, WRITE Middle and Last) have none: `out.ext` stays empty.
    if bth.opcode.has_ext_headers() {
        out.ext = ExtHeaders::read(r, bth.opcode)?;
    }
    let tail = usize::from(bth.pad_count) + ICRC_LEN;
    let after = wire_len.saturating_sub(r.offset());
    if after < tail {
        let field = if after < ICRC_LEN { "icrc" } else { "bth.pad_count" };
        let expected = r.offset() + tail;
        return Err(r.error(
            field,
            ErrorKind::LengthMismatch {
                declared: wire_len,
                expected,
            },
        ));
    }
    let payload_len = after - tail;
    out.payload = r.bytes(payload_len.min(r.remaining()), "payload")?;
    Ok(bth)
}

/// Read the GRH into `out` and check its PayLen against the wire length.
pub(crate) fn read_grh(r: &mut Reader, wire_len: usize, out: &mut RoceLayers<'_>) -> Result<Grh> {
    let grh = Grh::read(r, ())?;
    out.grh = Some(grh);
    let declared = usize::from(grh.pay_len);
    if GRH_LEN + declared != wire_len {
        let kind = ErrorKind::LengthMismatch {
            declared,
            expected: wire_len.saturating_sub(GRH_LEN),
        };
        return Err(Error {
            offset: 4,
            ..r.error("grh.pay_len", kind)
        });
    }
    Ok(grh)
}

/// A read past the end of the captured bytes is a cut when the wire packet
/// had those bytes, and a malformed packet when even the wire packet ended
/// before the field did.
fn classify(e: Error, wire_len: usize) -> Error {
    match e.kind {
        ErrorKind::Truncated { needed, .. } if e.offset + needed > wire_len => Error {
            kind: ErrorKind::LengthMismatch {
                declared: wire_len,
                expected: e.offset + needed,
            },
            ..e
        },
        _ => e,
    }
}

fn read_captured<'a>(
    name: &'static str,
    captured: &'a [u8],
    wire_len: usize,
    with_grh: bool,
    out: &mut RoceLayers<'a>,
) -> Result<()> {
    let mut r = Reader::new(Layer::Rdma, name, captured);
    if wire_len < captured.len() {
        let reason = Reason::WireLenShorterThanCaptured;
        return Err(r.invalid("wire_len", 0, wire_len as u64, reason));
    }
    if with_grh {
        read_grh(&mut r, wire_len, out)?;
    }
    let bth = read_transport(&mut r, wire_len, out)?;
    if wire_len > captured.len() {
        let tail = usize::from(bth.pad_count) + ICRC_LEN;
        let payload_len = wire_len.saturating_sub(r.offset() - out.payload.len() + tail);
        out.truncated = Some(Truncation {
            wire_len,
            captured_len: captured.len(),
            payload_len,
        });
        return Ok(());
    }
    r.skip(bth.pad_count.into(), "pad")?;
    out.icrc = Some(r.be_u32("icrc")?);
    r.finish("icrc")
}

/// [`read_captured`] with a cut told apart from a malformed packet.
fn parse_into<'a>(
    name: &'static str,
    captured: &'a [u8],
    wire_len: usize,
    with_grh: bool,
    out: &mut RoceLayers<'a>,
) -> Result<()> {
    read_captured(name, captured, wire_len, with_grh, out).map_err(|e| classify(e, wire_len))
}

fn lax<'a>(name: &'static str, captured: &'a [u8], wire_len: usize, with_grh: bool) -> Lax<RoceLayers<'a>> {
    let mut parsed = RoceLayers::default();
    let error = parse_into(name, captured, wire_len, with_grh, &mut parsed).err();
    Lax { parsed, error }
}

fn strict<'a>(
    name: &'static str,
    captured: &'a [u8],
    wire_len: usize,
    with_grh: bool,
) -> Result<CapturedRoce<'a>> {
    let mut l = RoceLayers::default();
    parse_into(name, captured, wire_len, with_grh, &mut l)?;
    Ok(CapturedRoce {
        grh: l.grh,
        ib: IbSlice {
            // Set by every parse that succeeds.
            bth: l.bth.unwrap_or_default(),
            ext: l.ext,
            payload: l.payload,
        },
        icrc: l.icrc,
        truncated: l.truncated,
    })
}

/// A RoCEv2 packet (UDP payload) as captured; `wire_len` is its length on
/// the wire (UDP length - 8, or the pcap record's original length minus the
/// offset of the UDP payload).
pub fn parse_v2_captured(captured: &[u8], wire_len: usize) -> Result<CapturedRoce<'_>> {
    strict(NAME_V2, captured, wire_len, false)
}

/// A RoCEv1 packet (after the Ethernet header) as captured.
pub fn parse_v1_captured(captured: &[u8], wire_len: usize) -> Result<CapturedRoce<'_>> {
    strict(NAME_V1, captured, wire_len, true)
}

/// Like [`parse_v2_captured`], keeping the layers read before an error.
pub fn parse_v2_lax(captured: &[u8], wire_len: usize) -> Lax<RoceLayers<'_>> {
    lax(NAME_V2, captured, wire_len, false)
}

/// Like [`parse_v1_captured`], keeping the layers read before an error.
pub fn parse_v1_lax(captured: &[u8], wire_len: usize) -> Lax<RoceLayers<'_>> {
    lax(NAME_V1, captured, wire_len, true)
}

/// [`parse_v2_captured`] into `out`, which must be `RoceLayers::default()`:
/// a reader of millions of packets fills its own instead of copying a
/// returned [`CapturedRoce`]. On success `out` holds the packet (`out.bth`
/// is set); on error `out` keeps the layers read before it.
pub fn parse_v2_into<'a>(captured: &'a [u8], wire_len: usize, out: &mut RoceLayers<'a>) -> Result<()> {
    parse_into(NAME_V2, captured, wire_len, false, out)
}

/// [`parse_v1_captured`] into `out`, as [`parse_v2_into`].
pub fn parse_v1_into<'a>(captured: &'a [u8], wire_len: usize, out: &mut RoceLayers<'a>) -> Result<()> {
    parse_into(NAME_V1, captured, wire_len, true, out)
}
