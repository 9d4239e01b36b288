//! The pipeline on the lab's real Linux 6.12 captures (corpora/real, see its
//! manifest.toml): every CLC, LLC and CDC message decodes, in the expected order.

use engine::frame::FrameSource;
use engine::pipeline::{Event, EventKind, Pipeline};
use std::path::{Path, PathBuf};
use sys::source::PcapFile;

fn corpus(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../corpora/real")
        .join(name)
}

/// Every event of a file; panics on a source error (the shipped files are whole).
fn events(path: &Path) -> Vec<Event> {
    let mut source = PcapFile::open(path).expect("capture opens");
    let (mut pipeline, mut out) = (Pipeline::default(), Vec::new());
    while let Some(frame) = source.next_frame() {
        pipeline.frame(&frame.expect("whole file"), &mut out);
    }
    pipeline.finish(&mut out);
    out
}

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
    let events = events(&corpus("smcr-v2-echo.pcapng"));
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
        let names = names(&events(&corpus(file)));
        assert_eq!(clc_and_llc(&names), expected, "{file}");
    }
}

#[test]
fn a_truncated_file_reports_the_frame_and_keeps_what_came_before() {
    let whole = std::fs::read(corpus("smcr-v2-echo.pcapng")).expect("corpus");
    let cut = std::env::temp_dir().join(format!("smc-analyze-cut-{}.pcapng", std::process::id()));
    std::fs::write(&cut, &whole[..whole.len() / 2]).expect("temp file");
    let mut source = PcapFile::open(&cut).expect("header intact");
    let (mut frames, mut error) = (0, None);
    while let Some(frame) = source.next_frame() {
        match frame {
            Ok(_) => frames += 1,
            Err(e) => error = Some(e),
        }
    }
    let _ = std::fs::remove_file(&cut);
    let error = error.expect("the cut is reported");
    assert_eq!(error.frame, frames + 1);
    assert!(frames > 10, "frames before the cut are read");
}
