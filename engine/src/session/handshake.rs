//! The TCP side of a session: the SMC option, the CLC handshake and its
//! rules, fallback, and the bytes that move over TCP.

use super::cdc::CdcSide;
use super::model::*;
use super::{micros, Analyzer, Tracked, Way};
use crate::frame::Timestamp;
use crate::pipeline::reassembly::Flow;
use crate::pipeline::{Event, Segment};
use crate::rules::{self, Rule};
use arrayvec::ArrayVec;
use dissect::clc::buffer_size;
use dissect::clc::{
    AcceptConfirm, AcceptConfirmBody, ClcMessage, Decline, DeclineDiagnosis, Eid, FirstContactExt, Path,
    Proposal, Release,
};
use dissect::{ErrorKind, Reason, Wire};

#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
enum Stage {
    #[default]
    Start,
    Proposed,
    Accepted,
    Done,
}

/// What the Proposal offered.
#[derive(Debug, Clone, Copy)]
struct Offer {
    version: u8,
    typev1: Path,
    typev2: Path,
    release: Option<Release>,
}

/// One direction of the TCP stream: where it starts and how far it got.
#[derive(Debug, Default, Clone, Copy)]
struct StreamPos {
    base: Option<u32>,
    end: u64,
}

/// Per-session state the rules need.
#[derive(Debug, Default)]
pub(super) struct Handshake {
    stage: Stage,
    offer: Option<Offer>,
    /// The Accept and its frame, from the Accept to the Confirm only: boxed,
    /// so sessions kept after their end carry no room for one.
    accept: Option<Box<(u64, AcceptConfirm)>>,
    stream: [StreamPos; 2],
    clc_bytes: [u64; 2],
    pub(super) cdc: [CdcSide; 2],
    /// Rules already reported per sender, so a broken stream reports once.
    pub(super) fired: [u64; 2],
    /// FIN seen from each side.
    pub(super) fin: [bool; 2],
    /// Time of the session's last message (TCP, CDC or RDMA).
    pub(super) last: Timestamp,
    /// Times of the first SYN and of the Proposal, where the handshakes' latencies start.
    syn_at: Option<Timestamp>,
    proposed_at: Option<Timestamp>,
    pub(super) ended: bool,
}

impl Session {
    fn decide(&mut self, outcome: Outcome, out: &mut Vec<Update>) {
        self.outcome = outcome;
        out.push(Update::Session(self.id));
    }

    /// A Confirm or Decline at `ev` settled the CLC handshake.
    fn settle(&mut self, st: &Handshake, ev: &Event, outcome: Outcome, out: &mut Vec<Update>) {
        self.handshake_micros = st.proposed_at.map(|at| micros(at, ev.time));
        self.decide(outcome, out);
    }
}

impl Handshake {
    fn proposed(&mut self, ev: &Event, p: &Proposal) {
        self.stage = Stage::Proposed;
        self.proposed_at = Some(ev.time);
        self.offer = Some(Offer {
            version: p.env.version,
            typev1: p.env.typev1,
            typev2: if p.env.is_v1() { Path::N } else { p.env.typev2 },
            release: p.v2_ext.as_ref().map(|v| v.release),
        });
    }

    /// Reports `rule` for `side` of a session only the first time.
    pub(super) fn once(&mut self, side: Side, rule: &'static Rule) -> bool {
        let bit = super::rule_bit(rule);
        let fired = &mut self.fired[side.index()];
        let first = *fired & bit == 0;
        *fired |= bit;
        first
    }
}

impl Analyzer {
    /// The session of a TCP connection and the side sending `flow`'s way;
    /// created when new and under the cap.
    fn session_for(
        &mut self,
        ev: &Event,
        flow: &Flow,
        client_is_src: bool,
        out: &mut Vec<Update>,
    ) -> Option<(u32, Side)> {
        match self.by_flow.get(&Way(*flow)) {
            Some(&known) => Some(known),
            None => self.open(ev, flow, client_is_src, out),
        }
    }

