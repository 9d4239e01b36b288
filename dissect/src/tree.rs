//! The field tree of one message, as `tshark -V` shows it: every field the
//! codec read, with its byte offset and length inside the message, the raw
//! value and, for codes and flags, the protocol's name for it. Built from the
//! [`crate::wire::traced`] spans, so no codec carries code of its own for it.

use crate::cdc::{ConnStateFlags, ProducerFlags, CDC_TYPE};
use crate::clc::{ClcMessage, ClcType, DeclineDiagnosis, Eyecatcher, OsType, Path};
use crate::llc::{AddLinkRejectReason, DeleteLinkReason, LlcFlags, LlcType, QpMtu, SmcrControl};
use crate::wire::{traced, FieldSpan, Wire};

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
    /// The codec's field path ("v2_ext.eid_count").
    pub name: &'static str,
    pub offset: usize,
    pub len: usize,
    /// The number read, for integer fields; byte fields show as `bytes`.
    pub value: Option<u64>,
    /// The protocol's name for a code, or the flags set.
    pub decoded: Option<String>,
    pub children: Vec<FieldNode>,
}

impl FieldNode {
    /// The field's bytes inside the message of `tree`.
    pub fn bytes<'a>(&self, tree: &'a FieldTree) -> &'a [u8] {
        tree.bytes
            .get(self.offset..self.offset + self.len)
            .unwrap_or_default()
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

/// Names a field's value: (field, value, whole message) to a name.
type Decode = fn(&str, u64, &[u8]) -> Option<String>;

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
fn nest(spans: &[FieldSpan], bytes: &[u8], decode: Decode) -> Vec<FieldNode> {
    let mut out = Vec::new();
    let mut i = 0;
    while let Some(s) = spans.get(i) {
        let end = s.offset + s.len;
        let inside = spans[i + 1..]
            .iter()
            .take_while(|c| c.offset + c.len <= end)
            .count();
        let children = nest(&spans[i + 1..i + 1 + inside], bytes, decode);
        out.push(FieldNode {
            name: s.field,
            offset: s.offset,
            len: s.len,
            value: s.value,
            decoded: s.value.and_then(|v| decode(s.field, v, bytes)),
            children,
        });
        i += 1 + inside;
    }
    out
}

fn decode_clc(field: &str, v: u64, _: &[u8]) -> Option<String> {
    match field {
        "header.eyecatcher" | "trailer" => named(Eyecatcher(v as u32).name()),
        "header.type" => named(ClcType(v as u8).name()),
        "header.version" => Some(format!(
            "version {}, typev2 {} (first contact / out of sync bit {}), typev1 {}",
            v >> 4,
            Path(((v >> 2) & 3) as u8),
            (v >> 3) & 1,
            Path((v & 3) as u8),
        )),
        "diagnosis" => named(DeclineDiagnosis(v as u32).name()),
        "os_type" | "fce.os_type" => named(OsType((v >> 4) as u8).name()),
        _ => None,
    }
}

fn decode_llc(field: &str, v: u64, message: &[u8]) -> Option<String> {
    let llc_type = LlcType(message.first().copied().unwrap_or_default());
    match field {
        "type" => named(llc_type.name()),
        "flags" => Some(llc_flags(llc_type, v as u8)),
        "reason" => named(DeleteLinkReason(v as u32).name()),
        "reject_reason" => named(AddLinkRejectReason((v & 0x0f) as u8).name()),
        "qp_mtu" => named(QpMtu((v & 0x0f) as u8).name()),
        _ => None,
    }
}

fn decode_cdc(field: &str, v: u64, _: &[u8]) -> Option<String> {
    let names = match field {
        "type" => return Some("CDC".into()),
        "producer_flags" => ProducerFlags::KNOWN
            .iter()
            .map(|f| (f.0, f.name()))
            .collect::<Vec<_>>(),
        "conn_state_flags" => ConnStateFlags::KNOWN.iter().map(|f| (f.0, f.name())).collect(),
        _ => return None,
    };
    Some(set_bits(v as u8, &names))
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
