//! The field tree of one message, as `tshark -V` shows it: every field the
//! codec read, with its byte offset and length inside the message, the raw
//! value and what it means (a code's name, the flags set, a size, text, an
//! address); a byte holding several fields has them as children, each with
//! its bits. Built from the [`crate::wire::traced`] spans, so no codec carries
//! code of its own for it, and only when a tree is asked for.

use crate::cdc::{ConnStateFlags, ProducerFlags, CDC_TYPE};
use crate::clc::header::FIRST_CONTACT_MASK;
use crate::clc::{buffer_size, ClcMessage, ClcType, DeclineDiagnosis, Eyecatcher, OsType, Path, Release};
use crate::llc::{AddLinkRejectReason, DeleteLinkReason, LlcFlags, LlcType, QpMtu, SmcrControl};
use crate::wire::{traced, ByteOrder, FieldSpan, Wire};
use std::net::{Ipv4Addr, Ipv6Addr};

/// One message's fields. Offsets count from the message's first byte.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldTree {
    /// The message as the protocol names it ("CLC Accept", "LLC ADD_LINK_V2").
    pub message: String,
    /// The message's bytes, for a hex view of the fields.
    pub bytes: Vec<u8>,
    pub fields: Vec<FieldNode>,
}

/// One field; `children` are the fields inside its bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldNode {
    /// The field's path in the kernel's words ("v2_ext.eid_count"); a byte
    /// holding several fields is named by them ("rmbe_size/qp_mtu").
    pub name: &'static str,
    pub offset: usize,
    pub len: usize,
    /// The number read, for integer fields (for a part of a byte, its bits
    /// shifted down); byte fields show as `bytes`.
    pub value: Option<u64>,
    /// For a part of a byte (a nibble, a flag): its bits in that byte.
    pub mask: Option<u8>,
    /// What the value means: a code's name, the flags set, a size, text, an address.
    pub decoded: Option<String>,
    /// An identifier tshark shows in hex (QPN, PSN, rkey, token, address).
    pub hex: bool,
    pub children: Vec<FieldNode>,
}

/// Bytes of a byte field shown before it is abridged.
const RAW_SHOWN: usize = 16;

impl FieldNode {
    /// The field's bytes inside the message of `tree`.
    pub fn bytes<'a>(&self, tree: &'a FieldTree) -> &'a [u8] {
        tree.bytes
            .get(self.offset..self.offset + self.len)
            .unwrap_or_default()
    }

    /// The value as `-V` shows it: what it means with the raw value beside
    /// (`65536 bytes (raw 0010 ....)`, `"SMC-LAB" (raw 534d43...)`), an
    /// identifier in hex with its decimal (`0x000011 (17)`), another number
    /// in decimal with its hex, bytes in hex.
    pub fn shown(&self, tree: &FieldTree) -> String {
        let raw = self.raw(tree);
        match (&self.decoded, self.value) {
            (Some(meaning), _) => format!("{meaning} (raw {raw})"),
            (None, Some(v)) if self.hex => format!("{raw} ({v})"),
            (None, Some(v)) => format!("{v} ({raw})"),
            (None, None) => raw,
        }
    }

    /// A part of a byte as tshark draws its bits (`.... 1...`); otherwise the
    /// bytes as on the wire, `0x` first for a number, long ones abridged.
    fn raw(&self, tree: &FieldTree) -> String {
        let bytes = self.bytes(tree);
        if let Some(mask) = self.mask {
            let byte = bytes.first().copied().unwrap_or_default();
            return (0..8)
                .rev()
                .map(|bit| match (mask >> bit & 1, byte >> bit & 1) {
                    (0, _) => '.',
                    (_, 0) => '0',
                    _ => '1',
                })
                .enumerate()
                .fold(String::with_capacity(9), |mut out, (i, c)| {
                    if i == 4 {
                        out.push(' ');
                    }
                    out.push(c);
                    out
                });
        }
        let mut out = String::from(if self.value.is_some() { "0x" } else { "" });
        bytes
            .iter()
            .take(RAW_SHOWN)
            .for_each(|b| out.push_str(&format!("{b:02x}")));
        if bytes.len() > RAW_SHOWN {
            out.push_str("...");
        }
        out
    }
}

/// A CLC message and its field tree.
pub fn clc(bytes: &[u8]) -> (crate::Result<ClcMessage>, FieldTree) {
    let (parsed, spans) = traced(bytes, ClcMessage::parse);
    let message = match bytes.get(4) {
        Some(&t) => format!("CLC {}", ClcType(t)),
        None => "CLC message".into(),
    };
    (parsed, build(message, bytes, spans, decode_clc))
}

