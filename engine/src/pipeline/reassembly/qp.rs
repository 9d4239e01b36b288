//! RoCE RC traffic per queue pair: SEND First/Middle/Last joined into one
//! message (LLC or CDC for SMC-R), RDMA WRITEs accounted by rkey, address
//! and length. Requests are tracked by PSN, so a retransmission is seen once.

use super::limits::Ctx;
use std::borrow::Cow;
// As for TCP connections: seeded per run, cheaper than SipHash per packet.
use foldhash::fast::RandomState;
use std::collections::HashMap;
use std::hash::{Hash, Hasher};
use std::net::IpAddr;

/// PSNs are 24 bits.
const PSN_MASK: u32 = 0x00ff_ffff;

/// Where a packet goes: the receiver's address (the GID for RoCEv1) and QP.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct QpKey {
    pub dst: IpAddr,
    pub qp: u32,
}

/// Every RoCE request looks its QP up: an IPv4 key is hashed as one word,
/// not as the derive's discriminant and address bytes written one by one.
impl Hash for QpKey {
    fn hash<H: Hasher>(&self, state: &mut H) {
        match self.dst {
            IpAddr::V4(a) => state.write_u64(u64::from(a.to_bits()) << 32 | u64::from(self.qp)),
            IpAddr::V6(a) => {
                state.write_u128(a.to_bits());
                state.write_u32(self.qp);
            }
        }
    }
}

/// The part of a SEND or WRITE this packet is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Part {
    First,
    Middle,
    Last,
    Only,
}

/// RDMA WRITE target from the RETH of a First or Only packet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WriteTarget {
    pub vaddr: u64,
    pub rkey: u32,
    pub dma_length: u32,
}

/// The request operations reassembly follows; others are ignored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Request {
    Send(Part),
    /// The target is there on First and Only.
    Write(Part, Option<WriteTarget>),
}

/// One RoCE request packet as reassembly needs it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct QpPacket<'a> {
    pub key: QpKey,
    pub psn: u32,
    pub request: Request,
    /// Payload bytes captured.
    pub payload: &'a [u8],
    /// Payload bytes on the wire (more than `payload.len()` when cut by snaplen).
    pub wire_payload_len: usize,
}

/// What a packet completed or broke. A SEND Only is the packet's own
/// payload, borrowed; a SEND joined from parts is owned.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum QpEvent<'a> {
    /// A whole SEND message.
    Send(Cow<'a, [u8]>),
    /// A SEND whose bytes the capture cut: `captured` of `len` bytes kept.
    SendCut { captured: Cow<'a, [u8]>, len: usize },
    /// A whole RDMA WRITE; `target` is None when its First was not captured.
    Write {
        target: Option<WriteTarget>,
        bytes: u64,
        packets: u32,
    },
    /// A multi-packet SEND or WRITE could not be completed.
    Broken { reason: QpBreak },
}

/// Why a multi-packet SEND or WRITE could not be completed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum QpBreak {
    /// Packets of the message are missing.
    PsnGap,
    SendOverCap,
    SendWithoutFirst,
    SendWhileOpen,
    WriteWhileOpen,
}

impl core::fmt::Display for QpBreak {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(match self {
            QpBreak::PsnGap => "packets missing (PSN gap)",
            QpBreak::SendOverCap => "SEND message over the reassembly cap",
            QpBreak::SendWithoutFirst => "SEND Middle or Last without its First",
            QpBreak::SendWhileOpen => "SEND First or Only while a SEND was open",
            QpBreak::WriteWhileOpen => "RDMA WRITE First or Only while a WRITE was open",
        })
    }
}

#[derive(Debug, Default)]
struct Qp {
    /// Capture time (seconds) of the latest packet.
    last_seen: i64,
    next_psn: Option<u32>,
    send: Option<Send>,
    write: Option<Write>,
}

#[derive(Debug)]
struct Send {
    buf: Vec<u8>,
    wire_len: usize,
    /// PSN of its First packet.
    first_psn: u32,
}