    /// A new session for a TCP connection not yet known, if under the cap.
    fn open(
        &mut self,
        ev: &Event,
        flow: &Flow,
        client_is_src: bool,
        out: &mut Vec<Update>,
    ) -> Option<(u32, Side)> {
        if self.sessions.len() >= self.caps.sessions || self.next_session == u32::MAX {
            self.over_caps += 1;
            return None;
        }
        let id = self.next_session;
        self.next_session += 1;
        let (client, server) = if client_is_src {
            (flow.src, flow.dst)
        } else {
            (flow.dst, flow.src)
        };
        let session = Session {
            id,
            client,
            server,
            first_frame: ev.frame,
            start: ev.time,
            syn_option: None,
            synack_option: None,
            clc: ArrayVec::new(),
            outcome: Outcome::Pending,
            tcp_handshake_micros: None,
            handshake_micros: None,
            tcp_bytes: [0; 2],
            rdma_bytes: [0; 2],
            reset: false,
            smcr: None,
            smcd: None,
            findings: 0,
        };
        let state = Handshake {
            last: self.now,
            ..Handshake::default()
        };
        self.sessions.insert(id, Box::new(Tracked { session, state }));
        // Both ways, the client's last: a connection to itself is the client's.
        for (src, dst, side) in [(server, client, Side::Server), (client, server, Side::Client)] {
            self.by_flow.insert(Way(Flow { src, dst }), (id, side));
        }
        out.push(Update::Session(id));
        let sender = if client == flow.src {
            Side::Client
        } else {
            Side::Server
        };
        Some((id, sender))
    }

    pub(super) fn smc_option(
        &mut self,
        ev: &Event,
        flow: &Flow,
        syn_ack: bool,
        present: bool,
        out: &mut Vec<Update>,
    ) -> Option<Attribution> {
        let mut known = self.by_flow.get(&Way(*flow)).copied();
        // A new connection on the addresses and ports of one that ended.
        if let Some((old, _)) = known.filter(|_| !syn_ack) {
            if self.sessions.get(&old).is_some_and(|t| t.state.ended) {
                self.let_go(old);
                known = None;
            }
        }
        let (id, sender) = known.or_else(|| self.open(ev, flow, !syn_ack, out))?;
        let t = self.sessions.get_mut(&id)?;
        let (s, st) = (&mut t.session, &mut t.state);
        if syn_ack {
            s.synack_option = Some(present);
            if s.tcp_handshake_micros.is_none() {
                s.tcp_handshake_micros = st.syn_at.map(|at| micros(at, ev.time));
            }
        } else {
            s.syn_option = Some(present);
            st.syn_at.get_or_insert(ev.time);
        }
        if !present && s.outcome == Outcome::Pending {
            let lacking = if syn_ack { Side::Server } else { Side::Client };
            s.decide(Outcome::Fallback(Fallback::NoOption { lacking }), out);
        }
        Some(t.attribution(sender))
    }

    pub(super) fn segment(
        &mut self,
        flow: &Flow,
        seg: &Segment,
        out: &mut Vec<Update>,
    ) -> Option<Attribution> {
        let &(id, side) = self.by_flow.get(&Way(*flow))?;
        let t = self.sessions.get_mut(&id).map(Box::as_mut)?;
        let (s, st) = (&mut t.session, &mut t.state);
        st.last = self.now;
        st.fin[side.index()] |= seg.fin;
        let pos = &mut st.stream[side.index()];
        if seg.syn {
            pos.base = Some(seg.seq.wrapping_add(1));
        }
        if seg.len > 0 {
            let base = *pos.base.get_or_insert(seg.seq);
            let rel = seg.seq.wrapping_sub(base);
            // Far "ahead" is really a retransmission from before the base.
            if rel < 1 << 31 {
                pos.end = pos.end.max(u64::from(rel) + u64::from(seg.len));
            }
        }
        let data = pos.end.saturating_sub(st.clc_bytes[side.index()]);
        s.tcp_bytes[side.index()] = data;
        if seg.rst {
            s.reset = true;
        }
        if (seg.rst || seg.fin) && s.outcome == Outcome::Pending {
            let after = s.clc.last().map(|c| c.2);
            let aborted = Fallback::Aborted {
                by: side,
                reset: seg.rst,
                after,
            };
            s.decide(Outcome::Fallback(aborted), out);
        }
        t.end_if_over(out);
        Some(t.attribution(side))
    }

