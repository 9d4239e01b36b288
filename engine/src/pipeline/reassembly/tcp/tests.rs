//! Reassembly and CLC framing on made-up segments.

use super::super::clc_framer::{ClcEnd, ClcRecord, NotClc};
use super::super::limits::{Budget, Ctx, Drops, Limits, Pruned};
use super::super::stream::{Chunk, HalfStream};
use super::*;
use std::net::{IpAddr, Ipv4Addr};

/// A CLC message of `len` bytes and `kind`: header, zero body, trailer.
fn clc(kind: u8, len: u16) -> Vec<u8> {
    let mut m = vec![0xe2, 0xd4, 0xc3, 0xd9, kind, 0, 0, 0x20];
    m[5..7].copy_from_slice(&len.to_be_bytes());
    m.resize(usize::from(len) - 4, 0);
    m.extend_from_slice(&[0xe2, 0xd4, 0xc3, 0xd9]);
    m
}

struct Harness {
    limits: Limits,
    budget: Budget,
    drops: Drops,
    pruned: Pruned,
}

impl Harness {
    fn new(limits: Limits) -> Self {
        Harness {
            limits,
            budget: Budget::new(limits.total),
            drops: Drops::default(),
            pruned: Pruned::default(),
        }
    }

    fn ctx(&mut self) -> Ctx<'_> {
        Ctx {
            limits: &self.limits,
            budget: &mut self.budget,
            drops: &mut self.drops,
            pruned: &mut self.pruned,
            now: 0,
        }
    }

    /// Feeds segments (seq, bytes) to one stream; returns the chunks in order.
    fn stream(&mut self, stream: &mut HalfStream, segs: &[(u32, &[u8])]) -> Vec<Chunk<'static>> {
        let mut got = Vec::new();
        for &(seq, data) in segs {
            stream.segment(seq, data, &mut self.ctx(), &mut |c| got.push(owned(c)));
        }
        got
    }
}

/// Chunks borrow the segment; tests keep them past it.
fn owned(c: Chunk) -> Chunk<'static> {
    match c {
        Chunk::Data(d) => Chunk::Data(Vec::leak(d.to_vec())),
        Chunk::Gap(n) => Chunk::Gap(n),
    }
}

fn bytes(chunks: &[Chunk]) -> Vec<u8> {
    chunks
        .iter()
        .flat_map(|c| {
            if let Chunk::Data(d) = c {
                d.to_vec()
            } else {
                Vec::new()
            }
        })
        .collect()
}

#[test]
fn out_of_order_segments_are_delivered_in_order() {
    let mut h = Harness::new(Limits::default());
    let mut s = HalfStream::default();
    s.syn(99);
    let got = h.stream(&mut s, &[(104, b"world"), (100, b"hell"), (109, b"!")]);
    assert_eq!(bytes(&got), b"hellworld!");
    assert_eq!(h.drops, Drops::default());
    assert!(
        h.budget.has(h.limits.total),
        "all buffered bytes returned to the budget"
    );
}

#[test]
fn retransmissions_and_overlaps_are_delivered_once() {
    let mut h = Harness::new(Limits::default());
    let mut s = HalfStream::default();
    let got = h.stream(
        &mut s,
        &[
            (1, b"abcd"),
            (1, b"abcd"),
            (3, b"cdef"),
            (9, b"ij"),
            (9, b"ijk"),
            (7, b"gh"),
        ],
    );
    assert_eq!(bytes(&got), b"abcdefghijk");
    // 4 resent + 2 overlapping + "ij" replaced by the longer "ijk".
    assert_eq!(h.drops.duplicate_bytes, 8);
}

#[test]
fn sequence_numbers_wrap() {
    let mut h = Harness::new(Limits::default());
    let mut s = HalfStream::default();
    s.syn(u32::MAX - 2);
    let got = h.stream(&mut s, &[(0, b"cd"), (u32::MAX - 1, b"ab")]);
    assert_eq!(bytes(&got), b"abcd");
}

#[test]
fn a_gap_is_given_up_when_the_stream_cap_is_reached() {
    let mut h = Harness::new(Limits {
        stream_pending: 8,
        ..Limits::default()
    });
    let mut s = HalfStream::default();
    // "xx" at 1..3 was never captured.
    let got = h.stream(&mut s, &[(0, b"a"), (3, b"defg"), (7, b"hijk"), (11, b"l")]);
    assert_eq!(
        got,
        vec![
            Chunk::Data(b"a"),
            Chunk::Gap(2),
            Chunk::Data(b"defg"),
            Chunk::Data(b"hijk"),
            Chunk::Data(b"l")
        ]
    );
    assert_eq!(h.drops.gap_bytes, 2);
}

#[test]
fn a_segment_over_the_caps_is_dropped_and_counted() {
    let mut h = Harness::new(Limits {
        stream_pending: 4,
        total: 6,
        ..Limits::default()
    });
    let mut s = HalfStream::default();
    let got = h.stream(&mut s, &[(0, b"a"), (5, b"toolong")]);
    assert_eq!(bytes(&got), b"a");
    assert_eq!(h.drops.pending_bytes, 7);
    // The total cap: another stream holding 4 bytes leaves 2 for this one.
    let mut other = HalfStream::default();
    h.stream(&mut other, &[(0, b"a"), (9, b"wait")]);
    h.stream(&mut s, &[(9, b"xyz")]);
    assert_eq!(h.drops.pending_bytes, 10);
}

