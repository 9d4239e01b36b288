//! Sessions and conformance findings: the deterministic, sans-IO core that
//! `read`, `live`, the terminal UI and the fuzz target share. Pipeline
//! events go in (their frame time is the clock); session updates and
//! findings come out. Memory is bounded: sessions, link groups and QPs are
//! capped, findings are handed out, never kept, and what is over is let go:
//! a session once its connection has ended (or gone idle), a link group once
//! it has no session left and has gone idle (see `retire`).

mod cdc;
mod handshake;
mod lgr;
mod model;
mod retire;

pub(crate) use handshake::eid_text;
pub use lgr::LinkGroup;
pub use model::{
    Attribution, EidText, Fallback, Finding, Negotiated, Outcome, QpEnd, RmbSeen, Session, Side, SmcdSeen,
    SmcrSeen, Update, CLC_KEPT,
};

use crate::frame::Timestamp;
use crate::pipeline::reassembly::{ConnKey, Flow};
use crate::pipeline::{Endpoints, Event, EventKind, Problem};
use crate::rules::{self, Rule};
use foldhash::fast::RandomState;
use handshake::Handshake;
use std::collections::HashMap;
use std::hash::{Hash, Hasher};
use std::net::IpAddr;

/// Caps that keep a hostile capture from growing the engine without bound.
#[derive(Debug, Clone, Copy)]
pub struct Caps {
    pub sessions: usize,
    pub link_groups: usize,
    /// QP ends and RMB rkeys, each, over all link groups.
    pub qps: usize,
}

impl Default for Caps {
    fn default() -> Self {
        Caps {
            sessions: 100_000,
            link_groups: 10_000,
            qps: 100_000,
        }
    }
}

/// A live session: its public picture and, beside it (one lookup serves an
/// event), what the rules need beyond that.
#[derive(Debug)]
struct Tracked {
    session: Session,
    state: Handshake,
}

/// One way of a TCP connection: a segment finds its session and sender
/// without the ends put in order first.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Way(Flow);

/// Hashed as the pipeline hashes a connection (three words).
impl Hash for Way {
    fn hash<H: Hasher>(&self, state: &mut H) {
        ConnKey(self.0.src, self.0.dst).hash(state)
    }
}

/// The engine.
#[derive(Debug, Default)]
pub struct Analyzer {
    caps: Caps,
    /// Live sessions by id (ids count up and are never reused). Boxed: the
    /// table holds thousands of them for 120 s after their end, and the
    /// entries inline made every regrowth copy (and fault in) megabytes.
    sessions: HashMap<u32, Box<Tracked>, RandomState>,
    next_session: u32,
    /// Each way of a live session's TCP connection: the session and the
    /// side sending that way.
    by_flow: HashMap<Way, (u32, Side), RandomState>,
    /// Live link groups by id (ids count up and are never reused).
    lgrs: HashMap<u32, LinkGroup, RandomState>,
    next_lgr: u32,
    /// Counts links made and link groups let go: a reader that maps QPs to
    /// link groups itself rescans when it changes.
    link_generation: u64,
    /// Capture second of the next look for idle sessions and link groups.
    next_sweep: i64,
    /// Receiving QP end to its link group and side.
    qps: HashMap<QpEnd, (u32, Side), RandomState>,
    now: Timestamp,
    /// TEST_LINK requests waiting for their response, over all link groups.
    open_tests: usize,
    /// RMB rkeys held over all link groups, against `caps.qps`.
    rkeys: usize,
    /// Events ignored because a cap was reached.
    pub over_caps: u64,
}

impl Analyzer {
    pub fn new(caps: Caps) -> Self {
        Analyzer {
            caps,
            ..Analyzer::default()
        }
    }

    /// The sessions not yet let go, in no particular order (an ended one
    /// stays until it has been idle a while).
    pub fn sessions(&self) -> impl Iterator<Item = &Session> {
        self.sessions.values().map(|t| &t.session)
    }

    pub fn session(&self, id: u32) -> Option<&Session> {
        self.sessions.get(&id).map(|t| &t.session)
    }

    /// The link groups not yet let go, in no particular order.
    pub fn link_groups(&self) -> impl Iterator<Item = &LinkGroup> {
        self.lgrs.values()
    }

    pub fn link_group(&self, id: u32) -> Option<&LinkGroup> {
        self.lgrs.get(&id)
    }

    /// Changes when a link is made or a link group is let go.
    pub fn link_generation(&self) -> u64 {
        self.link_generation
    }

