//! One description of each event, rendered two ways: a summary line and a
//! JSON object (docs/json.md). Names are the protocol's, snake_case for JSON.
//! Field values borrow from the event and are typed; a summary line takes
//! them one by one as they are described (text.rs), JSON and the UI collect
//! them first ([`describe`]).

use arrayvec::ArrayVec;
use dissect::cdc::{ConnStateFlags, Cursor, ProducerFlags, SmcrCdc};
use dissect::clc::{
    AcceptConfirm, AcceptConfirmBody, ClcMessage, ClcType, Decline, Envelope, Eyecatcher, Path, Proposal,
};
use dissect::llc::{LlcMessage, LlcType};
use dissect::tree::{llc_flag_names, write_set_bits};
use dissect::Layer;
use engine::pipeline::EventKind;
use serde_json::{json, Map, Value};
use std::fmt::{self, Display};
use std::sync::OnceLock;

/// Where an event's fields go, one at a time, sorted by name (the JSON
/// object's order): a summary line writes each as it comes, so it builds
/// no list first.
pub trait Fields<'a> {
    fn field(&mut self, name: &'static str, value: Field<'a>);
}

/// An event's fields, inline: no description has more than [`FIELDS`].
pub type FieldList<'a> = ArrayVec<(&'static str, Field<'a>), FIELDS>;
pub const FIELDS: usize = 8;

/// Fields past [`FIELDS`] would be dropped: a test on the real captures
/// keeps every description below it, and sorted.
impl<'a> Fields<'a> for FieldList<'a> {
    fn field(&mut self, name: &'static str, value: Field<'a>) {
        let _ = self.try_push((name, value));
    }
}

/// What an event is and its key fields, for JSON and the UI (a summary
/// line takes [`info`] and [`each_field`] instead: no list built).
pub struct Description<'a> {
    pub proto: Layer,
    pub msg: &'static str,
    pub version: Option<u8>,
    /// LLC only: the response flag.
    pub response: Option<bool>,
    /// Sorted by name, the order of the JSON object's keys.
    pub fields: FieldList<'a>,
}