#[test]
fn flush_delivers_what_waits_behind_gaps() {
    let mut h = Harness::new(Limits::default());
    let mut s = HalfStream::default();
    h.stream(&mut s, &[(0, b"a"), (3, b"d")]);
    let mut got = Vec::new();
    s.flush(&mut h.ctx(), &mut |c| got.push(owned(c)));
    assert_eq!(got, vec![Chunk::Gap(2), Chunk::Data(b"d")]);
}

fn frame(framer: &mut ClcFramer, pieces: &[&[u8]]) -> Vec<Vec<Framed>> {
    pieces
        .iter()
        .map(|p| {
            let mut out = Vec::new();
            framer.feed(Chunk::Data(p), &mut out);
            out
        })
        .collect()
}

fn record(offset: u64, bytes: Vec<u8>) -> Framed {
    Framed::Clc(ClcRecord { offset, bytes })
}

#[test]
fn clc_split_across_segments_completes_in_the_last() {
    let proposal = clc(1, 52);
    let mut f = ClcFramer::at_start(100);
    let got = frame(&mut f, &[&proposal[..3], &proposal[3..30], &proposal[30..]]);
    assert_eq!(got, vec![vec![], vec![], vec![record(0, proposal)]]);
}

#[test]
fn several_clc_in_one_segment() {
    let (accept, confirm) = (clc(2, 68), clc(3, 68));
    let mut f = ClcFramer::at_start(100);
    let both = [accept.clone(), confirm.clone()].concat();
    let got = frame(&mut f, &[&both]);
    assert_eq!(got, vec![vec![record(0, accept), record(68, confirm)]]);
    assert_eq!(f.ended(), Some(ClcEnd::SmcMode));
}

#[test]
fn decline_ends_clc_and_fallback_data_follows() {
    let decline = clc(4, 28);
    let mut f = ClcFramer::at_start(100);
    let stream = [decline.clone(), b"GET / HTTP/1.1".to_vec()].concat();
    let got = frame(&mut f, &[&stream, b"more"]);
    assert_eq!(got, vec![vec![record(0, decline)], vec![]]);
    assert_eq!(f.ended(), Some(ClcEnd::Fallback));
}

#[test]
fn garbage_where_clc_belongs_is_reported_then_scanned_past() {
    let proposal = clc(1, 52);
    let mut f = ClcFramer::at_start(100);
    let got = frame(&mut f, &[&[b"junk".as_slice(), &proposal].concat()]);
    assert!(
        matches!(&got[0][0], Framed::Garbage { offset: 0, reason: NotClc::Header(e) } if e.field == "header.eyecatcher")
    );
    assert_eq!(got[0][1..], [record(4, proposal)]);
}

#[test]
fn mid_stream_scan_finds_clc_and_gives_up_at_its_limit() {
    let accept = clc(2, 68);
    let mut f = ClcFramer::mid_stream(100);
    // The eyecatcher is split across segments; a fake header without trailer is skipped.
    let fake = [0xe2, 0xd4, 0xc3, 0xd9, 4, 0, 28, 0x10, 1, 2, 3, 4];
    let stream = [b"data".as_slice(), &fake, &accept].concat();
    let got = frame(&mut f, &[&stream[..17], &stream[17..]]);
    assert_eq!(got, vec![vec![], vec![record(16, accept)]]);

    let mut f = ClcFramer::mid_stream(10);
    frame(&mut f, &[&[0u8; 11]]);
    assert_eq!(f.ended(), Some(ClcEnd::NotFound));
}

#[test]
fn gap_inside_a_clc_message_is_reported() {
    let (proposal, next) = (clc(1, 52), clc(1, 52));
    let mut f = ClcFramer::at_start(100);
    let mut out = Vec::new();
    f.feed(Chunk::Data(&proposal[..20]), &mut out);
    f.feed(Chunk::Gap(32), &mut out);
    f.feed(Chunk::Data(&next), &mut out);
    assert_eq!(
        out,
        vec![
            Framed::Garbage {
                offset: 0,
                reason: NotClc::CutByGap
            },
            record(52, next)
        ]
    );
}

fn addr(last: u8) -> IpAddr {
    IpAddr::V4(Ipv4Addr::new(10, 0, 0, last))
}

fn seg<'a>(seq: u32, flags: &str, payload: &'a [u8]) -> TcpSegment<'a> {
    TcpSegment {
        src_port: 0,
        dst_port: 0,
        seq,
        ack: 0,
        syn: flags.contains('S'),
        ack_flag: flags.contains('A'),
        fin: flags.contains('F'),
        rst: flags.contains('R'),
        options: &[],
        payload,
    }
}

