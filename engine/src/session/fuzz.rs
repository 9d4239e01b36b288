//! Fuzz harness (fuzz target `session`): arbitrary message sequences on a
//! few colliding endpoints. The engine must not panic and its output must
//! stay consistent (findings cite known rules and sessions).

use super::{Analyzer, Caps, Update};
use crate::pipeline::{clc_event, Endpoints, Event, EventKind, Segment};
use crate::source::Timestamp;
use dissect::capture::{Flow, WriteTarget};
use dissect::llc::{parse_send, SmcrControl};
use std::net::{IpAddr, Ipv4Addr, SocketAddr};

/// Runs the engine over `data` read as records `[op, len, payload...]`.
pub fn drive(data: &[u8]) {
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
                assert!(f.session.map_or(true, |s| made.contains(&s)));
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
                Endpoints::Frame,
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
