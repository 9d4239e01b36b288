//! One description of each event, rendered two ways: a summary line and a
//! JSON object (docs/json.md). Names are the protocol's, snake_case for JSON.

use dissect::cdc::{ConnStateFlags, Cursor, ProducerFlags, SmcrCdc};
use dissect::clc::{AcceptConfirm, AcceptConfirmBody, ClcMessage, Decline, Eyecatcher, Proposal};
use dissect::llc::LlcMessage;
use dissect::tree::{llc_flags, set_bits};
use engine::pipeline::EventKind;
use serde_json::{json, Map, Value};

/// What an event is and its key fields.
pub struct Description {
    pub proto: &'static str,
    pub msg: &'static str,
    pub version: Option<u8>,
    /// LLC only: the response flag.
    pub response: Option<bool>,
    /// The summary line's protocol column and message name, as tshark names
    /// them ("SMCv2", "[SMC-Rv2-Proposal]").
    pub column: &'static str,
    pub info: String,
    pub fields: Map<String, Value>,
}

/// None for problems: those go to stderr, not to the event stream.
pub fn describe(kind: &EventKind) -> Option<Description> {
    Some(match kind {
        EventKind::SmcOption { syn_ack, present } => Description {
            proto: "tcp_option",
            msg: if *syn_ack { "syn_ack" } else { "syn" },
            version: None,
            response: None,
            column: "TCP",
            info: if *syn_ack { "[SYN, ACK]" } else { "[SYN]" }.into(),
            fields: fields(json!({ "smc_option": present })),
        },
        EventKind::Clc(m) => clc(m),
        EventKind::Llc(m) => llc(m),
        EventKind::Cdc(m) => cdc(m),
        EventKind::RdmaWrite {
            target,
            bytes,
            packets,
        } => Description {
            proto: "rdma",
            msg: "write",
            version: None,
            response: None,
            column: "RRoCE",
            info: "RC RDMA Write".into(),
            fields: fields(json!({
                "rkey": target.map(|t| hex(t.rkey.into())),
                "vaddr": target.map(|t| hex(t.vaddr)),
                "dma_length": target.map(|t| t.dma_length),
                "bytes": bytes,
                "packets": packets,
            })),
        },
        EventKind::Segment(_) | EventKind::Problem(_) => return None,
    })
}