/// Runs segments (from client?, seq, flags, smc option, payload) through a connection table.
fn connection(segs: &[(bool, u32, &str, bool, &[u8])]) -> Vec<Vec<TcpEvent>> {
    let mut h = Harness::new(Limits::default());
    let mut conns = Connections::default();
    let (c, s) = (
        Ip {
            src: addr(1),
            dst: addr(2),
        },
        Ip {
            src: addr(2),
            dst: addr(1),
        },
    );
    segs.iter()
        .map(|&(from_client, seq, flags, opt, payload)| {
            let mut out = Vec::new();
            let mut tcp = seg(seq, flags, payload);
            (tcp.src_port, tcp.dst_port) = if from_client { (40000, 5000) } else { (5000, 40000) };
            conns.segment(
                if from_client { &c } else { &s },
                &tcp,
                opt,
                &mut h.ctx(),
                &mut out,
            );
            out.into_iter().map(|(_, e)| e).collect()
        })
        .collect()
}

#[test]
fn syn_ack_without_option_means_no_clc() {
    let got = connection(&[
        (true, 0, "S", true, b""),
        (false, 500, "SA", false, b""),
        (true, 1, "A", false, &clc(1, 52)),
    ]);
    let syn = TcpEvent::SmcOption {
        syn_ack: false,
        present: true,
    };
    let syn_ack = TcpEvent::SmcOption {
        syn_ack: true,
        present: false,
    };
    assert_eq!(got, vec![vec![syn], vec![syn_ack], vec![]]);
}

#[test]
fn handshake_then_clc_both_ways() {
    let (proposal, accept, decline) = (clc(1, 52), clc(2, 68), clc(4, 28));
    let got = connection(&[
        (true, 0, "S", true, b""),
        (false, 500, "SA", true, b""),
        (true, 1, "A", false, &proposal),
        (false, 501, "A", false, &accept),
        (true, 53, "A", false, &decline),
        (false, 569, "A", false, b"fallback data"),
    ]);
    assert_eq!(got[2], vec![TcpEvent::Framed(record(0, proposal))]);
    assert_eq!(got[3], vec![TcpEvent::Framed(record(0, accept))]);
    assert_eq!(got[4], vec![TcpEvent::Framed(record(52, decline))]);
    assert!(got[5].is_empty());
}

#[test]
fn connection_cap_counts_untracked_segments() {
    let mut h = Harness::new(Limits {
        connections: 1,
        ..Limits::default()
    });
    let mut conns = Connections::default();
    let mut out = Vec::new();
    let mut other = seg(0, "S", b"");
    other.src_port = 1;
    conns.segment(
        &Ip {
            src: addr(1),
            dst: addr(2),
        },
        &seg(0, "S", b""),
        false,
        &mut h.ctx(),
        &mut out,
    );
    conns.segment(
        &Ip {
            src: addr(1),
            dst: addr(2),
        },
        &other,
        false,
        &mut h.ctx(),
        &mut out,
    );
    assert_eq!(h.drops.untracked_segments, 1);
}

proptest::proptest! {
    /// The table's integer key orders ends as Flow::key does and turns back into its ConnKey.
    #[test]
    fn table_key_matches_flow_key(
        a in proptest::prelude::any::<(bool, u128, u16)>(),
        b in proptest::prelude::any::<(bool, u128, u16)>(),
        same_ip in proptest::prelude::any::<bool>(),
    ) {
        let ip = |(v6, bits, _): (bool, u128, u16)| -> IpAddr {
            if v6 { IpAddr::V6(bits.into()) } else { IpAddr::V4((bits as u32).into()) }
        };
        let (src_ip, dst_ip) = (ip(a), if same_ip { ip(a) } else { ip(b) });
        let flow = Flow { src: SocketAddr::new(src_ip, a.2), dst: SocketAddr::new(dst_ip, b.2) };
        let (ends, side) = Ends::of(End::new(src_ip, a.2), End::new(dst_ip, b.2));
        proptest::prop_assert_eq!((ends.conn_key(), side), flow.key());
    }
}

#[test]
fn connections_left_at_the_end_flush_in_the_order_of_their_ends() {
    let mut h = Harness::new(Limits::default());
    let mut conns = Connections::default();
    let client = Ip {
        src: addr(1),
        dst: addr(2),
    };
    // Eight connections, the higher ports first; each sends half a Proposal.
    let proposal = clc(1, 52);
    for port in (40000..40008).rev() {
        let mut syn = seg(0, "S", b"");
        (syn.src_port, syn.dst_port) = (port, 5000);
        let mut data = seg(1, "A", &proposal[..20]);
        (data.src_port, data.dst_port) = (port, 5000);
        for s in [syn, data] {
            conns.segment(&client, &s, false, &mut h.ctx(), &mut Vec::new());
        }
    }
    let mut out = Vec::new();
    conns.finish(&mut h.ctx(), &mut out);
    let ports: Vec<u16> = out.iter().map(|(flow, _)| flow.src.port()).collect();
    // The table's own order follows a per-run seed; eight in order by chance is 1 in 40320.
    assert_eq!(ports, (40000..40008).collect::<Vec<_>>(), "{out:?}");
}