    pub(super) fn clc(
        &mut self,
        ev: &Event,
        flow: &Flow,
        m: &ClcMessage,
        out: &mut Vec<Update>,
    ) -> Option<Attribution> {
        let client_is_src = !matches!(m, ClcMessage::Accept(_));
        let (id, side) = self.session_for(ev, flow, client_is_src, out)?;
        let Tracked {
            session: s,
            state: st,
        } = self.sessions.get_mut(&id).map(Box::as_mut)?;
        if !s.clc.is_full() {
            s.clc.push((ev.frame, side, m.kind()));
        }
        st.last = self.now;
        st.clc_bytes[side.index()] += m.wire_len() as u64;
        let stage = st.stage;
        match (m, side, stage) {
            (ClcMessage::Decline(d), _, _) => self.declined(id, ev, side, d, out),
            (ClcMessage::Proposal(p), Side::Client, Stage::Start) => st.proposed(ev, p),
            (ClcMessage::Accept(a), Side::Server, Stage::Proposed) => self.accepted(id, ev, a, out),
            (ClcMessage::Confirm(c), Side::Client, Stage::Accepted) => self.confirmed(id, ev, c, out),
            _ => {
                let detail = format!(
                    "{} from the {} at handshake stage {stage:?}",
                    m.kind(),
                    side.name()
                );
                self.report(
                    out,
                    rules::CLC_UNEXPECTED,
                    vec![ev.frame],
                    (Some(id), None),
                    detail,
                );
            }
        }
        // After the message: an Accept or Confirm may have tied it to a link group.
        Some(self.sessions.get(&id)?.attribution(side))
    }

    fn declined(&mut self, id: u32, ev: &Event, by: Side, d: &Decline, out: &mut Vec<Update>) {
        if d.is_out_of_sync() != (d.diagnosis == DeclineDiagnosis::SYNCERR) {
            let detail = format!(
                "out-of-sync flag {} with diagnosis {}",
                d.is_out_of_sync(),
                d.diagnosis
            );
            self.report(
                out,
                rules::CLC_DECLINE_SYNC_FLAG,
                vec![ev.frame],
                (Some(id), None),
                detail,
            );
        }
        let Some(t) = self.sessions.get_mut(&id).map(Box::as_mut) else {
            return;
        };
        t.state.stage = Stage::Done;
        if t.session.outcome == Outcome::Pending {
            let f = Fallback::Declined {
                by,
                version: d.env.version,
                diagnosis: d.diagnosis,
            };
            t.session.settle(&t.state, ev, Outcome::Fallback(f), out);
        }
    }

    fn accepted(&mut self, id: u32, ev: &Event, a: &AcceptConfirm, out: &mut Vec<Update>) {
        let Some(Tracked { state: st, .. }) = self.sessions.get_mut(&id).map(Box::as_mut) else {
            return;
        };
        st.stage = Stage::Accepted;
        st.accept = Some(Box::new((ev.frame, a.clone())));
        let Some(offer) = st.offer else { return };
        let scope = (Some(id), None);
        let frames = || vec![ev.frame];
        let offered = if a.env.is_v1() { offer.typev1 } else { offer.typev2 };
        if a.env.version > offer.version || (!a.env.is_v1() && offer.typev2.is_none()) {
            let detail = format!(
                "Accept v{} to a v{} Proposal offering v2 {}",
                a.env.version, offer.version, offer.typev2
            );
            self.report(out, rules::CLC_VERSION_MISMATCH, frames(), scope, detail);
        } else if !covers(offered, a.env.typev1) {
            let detail = format!(
                "Accept v{} path {} but the Proposal offered {offered}",
                a.env.version, a.env.typev1
            );
            self.report(out, rules::CLC_PATH_NOT_OFFERED, frames(), scope, detail);
        }
        if let Some(fce) = fce(a).filter(|f| offer.release.is_some_and(|r| f.release > r)) {
            let detail = format!(
                "release {} above the offered {}",
                fce.release,
                offer.release.unwrap_or_default()
            );
            self.report(out, rules::CLC_RELEASE_ABOVE_OFFER, frames(), scope, detail);
        }
        if let Some(why) = limits_problem(a) {
            self.report(out, rules::CLC_V21_LIMITS, frames(), scope, why);
        }
        if let AcceptConfirmBody::SmcR(r) = &a.body {
            self.smcr_clc(id, Side::Server, r, a.is_first_contact());
        }
    }

