//! The engine's fuzz harnesses (targets `pipeline`, `session` and `capture_file`). They
//! panic on purpose: a panic here is a bug found, reported by libFuzzer.

use crate::frame::{Frame, Timestamp};
use crate::pipeline::reassembly::{Flow, Limits, WriteTarget};
use crate::pipeline::{clc_event, Endpoints, Event, EventKind, Pipeline, Psns, Segment};
use crate::session::{Analyzer, Caps, Update};
use dissect::llc::{parse_send, SmcrControl};
use dissect::oracle::LINK_TYPES;
use dissect::tree::{FieldNode, FieldTree};
use std::net::{IpAddr, Ipv4Addr, SocketAddr};

/// Small caps, so a short input can reach them.
const LIMITS: Limits = Limits {
    stream_pending: 4096,
    total: 32 * 1024,
    connections: 8,
    clc_scan: 2048,
    send_message: 9000,
    qps: 8,
    idle_secs: 120,
};

/// Frames carved from `data` and run through one pipeline. Byte 0 picks the
/// link type (odd: with message bytes); then each frame is a 2-byte big-endian
/// length, a byte of snaplen cut, and the frame. Nothing may panic, and
/// reassembly must stay within its caps after every frame.
pub fn check_pipeline(data: &[u8]) {
    let Some((&pick, mut rest)) = data.split_first() else {
        return;
    };
    let link = LINK_TYPES[usize::from(pick >> 1) % LINK_TYPES.len()];
    let mut pipeline = Pipeline::new(LIMITS);
    if pick & 1 == 1 {
        pipeline = pipeline.with_messages();
    }
    let mut events = Vec::new();
    let mut number = 0;
    while let [hi, lo, cut, tail @ ..] = rest {
        let len = usize::from(u16::from_be_bytes([*hi, *lo])).min(tail.len());
        let (bytes, next) = tail.split_at(len);
        rest = next;
        number += 1;
        let frame = Frame {
            number,
            time: Timestamp {
                secs: number as i64,
                nanos: 0,
            },
            data: bytes.to_vec(),
            orig_len: len + usize::from(*cut),
            link,
        };
        pipeline.frame(&frame, &mut events);
        check_held(&pipeline);
        // The trees a reader would be shown, built from the bytes kept, and each field as shown.
        for message in events.iter().filter_map(|e| e.message.as_ref()) {
            let tree = message.tree();
            show(&tree, &tree.fields);
        }
        events.iter().for_each(check_psns);
        events.clear();
    }
    pipeline.finish(&mut events);
    check_held(&pipeline);
}

/// A capture file's bytes read to their end (fuzz target `capture_file`):
/// no panic, frames numbered in order within the caps, every step of the
/// reader consuming input (so it ends), and its offset within the file.
pub fn check_capture_file(data: &[u8]) {
    let Ok(mut reader) = crate::capture_file::Reader::open(data) else {
        return;
    };
    let (mut steps, mut last) = (0, 0);
    loop {
        steps += 1;
        // A step reads at least a 12-byte block (pcapng) or a 16-byte record (pcap).
        assert!(
            steps <= data.len() / 12 + 2,
            "{steps} steps over {} bytes",
            data.len()
        );
        match reader.advance() {
            Ok(true) => {
                let (frame, interface) = reader.current().expect("the frame advanced to");
                assert!(frame.number > last, "frame {} after {last}", frame.number);
                assert!(frame.data.len() <= crate::capture_file::MAX_BLOCK);
                assert_eq!(frame.link, interface.link);
                last = frame.number;
            }
            Ok(false) => break,
            Err(e) => assert!(e.frame > last, "error at frame {} after {last}", e.frame),
        }
        assert!(reader.offset() <= data.len() as u64);
    }
    assert!(reader.interfaces().len() <= crate::capture_file::MAX_INTERFACES);
}

/// A capture file as the replay agent reads one off the network: the
/// replay's scripts, digests and setup never panic, and hold together.
pub fn check_replay(data: &[u8]) {
    let Ok(mut reader) = crate::capture_file::Reader::open(data) else {
        return;
    };
    let mut observer = crate::replay::Observer::new();
    loop {
        match reader.advance() {
            Ok(true) => {
                let (frame, _) = reader.current().expect("the frame advanced to");
                observer.frame(&frame);
            }
            Ok(false) => break,
            // The reader goes on past a frame it could not give, as the agent does.
            Err(_) => {}
        }
    }
    let observed = observer.finish();
    for r in &observed.sessions {
        let s = &r.script;
        assert!(s.steps.len() <= crate::replay::STEPS_KEPT);
        for side in [crate::session::Side::Client, crate::session::Side::Server] {
            let peer = s.total(side.peer());
            assert!(s
                .steps_of(side)
                .all(|st| st.after_received <= peer && st.bytes > 0));
        }
        assert!(crate::replay::compare(&r.digest, &r.digest).is_empty());
    }
    crate::replay::Setup::infer(&observed.sessions);
}

/// Control lines as the replay and its agent read them off the network:
/// what parses writes back as a line that parses to the same line again.
pub fn check_replay_control(data: &[u8]) {
    use crate::replay::control::{Reply, Request};
    for line in String::from_utf8_lossy(data).split_inclusive('\n') {
        if let Ok(r) = Request::parse(line) {
            let again = Request::parse(&r.line()).expect("a request's own line");
            assert_eq!(again.line(), r.line());
        }
        if let Ok(r) = Reply::parse(line) {
            let written = r.line();
            assert_eq!(written.matches('\n').count(), 1, "{written:?}");
            let again = Reply::parse(&written).expect("a reply's own line");
            assert_eq!(again.line(), written);
        }
    }
}