/// An SMC-R SEND payload (LLC or CDC) and its field tree.
pub fn smcr_send(bytes: &[u8]) -> (crate::Result<SmcrControl>, FieldTree) {
    let (parsed, spans) = traced(bytes, crate::llc::parse_send);
    let (message, decode): (String, Decode) = match bytes.first() {
        Some(&CDC_TYPE) => ("CDC".into(), decode_cdc),
        Some(&t) => (format!("LLC {}", LlcType(t)), decode_llc),
        None => ("SMC-R SEND".into(), decode_llc),
    };
    (parsed, build(message, bytes, spans, decode))
}

/// Says what a field means, given the whole message: sets `decoded` and
/// `hex`, and adds the parts of a byte holding several fields.
type Decode = fn(&mut FieldNode, &[u8]);

fn build(message: String, bytes: &[u8], mut spans: Vec<FieldSpan>, decode: Decode) -> FieldTree {
    // Outer fields first; a field read twice (a header re-read by the
    // message's own parser) shows once.
    spans.retain(|s| s.len > 0);
    spans.sort_by(|a, b| a.offset.cmp(&b.offset).then(b.len.cmp(&a.len)));
    spans.dedup_by(|b, a| a.offset == b.offset && a.len == b.len && a.field == b.field);
    let fields = nest(&spans, bytes, decode);
    FieldTree {
        message,
        bytes: bytes.to_vec(),
        fields,
    }
}

/// Spans sorted by offset into nodes: a span inside an earlier one is its child.
fn nest(mut spans: &[FieldSpan], bytes: &[u8], decode: Decode) -> Vec<FieldNode> {
    let mut out = Vec::new();
    while let [s, rest @ ..] = spans {
        let end = s.offset + s.len;
        let inside = rest.iter().take_while(|c| c.offset + c.len <= end).count();
        // `inside` counts a prefix of `rest`: the split is within it.
        let (children, after) = rest.split_at(inside);
        let mut node = FieldNode {
            name: s.field,
            offset: s.offset,
            len: s.len,
            value: s.value,
            mask: None,
            decoded: None,
            hex: false,
            children: nest(children, bytes, decode),
        };
        decode(&mut node, bytes);
        out.push(node);
        spans = after;
    }
    out
}

/// The part `mask` of a one-byte field, with what its value means.
fn part(byte: &FieldNode, name: &'static str, mask: u8, meaning: impl Fn(u64) -> String) -> FieldNode {
    let value = (byte.value.unwrap_or_default() & u64::from(mask)) >> mask.trailing_zeros();
    FieldNode {
        name,
        offset: byte.offset,
        len: byte.len,
        value: Some(value),
        mask: Some(mask),
        decoded: Some(meaning(value)),
        hex: false,
        children: Vec::new(),
    }
}

/// A byte holding several fields: its parts as children, the byte in hex as tshark shows it.
fn split(byte: &mut FieldNode, parts: impl IntoIterator<Item = FieldNode>) {
    byte.hex = true;
    byte.children.extend(parts);
}

fn yes(bit: u64) -> String {
    (bit != 0).to_string()
}

fn path(v: u64) -> String {
    Path(v as u8).to_string()
}

fn release(v: u64) -> String {
    Release(v as u8).to_string()
}

/// An EID or host name: ASCII, blank padded.
fn text(mut bytes: &[u8]) -> String {
    while let [rest @ .., b' ' | 0] = bytes {
        bytes = rest;
    }
    format!("\"{}\"", bytes.escape_ascii())
}

/// A GID as tshark shows it: an IPv6 address (IPv4-mapped for RoCEv2).
fn gid(bytes: &[u8]) -> Option<String> {
    <[u8; 16]>::try_from(bytes)
        .ok()
        .map(|b| Ipv6Addr::from(b).to_string())
}

fn mac(bytes: &[u8]) -> Option<String> {
    (bytes.len() == 6).then(|| {
        let hex: Vec<String> = bytes.iter().map(|b| format!("{b:02x}")).collect();
        hex.join(":")
    })
}