#[derive(Debug, Clone, Copy)]
struct Write {
    target: Option<WriteTarget>,
    bytes: u64,
    packets: u32,
}

/// The QPs followed: their state in a Vec, found by key through `index`.
/// The last packet's QP is tried first: a WRITE's packets, and the CDC
/// SEND after them, come back to back on one QP.
#[derive(Debug, Default)]
pub(crate) struct Qps {
    states: Vec<(QpKey, Qp)>,
    /// Where each key's state is in `states`.
    index: HashMap<QpKey, usize, RandomState>,
    /// Where the last packet's QP was; its key is checked before use
    /// (pruning moves states).
    last: usize,
}

impl Qps {
    pub fn len(&self) -> usize {
        self.states.len()
    }

    /// Lets go of QPs without a packet since `before`; a SEND left open
    /// there is dropped (counted) with its buffered bytes.
    pub fn prune_idle(&mut self, before: i64, ctx: &mut Ctx) {
        let held = self.states.len();
        self.states.retain_mut(|(_, qp)| {
            if qp.last_seen >= before {
                return true;
            }
            if let Some(send) = qp.send.take() {
                ctx.budget.give(send.buf.len());
                ctx.drops.send_fragments += 1;
            }
            ctx.pruned.idle_qps += 1;
            false
        });
        if self.states.len() < held {
            self.index.clear();
            self.index
                .extend(self.states.iter().enumerate().map(|(i, (key, _))| (*key, i)));
        }
    }

    /// The state of the QP `key` names, made when there is room for it.
    #[inline]
    fn find(&mut self, key: &QpKey, limit: usize) -> Option<&mut Qp> {
        if !matches!(self.states.get(self.last), Some((k, _)) if k == key) {
            self.last = self.lookup(key, limit)?;
        }
        self.states.get_mut(self.last).map(|(_, qp)| qp)
    }

    /// Where the state of `key` is, or where it was put when there was room.
    fn lookup(&mut self, key: &QpKey, limit: usize) -> Option<usize> {
        if let Some(&i) = self.index.get(key) {
            return Some(i);
        }
        if self.states.len() >= limit {
            return None;
        }
        self.index.insert(*key, self.states.len());
        self.states.push((*key, Qp::default()));
        Some(self.states.len() - 1)
    }

    /// Takes one request packet; what it completes or breaks goes to `out`
    /// with the PSN of the message's first packet (this packet's PSN is the last).
    pub fn packet<'a>(&mut self, p: &QpPacket<'a>, ctx: &mut Ctx, out: &mut impl FnMut(QpEvent<'a>, u32)) {
        // The lookup takes a key of its own: the packet's fields stay in registers.
        let key = p.key;
        let Some(qp) = self.find(&key, ctx.limits.qps) else {
            ctx.drops.untracked_packets += 1;
            return;
        };
        qp.last_seen = ctx.now;
        let psn = p.psn & PSN_MASK;
        if let Some(next) = qp.next_psn {
            // Signed 24-bit distance: behind means already seen.
            let ahead = ((psn.wrapping_sub(next) & PSN_MASK) << 8) as i32 >> 8;
            if ahead < 0 {
                ctx.drops.duplicate_packets += 1;
                return;
            }
            if ahead > 0 {
                qp.broken(QpBreak::PsnGap, psn, ctx, out);
            }
        }
        qp.next_psn = Some((psn + 1) & PSN_MASK);
        match p.request {
            // Fields, not the packet: a packet kept in registers stays there.
            Request::Send(part) => qp.send(part, psn, p.payload, p.wire_payload_len, ctx, out),
            Request::Write(part, target) => qp.write(part, target, psn, p.wire_payload_len, out),
        }
    }
}