    /// Takes one pipeline event; says where it belongs, if the engine knows
    /// its connection or link (found on the way, at no extra cost).
    // Inlined into the reader's loop in another crate: a call less per event.
    #[inline]
    pub fn event(&mut self, event: &Event, out: &mut Vec<Update>) -> Option<Attribution> {
        self.tick(event.time, out);
        match (&event.kind, &event.at) {
            (EventKind::SmcOption { syn_ack, present }, Endpoints::Tcp(flow)) => {
                self.smc_option(event, flow, *syn_ack, *present, out)
            }
            (EventKind::Clc(m), Endpoints::Tcp(flow)) => self.clc(event, flow, m, out),
            (EventKind::Segment(s), Endpoints::Tcp(flow)) => self.segment(flow, s, out),
            (EventKind::Problem(Problem::Clc { error, .. }), Endpoints::Tcp(flow)) => {
                self.clc_rejected(event, flow, error, out);
                self.tcp_attribution(flow)
            }
            (_, Endpoints::Tcp(flow)) => self.tcp_attribution(flow),
            (kind, Endpoints::Qp { src, dst, qp, .. }) => {
                let at = self.receiver(*dst, *qp)?;
                let session = match kind {
                    EventKind::Llc(m) => {
                        self.llc(event, at, normal(*src), m, out);
                        None
                    }
                    EventKind::Cdc(c) => self.cdc(event, at, c, out),
                    EventKind::RdmaWrite { target, bytes, .. } => {
                        self.rdma_write(event, at, target.as_ref(), *bytes, out)
                    }
                    _ => None,
                };
                Some(Attribution {
                    session,
                    link_group: Some(at.0),
                    sender: at.1.peer(),
                })
            }
            (_, Endpoints::Undecoded) => None,
        }
    }

    /// Time passes without events (live capture): deadlines fire.
    pub fn tick(&mut self, now: Timestamp, out: &mut Vec<Update>) {
        if now > self.now {
            self.now = now;
        }
        // Most events come while no TEST_LINK waits and no sweep is due.
        if self.open_tests > 0 {
            self.test_link_deadlines(out);
        }
        if self.now.secs >= self.next_sweep {
            self.sweep(out);
        }
    }

    /// End of input: every session still open ends, in id order.
    pub fn finish(&mut self, out: &mut Vec<Update>) {
        self.test_link_deadlines(out);
        let mut open: Vec<u32> = self.sessions.keys().copied().collect();
        open.sort_unstable();
        for id in open {
            self.end(id, out);
        }
    }

    /// Where an event of a TCP connection belongs (rare events: a lookup).
    fn tcp_attribution(&self, flow: &Flow) -> Option<Attribution> {
        let &(id, sender) = self.by_flow.get(&Way(*flow))?;
        Some(self.sessions.get(&id)?.attribution(sender))
    }

    /// The link group and side owning the QP a RoCE packet went to. Its
    /// handler counts the packet as traffic on the link group.
    fn receiver(&self, dst: IpAddr, qpn: u32) -> Option<(u32, Side)> {
        self.qps.get(&QpEnd { ip: normal(dst), qpn }).copied()
    }

    fn add_qp(&mut self, end: QpEnd, lgr: u32, side: Side) {
        if !insert_capped(&mut self.qps, self.caps.qps, end, (lgr, side)) {
            self.over_caps += 1;
        }
    }

    /// Reports a finding; `session` findings are counted on the session.
    fn report(
        &mut self,
        out: &mut Vec<Update>,
        rule: &'static Rule,
        frames: Vec<u64>,
        scope: (Option<u32>, Option<u32>),
        detail: String,
    ) {
        let (session, link_group) = scope;
        match session.and_then(|id| self.sessions.get_mut(&id)) {
            Some(t) => t.report(out, self.now, rule, frames, link_group, detail),
            None => out.push(finding(self.now, rule, frames, scope, detail)),
        }
    }
}

impl Tracked {
    /// A message of this session's TCP connection sent by `sender`.
    fn attribution(&self, sender: Side) -> Attribution {
        Attribution {
            session: Some(self.session.id),
            link_group: self.session.smcr.as_ref().and_then(|r| r.link_group),
            sender,
        }
    }

    /// Reports a finding of this session (and link group `lgr`), counted on it.
    fn report(
        &mut self,
        out: &mut Vec<Update>,
        now: Timestamp,
        rule: &'static Rule,
        frames: Vec<u64>,
        lgr: Option<u32>,
        detail: String,
    ) {
        self.session.findings = self.session.findings.saturating_add(1);
        out.push(finding(now, rule, frames, (Some(self.session.id), lgr), detail));
    }
}

fn finding(
    time: Timestamp,
    rule: &'static Rule,
    frames: Vec<u64>,
    (session, link_group): (Option<u32>, Option<u32>),
    detail: String,
) -> Update {
    Update::Finding(Finding {
        rule,
        frames,
        time,
        session,
        link_group,
        detail,
    })
}

/// Inserts or replaces, unless a new key would grow `map` past `cap` (false then).
fn insert_capped<K: Hash + Eq, V>(
    map: &mut HashMap<K, V, RandomState>,
    cap: usize,
    key: K,
    value: V,
) -> bool {
    if map.len() < cap {
        map.insert(key, value);
    } else if let Some(v) = map.get_mut(&key) {
        *v = value;
    } else {
        return false;
    }
    true
}

/// IPv4-mapped addresses (RoCEv2 GIDs) as IPv4, so GIDs and IP headers compare.
pub fn normal(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
        v4 => v4,
    }
}

/// A GID as the address RoCE packets to it carry.
fn gid_ip(gid: [u8; 16]) -> IpAddr {
    normal(IpAddr::V6(gid.into()))
}

/// Microseconds from `a` to `b` (0 if `b` is earlier).
fn micros(a: Timestamp, b: Timestamp) -> u64 {
    b.nanos_since(a) / 1000
}

/// Index of a rule in the catalogue, for once-only bookkeeping.
fn rule_bit(rule: &'static Rule) -> u64 {
    let i = rules::ALL.iter().position(|r| r.id == rule.id).unwrap_or(63);
    1u64 << (i % 64)
}