fn decode_clc(n: &mut FieldNode, message: &[u8]) {
    let v = n.value.unwrap_or_default();
    let bytes = message.get(n.offset..n.offset + n.len).unwrap_or_default();
    match n.name {
        "header.eyecatcher" | "trailer" => n.decoded = named(Eyecatcher(v as u32).name()),
        "header.type" => n.decoded = named(ClcType(v as u8).name()),
        "header.flags" => {
            let kind = ClcType(message.get(4).copied().unwrap_or_default());
            let parts = header_parts(n, kind);
            split(n, parts);
        }
        "diagnosis" => n.decoded = named(DeclineDiagnosis(v as u32).name()),
        // Zero where no further diagnosis is given.
        "more_diagnoses" => {
            n.hex = true;
            n.decoded = DeclineDiagnosis(v as u32).name().map(String::from);
        }
        // A Decline's high nibble, 0 in v1; the rest is reserved.
        "os_type" => n.decoded = OsType((v >> 4) as u8).name().map(String::from),
        "fce.os_type/release" => {
            let parts = [
                part(n, "fce.os_type", 0xf0, |v| OsType(v as u8).to_string()),
                part(n, "fce.release", 0x0f, release),
            ];
            split(n, parts);
        }
        "fce.v2_direct" => n.decoded = Some(yes(v & 0x80)),
        "rmbe_size/qp_mtu" => {
            let parts = [
                part(n, "rmbe_size", 0xf0, |v| {
                    format!("{} bytes", buffer_size(v as u8))
                }),
                part(n, "qp_mtu", 0x0f, |v| QpMtu(v as u8).to_string()),
            ];
            split(n, parts);
        }
        // The high nibble; the rest is reserved.
        "dmbe_size" => n.decoded = Some(format!("{} bytes", buffer_size((v >> 4) as u8))),
        "v2_ext.flags" => {
            let parts = [
                part(n, "v2_ext.release", 0xf0, release),
                part(n, "v2_ext.seid", 0x01, yes),
            ];
            split(n, parts);
        }
        "eid" | "v2_ext.eid" | "smcd_v2_ext.system_eid" | "fce.hostname" => n.decoded = Some(text(bytes)),
        "gid" | "v2_ext.roce_gid" | "gid_list.gid" | "ip_prefix.ipv6_prefix" if n.value.is_none() => {
            n.decoded = gid(bytes)
        }
        "mac" => n.decoded = mac(bytes),
        "ip_prefix.ipv4_subnet" => {
            n.decoded = <[u8; 4]>::try_from(bytes)
                .ok()
                .map(|b| Ipv4Addr::from(b).to_string())
        }
        "qpn"
        | "psn"
        | "rmb_rkey"
        | "rmbe_alert_token"
        | "rmb_dma_addr"
        | "gid"
        | "dmb_token"
        | "link_id"
        | "chid"
        | "gid_ext"
        | "smcd.ism_gid"
        | "smcd.ism_chid"
        | "smcd_v2_ext.ism_gid"
        | "smcd_v2_ext.ism_chid" => n.hex = true,
        _ => {}
    }
}

/// Byte 7 as the message's type uses it (kernel struct smc_clc_msg_hdr and
/// its senders): a Proposal offers paths in typev1/typev2; an Accept or
/// Confirm says first contact and the path chosen; a Decline says out of sync.
fn header_parts(byte: &FieldNode, kind: ClcType) -> Vec<FieldNode> {
    let version = part(byte, "header.version", 0xf0, |v| v.to_string());
    let flag = FIRST_CONTACT_MASK << 2;
    match kind {
        ClcType::ACCEPT | ClcType::CONFIRM => vec![
            version,
            part(byte, "header.first_contact", flag, yes),
            part(byte, "header.path", 0x03, path),
        ],
        ClcType::DECLINE => vec![version, part(byte, "header.out_of_sync", flag, yes)],
        // A Proposal, and a type Linux does not know: the kernel's bit fields.
        _ => vec![
            version,
            part(byte, "header.typev2", 0x0c, path),
            part(byte, "header.typev1", 0x03, path),
        ],
    }
}

fn decode_llc(n: &mut FieldNode, message: &[u8]) {
    let llc_type = LlcType(message.first().copied().unwrap_or_default());
    let v = n.value.unwrap_or_default();
    let bytes = message.get(n.offset..n.offset + n.len).unwrap_or_default();
    match n.name {
        "type" => n.decoded = named(llc_type.name()),
        // v2: two bytes in the sender's host order, read as the codec reads them.
        "length" if n.len == 2 => {
            if let Some((order, length)) = v2_length(message) {
                n.value = Some(length as u64);
                n.decoded = Some(format!("{length} bytes, {order}"));
            }
        }
        // Read in the length's order.
        "v2_ext.rkey_count" => n.decoded = v2_length(message).map(|(order, _)| format!("{v}, {order}")),
        "flags" => n.decoded = Some(llc_flags(llc_type, v as u8)),
        "reason" => n.decoded = named(DeleteLinkReason(v as u32).name()),
        "reject_reason" => n.decoded = named(AddLinkRejectReason((v & 0x0f) as u8).name()),
        "qp_mtu" => n.decoded = named(QpMtu((v & 0x0f) as u8).name()),
        "v2_ext.direct" => n.decoded = Some(yes(v & 0x80)),
        "sender_mac" => n.decoded = mac(bytes),
        "sender_gid" | "v2_ext.client_target_gid" | "gids" => n.decoded = gid(bytes),
        "sender_qpn" | "initial_psn" | "rkeys" => n.hex = true,
        // The parts of an rkey entry (struct smc_llc_msg_add_link_cont_rt, smc_rmb_rtoken).
        name if name.ends_with(".rmb_key")
            || name.ends_with(".rmb_key_new")
            || name.contains(".rmb_vaddr") =>
        {
            n.hex = true
        }
        _ => {}
    }
}