fn clc(m: &ClcMessage) -> Description {
    let (msg, env, fields) = match m {
        ClcMessage::Proposal(p) => ("proposal", p.env, proposal(p)),
        ClcMessage::Accept(a) => ("accept", a.env, accept_confirm(a)),
        ClcMessage::Confirm(c) => ("confirm", c.env, accept_confirm(c)),
        ClcMessage::Decline(d) => ("decline", d.env, decline(d)),
        ClcMessage::Unknown(u) => ("unknown", u.env, fields(json!({ "type": u.kind.0 }))),
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
    let v = if env.is_v1() { "" } else { "v2" };
    Description {
        proto: "clc",
        msg,
        version: Some(env.version),
        response: None,
        column: if env.is_v1() { "SMC" } else { "SMCv2" },
        info: format!("[SMC{path}{v}-{}]", m.kind()),
        fields,
    }
}

fn proposal(p: &Proposal) -> Map<String, Value> {
    fields(json!({
        "typev1": p.env.typev1.to_string(),
        "typev2": p.env.typev2.to_string(),
        "v2_ext": p.v2_ext.is_some(),
        "smcd_v2_ext": p.smcd_v2_ext.is_some(),
    }))
}

fn accept_confirm(m: &AcceptConfirm) -> Map<String, Value> {
    let mut f = fields(json!({ "first_contact": m.env.flag() }));
    match &m.body {
        AcceptConfirmBody::SmcR(r) => f.extend(fields(json!({
            "path": "R",
            "qpn": r.qpn,
            "rmb_rkey": hex(r.rmb_rkey.into()),
            "rmbe_alert_token": hex(r.rmbe_alert_token.into()),
            "rmb_dma_addr": hex(r.rmb_dma_addr),
            "psn": r.psn,
        }))),
        AcceptConfirmBody::SmcD(d) => f.extend(fields(json!({
            "path": "D",
            "gid": hex(d.gid),
            "dmb_token": hex(d.dmb_token),
            "link_id": d.link_id,
        }))),
    }
    f
}

fn decline(d: &Decline) -> Map<String, Value> {
    let name = d.diagnosis.name().unwrap_or("unknown");
    fields(json!({
        "diagnosis": { "code": format!("{:#010x}", d.diagnosis.0), "name": name },
        "out_of_sync": d.env.flag(),
        "os_type": d.os_type.to_string(),
    }))
}

fn llc(m: &LlcMessage) -> Description {
    let header = m.header();
    let (msg, fields) = match m {
        LlcMessage::ConfirmLink(l) => (
            "confirm_link",
            fields(json!({
                "link_id": l.body.link_id, "qpn": l.body.sender_qpn,
                "max_links": l.body.max_links, "max_conns": l.body.max_conns,
            })),
        ),
        LlcMessage::AddLink(l) => (
            "add_link",
            fields(json!({
                "link_id": l.body.link_id, "qpn": l.body.sender_qpn,
            })),
        ),
        LlcMessage::AddLinkCont(l) => ("add_link_cont", fields(json!({ "link_id": l.body.link_id }))),
        LlcMessage::DeleteLink(l) => (
            "delete_link",
            fields(json!({
                "link_id": l.body.link_id,
                "reason": { "code": format!("{:#010x}", l.body.reason.0), "name": l.body.reason.name().unwrap_or("unknown") },
            })),
        ),
        LlcMessage::RequestAddLink(l) => ("req_add_link", fields(json!({ "gids": l.body.gids.len() }))),
        LlcMessage::ConfirmRkey(l) => (
            "confirm_rkey",
            fields(json!({
                "rkey": hex(l.body.rtoken.rkey.into()), "vaddr": hex(l.body.rtoken.vaddr),
            })),
        ),
        LlcMessage::TestLink(_) => ("test_link", Map::new()),
        LlcMessage::ConfirmRkeyCont(_) => ("confirm_rkey_cont", Map::new()),
        LlcMessage::DeleteRkey(l) => (
            "delete_rkey",
            fields(json!({
                "count": l.body.count,
                // Only `count` slots are meant; the rest are zero padding.
                "rkeys": l.body.rkeys.iter().take(l.body.count.into()).map(|&k| hex(k.into())).collect::<Vec<_>>(),
            })),
        ),
        LlcMessage::Unknown(_) => ("unknown", fields(json!({ "type": header.llc_type.0 }))),
    };
    let mut fields = fields;
    fields.insert("flags".into(), flags(header.flags.0, llc_flags(header.llc_type, header.flags.0)));
    // The version nibble is 0 for LLC v1.
    let version = header.version().max(1);
    let rsp = if header.is_response() { " Response" } else { "" };
    Description {
        proto: "llc",
        msg,
        version: Some(version),
        response: Some(header.is_response()),
        column: "SMC-R",
        info: format!("[SMC-R] LLC {}{rsp}", header.llc_type),
        fields,
    }
}

fn cdc(m: &SmcrCdc) -> Description {
    let cursor = |c: Cursor| json!({ "wrap": c.wrap, "count": c.count });
    let producer_flags = ProducerFlags::KNOWN.iter().map(|f| (f.0, f.name())).collect::<Vec<_>>();
    let conn_state_flags = ConnStateFlags::KNOWN.iter().map(|f| (f.0, f.name())).collect::<Vec<_>>();
    Description {
        proto: "cdc",
        msg: "cdc",
        version: None,
        response: None,
        column: "SMC-R",
        info: "[SMC-R] CDC Message".into(),
        fields: fields(json!({
            "seqno": m.seqno,
            "token": hex(m.token.into()),
            "producer": cursor(m.producer),
            "consumer": cursor(m.consumer),
            "producer_flags": flags(m.producer_flags.0, set_bits(m.producer_flags.0, &producer_flags)),
            "conn_state_flags": flags(m.conn_state_flags.0, set_bits(m.conn_state_flags.0, &conn_state_flags)),
        })),
    }
}

/// A flags byte: raw value and the names of the bits set ("A|B", or "none").
fn flags(raw: u8, names: String) -> Value {
    json!({ "code": format!("{raw:#04x}"), "names": names })
}

fn hex(v: u64) -> String {
    format!("{v:#x}")
}

fn fields(v: Value) -> Map<String, Value> {
    match v {
        Value::Object(map) => map,
        _ => Map::new(),
    }
}
