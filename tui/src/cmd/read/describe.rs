//! One description of each event, rendered two ways: a summary line and a
//! JSON object (docs/json.md). Names are the protocol's, snake_case for JSON.
//! Field values borrow from the event and are typed, so a summary line is
//! written straight to the output, without building JSON first.

use arrayvec::ArrayVec;
use dissect::cdc::{ConnStateFlags, Cursor, ProducerFlags, SmcrCdc};
use dissect::clc::{AcceptConfirm, AcceptConfirmBody, ClcMessage, ClcType, Decline, Eyecatcher, Proposal};
use dissect::llc::{LlcMessage, LlcType};
use dissect::tree::{llc_flag_names, write_set_bits};
use engine::pipeline::EventKind;
use serde_json::{json, Map, Value};
use std::fmt::{self, Display};

/// An event's fields, inline: no description has more than [`FIELDS`].
pub type Fields<'a> = ArrayVec<(&'static str, Field<'a>), FIELDS>;
pub const FIELDS: usize = 8;

/// Fields past [`FIELDS`] would be dropped: a test on the real captures
/// keeps every description below it, and sorted.
fn fields<'a, const N: usize>(items: [(&'static str, Field<'a>); N]) -> Fields<'a> {
    let mut f = Fields::new();
    for item in items {
        let _ = f.try_push(item);
    }
    f
}

/// What an event is and its key fields.
pub struct Description<'a> {
    pub proto: &'static str,
    pub msg: &'static str,
    pub version: Option<u8>,
    /// LLC only: the response flag.
    pub response: Option<bool>,
    /// The summary line's protocol column and message name, as tshark names
    /// them ("SMCv2", "[SMC-Rv2-Proposal]").
    pub column: &'static str,
    pub info: Info,
    /// Sorted by name, the order of the JSON object's keys.
    pub fields: Fields<'a>,
}

/// The message name of a summary line (text.rs writes it).
pub enum Info {
    Fixed(&'static str),
    /// "[SMC-Rv2-Accept]": `path` is "-R", "-D" or "" (a v2 Decline).
    Clc {
        path: &'static str,
        v2: bool,
        kind: ClcType,
    },
    Llc {
        kind: LlcType,
        response: bool,
    },
}

/// One field's value. In a summary line (text.rs): codes by name, cursors
/// as wrap:count, lists as [a,b]; absent fields are left out (JSON null).
pub enum Field<'a> {
    Bool(bool),
    Num(u64),
    /// A name or a value's own text (a JSON string).
    Text(&'a dyn Display),
    /// Shown in hex, "0x1f" (a JSON string).
    Hex(u64),
    /// A 32-bit code and its name: JSON {code, name}.
    Code {
        code: u32,
        name: &'static str,
    },
    /// A flags byte: JSON {code, names}.
    Flags(Flags),
    Cursor(Cursor),
    HexList(&'a [u32]),
    Absent,
}

/// A flags byte, shown as the names of its bits set ("A|B", or "none").
#[derive(Clone, Copy)]
pub struct Flags {
    raw: u8,
    set: FlagSet,
}

/// Whose bit names a flags byte has.
#[derive(Clone, Copy)]
enum FlagSet {
    Llc(LlcType),
    Producer,
    ConnState,
}

impl Display for Flags {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.write_names(f)
    }
}

impl Flags {
    /// Straight to any writer: summary lines skip the formatting machinery.
    pub fn write_names(&self, f: &mut dyn fmt::Write) -> fmt::Result {
        let raw = self.raw;
        match self.set {
            FlagSet::Llc(kind) => write_set_bits(f, raw, llc_flag_names(kind)),
            FlagSet::Producer => write_set_bits(f, raw, ProducerFlags::KNOWN.iter().map(|f| (f.0, f.name()))),
            FlagSet::ConnState => {
                write_set_bits(f, raw, ConnStateFlags::KNOWN.iter().map(|f| (f.0, f.name())))
            }
        }
    }
}

impl Field<'_> {
    pub fn json(&self) -> Value {
        match self {
            Field::Bool(b) => (*b).into(),
            Field::Num(n) => (*n).into(),
            Field::Text(t) => t.to_string().into(),
            Field::Hex(v) => format!("{v:#x}").into(),
            Field::Code { code, name } => json!({ "code": format!("{code:#010x}"), "name": name }),
            Field::Flags(f) => json!({ "code": format!("{:#04x}", f.raw), "names": f.to_string() }),
            Field::Cursor(c) => json!({ "wrap": c.wrap, "count": c.count }),
            Field::HexList(items) => items.iter().map(|v| Value::from(format!("{v:#x}"))).collect(),
            Field::Absent => Value::Null,
        }
    }
}