impl Qp {
    fn send<'a>(
        &mut self,
        part: Part,
        psn: u32,
        payload: &'a [u8],
        wire_len: usize,
        ctx: &mut Ctx,
        out: &mut impl FnMut(QpEvent<'a>, u32),
    ) {
        if matches!(part, Part::First | Part::Only) && self.send.is_some() {
            self.broken_send(QpBreak::SendWhileOpen, psn, ctx, out);
        }
        if part == Part::Only {
            // Nothing to join: the message is the packet's payload, not buffered.
            if wire_len > ctx.limits.send_message {
                ctx.drops.send_fragments += 1;
                out(
                    QpEvent::Broken {
                        reason: QpBreak::SendOverCap,
                    },
                    psn,
                );
            } else {
                out(sent(payload.into(), wire_len), psn);
            }
            return;
        }
        if matches!(part, Part::Middle | Part::Last) && self.send.is_none() {
            ctx.drops.send_fragments += 1;
            out(
                QpEvent::Broken {
                    reason: QpBreak::SendWithoutFirst,
                },
                psn,
            );
            return;
        }
        let mut send = self.send.take().unwrap_or(Send {
            buf: Vec::new(),
            wire_len: 0,
            first_psn: psn,
        });
        let fits = send.wire_len + wire_len <= ctx.limits.send_message;
        if !fits || !ctx.budget.take(payload.len()) {
            ctx.budget.give(send.buf.len());
            ctx.drops.send_fragments += 1;
            out(
                QpEvent::Broken {
                    reason: QpBreak::SendOverCap,
                },
                send.first_psn,
            );
            return;
        }
        send.buf.extend_from_slice(payload);
        send.wire_len += wire_len;
        if matches!(part, Part::First | Part::Middle) {
            self.send = Some(send);
            return;
        }
        ctx.budget.give(send.buf.len());
        out(sent(send.buf.into(), send.wire_len), send.first_psn);
    }

    fn write<'a>(
        &mut self,
        part: Part,
        target: Option<WriteTarget>,
        psn: u32,
        wire_len: usize,
        out: &mut impl FnMut(QpEvent<'a>, u32),
    ) {
        if matches!(part, Part::First | Part::Only) && self.write.is_some() {
            self.write = None;
            out(
                QpEvent::Broken {
                    reason: QpBreak::WriteWhileOpen,
                },
                psn,
            );
        }
        // Counted in place: most packets are a Middle of an open WRITE.
        let write = self.write.get_or_insert(Write {
            target,
            bytes: 0,
            packets: 0,
        });
        write.bytes += wire_len as u64;
        write.packets += 1;
        if matches!(part, Part::Last | Part::Only) {
            let Write {
                target,
                bytes,
                packets,
            } = *write;
            self.write = None;
            // Its packets had consecutive PSNs: a gap breaks a WRITE.
            let first = psn.wrapping_sub(packets - 1) & PSN_MASK;
            out(
                QpEvent::Write {
                    target,
                    bytes,
                    packets,
                },
                first,
            );
        }
    }

    /// Drops an open SEND or WRITE that can no longer complete (seen at `psn`).
    fn broken<'a>(
        &mut self,
        reason: QpBreak,
        psn: u32,
        ctx: &mut Ctx,
        out: &mut impl FnMut(QpEvent<'a>, u32),
    ) {
        if self.send.is_some() {
            self.broken_send(reason, psn, ctx, out);
        }
        if self.write.take().is_some() {
            out(QpEvent::Broken { reason }, psn);
        }
    }

    fn broken_send<'a>(
        &mut self,
        reason: QpBreak,
        psn: u32,
        ctx: &mut Ctx,
        out: &mut impl FnMut(QpEvent<'a>, u32),
    ) {
        if let Some(send) = self.send.take() {
            ctx.budget.give(send.buf.len());
            ctx.drops.send_fragments += 1;
            out(QpEvent::Broken { reason }, psn);
        }
    }
}

