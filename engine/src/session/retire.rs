//! Letting go, so memory stays flat however long the capture: a session once
//! both its TCP and its SMC connection are over, a session or link group that
//! has gone idle. A session's last picture goes out in `SessionEnded` first.

use super::model::*;
use super::{Analyzer, Tracked, Way};
use crate::pipeline::reassembly::Flow;

/// Capture seconds without a message after which a session, or a link group
/// without sessions, is let go (as the pipeline does with TCP and QP state).
const IDLE_SECS: i64 = 120;
/// Capture seconds between looks for idle sessions and link groups.
const SWEEP_SECS: i64 = 10;
/// Alert tokens of let-go connections remembered per link group: a late CDC
/// (a retransmission) to one is not a CDC to an unknown token.
const RETIRED_TOKENS: usize = 64;

impl Tracked {
    /// Ends the session when its TCP connection is closed (FIN both ways or
    /// RST) and its SMC connection is over (SMC-R: both sides' CDC said
    /// closed or aborted; no SMC-R: nothing runs beside TCP).
    pub(super) fn end_if_over(&mut self, out: &mut Vec<Update>) {
        let tcp_over = self.session.reset || self.state.fin == [true; 2];
        let smc_over = match &self.session.outcome {
            Outcome::Smc(n) if !n.smcd => self.state.cdc.iter().all(|c| c.closed),
            _ => true,
        };
        if tcp_over && smc_over {
            self.end(out);
        }
    }

    /// Reports the session's end. Its state stays until it has been idle
    /// for IDLE_SECS, so that late messages still meet the rules.
    pub(super) fn end(&mut self, out: &mut Vec<Update>) {
        if !self.state.ended {
            self.state.ended = true;
            out.push(Update::SessionEnded(Box::new(self.session.clone())));
        }
    }
}

impl Analyzer {
    pub(super) fn end(&mut self, id: u32, out: &mut Vec<Update>) {
        if let Some(t) = self.sessions.get_mut(&id) {
            t.end(out);
        }
    }

    pub(super) fn let_go(&mut self, id: u32) {
        let Some(Tracked { session: s, .. }) = self.sessions.remove(&id).map(|t| *t) else {
            return;
        };
        for (src, dst) in [(s.client, s.server), (s.server, s.client)] {
            let way = Way(Flow { src, dst });
            if self.by_flow.get(&way).is_some_and(|&(owner, _)| owner == id) {
                self.by_flow.remove(&way);
            }
        }
        let lgr = s.smcr.and_then(|r| r.link_group);
        let Some(g) = lgr.and_then(|l| self.lgrs.get_mut(&l)) else {
            return;
        };
        g.sessions.retain(|&x| x != id);
        let retired = &mut g.retired;
        g.conns.retain(|&token, &mut owner| {
            if owner == id {
                if retired.len() >= RETIRED_TOKENS {
                    retired.pop_front();
                }
                retired.push_back(token);
            }
            owner != id
        });
        for rmb in g.rmbs.iter_mut().flatten().filter(|r| r.session == Some(id)) {
            rmb.session = None;
        }
    }

    /// Every SWEEP_SECS of capture time (`next_sweep`): ends (if not yet
    /// ended) and lets go idle sessions, then idle link groups that no
    /// session uses, with their QPs.
    #[cold]
    pub(super) fn sweep(&mut self, out: &mut Vec<Update>) {
        self.next_sweep = self.now.secs.saturating_add(SWEEP_SECS);
        let before = self.now.secs.saturating_sub(IDLE_SECS);
        // An SMC-R connection lives as long as its link group: one with no
        // data for a while is still open while TEST_LINKs keep the link up.
        let lgr_idle = |id: &u32| {
            let lgr = self
                .sessions
                .get(id)
                .and_then(|t| t.session.smcr.as_ref()?.link_group);
            lgr.and_then(|l| self.lgrs.get(&l))
                .is_none_or(|g| g.last.secs < before)
        };
        let mut idle: Vec<u32> = self
            .sessions
            .iter()
            .filter(|(id, t)| t.state.last.secs < before && (t.state.ended || lgr_idle(id)))
            .map(|(&id, _)| id)
            .collect();
        idle.sort_unstable();
        for id in idle {
            self.end(id, out);
            self.let_go(id);
        }
        let unused = |g: &super::LinkGroup| g.sessions.is_empty() && g.last.secs < before;
        if !self.lgrs.values().any(unused) {
            return;
        }
        for g in self.lgrs.values().filter(|g| unused(g)) {
            self.open_tests = self.open_tests.saturating_sub(g.tests_open());
            self.rkeys = self.rkeys.saturating_sub(g.rkeys_held());
        }
        self.lgrs.retain(|_, g| !unused(g));
        let lgrs = &self.lgrs;
        self.qps.retain(|_, (l, _)| lgrs.contains_key(l));
        self.link_generation += 1;
    }
}
