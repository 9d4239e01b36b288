//! One direction of a TCP connection turned back into a byte stream:
//! retransmitted and overlapping bytes are delivered once, out-of-order
//! segments wait (bounded) for the gap before them, and a gap that never
//! fills is given up on and reported as a [`Chunk::Gap`].

use super::limits::Ctx;
use std::collections::BTreeMap;

/// A piece of the stream, in order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Chunk<'a> {
    Data(&'a [u8]),
    /// This many bytes were never seen.
    Gap(u64),
}

#[derive(Debug, Default)]
pub(crate) struct HalfStream {
    /// Sequence number of stream offset 0, set by the SYN or the first segment.
    base: Option<u32>,
    /// Stream offset of the next byte to deliver.
    delivered: u64,
    /// Out-of-order segments by stream offset.
    pending: BTreeMap<u64, Vec<u8>>,
    pending_len: usize,
}

impl HalfStream {
    pub fn syn(&mut self, seq: u32) {
        if self.base.is_none() {
            self.base = Some(seq.wrapping_add(1));
        }
    }

    /// Takes one segment's payload; hands every byte that is now in order to `out`.
    pub fn segment(&mut self, seq: u32, data: &[u8], ctx: &mut Ctx, out: &mut impl FnMut(Chunk)) {
        if data.is_empty() {
            return;
        }
        let base = *self.base.get_or_insert(seq);
        // Truncation to u32 is the sequence space's own wrap.
        let next = base.wrapping_add(self.delivered as u32);
        let ahead = i64::from(seq.wrapping_sub(next) as i32);
        let len = data.len() as u64;
        if ahead <= 0 {
            let behind = ahead.unsigned_abs();
            if behind >= len {
                ctx.drops.duplicate_bytes += len;
                return;
            }
            ctx.drops.duplicate_bytes += behind;
            self.deliver(data.get(behind as usize..).unwrap_or_default(), out);
            self.drain(ctx, out);
        } else {
            self.hold(self.delivered + ahead.unsigned_abs(), data, ctx, out);
        }
    }

    /// End of input: give up on every gap and deliver what waits.
    pub fn flush(&mut self, ctx: &mut Ctx, out: &mut impl FnMut(Chunk)) {
        while !self.pending.is_empty() {
            self.skip_gap(ctx, out);
        }
    }

    /// Releases every buffered byte: the stream is no longer analysed.
    pub fn clear(&mut self, ctx: &mut Ctx) {
        ctx.budget.give(self.pending_len);
        self.pending.clear();
        self.pending_len = 0;
    }

    fn hold(&mut self, at: u64, data: &[u8], ctx: &mut Ctx, out: &mut impl FnMut(Chunk)) {
        if data.len() > ctx.limits.stream_pending {
            ctx.drops.pending_bytes += data.len() as u64;
            return;
        }
        // At a cap, the oldest gap is given up on: capture loss never refills it.
        while !self.fits(data.len(), ctx) && !self.pending.is_empty() {
            self.skip_gap(ctx, out);
        }
        if at <= self.delivered {
            // Skipping gaps caught up with this segment.
            let skip = (self.delivered - at).min(data.len() as u64);
            ctx.drops.duplicate_bytes += skip;
            self.deliver(data.get(skip as usize..).unwrap_or_default(), out);
            self.drain(ctx, out);
            return;
        }
        if self.pending.get(&at).is_some_and(|kept| kept.len() >= data.len()) {
            ctx.drops.duplicate_bytes += data.len() as u64;
            return;
        }
        if !ctx.budget.take(data.len()) {
            ctx.drops.pending_bytes += data.len() as u64;
            return;
        }
        self.pending_len += data.len();
        if let Some(shorter) = self.pending.insert(at, data.to_vec()) {
            ctx.drops.duplicate_bytes += shorter.len() as u64;
            self.pending_len -= shorter.len();
            ctx.budget.give(shorter.len());
        }
    }

    fn fits(&self, n: usize, ctx: &Ctx) -> bool {
        self.pending_len + n <= ctx.limits.stream_pending && ctx.budget.has(n)
    }

    fn deliver(&mut self, data: &[u8], out: &mut impl FnMut(Chunk)) {
        if !data.is_empty() {
            self.delivered += data.len() as u64;
            out(Chunk::Data(data));
        }
    }

    /// Delivers waiting segments that the stream has reached.
    fn drain(&mut self, ctx: &mut Ctx, out: &mut impl FnMut(Chunk)) {
        while let Some(entry) = self.pending.first_entry() {
            if *entry.key() > self.delivered {
                break;
            }
            let at = *entry.key();
            let data = entry.remove();
            self.pending_len -= data.len();
            ctx.budget.give(data.len());
            let skip = (self.delivered - at).min(data.len() as u64);
            ctx.drops.duplicate_bytes += skip;
            self.deliver(data.get(skip as usize..).unwrap_or_default(), out);
        }
    }

    /// Gives up on the gap before the first waiting segment.
    fn skip_gap(&mut self, ctx: &mut Ctx, out: &mut impl FnMut(Chunk)) {
        if let Some((&at, _)) = self.pending.first_key_value() {
            if at > self.delivered {
                let gap = at - self.delivered;
                ctx.drops.gap_bytes += gap;
                self.delivered = at;
                out(Chunk::Gap(gap));
            }
        }
        self.drain(ctx, out);
    }
}