/// A complete SEND, or a cut one when fewer than `wire_len` bytes were captured.
fn sent(bytes: Cow<'_, [u8]>, wire_len: usize) -> QpEvent<'_> {
    if bytes.len() < wire_len {
        QpEvent::SendCut {
            captured: bytes,
            len: wire_len,
        }
    } else {
        QpEvent::Send(bytes)
    }
}

#[cfg(test)]
mod tests {
    use super::super::limits::{Budget, Drops, Limits, Pruned};
    use super::*;
    use std::net::Ipv4Addr;

    const KEY: QpKey = QpKey {
        dst: IpAddr::V4(Ipv4Addr::LOCALHOST),
        qp: 0x11,
    };

    fn run<'a>(limits: Limits, packets: &[(u32, Request, &'a [u8], usize)]) -> (Vec<QpEvent<'a>>, Drops) {
        let mut out = Vec::new();
        let drops = run_with(limits, packets, &mut |e, _| out.push(e));
        (out, drops)
    }

    /// The packets through one QP's reassembly; what completes goes to `out`.
    fn run_with<'a>(
        limits: Limits,
        packets: &[(u32, Request, &'a [u8], usize)],
        out: &mut impl FnMut(QpEvent<'a>, u32),
    ) -> Drops {
        let (mut budget, mut drops, mut qps) = (Budget::new(limits.total), Drops::default(), Qps::default());
        for &(psn, request, payload, wire_payload_len) in packets {
            let p = QpPacket {
                key: KEY,
                psn,
                request,
                payload,
                wire_payload_len,
            };
            qps.packet(
                &p,
                &mut Ctx {
                    limits: &limits,
                    budget: &mut budget,
                    drops: &mut drops,
                    pruned: &mut Pruned::default(),
                    now: 0,
                },
                out,
            );
        }
        assert!(budget.has(limits.total), "every buffered byte returned");
        drops
    }

    /// An export finds a message's packets by PSN: each message says its first.
    #[test]
    fn a_message_says_the_psn_of_its_first_packet() {
        let write = |part| Request::Write(part, None);
        let mut firsts = Vec::new();
        run_with(
            Limits::default(),
            &[
                (0xff_fffe, write(Part::First), b"", 1024),
                (0xff_ffff, write(Part::Middle), b"", 1024),
                (0, write(Part::Last), b"", 1024),
                (1, FIRST, b"ab", 2),
                (2, Request::Send(Part::Middle), b"cd", 2),
                (3, LAST, b"ef", 2),
                (4, Request::Send(Part::Only), b"g", 1),
                (5, write(Part::Only), b"", 8),
            ],
            &mut |e, first| firsts.push((std::mem::discriminant(&e), first)),
        );
        let (write, send) = (
            std::mem::discriminant(&QpEvent::Write {
                target: None,
                bytes: 0,
                packets: 0,
            }),
            std::mem::discriminant(&QpEvent::Send(b""[..].into())),
        );
        assert_eq!(firsts, [(write, 0xff_fffe), (send, 1), (send, 4), (write, 5)]);
    }

    /// One packet of `payload` to QP `qp` at time `now`.
    fn feed(
        qps: &mut Qps,
        now: i64,
        qp: u32,
        (psn, request): (u32, Request),
        payload: &'static [u8],
    ) -> Vec<QpEvent<'static>> {
        let limits = Limits::default();
        let p = QpPacket {
            key: QpKey { qp, ..KEY },
            psn,
            request,
            payload,
            wire_payload_len: payload.len(),
        };
        let mut out = Vec::new();
        let ctx = &mut Ctx {
            limits: &limits,
            budget: &mut Budget::new(limits.total),
            drops: &mut Drops::default(),
            pruned: &mut Pruned::default(),
            now,
        };
        qps.packet(&p, ctx, &mut |e, _| out.push(e));
        out
    }

    #[test]
    fn pruning_an_idle_qp_keeps_the_others_state() {
        let mut qps = Qps::default();
        for qp in [1, 2, 3] {
            assert_eq!(feed(&mut qps, 0, qp, (1, FIRST), b"a"), []);
        }
        for qp in [2, 3] {
            assert_eq!(feed(&mut qps, 100, qp, (2, MIDDLE), b"b"), []);
        }
        let limits = Limits::default();
        let mut pruned = Pruned::default();
        qps.prune_idle(
            50,
            &mut Ctx {
                limits: &limits,
                budget: &mut Budget::new(limits.total),
                drops: &mut Drops::default(),
                pruned: &mut pruned,
                now: 100,
            },
        );
        assert_eq!((pruned.idle_qps, qps.len()), (1, 2));
        for qp in [3, 2] {
            assert_eq!(
                feed(&mut qps, 100, qp, (3, LAST), b"c"),
                [QpEvent::Send(b"abc"[..].into())]
            );
        }
        let reason = QpBreak::SendWithoutFirst;
        assert_eq!(
            feed(&mut qps, 100, 1, (2, LAST), b"c"),
            [QpEvent::Broken { reason }]
        );
        assert_eq!(qps.len(), 3);
    }

    const FIRST: Request = Request::Send(Part::First);
    const MIDDLE: Request = Request::Send(Part::Middle);
    const LAST: Request = Request::Send(Part::Last);

    #[test]
    fn send_first_middle_last_is_one_message_and_retransmissions_are_ignored() {
        let (out, drops) = run(
            Limits::default(),
            &[
                (7, FIRST, b"ab", 2),
                (8, MIDDLE, b"cd", 2),
                (8, MIDDLE, b"cd", 2),
                (9, LAST, b"e", 1),
            ],
        );
        assert_eq!(out, vec![QpEvent::Send(b"abcde"[..].into())]);
        assert_eq!(drops.duplicate_packets, 1);
    }

    #[test]
    fn psn_wraps_at_24_bits() {
        let (out, _) = run(
            Limits::default(),
            &[(PSN_MASK, FIRST, b"a", 1), (0, LAST, b"b", 1)],
        );
        assert_eq!(out, vec![QpEvent::Send(b"ab"[..].into())]);
    }

    #[test]
    fn a_psn_gap_breaks_the_open_send() {
        let (out, drops) = run(Limits::default(), &[(1, FIRST, b"a", 1), (3, LAST, b"c", 1)]);
        let reason = QpBreak::PsnGap;
        assert_eq!(
            out,
            vec![
                QpEvent::Broken { reason },
                QpEvent::Broken {
                    reason: QpBreak::SendWithoutFirst
                }
            ]
        );
        assert_eq!(drops.send_fragments, 2);
    }

    #[test]
    fn send_over_the_cap_is_dropped() {
        let limits = Limits {
            send_message: 3,
            ..Limits::default()
        };
        let (out, drops) = run(limits, &[(1, FIRST, b"ab", 2), (2, LAST, b"cd", 2)]);
        assert_eq!(
            out,
            vec![QpEvent::Broken {
                reason: QpBreak::SendOverCap
            }]
        );
        assert_eq!(drops.send_fragments, 1);
    }

    #[test]
    fn cut_send_is_reported_with_what_was_captured() {
        let (out, _) = run(Limits::default(), &[(1, Request::Send(Part::Only), b"ab", 44)]);
        assert_eq!(
            out,
            vec![QpEvent::SendCut {
                captured: b"ab"[..].into(),
                len: 44
            }]
        );
    }

    #[test]
    fn rdma_write_is_accounted_by_target() {
        let target = WriteTarget {
            vaddr: 0x1000,
            rkey: 0xabc,
            dma_length: 5000,
        };
        let (out, _) = run(
            Limits::default(),
            &[
                (1, Request::Write(Part::First, Some(target)), b"", 4096),
                (2, Request::Write(Part::Last, None), b"", 904),
                (3, Request::Write(Part::Last, None), b"", 10),
            ],
        );
        assert_eq!(
            out,
            vec![
                QpEvent::Write {
                    target: Some(target),
                    bytes: 5000,
                    packets: 2
                },
                QpEvent::Write {
                    target: None,
                    bytes: 10,
                    packets: 1
                },
            ]
        );
    }
}
