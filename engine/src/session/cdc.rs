//! A connection's data path on SMC-R: CDC messages (by alert token) and the
//! RDMA WRITEs into the peer's RMB (by rkey), with their rules.

use super::model::*;
use super::Analyzer;
use crate::pipeline::reassembly::WriteTarget;
use crate::pipeline::Event;
use crate::rules::{self, Rule};
use dissect::cdc::{seq_before, ConnStateFlags, Cursor, ProducerFlags, SmcrCdc};

/// One sender's CDC stream.
#[derive(Debug, Default, Clone, Copy)]
pub(super) struct CdcSide {
    seq: Option<u16>,
    producer: Cursor,
    consumer: Cursor,
    /// Bytes the producer cursor announced, and bytes written by RDMA.
    announced: u64,
    written: u64,
    /// Frame of the CDC that said done writing or closed.
    closed_at: Option<u64>,
    /// The sender said its connection is closed or aborted.
    pub(super) closed: bool,
}

/// How a cursor moved.
enum Move {
    Backwards,
    /// Outside the ring or more than one ring ahead.
    Beyond,
    Advance(u32),
}

fn moved(old: Cursor, new: Cursor, ring: Option<u32>) -> Move {
    if ring.is_some_and(|r| new.count >= r) {
        return Move::Beyond;
    }
    if (new.wrap.wrapping_sub(old.wrap) as i16) < 0 || (new.wrap == old.wrap && new.count < old.count) {
        return Move::Backwards;
    }
    match ring {
        Some(r) => old.distance_to(new, r).map_or(Move::Beyond, Move::Advance),
        None => Move::Advance(0),
    }
}