    fn confirmed(&mut self, id: u32, ev: &Event, c: &AcceptConfirm, out: &mut Vec<Update>) {
        let Some(Tracked { state: st, .. }) = self.sessions.get_mut(&id).map(Box::as_mut) else {
            return;
        };
        st.stage = Stage::Done;
        // Only a Confirm looks back at the Accept, and there is one Confirm.
        let Some((accept_frame, a)) = st.accept.take().map(|b| *b) else {
            return;
        };
        let frames = || vec![accept_frame, ev.frame];
        let scope = (Some(id), None);
        if c.env.version != a.env.version {
            let detail = format!("Confirm v{} after Accept v{}", c.env.version, a.env.version);
            self.report(out, rules::CLC_VERSION_MISMATCH, frames(), scope, detail);
        }
        if let Some(why) = confirm_differs(&a, c) {
            self.report(out, rules::CLC_CONFIRM_MISMATCH, frames(), scope, why);
        }
        let mut n = negotiated(&a);
        let mut smcd = None;
        match (&a.body, &c.body) {
            (AcceptConfirmBody::SmcR(ar), AcceptConfirmBody::SmcR(cr)) => {
                n.buffer_size = [buffer_size(cr.rmbe_size), buffer_size(ar.rmbe_size)];
                self.smcr_clc(id, Side::Client, cr, a.is_first_contact());
            }
            (AcceptConfirmBody::SmcD(ad), AcceptConfirmBody::SmcD(cd)) => {
                n.buffer_size = [buffer_size(cd.dmbe_size), buffer_size(ad.dmbe_size)];
                smcd = Some(SmcdSeen {
                    gid: [cd.gid, ad.gid],
                    dmb_token: [cd.dmb_token, ad.dmb_token],
                    link_id: ad.link_id,
                    chid: ad.v2.as_ref().map(|v| v.chid),
                });
            }
            _ => {}
        }
        let Some(Tracked {
            session: s,
            state: st,
        }) = self.sessions.get_mut(&id).map(Box::as_mut)
        else {
            return;
        };
        if smcd.is_some() {
            s.smcd = smcd;
        }
        s.settle(st, ev, Outcome::Smc(n), out);
    }

    /// A CLC message Linux would reject, seen as the codec's error.
    pub(super) fn clc_rejected(
        &mut self,
        ev: &Event,
        flow: &Flow,
        e: &dissect::Error,
        out: &mut Vec<Update>,
    ) {
        let Some(rule) = rejection_rule(e) else {
            return;
        };
        let Some((id, _)) = self.session_for(ev, flow, true, out) else {
            return;
        };
        self.report(out, rule, vec![ev.frame], (Some(id), None), e.to_string());
    }
}

/// The First Contact Extension of a v2 Accept/Confirm.
fn fce(a: &AcceptConfirm) -> Option<&FirstContactExt> {
    match &a.body {
        AcceptConfirmBody::SmcR(r) => r.v2.as_ref()?.fce.as_ref(),
        AcceptConfirmBody::SmcD(d) => d.v2.as_ref()?.fce.as_ref(),
    }
}

/// Does an offered path (R, D, B) include the chosen one (R or D)?
fn covers(offered: Path, chosen: Path) -> bool {
    (chosen == Path::R && offered.has_r()) || (chosen == Path::D && offered.has_d())
}

/// v2.1 limits an Accept must respect (the client declines otherwise).
/// The v2.1 limits out of range; before release 1 they are not read (a
/// 5.16-6.5 peer leaves them 0 in the 52-byte form).
fn limits_problem(a: &AcceptConfirm) -> Option<String> {
    let fce = fce(a).filter(|f| f.release >= Release::V2_1)?;
    let x = fce.v2x.as_ref()?;
    if matches!(a.body, AcceptConfirmBody::SmcR(_)) {
        if x.max_conns < 16 {
            return Some(format!("max_conns {} below 16", x.max_conns));
        }
        if !(1..=2).contains(&x.max_links) {
            return Some(format!("max_links {} outside 1..2", x.max_links));
        }
    }
    None
}

