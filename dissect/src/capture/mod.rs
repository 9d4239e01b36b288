//! From captured frames to SMC messages, sans-IO: the caller hands in each
//! frame's bytes; out come decoded layers, reassembled TCP streams framed
//! into CLC messages, and RoCE SENDs and WRITEs per QP.
//!
//! Memory is bounded everywhere: [`Limits`] caps what reassembly buffers, and
//! whatever is dropped for a cap is counted in [`Drops`], never lost silently.

mod frame;
mod limits;
mod link;
mod qp;
mod tcp;

pub use frame::{decode, Carried, DecodeError, Ip, Layers, Span, TcpSegment, ROCE_V2_PORT};
pub use limits::{Drops, Limits};
pub use link::{Link, LinkType};
pub use qp::{Part, QpEvent, QpKey, QpPacket, Request, WriteTarget};
pub use tcp::{Chunk, ClcEnd, ClcRecord, Flow, Framed, TcpEvent};

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
    tcp: Connections,
    qps: Qps,
}

impl Reassembly {
    pub fn new(limits: Limits) -> Self {
        Reassembly {
            limits,
            budget: Budget::new(limits.total),
            drops: Drops::default(),
            tcp: Connections::default(),
            qps: Qps::default(),
        }
    }

    /// Takes one TCP segment; `smc_option` says whether its options hold the
    /// SMC option. Events found go to `out`, all caused by this segment.
    pub fn tcp(&mut self, ip: &Ip, seg: &TcpSegment, smc_option: bool, out: &mut Vec<(Flow, TcpEvent)>) {
        let (mut ctx, tcp, _) = self.parts();
        tcp.segment(ip, seg, smc_option, &mut ctx, out);
    }

    /// Takes one RoCE request packet; what it completes goes to `out`.
    pub fn roce<'a>(&mut self, packet: &QpPacket<'a>, out: &mut Vec<QpEvent<'a>>) {
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
        };
        (ctx, &mut self.tcp, &mut self.qps)
    }

    /// What the caps made reassembly drop so far.
    pub fn drops(&self) -> Drops {
        self.drops
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