impl Analyzer {
    pub(super) fn cdc(
        &mut self,
        ev: &Event,
        (lgr, receiver): (u32, Side),
        c: &SmcrCdc,
        out: &mut Vec<Update>,
    ) -> Option<u32> {
        let sender = receiver.peer();
        let g = self.lgrs.get_mut(&lgr)?;
        g.last = self.now;
        let Some(&id) = g.conns.get(&(receiver, c.token)) else {
            let late = g.retired.contains(&(receiver, c.token));
            if g.whole && !late && self.lgr_once(lgr, rules::CDC_UNKNOWN_TOKEN) {
                let detail = format!("token {:#x} to the {}", c.token, receiver.name());
                self.report(
                    out,
                    rules::CDC_UNKNOWN_TOKEN,
                    vec![ev.frame],
                    (None, Some(lgr)),
                    detail,
                );
            }
            return None;
        };
        let t = self.sessions.get_mut(&id)?;
        let smcr = t.session.smcr.get_or_insert_with(SmcrSeen::default);
        smcr.cdc[sender.index()] += 1;
        // A failover validation CDC repeats the last sequence number and carries no cursors.
        if c.producer_flags.contains(ProducerFlags::FAILOVER_VALIDATION) {
            return Some(id);
        }
        let rings = smcr.rmb.map(|r| r.map(|r| r.size));
        let (produce_ring, consume_ring) = (rings[receiver.index()], rings[sender.index()]);
        let h = &mut t.state;
        h.last = self.now;
        let peer_consumer = h.cdc[receiver.index()].consumer;
        let st = &mut h.cdc[sender.index()];
        let mut found: Vec<(&'static Rule, String)> = Vec::new();
        if let Some(last) = st.seq.filter(|&last| !seq_before(last, c.seqno)) {
            found.push((rules::CDC_SEQ_ORDER, format!("seqno {} after {last}", c.seqno)));
        }
        st.seq = Some(c.seqno);
        match moved(st.producer, c.producer, produce_ring) {
            Move::Backwards => found.push((
                rules::CDC_CURSOR_BACKWARDS,
                cursor_move("producer", st.producer, c.producer),
            )),
            Move::Beyond => found.push((
                rules::CDC_CURSOR_BEYOND_RING,
                beyond("producer", c.producer, produce_ring),
            )),
            Move::Advance(n) => {
                st.announced += u64::from(n);
                st.producer = c.producer;
                if n > 0 && st.closed_at.is_some() {
                    found.push((
                        rules::CDC_DATA_AFTER_CLOSE,
                        format!("producer advanced {n} bytes after close"),
                    ));
                }
                if st.announced > st.written {
                    let detail = format!("{} bytes announced, {} written", st.announced, st.written);
                    found.push((rules::CDC_PRODUCER_WITHOUT_WRITE, detail));
                }
                if let Some(ring) =
                    produce_ring.filter(|&r| peer_consumer.distance_to(c.producer, r).is_none())
                {
                    let detail = format!(
                        "producer {} overruns the peer's consumer {} in a {ring}-byte ring",
                        fmt(c.producer),
                        fmt(peer_consumer)
                    );
                    found.push((rules::CDC_CURSOR_BEYOND_RING, detail));
                }
            }
        }
        match moved(st.consumer, c.consumer, consume_ring) {
            Move::Backwards => found.push((
                rules::CDC_CURSOR_BACKWARDS,
                cursor_move("consumer", st.consumer, c.consumer),
            )),
            Move::Beyond => found.push((
                rules::CDC_CURSOR_BEYOND_RING,
                beyond("consumer", c.consumer, consume_ring),
            )),
            Move::Advance(_) => st.consumer = c.consumer,
        }
        let closing = ConnStateFlags(
            ConnStateFlags::PEER_DONE_WRITING.0
                | ConnStateFlags::PEER_CONN_CLOSED.0
                | ConnStateFlags::PEER_CONN_ABORT.0,
        );
        if c.conn_state_flags.0 & closing.0 != 0 {
            st.closed_at.get_or_insert(ev.frame);
        }
        let over = ConnStateFlags::PEER_CONN_CLOSED.0 | ConnStateFlags::PEER_CONN_ABORT.0;
        st.closed |= c.conn_state_flags.0 & over != 0;
        let closed_at = st.closed_at;
        for (rule, detail) in found {
            if t.state.once(sender, rule) {
                let frames = match (rule == rules::CDC_DATA_AFTER_CLOSE, closed_at) {
                    (true, Some(f)) => vec![f, ev.frame],
                    _ => vec![ev.frame],
                };
                let detail = format!("{}: {detail}", sender.name());
                t.report(out, self.now, rule, frames, Some(lgr), detail);
            }
        }
        t.end_if_over(out);
        Some(id)
    }

    pub(super) fn rdma_write(
        &mut self,
        ev: &Event,
        (lgr, receiver): (u32, Side),
        target: Option<&WriteTarget>,
        bytes: u64,
        out: &mut Vec<Update>,
    ) -> Option<u32> {
        let sender = receiver.peer();
        let g = self.lgrs.get_mut(&lgr)?;
        g.last = self.now;
        let t = target?;
        let Some((i, vaddr)) = g.rmb(receiver, t.rkey) else {
            if g.whole && self.lgr_once(lgr, rules::RDMA_WRONG_RKEY) {
                let detail = format!("rkey {:#x} into the {}'s RMBs", t.rkey, receiver.name());
                self.report(
                    out,
                    rules::RDMA_WRONG_RKEY,
                    vec![ev.frame],
                    (None, Some(lgr)),
                    detail,
                );
            }
            return None;
        };
        let rmb = &g.rmbs[receiver.index()][i];
        let (session, size) = (rmb.session, rmb.size);
        let end = t.vaddr.checked_add(u64::from(t.dma_length));
        let outside = size
            .is_some_and(|s| t.vaddr < vaddr || end.is_none_or(|e| e > vaddr.saturating_add(u64::from(s))));
        let id = session?;
        let live = self.sessions.get_mut(&id)?;
        if outside && live.state.once(sender, rules::RDMA_OUTSIDE_RMB) {
            let detail = format!(
                "{:#x}+{} outside the {}'s RMB {vaddr:#x}+{}",
                t.vaddr,
                t.dma_length,
                receiver.name(),
                size.unwrap_or_default()
            );
            live.report(
                out,
                self.now,
                rules::RDMA_OUTSIDE_RMB,
                vec![ev.frame],
                Some(lgr),
                detail,
            );
        }
        live.session.rdma_bytes[sender.index()] += bytes;
        let st = &mut live.state.cdc[sender.index()];
        live.state.last = self.now;
        st.written += bytes;
        if let Some(closed) = st.closed_at {
            if live.state.once(sender, rules::CDC_DATA_AFTER_CLOSE) {
                let detail = format!("{}: RDMA WRITE of {bytes} bytes after close", sender.name());
                live.report(
                    out,
                    self.now,
                    rules::CDC_DATA_AFTER_CLOSE,
                    vec![closed, ev.frame],
                    Some(lgr),
                    detail,
                );
            }
        }
        Some(id)
    }

    /// Reports `rule` for link group `lgr` only the first time.
    fn lgr_once(&mut self, lgr: u32, rule: &'static Rule) -> bool {
        let bit = super::rule_bit(rule);
        let Some(g) = self.lgrs.get_mut(&lgr) else {
            return false;
        };
        let first = g.fired & bit == 0;
        g.fired |= bit;
        first
    }
}

fn fmt(c: Cursor) -> String {
    format!("{}:{}", c.wrap, c.count)
}

fn cursor_move(which: &str, old: Cursor, new: Cursor) -> String {
    format!("{which} cursor from {} back to {}", fmt(old), fmt(new))
}

fn beyond(which: &str, c: Cursor, ring: Option<u32>) -> String {
    format!(
        "{which} cursor {} beyond the {}-byte ring",
        fmt(c),
        ring.unwrap_or_default()
    )
}
