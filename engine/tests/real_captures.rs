//! The pipeline on the lab's real Linux 6.12 captures (corpora/real, see its
//! manifest.toml): every CLC, LLC and CDC message decodes, in the expected order.

mod common;

use common::real as events;
use engine::pipeline::{Event, EventKind};

/// A compact name per event: "clc:proposal", "llc:add_link_rsp", "cdc", "write".
fn names(events: &[Event]) -> Vec<String> {
    events
        .iter()
        .filter_map(|e| match &e.kind {
            // Segments carry no SMC message.
            EventKind::Segment(_) => None,
            kind => Some((e.frame, kind)),
        })
        .map(|(frame, kind)| match kind {
            EventKind::SmcOption { syn_ack, present } => format!("option:{syn_ack}:{present}"),
            EventKind::Clc(m) => format!("clc:{}", m.kind()),
            EventKind::Llc(m) => {
                let rsp = if m.header().is_response() { "_rsp" } else { "" };
                format!("llc:{}{rsp}", m.header().llc_type.with_version(0))
            }
            EventKind::Cdc(_) => "cdc".into(),
            EventKind::RdmaWrite { .. } => "write".into(),
            EventKind::Problem(p) => panic!("frame {frame}: {} problem: {}", p.layer(), p),
            EventKind::Segment(_) => String::new(),
        })
        .collect()
}

fn clc_and_llc(names: &[String]) -> Vec<&str> {
    names
        .iter()
        .map(String::as_str)
        .filter(|n| n.starts_with("clc:") || n.starts_with("llc:"))
        .collect()
}

#[test]
fn smcr_v2_echo_decodes_every_message() {
    let events = events("smcr-v2-echo.pcapng");
    let names = names(&events);
    assert_eq!(names[..2], ["option:false:true", "option:true:true"]);
    assert_eq!(
        clc_and_llc(&names),
        [
            "clc:Proposal",
            "clc:Accept",
            "clc:Confirm",
            "llc:CONFIRM_LINK",
            "llc:CONFIRM_LINK_rsp",
            "llc:ADD_LINK",
            "llc:ADD_LINK_rsp",
            "llc:DELETE_RKEY",
            "llc:DELETE_RKEY_rsp",
            "llc:DELETE_RKEY",
            "llc:DELETE_RKEY_rsp",
        ]
    );
    assert!(names.iter().filter(|n| *n == "cdc").count() >= 4);
    let packets: u32 = events
        .iter()
        .map(|e| {
            if let EventKind::RdmaWrite { packets, .. } = e.kind {
                packets
            } else {
                0
            }
        })
        .sum();
    assert!(packets >= 30, "{packets} RDMA WRITE packets");
    // Each CLC message is attributed to the frame that carried its last byte.
    let clc_frames: Vec<u64> = events
        .iter()
        .filter(|e| matches!(e.kind, EventKind::Clc(_)))
        .map(|e| e.frame)
        .collect();
    assert_eq!(clc_frames, [7, 9, 11]);
}

#[test]
fn fallback_captures_end_clc_at_the_decline_or_the_syn_ack() {
    let cases: [(&str, &[&str]); 4] = [
        ("server-no-ueid.pcapng", &["clc:Proposal", "clc:Decline"]),
        ("client-no-rdma.pcapng", &["clc:Decline"]),
        ("ipv6.pcapng", &["clc:Decline"]),
        ("plain-tcp-server.pcapng", &[]),
    ];
    for (file, expected) in cases {
        let names = names(&events(file));
        assert_eq!(clc_and_llc(&names), expected, "{file}");
    }
}
