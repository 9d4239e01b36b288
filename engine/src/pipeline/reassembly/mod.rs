//! Reassembly, sans-IO: TCP segments and RoCE packets from the decoded
//! frames in; out come TCP streams framed into CLC messages, and RoCE SENDs
//! and WRITEs per QP.
//!
//! Memory is bounded everywhere: [`Limits`] caps what reassembly buffers, and
//! whatever is dropped for a cap is counted in [`Drops`], never lost silently.

mod clc_framer;
mod limits;
mod qp;
mod stream;
mod tcp;

pub use clc_framer::{ClcEnd, ClcRecord, Framed, NotClc};
pub use limits::{Drops, Limits, Pruned};
pub use qp::{Part, QpBreak, QpEvent, QpKey, QpPacket, Request, WriteTarget};
pub use stream::Chunk;
pub use tcp::{ConnKey, Flow, TcpEvent};

use dissect::capture::{Ip, TcpSegment};

use limits::{Budget, Ctx};
use qp::Qps;
use tcp::Connections;

/// All reassembly state of one capture: TCP connections and RoCE QPs,
/// sharing one memory budget.
#[derive(Debug)]
pub struct Reassembly {
    limits: Limits,
    budget: Budget,
    drops: Drops,
    pruned: Pruned,
    tcp: Connections,
    qps: Qps,
    /// Capture time (seconds) of the latest packet.
    now: i64,
    /// When the tables are next checked for idle state, and the packets
    /// since the last check (a check costs one step per entry, paid for by
    /// as many packets).
    next_sweep: i64,
    since_sweep: usize,
}

impl Reassembly {
    pub fn new(limits: Limits) -> Self {
        Reassembly {
            limits,
            budget: Budget::new(limits.total),
            drops: Drops::default(),
            pruned: Pruned::default(),
            tcp: Connections::default(),
            qps: Qps::default(),
            now: 0,
            next_sweep: i64::MIN,
            since_sweep: 0,
        }
    }

    /// Capture time moved on to `now` (seconds), before the packet of that
    /// time is handed in. Connections and QPs idle for longer than
    /// [`Limits::idle_secs`] are let go; what waited in them goes to `out`.
    /// Inline: every frame pays the check, few the sweep.
    #[inline]
    pub fn advance(&mut self, now: i64, out: &mut Vec<(Flow, TcpEvent)>) {
        self.now = now;
        self.since_sweep += 1;
        if now < self.next_sweep || self.since_sweep < self.tcp.len() + self.qps.len() {
            return;
        }
        self.sweep(now, out);
    }

    #[cold]
    fn sweep(&mut self, now: i64, out: &mut Vec<(Flow, TcpEvent)>) {
        self.next_sweep = now.saturating_add(1);
        self.since_sweep = 0;
        let before = now.saturating_sub(self.limits.idle_secs.into());
        let (mut ctx, tcp, qps) = self.parts();
        tcp.prune_idle(before, &mut ctx, out);
        qps.prune_idle(before, &mut ctx);
    }

    /// Takes one TCP segment; `smc_option` says whether its options hold the
    /// SMC option. Events found go to `out`, all caused by this segment.
    pub fn tcp(&mut self, ip: &Ip, seg: &TcpSegment, smc_option: bool, out: &mut Vec<(Flow, TcpEvent)>) {
        let (mut ctx, tcp, _) = self.parts();
        tcp.segment(ip, seg, smc_option, &mut ctx, out);
    }

    /// Takes one RoCE request packet; what it completes goes to `out`, with
    /// the PSN of the message's first packet.
    pub fn roce<'a>(&mut self, packet: &QpPacket<'a>, out: &mut impl FnMut(QpEvent<'a>, u32)) {
        let (mut ctx, _, qps) = self.parts();
        qps.packet(packet, &mut ctx, out);
    }

    /// End of input: gives up on open gaps and reports what was left cut.
    pub fn finish(&mut self, out: &mut Vec<(Flow, TcpEvent)>) {
        let (mut ctx, tcp, _) = self.parts();
        tcp.finish(&mut ctx, out);
    }

    fn parts(&mut self) -> (Ctx<'_>, &mut Connections, &mut Qps) {
        let ctx = Ctx {
            limits: &self.limits,
            budget: &mut self.budget,
            drops: &mut self.drops,
            pruned: &mut self.pruned,
            now: self.now,
        };
        (ctx, &mut self.tcp, &mut self.qps)
    }

    /// What the caps made reassembly drop so far.
    pub fn drops(&self) -> Drops {
        self.drops
    }

    /// What was let go of: closed and idle connections, idle QPs.
    pub fn pruned(&self) -> Pruned {
        self.pruned
    }

    /// What reassembly holds now, to check it against the [`Limits`].
    pub fn held(&self) -> Held {
        Held {
            connections: self.tcp.len(),
            qps: self.qps.len(),
            budget_left: self.budget.left(),
        }
    }

    pub fn limits(&self) -> &Limits {
        &self.limits
    }
}

/// Connections and QPs tracked, and what is left of the byte budget.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Held {
    pub connections: usize,
    pub qps: usize,
    pub budget_left: usize,
}