/// The protocol column and message name of a summary line, as tshark
/// names them ("SMCv2 [SMC-Rv2-Proposal]"; text.rs writes it).
pub enum Info {
    /// Both in one piece ("SMC-R [SMC-R] CDC Message").
    Fixed(&'static str),
    /// "SMCv2 [SMC-Rv2-Accept]": `path` is "-R", "-D" or "" (a v2 Decline).
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
/// as wrap:count, lists as `[a,b]`; absent fields are left out (JSON null).
pub enum Field<'a> {
    Bool(bool),
    Num(u64),
    /// A named wire value (a JSON string): its name, or for an unknown one
    /// what its Display shows.
    Named(Option<&'static str>, &'a dyn Display),
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

impl Flags {
    /// The names, each value of each set named once: a CDC message carries
    /// two flags bytes, an LLC message one, and naming their bits each time
    /// cost more than the rest of a summary line. Bounded: 256 values of
    /// 258 sets (each LLC type has its own names).
    pub fn names(&self) -> &'static str {
        type Names = [OnceLock<Box<str>>; 256];
        static SETS: [OnceLock<Box<Names>>; 258] = [const { OnceLock::new() }; 258];
        let set = match self.set {
            FlagSet::Producer => 0,
            FlagSet::ConnState => 1,
            FlagSet::Llc(kind) => 2 + usize::from(kind.0),
        };
        let names = SETS[set].get_or_init(|| Box::new([const { OnceLock::new() }; 256]));
        names[usize::from(self.raw)].get_or_init(|| self.to_string().into())
    }
}

impl Field<'_> {
    pub fn json(&self) -> Value {
        match self {
            Field::Bool(b) => (*b).into(),
            Field::Num(n) => (*n).into(),
            Field::Named(_, v) => v.to_string().into(),
            Field::Hex(v) => format!("{v:#x}").into(),
            Field::Code { code, name } => json!({ "code": format!("{code:#010x}"), "name": name }),
            Field::Flags(f) => json!({ "code": format!("{:#04x}", f.raw), "names": f.names() }),
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

/// None for problems and segments: problems go to stderr, not to the
/// event stream.
pub fn describe(kind: &EventKind) -> Option<Description<'_>> {
    let (proto, msg, version, response) = match kind {
        EventKind::SmcOption { syn_ack, .. } => (
            Layer::TcpOption,
            if *syn_ack { "syn_ack" } else { "syn" },
            None,
            None,
        ),
        EventKind::Clc(m) => (Layer::Clc, clc_msg(m.kind()), Some(clc_env(m).version), None),
        EventKind::Llc(m) => {
            let header = m.header();
            // The version nibble is 0 for LLC v1.
            let version = header.version().max(1);
            (Layer::Llc, llc_msg(m), Some(version), Some(header.is_response()))
        }
        EventKind::Cdc(_) => (Layer::Cdc, "cdc", None, None),
        EventKind::RdmaWrite { .. } => (Layer::Rdma, "write", None, None),
        EventKind::Segment(_) | EventKind::Problem(_) => return None,
    };
    let mut fields = FieldList::new();
    each_field(kind, &mut fields);
    Some(Description {
        proto,
        msg,
        version,
        response,
        fields,
    })
}

/// The summary line's protocol column and message name; None where
/// [`describe`] gives none.
#[inline]
pub fn info(kind: &EventKind) -> Option<Info> {
    Some(match kind {
        EventKind::SmcOption { syn_ack, .. } => {
            Info::Fixed(if *syn_ack { "TCP [SYN, ACK]" } else { "TCP [SYN]" })
        }
        EventKind::Clc(m) => clc_info(m),
        EventKind::Llc(m) => Info::Llc {
            kind: m.header().llc_type,
            response: m.header().is_response(),
        },
        EventKind::Cdc(_) => Info::Fixed("SMC-R [SMC-R] CDC Message"),
        EventKind::RdmaWrite { .. } => Info::Fixed("RRoCE RC RDMA Write"),
        EventKind::Segment(_) | EventKind::Problem(_) => return None,
    })
}

/// The event's fields to `out`, sorted by name (no sort per event).
#[inline]
pub fn each_field<'a>(kind: &'a EventKind, out: &mut impl Fields<'a>) {
    match kind {
        EventKind::SmcOption { present, .. } => out.field("smc_option", Field::Bool(*present)),
        EventKind::Clc(m) => clc_fields(m, out),
        EventKind::Llc(m) => llc_fields(m, out),
        EventKind::Cdc(m) => cdc_fields(m, out),
        EventKind::RdmaWrite {
            target,
            bytes,
            packets,
        } => {
            let or_absent = |f: fn(&engine::pipeline::reassembly::WriteTarget) -> Field<'static>| {
                target.as_ref().map_or(Field::Absent, f)
            };
            out.field("bytes", Field::Num(*bytes));
            out.field("dma_length", or_absent(|t| Field::Num(t.dma_length.into())));
            out.field("packets", Field::Num((*packets).into()));
            out.field("rkey", or_absent(|t| Field::Hex(t.rkey.into())));
            out.field("vaddr", or_absent(|t| Field::Hex(t.vaddr)));
        }
        EventKind::Segment(_) | EventKind::Problem(_) => {}
    }
}

fn clc_env(m: &ClcMessage) -> &Envelope {
    match m {
        ClcMessage::Proposal(p) => &p.env,
        ClcMessage::Accept(a) | ClcMessage::Confirm(a) => &a.env,
        ClcMessage::Decline(d) => &d.env,
        ClcMessage::Unknown(u) => &u.env,
    }
}

/// A CLC message type as JSON's `msg` names it (events and the session
/// summary's `clc` list alike).
pub fn clc_msg(kind: ClcType) -> &'static str {
    match kind {
        ClcType::PROPOSAL => "proposal",
        ClcType::ACCEPT => "accept",
        ClcType::CONFIRM => "confirm",
        ClcType::DECLINE => "decline",
        _ => "unknown",
    }
}

fn clc_info(m: &ClcMessage) -> Info {
    let env = clc_env(m);
    // As tshark names them: "[SMC-Rv2-Accept]"; a Decline names no path
    // ("[SMC-Decline]", "[SMCv2-Decline]"); a v2 Proposal names what its
    // typev2 offers ("[SMC-Dv2-Proposal]", "[SMC-Dv2/SMC-Rv2-Proposal]").
    let path = match (m, env.eyecatcher) {
        (ClcMessage::Decline(_), _) => "",
        (ClcMessage::Proposal(p), _) if !env.is_v1() && p.env.typev2.has_d() => {
            if p.env.typev2.has_r() {
                "-Dv2/SMC-R"
            } else {
                "-D"
            }
        }
        (ClcMessage::Accept(a) | ClcMessage::Confirm(a), _) => match a.body {
            AcceptConfirmBody::SmcR(_) => "-R",
            AcceptConfirmBody::SmcD(_) => "-D",
        },
        (_, Eyecatcher::SMCD) => "-D",
        _ => "-R",
    };
    Info::Clc {
        path,
        v2: !env.is_v1(),
        kind: m.kind(),
    }
}