/// An LLC v2 message's length and the byte order it is in (the sender's).
fn v2_length(message: &[u8]) -> Option<(&'static str, usize)> {
    let raw = <[u8; 2]>::try_from(message.get(1..3)?).ok()?;
    let (order, length) = crate::llc::v2_length(raw, message.len())?;
    let order = match order {
        ByteOrder::Big => "big-endian",
        ByteOrder::Little => "little-endian",
    };
    Some((order, length))
}

fn decode_cdc(n: &mut FieldNode, _: &[u8]) {
    let names = match n.name {
        "type" => return n.decoded = Some("CDC".into()),
        "token" => return n.hex = true,
        "producer_flags" => ProducerFlags::KNOWN
            .iter()
            .map(|f| (f.0, f.name()))
            .collect::<Vec<_>>(),
        "conn_state_flags" => ConnStateFlags::KNOWN.iter().map(|f| (f.0, f.name())).collect(),
        _ => return,
    };
    n.decoded = Some(set_bits(n.value.unwrap_or_default() as u8, &names));
}

/// The LLC flags set, named as they mean for this message type.
pub fn llc_flags(llc_type: LlcType, flags: u8) -> String {
    let mut out = String::new();
    let _ = write_set_bits(&mut out, flags, llc_flag_names(llc_type));
    out
}

/// Each LLC flag bit with the name it has for this message type.
pub fn llc_flag_names(llc_type: LlcType) -> impl Iterator<Item = (u8, Option<&'static str>)> {
    let kind = LlcType(llc_type.kind());
    let meanings: &[LlcFlags] = match kind {
        LlcType::CONFIRM_LINK => &[LlcFlags::RESPONSE, LlcFlags::NO_RMBE_EYECATCHER],
        LlcType::ADD_LINK => &[LlcFlags::RESPONSE, LlcFlags::ADD_LINK_REJECT],
        LlcType::DELETE_LINK => &[
            LlcFlags::RESPONSE,
            LlcFlags::DELETE_LINK_ALL,
            LlcFlags::DELETE_LINK_ORDERLY,
        ],
        LlcType::CONFIRM_RKEY => &[LlcFlags::RESPONSE, LlcFlags::RKEY_NEGATIVE, LlcFlags::RKEY_RETRY],
        LlcType::DELETE_RKEY => &[LlcFlags::RESPONSE, LlcFlags::RKEY_NEGATIVE],
        _ => &[LlcFlags::RESPONSE],
    };
    // The name that goes with the bit for this type, not the first declared.
    meanings.iter().map(move |f| (f.0, llc_flag_name(kind, *f)))
}

fn llc_flag_name(kind: LlcType, flag: LlcFlags) -> Option<&'static str> {
    match (kind, flag) {
        (LlcType::DELETE_LINK, LlcFlags::DELETE_LINK_ALL) => Some("DELETE_LINK_ALL"),
        (LlcType::DELETE_LINK, LlcFlags::DELETE_LINK_ORDERLY) => Some("DELETE_LINK_ORDERLY"),
        (LlcType::CONFIRM_RKEY | LlcType::DELETE_RKEY, LlcFlags::RKEY_NEGATIVE) => Some("RKEY_NEGATIVE"),
        _ => flag.name(),
    }
}

/// "A|B" for the named bits set, plus the rest in hex; "none" for 0.
pub fn set_bits(value: u8, names: &[(u8, Option<&'static str>)]) -> String {
    let mut out = String::new();
    let _ = write_set_bits(&mut out, value, names.iter().copied());
    out
}

/// [`set_bits`] written to `out`, for callers that print many (no allocation).
pub fn write_set_bits(
    out: &mut dyn core::fmt::Write,
    value: u8,
    names: impl IntoIterator<Item = (u8, Option<&'static str>)>,
) -> core::fmt::Result {
    let mut left = value;
    let mut sep = "";
    for (bits, name) in names {
        if let Some(name) = name.filter(|_| bits != 0 && value & bits == bits) {
            out.write_str(sep)?;
            out.write_str(name)?;
            sep = "|";
            left &= !bits;
        }
    }
    match (left, sep) {
        (0, "") => out.write_str("none"),
        (0, _) => Ok(()),
        _ => write!(out, "{sep}{left:#04x}"),
    }
}

fn named(name: Option<&'static str>) -> Option<String> {
    Some(name.unwrap_or("unknown").into())
}