fn show(tree: &FieldTree, nodes: &[FieldNode]) {
    for n in nodes {
        n.shown(tree);
        show(tree, &n.children);
    }
}

/// A WRITE's PSNs span as many packets as it counted (an export finds them by PSN).
fn check_psns(e: &Event) {
    if let (Endpoints::Qp { psns, .. }, EventKind::RdmaWrite { packets, .. }) = (e.at, &e.kind) {
        let span = psns.last.wrapping_sub(psns.first) & 0x00ff_ffff;
        assert_eq!(span, packets.wrapping_sub(1) & 0x00ff_ffff, "{e:?}");
    }
}

fn check_held(pipeline: &Pipeline) {
    let held = pipeline.reassembly().held();
    assert!(held.connections <= LIMITS.connections, "{held:?} over {LIMITS:?}");
    assert!(held.qps <= LIMITS.qps, "{held:?} over {LIMITS:?}");
    assert!(
        held.budget_left <= LIMITS.total,
        "budget grew past its total: {held:?}"
    );
}

/// The session engine (fuzz target `session`) over `data` read as records
/// `[op, len, payload...]`: arbitrary message sequences on a few colliding
/// endpoints. The engine must not panic and its output must stay
/// consistent (findings cite known rules and sessions).
pub fn check_session(data: &[u8]) {
    let caps = Caps {
        sessions: 16,
        link_groups: 8,
        qps: 32,
    };
    let (mut analyzer, mut out) = (Analyzer::new(caps), Vec::new());
    let mut rest = data;
    let mut time = Timestamp::default();
    let mut frame = 0;
    while let [op, len, tail @ ..] = rest {
        let n = usize::from(*len).min(tail.len());
        let (payload, next) = tail.split_at(n);
        rest = next;
        frame += 1;
        time.secs += i64::from(op >> 6);
        let (at, kind) = record(*op, payload);
        analyzer.event(
            &Event {
                frame,
                time,
                at,
                kind,
                message: None,
            },
            &mut out,
        );
    }
    analyzer.finish(&mut out);
    // Findings cite sessions made before them; each session ends once, and
    // at the end of input none is left.
    let (mut made, mut ended) = (std::collections::HashSet::new(), std::collections::HashSet::new());
    for u in out {
        match u {
            Update::Session(id) => {
                made.insert(id);
            }
            Update::SessionEnded(s) => assert!(made.contains(&s.id) && ended.insert(s.id)),
            Update::Finding(f) => {
                assert!(crate::rules::by_id(f.rule.id).is_some());
                assert!(f.session.is_none_or(|s| made.contains(&s)));
            }
        }
    }
    assert_eq!(made, ended);
}

/// One event from an op byte (kind, direction, endpoint) and its payload.
fn record(op: u8, payload: &[u8]) -> (Endpoints, EventKind) {
    let (client, server) = (ip(2), ip(1));
    let swap = op & 0x08 != 0;
    let (src, dst) = if swap { (server, client) } else { (client, server) };
    let port = 40000 + u16::from(op & 0x30);
    let flow = |src: IpAddr, dst: IpAddr| {
        let (s, d) = if swap { (5000, port) } else { (port, 5000) };
        Endpoints::Tcp(Flow {
            src: SocketAddr::new(src, s),
            dst: SocketAddr::new(dst, d),
        })
    };
    let qp = Endpoints::Qp {
        src,
        dst,
        // 17 is the QP number Linux soft-RoCE peers use first (as in the seeds).
        qp: 17 + u32::from(op >> 4 & 1),
        psns: Psns::default(),
    };
    let word = |i: usize| {
        payload
            .get(i..i + 8)
            .map_or(0, |b| u64::from_be_bytes(b.try_into().unwrap_or_default()))
    };
    match op & 0x07 {
        0 => (
            flow(src, dst),
            EventKind::SmcOption {
                syn_ack: swap,
                present: op & 0x40 != 0,
            },
        ),
        1 => (flow(src, dst), clc_event(payload, 0)),
        2 | 3 => match parse_send(payload) {
            Ok(SmcrControl::Llc(m)) => (qp, EventKind::Llc(m)),
            Ok(SmcrControl::Cdc(c)) => (qp, EventKind::Cdc(c)),
            Err(_) => (
                Endpoints::Undecoded,
                EventKind::SmcOption {
                    syn_ack: false,
                    present: false,
                },
            ),
        },
        4 => {
            let target = WriteTarget {
                vaddr: word(0),
                rkey: word(8) as u32,
                dma_length: (word(8) >> 32) as u32,
            };
            let bytes = word(16) & 0xffff_ffff;
            (
                qp,
                EventKind::RdmaWrite {
                    target: Some(target),
                    bytes,
                    packets: 1,
                },
            )
        }
        _ => {
            let segment = Segment {
                seq: word(0) as u32,
                len: (word(0) >> 32) as u32 & 0xffff,
                syn: op & 0x40 != 0,
                fin: op & 0x80 != 0,
                rst: op & 0x07 == 7,
            };
            (flow(src, dst), EventKind::Segment(segment))
        }
    }
}

fn ip(last: u8) -> IpAddr {
    IpAddr::V4(Ipv4Addr::new(10, 0, 0, last))
}