fn clc_fields<'a>(m: &'a ClcMessage, out: &mut impl Fields<'a>) {
    match m {
        ClcMessage::Proposal(p) => proposal(p, out),
        ClcMessage::Accept(a) | ClcMessage::Confirm(a) => accept_confirm(a, out),
        ClcMessage::Decline(d) => decline(d, out),
        ClcMessage::Unknown(u) => out.field("type", Field::Num(u.kind.0.into())),
    }
}

fn proposal<'a>(p: &'a Proposal, out: &mut impl Fields<'a>) {
    out.field("smcd_v2_ext", Field::Bool(p.smcd_v2_ext.is_some()));
    out.field("typev1", Field::Named(p.env.typev1.name(), &p.env.typev1));
    out.field("typev2", Field::Named(p.env.typev2.name(), &p.env.typev2));
    out.field("v2_ext", Field::Bool(p.v2_ext.is_some()));
}

fn accept_confirm<'a>(m: &'a AcceptConfirm, out: &mut impl Fields<'a>) {
    let first_contact = Field::Bool(m.env.flag());
    match &m.body {
        AcceptConfirmBody::SmcR(r) => {
            out.field("first_contact", first_contact);
            out.field("path", Field::Named(Path::R.name(), &Path::R));
            out.field("psn", Field::Num(r.psn.into()));
            out.field("qpn", Field::Num(r.qpn.into()));
            out.field("rmb_dma_addr", Field::Hex(r.rmb_dma_addr));
            out.field("rmb_rkey", Field::Hex(r.rmb_rkey.into()));
            out.field("rmbe_alert_token", Field::Hex(r.rmbe_alert_token.into()));
        }
        AcceptConfirmBody::SmcD(d) => {
            out.field("dmb_token", Field::Hex(d.dmb_token));
            out.field("first_contact", first_contact);
            out.field("gid", Field::Hex(d.gid));
            out.field("link_id", Field::Num(d.link_id.into()));
            out.field("path", Field::Named(Path::D.name(), &Path::D));
        }
    }
}

fn decline<'a>(d: &'a Decline, out: &mut impl Fields<'a>) {
    let name = d.diagnosis.name().unwrap_or("unknown");
    out.field(
        "diagnosis",
        Field::Code {
            code: d.diagnosis.0,
            name,
        },
    );
    out.field("os_type", Field::Named(d.os_type.name(), &d.os_type));
    out.field("out_of_sync", Field::Bool(d.env.flag()));
}

fn llc_msg(m: &LlcMessage) -> &'static str {
    match m {
        LlcMessage::ConfirmLink(_) => "confirm_link",
        LlcMessage::AddLink(_) => "add_link",
        LlcMessage::AddLinkCont(_) => "add_link_cont",
        LlcMessage::DeleteLink(_) => "delete_link",
        LlcMessage::RequestAddLink(_) => "req_add_link",
        LlcMessage::ConfirmRkey(_) => "confirm_rkey",
        LlcMessage::TestLink(_) => "test_link",
        LlcMessage::ConfirmRkeyCont(_) => "confirm_rkey_cont",
        LlcMessage::DeleteRkey(_) => "delete_rkey",
        LlcMessage::Unknown(_) => "unknown",
    }
}

fn llc_fields<'a>(m: &'a LlcMessage, out: &mut impl Fields<'a>) {
    let header = m.header();
    let num = |n: u8| Field::Num(n.into());
    let flags = Field::Flags(Flags {
        raw: header.flags.0,
        set: FlagSet::Llc(header.llc_type),
    });
    match m {
        LlcMessage::ConfirmLink(l) => {
            out.field("flags", flags);
            out.field("link_id", num(l.body.link_id));
            out.field("max_conns", num(l.body.max_conns));
            out.field("max_links", num(l.body.max_links));
            out.field("qpn", Field::Num(l.body.sender_qpn.into()));
        }
        LlcMessage::AddLink(l) => {
            out.field("flags", flags);
            out.field("link_id", num(l.body.link_id));
            out.field("qpn", Field::Num(l.body.sender_qpn.into()));
        }
        LlcMessage::AddLinkCont(l) => {
            out.field("flags", flags);
            out.field("link_id", num(l.body.link_id));
        }
        LlcMessage::DeleteLink(l) => {
            out.field("flags", flags);
            out.field("link_id", num(l.body.link_id));
            out.field(
                "reason",
                Field::Code {
                    code: l.body.reason.0,
                    name: l.body.reason.name().unwrap_or("unknown"),
                },
            );
        }
        LlcMessage::RequestAddLink(l) => {
            out.field("flags", flags);
            out.field("gids", Field::Num(l.body.gids.len() as u64));
        }
        LlcMessage::ConfirmRkey(l) => {
            out.field("flags", flags);
            out.field("rkey", Field::Hex(l.body.rtoken.rkey.into()));
            out.field("vaddr", Field::Hex(l.body.rtoken.vaddr));
        }
        LlcMessage::TestLink(_) | LlcMessage::ConfirmRkeyCont(_) => out.field("flags", flags),
        LlcMessage::DeleteRkey(l) => {
            // Only `count` slots are meant; the rest are zero padding.
            let count = usize::from(l.body.count).min(l.body.rkeys.len());
            out.field("count", num(l.body.count));
            out.field("flags", flags);
            out.field("rkeys", Field::HexList(&l.body.rkeys[..count]));
        }
        LlcMessage::Unknown(_) => {
            out.field("flags", flags);
            out.field("type", num(header.llc_type.0));
        }
    }
}