/// How a Confirm disagrees with its Accept, if it does.
fn confirm_differs(a: &AcceptConfirm, c: &AcceptConfirm) -> Option<String> {
    if a.env.typev1 != c.env.typev1 {
        return Some(format!(
            "path {} after Accept path {}",
            c.env.typev1, a.env.typev1
        ));
    }
    if a.is_first_contact() != c.is_first_contact() {
        return Some(format!(
            "first contact {} after Accept {}",
            c.is_first_contact(),
            a.is_first_contact()
        ));
    }
    let (Some(af), Some(cf)) = (fce(a), fce(c)) else {
        return None;
    };
    if af.release != cf.release {
        return Some(format!("release {} after Accept {}", cf.release, af.release));
    }
    match (&af.v2x, &cf.v2x) {
        (Some(ax), Some(cx)) if ax.max_conns != cx.max_conns => Some(format!(
            "max_conns {} after Accept {}",
            cx.max_conns, ax.max_conns
        )),
        (Some(ax), Some(cx)) if ax.max_links != cx.max_links => Some(format!(
            "max_links {} after Accept {}",
            cx.max_links, ax.max_links
        )),
        _ => None,
    }
}

fn negotiated(a: &AcceptConfirm) -> Negotiated {
    let fce = fce(a);
    let eid = match &a.body {
        AcceptConfirmBody::SmcR(r) => r.v2.as_ref().map(|v| v.eid),
        AcceptConfirmBody::SmcD(d) => d.v2.as_ref().map(|v| v.eid),
    };
    Negotiated {
        smcd: matches!(a.body, AcceptConfirmBody::SmcD(_)),
        version: a.env.version,
        release: fce.map(|f| f.release),
        eid: eid.map(|e| eid_text(&e)),
        max_conns: fce.and_then(|f| f.v2x.as_ref()).map(|x| x.max_conns),
        max_links: fce.and_then(|f| f.v2x.as_ref()).map(|x| x.max_links),
        buffer_size: [0; 2],
        first_contact: a.is_first_contact(),
    }
}

pub(crate) fn eid_text(eid: &Eid) -> EidText {
    // The blank padding goes as bytes first: decoding and trimming it char
    // by char cost more than the rest of the Confirm.
    let text = String::from_utf8_lossy(eid.trim_ascii_end());
    // Never too long (see EidText).
    EidText::from(text.trim_end()).unwrap_or_default()
}

/// The rule a codec error shows a violation of; None for what Linux accepts
/// but the codec does not model, and for cut input.
fn rejection_rule(e: &dissect::Error) -> Option<&'static Rule> {
    let reason = match e.kind {
        ErrorKind::Invalid { reason, .. } => reason,
        ErrorKind::LengthMismatch { .. } if e.field == "header.length" => return length_rule(e.message),
        _ => return None,
    };
    Some(match reason {
        Reason::ShorterThanHeaderAndTrailer | Reason::BelowTypeMinimum => return length_rule(e.message),
        // A count the Proposal's areas locate past its end: the length is short.
        Reason::LocatedPastBody
            if matches!(
                e.field,
                "v2_ext.eid_count" | "v2_ext.ism_gid_count" | "ip_prefix.ipv6_prefix_count"
            ) =>
        {
            rules::CLC_PROPOSAL_LENGTH
        }
        Reason::NeitherRNorD => rules::CLC_ACCEPT_CONFIRM_FORM,
        Reason::IpareaOffsetBeyondSmcdArea => rules::CLC_IPAREA_OFFSET,
        Reason::TooManyIpv6Prefixes => rules::CLC_PREFIX_COUNT,
        Reason::TooManyEids => rules::CLC_EID_COUNT,
        Reason::TooManyIsmGids => rules::CLC_ISM_GID_COUNT,
        Reason::NoV2Extension => rules::CLC_NO_V2_EXT,
        Reason::V1ProposalOffersNothing => rules::CLC_V1_NOTHING,
        Reason::Trailer => rules::CLC_TRAILER,
        _ => return None,
    })
}

/// The length rule of the message whose declared length Linux rejects.
fn length_rule(message: &str) -> Option<&'static Rule> {
    Some(match message {
        Proposal::NAME => rules::CLC_PROPOSAL_LENGTH,
        AcceptConfirm::NAME => rules::CLC_ACCEPT_CONFIRM_FORM,
        Decline::NAME => rules::CLC_DECLINE_LENGTH,
        _ => return None,
    })
}