/// The fields as a JSON object.
pub fn json_fields(fields: &[(&'static str, Field)]) -> Map<String, Value> {
    fields.iter().map(|(k, v)| (k.to_string(), v.json())).collect()
}

/// None for problems: those go to stderr, not to the event stream.
/// Fields are listed sorted by name (the JSON object's order): no sort per event.
pub fn describe(kind: &EventKind) -> Option<Description<'_>> {
    Some(match kind {
        EventKind::SmcOption { syn_ack, present } => Description {
            proto: "tcp_option",
            msg: if *syn_ack { "syn_ack" } else { "syn" },
            version: None,
            response: None,
            column: "TCP",
            info: Info::Fixed(if *syn_ack { "[SYN, ACK]" } else { "[SYN]" }),
            fields: fields([("smc_option", Field::Bool(*present))]),
        },
        EventKind::Clc(m) => clc(m),
        EventKind::Llc(m) => llc(m),
        EventKind::Cdc(m) => cdc(m),
        EventKind::RdmaWrite {
            target,
            bytes,
            packets,
        } => {
            let or_absent = |f: fn(&dissect::capture::WriteTarget) -> Field<'static>| {
                target.as_ref().map_or(Field::Absent, f)
            };
            Description {
                proto: "rdma",
                msg: "write",
                version: None,
                response: None,
                column: "RRoCE",
                info: Info::Fixed("RC RDMA Write"),
                fields: fields([
                    ("bytes", Field::Num(*bytes)),
                    ("dma_length", or_absent(|t| Field::Num(t.dma_length.into()))),
                    ("packets", Field::Num((*packets).into())),
                    ("rkey", or_absent(|t| Field::Hex(t.rkey.into()))),
                    ("vaddr", or_absent(|t| Field::Hex(t.vaddr))),
                ]),
            }
        }
        EventKind::Segment(_) | EventKind::Problem(_) => return None,
    })
}

fn clc(m: &ClcMessage) -> Description<'_> {
    let (msg, env, fields) = match m {
        ClcMessage::Proposal(p) => ("proposal", p.env, proposal(p)),
        ClcMessage::Accept(a) => ("accept", a.env, accept_confirm(a)),
        ClcMessage::Confirm(c) => ("confirm", c.env, accept_confirm(c)),
        ClcMessage::Decline(d) => ("decline", d.env, decline(d)),
        ClcMessage::Unknown(u) => ("unknown", u.env, fields([("type", Field::Num(u.kind.0.into()))])),
    };
    // tshark: "[SMC-Rv2-Accept]"; a v2 Decline names no path: "[SMCv2-Decline]".
    let path = match (m, env.eyecatcher) {
        (ClcMessage::Decline(_), _) if !env.is_v1() => "",
        (ClcMessage::Accept(a) | ClcMessage::Confirm(a), _) => match a.body {
            AcceptConfirmBody::SmcR(_) => "-R",
            AcceptConfirmBody::SmcD(_) => "-D",
        },
        (_, Eyecatcher::SMCD) => "-D",
        _ => "-R",
    };
    Description {
        proto: "clc",
        msg,
        version: Some(env.version),
        response: None,
        column: if env.is_v1() { "SMC" } else { "SMCv2" },
        info: Info::Clc {
            path,
            v2: !env.is_v1(),
            kind: m.kind(),
        },
        fields,
    }
}

fn proposal(p: &Proposal) -> Fields<'_> {
    fields([
        ("smcd_v2_ext", Field::Bool(p.smcd_v2_ext.is_some())),
        ("typev1", Field::Text(&p.env.typev1)),
        ("typev2", Field::Text(&p.env.typev2)),
        ("v2_ext", Field::Bool(p.v2_ext.is_some())),
    ])
}

fn accept_confirm(m: &AcceptConfirm) -> Fields<'_> {
    let first_contact = Field::Bool(m.env.flag());
    match &m.body {
        AcceptConfirmBody::SmcR(r) => fields([
            ("first_contact", first_contact),
            ("path", Field::Text(&"R")),
            ("psn", Field::Num(r.psn.into())),
            ("qpn", Field::Num(r.qpn.into())),
            ("rmb_dma_addr", Field::Hex(r.rmb_dma_addr)),
            ("rmb_rkey", Field::Hex(r.rmb_rkey.into())),
            ("rmbe_alert_token", Field::Hex(r.rmbe_alert_token.into())),
        ]),
        AcceptConfirmBody::SmcD(d) => fields([
            ("dmb_token", Field::Hex(d.dmb_token)),
            ("first_contact", first_contact),
            ("gid", Field::Hex(d.gid)),
            ("link_id", Field::Num(d.link_id.into())),
            ("path", Field::Text(&"D")),
        ]),
    }
}

fn decline(d: &Decline) -> Fields<'_> {
    let name = d.diagnosis.name().unwrap_or("unknown");
    fields([
        (
            "diagnosis",
            Field::Code {
                code: d.diagnosis.0,
                name,
            },
        ),
        ("os_type", Field::Text(&d.os_type)),
        ("out_of_sync", Field::Bool(d.env.flag())),
    ])
}