fn cdc_fields<'a>(m: &SmcrCdc, out: &mut impl Fields<'a>) {
    out.field(
        "conn_state_flags",
        Field::Flags(Flags {
            raw: m.conn_state_flags.0,
            set: FlagSet::ConnState,
        }),
    );
    out.field("consumer", Field::Cursor(m.consumer));
    out.field("producer", Field::Cursor(m.producer));
    out.field(
        "producer_flags",
        Field::Flags(Flags {
            raw: m.producer_flags.0,
            set: FlagSet::Producer,
        }),
    );
    out.field("seqno", Field::Num(m.seqno.into()));
    out.field("token", Field::Hex(m.token.into()));
}

#[cfg(test)]
mod tests {
    use super::*;
    use dissect::clc::{Path, SmcdV2Extension};
    use dissect::Wire;
    use engine::frame::FrameSource;
    use engine::pipeline::Pipeline;
    use sys::source::CaptureFiles;

    #[test]
    fn every_description_of_the_real_captures_has_room_to_spare() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../corpora/real");
        let mut described = 0;
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.extension() != Some("pcapng".as_ref()) {
                continue;
            }
            let mut source = CaptureFiles::open(&[&path]).unwrap();
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

    /// The summary line's "[...]" name of a CLC message.
    fn name(m: &ClcMessage) -> String {
        let mut line = Vec::new();
        crate::present::text::column_and_message(&mut line, &clc_info(m));
        String::from_utf8(line).unwrap()
    }

    fn real_clc(file: &str, kind: u8) -> ClcMessage {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../corpora/real")
            .join(file);
        let mut source = CaptureFiles::open(&[&path]).unwrap();
        let (mut pipeline, mut events) = (Pipeline::default(), Vec::new());
        while let Some(frame) = source.next_frame() {
            pipeline.frame(&frame.unwrap(), &mut events);
        }
        events
            .into_iter()
            .find_map(|e| match e.kind {
                EventKind::Clc(m) if m.kind().0 == kind => Some(m),
                _ => None,
            })
            .unwrap()
    }

    #[test]
    fn clc_messages_are_named_as_tshark_names_them() {
        // tshark 4.0 on the same frames: [SMC-Decline], [SMCv2-Decline], [SMC-Rv2-Proposal].
        assert_eq!(name(&real_clc("client-no-rdma.pcapng", 4)), "SMC [SMC-Decline]");
        assert_eq!(
            name(&real_clc("server-no-ueid.pcapng", 4)),
            "SMCv2 [SMCv2-Decline]"
        );
        let ClcMessage::Proposal(mut p) = real_clc("server-no-ueid.pcapng", 1) else {
            panic!("a Proposal")
        };
        assert_eq!(name(&ClcMessage::Proposal(p.clone())), "SMCv2 [SMC-Rv2-Proposal]");
        // Offering SMC-D too (or only): tshark shows [SMC-Dv2/SMC-Rv2-Proposal], [SMC-Dv2-Proposal].
        p.smcd_v2_ext = Some(SmcdV2Extension::default());
        for (typev2, shown) in [
            (Path::B, "SMCv2 [SMC-Dv2/SMC-Rv2-Proposal]"),
            (Path::D, "SMCv2 [SMC-Dv2-Proposal]"),
        ] {
            p.env.typev2 = typev2;
            p.set_canonical_offsets();
            let m = ClcMessage::parse(&ClcMessage::Proposal(p.clone()).to_bytes()).expect("a valid Proposal");
            assert_eq!(name(&m), shown);
        }
    }
}