fn llc(m: &LlcMessage) -> Description<'_> {
    let header = m.header();
    let num = |n: u8| Field::Num(n.into());
    let flags = Field::Flags(Flags {
        raw: header.flags.0,
        set: FlagSet::Llc(header.llc_type),
    });
    let (msg, fields) = match m {
        LlcMessage::ConfirmLink(l) => (
            "confirm_link",
            fields([
                ("flags", flags),
                ("link_id", num(l.body.link_id)),
                ("max_conns", num(l.body.max_conns)),
                ("max_links", num(l.body.max_links)),
                ("qpn", Field::Num(l.body.sender_qpn.into())),
            ]),
        ),
        LlcMessage::AddLink(l) => (
            "add_link",
            fields([
                ("flags", flags),
                ("link_id", num(l.body.link_id)),
                ("qpn", Field::Num(l.body.sender_qpn.into())),
            ]),
        ),
        LlcMessage::AddLinkCont(l) => (
            "add_link_cont",
            fields([("flags", flags), ("link_id", num(l.body.link_id))]),
        ),
        LlcMessage::DeleteLink(l) => (
            "delete_link",
            fields([
                ("flags", flags),
                ("link_id", num(l.body.link_id)),
                (
                    "reason",
                    Field::Code {
                        code: l.body.reason.0,
                        name: l.body.reason.name().unwrap_or("unknown"),
                    },
                ),
            ]),
        ),
        LlcMessage::RequestAddLink(l) => (
            "req_add_link",
            fields([("flags", flags), ("gids", Field::Num(l.body.gids.len() as u64))]),
        ),
        LlcMessage::ConfirmRkey(l) => (
            "confirm_rkey",
            fields([
                ("flags", flags),
                ("rkey", Field::Hex(l.body.rtoken.rkey.into())),
                ("vaddr", Field::Hex(l.body.rtoken.vaddr)),
            ]),
        ),
        LlcMessage::TestLink(_) => ("test_link", fields([("flags", flags)])),
        LlcMessage::ConfirmRkeyCont(_) => ("confirm_rkey_cont", fields([("flags", flags)])),
        LlcMessage::DeleteRkey(l) => {
            // Only `count` slots are meant; the rest are zero padding.
            let count = usize::from(l.body.count).min(l.body.rkeys.len());
            (
                "delete_rkey",
                fields([
                    ("count", num(l.body.count)),
                    ("flags", flags),
                    ("rkeys", Field::HexList(&l.body.rkeys[..count])),
                ]),
            )
        }
        LlcMessage::Unknown(_) => (
            "unknown",
            fields([("flags", flags), ("type", num(header.llc_type.0))]),
        ),
    };
    // The version nibble is 0 for LLC v1.
    let version = header.version().max(1);
    Description {
        proto: "llc",
        msg,
        version: Some(version),
        response: Some(header.is_response()),
        column: "SMC-R",
        info: Info::Llc {
            kind: header.llc_type,
            response: header.is_response(),
        },
        fields,
    }
}

fn cdc(m: &SmcrCdc) -> Description<'_> {
    Description {
        proto: "cdc",
        msg: "cdc",
        version: None,
        response: None,
        column: "SMC-R",
        info: Info::Fixed("[SMC-R] CDC Message"),
        fields: fields([
            (
                "conn_state_flags",
                Field::Flags(Flags {
                    raw: m.conn_state_flags.0,
                    set: FlagSet::ConnState,
                }),
            ),
            ("consumer", Field::Cursor(m.consumer)),
            ("producer", Field::Cursor(m.producer)),
            (
                "producer_flags",
                Field::Flags(Flags {
                    raw: m.producer_flags.0,
                    set: FlagSet::Producer,
                }),
            ),
            ("seqno", Field::Num(m.seqno.into())),
            ("token", Field::Hex(m.token.into())),
        ]),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use engine::pipeline::Pipeline;
    use engine::source::{FrameSource, PcapFile};

    #[test]
    fn every_description_of_the_real_captures_has_room_to_spare() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../corpora/real");
        let mut described = 0;
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.extension() != Some("pcapng".as_ref()) {
                continue;
            }
            let mut source = PcapFile::open(&path).unwrap();
            let (mut pipeline, mut events) = (Pipeline::default(), Vec::new());
            while let Some(frame) = source.next_frame() {
                pipeline.frame(&frame.unwrap(), &mut events);
            }
            for d in events.iter().filter_map(|e| describe(&e.kind)) {
                assert!(d.fields.len() < FIELDS, "{}: {} fields", d.msg, d.fields.len());
                assert!(
                    d.fields.windows(2).all(|w| w[0].0 < w[1].0),
                    "{}: fields sorted",
                    d.msg
                );
                described += 1;
            }
        }
        assert!(described > 100, "{described} events described");
    }
}
