//! SMC-R link groups: their links (QPs, GIDs, link ids), the RMBs each side
//! announced, and the LLC flows that run on them, with the LLC rules.

use super::model::*;
use super::{gid_ip, insert_capped, micros, Analyzer};
use crate::frame::Timestamp;
use crate::pipeline::Event;
use crate::rules;
use arrayvec::ArrayVec;
use dissect::clc::SmcrAcceptConfirm;
use dissect::llc::{LlcFlags, LlcMessage, RkeyPair};
use foldhash::fast::RandomState;
use std::collections::{HashMap, VecDeque};
use std::net::IpAddr;

/// Linux gives a TEST_LINK this long to be answered (SMC_LLC_WAIT_TIME).
const TEST_LINK_WAIT_MICROS: u64 = 2_000_000;
/// Links, RMBs per side, sessions and open TEST_LINKs kept per link group.
const PER_LGR_CAP: usize = 4096;
/// Rkeys (one per link) kept per RMB.
const RMB_TOKENS: usize = 8;

/// One link of a link group.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Link {
    pub id: u8,
    pub qp: [Option<QpEnd>; 2],
    pub confirmed: bool,
    pub deleted: bool,
}

/// An RMB as the link group knows it: its rkey and address per link (kept
/// inline: most have one).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Rmb {
    pub tokens: ArrayVec<(u32, u64), RMB_TOKENS>,
    pub size: Option<u32>,
    pub session: Option<u32>,
}

/// The engine-wide cap on RMB rkeys ([`super::Caps::qps`]): how many all
/// link groups hold, and the count of what the cap turned away.
pub(super) struct RkeyRoom<'a> {
    pub held: &'a mut usize,
    pub cap: usize,
    pub over: &'a mut u64,
}

/// The room, borrowed from the engine beside one of its link groups (a
/// method would borrow all of the engine).
macro_rules! rkey_room {
    ($engine:expr) => {
        &mut RkeyRoom {
            held: &mut $engine.rkeys,
            cap: $engine.caps.qps,
            over: &mut $engine.over_caps,
        }
    };
}

impl RkeyRoom<'_> {
    fn left(&self) -> bool {
        *self.held < self.cap
    }

    /// Takes room for one more rkey, or counts it as over the cap.
    fn take(&mut self) -> bool {
        if !self.left() {
            *self.over += 1;
            return false;
        }
        *self.held += 1;
        true
    }
}

#[derive(Debug, Clone, Copy)]
struct Request {
    frame: u64,
    link_id: Option<u8>,
    /// Requests of this kind not yet answered: a peer may send the next
    /// before the answer to the last (Linux answers each in turn,
    /// smc_llc_event_work).
    open: u8,
}

/// An SMC-R link group.
#[derive(Debug, Clone)]
pub struct LinkGroup {
    pub id: u32,
    /// Built by a first contact inside the capture, so every connection,
    /// rkey and LLC request of it is in the capture too.
    pub whole: bool,
    pub links: Vec<Link>,
    pub sessions: Vec<u32>,
    pub(super) rmbs: [Vec<Rmb>; 2],
    /// Per side, which RMB has each rkey (the first in `rmbs` that does):
    /// an RDMA WRITE finds its RMB without a walk over up to 4096 of them.
    rkeys: [HashMap<u32, usize, RandomState>; 2],
    /// (side that announced the token, alert token) to session.
    pub(super) conns: HashMap<(Side, u32), u32, RandomState>,
    /// Tokens of connections let go, newest last: CDC to them is late, not unknown.
    pub(super) retired: VecDeque<(Side, u32)>,
    /// Time of the last message on the link group.
    pub(super) last: Timestamp,
    /// Outstanding request per (requester, LLC type nibble).
    pending: HashMap<(Side, u8), Request, RandomState>,
    tests: Vec<(Side, u64, Timestamp)>,
    /// An ADD_LINK exchange: the link id, and whether it was accepted.
    add_link: Option<(u8, bool)>,
    /// The first CONFIRM_LINK is due (after a first-contact Confirm).
    first_confirm_due: bool,
    pub(super) fired: u64,
}

impl LinkGroup {
    fn new(id: u32, whole: bool, now: Timestamp) -> Self {
        LinkGroup {
            id,
            whole,
            links: Vec::new(),
            sessions: Vec::new(),
            rmbs: [Vec::new(), Vec::new()],
            rkeys: Default::default(),
            // Room for a few connections each way from the start: most link
            // groups would otherwise regrow (and rehash) the table twice.
            conns: HashMap::with_capacity_and_hasher(8, RandomState::default()),
            retired: VecDeque::new(),
            last: now,
            pending: HashMap::default(),
            tests: Vec::new(),
            add_link: None,
            first_confirm_due: false,
            fired: 0,
        }
    }

    /// The link with `id`, made if new (`generation` counts that).
    fn link(&mut self, id: u8, generation: &mut u64) -> Option<&mut Link> {
        if let Some(i) = self.links.iter().position(|l| l.id == id) {
            return self.links.get_mut(i);
        }
        if self.links.len() >= PER_LGR_CAP {
            return None;
        }
        *generation += 1;
        self.links.push(Link {
            id,
            qp: [None; 2],
            confirmed: false,
            deleted: false,
        });
        self.links.last_mut()
    }

    /// TEST_LINK requests waiting for their response.
    pub(super) fn tests_open(&self) -> usize {
        self.tests.len()
    }

    /// Index of the `owner`'s RMB that has `rkey`, with its address on that link.
    pub(super) fn rmb(&self, owner: Side, rkey: u32) -> Option<(usize, u64)> {
        let i = *self.rkeys[owner.index()].get(&rkey)?;
        let token = self.rmbs[owner.index()]
            .get(i)?
            .tokens
            .iter()
            .find(|t| t.0 == rkey)?;
        Some((i, token.1))
    }

    /// Rkeys this link group holds, both sides (counted against the cap).
    pub(super) fn rkeys_held(&self) -> usize {
        self.rkeys.iter().map(HashMap::len).sum()
    }

    /// Gives the `owner`'s RMB `i` the token (rkey, address) if the RMB and
    /// the engine-wide cap have room.
    fn add_token(&mut self, owner: Side, i: usize, token: (u32, u64), room: &mut RkeyRoom) {
        let Some(r) = self.rmbs[owner.index()].get_mut(i) else {
            return;
        };
        let rkeys = &mut self.rkeys[owner.index()];
        let new = !rkeys.contains_key(&token.0);
        if r.tokens.is_full() || (new && !room.take()) {
            return;
        }
        r.tokens.push(token);
        let first = rkeys.entry(token.0).or_insert(i);
        *first = (*first).min(i);
    }

    /// An RMB announced with `rkey` at `vaddr` (CLC or CONFIRM_RKEY).
    fn announce(&mut self, owner: Side, rkey: u32, vaddr: u64, room: &mut RkeyRoom) -> Option<usize> {
        if let Some((i, _)) = self.rmb(owner, rkey) {
            // A new address for the rkey: the RMB keeps it, as the last token.
            let r = &mut self.rmbs[owner.index()][i];
            r.tokens.retain(|t| t.0 != rkey);
            r.tokens.push((rkey, vaddr));
            return Some(i);
        }
        let rmbs = &mut self.rmbs[owner.index()];
        if rmbs.len() >= PER_LGR_CAP {
            return None;
        }
        if !room.left() {
            *room.over += 1;
            return None;
        }
        rmbs.push(Rmb {
            tokens: ArrayVec::new(),
            size: None,
            session: None,
        });
        let i = rmbs.len() - 1;
        self.add_token(owner, i, (rkey, vaddr), room);
        Some(i)
    }

    /// A request of `kind` from `sender`, outstanding until answered.
    fn request(&mut self, sender: Side, kind: u8, frame: u64, link_id: Option<u8>) {
        let r = self.pending.entry((sender, kind)).or_insert(Request {
            frame,
            link_id,
            open: 0,
        });
        (r.frame, r.link_id) = (frame, link_id);
        r.open = r.open.saturating_add(1);
    }

    /// A response must answer the peer's outstanding request of its type:
    /// the frames that show one which does not (in a whole link group).
    fn answer(
        &mut self,
        sender: Side,
        kind: u8,
        frame: u64,
        link_id: Option<u8>,
        reject: bool,
    ) -> Option<Vec<u64>> {
        match self.pending.get_mut(&(sender.peer(), kind)) {
            Some(req) if req.open > 0 => {
                req.open -= 1;
                None
            }
            // Linux's client rejects an ADD_LINK it had accepted when the new
            // link's CONFIRM_LINK never came (smc_llc_cli_add_link).
            Some(req) if reject && kind == 2 && req.link_id == link_id => None,
            other if self.whole => Some(other.map(|r| r.frame).into_iter().chain([frame]).collect()),
            _ => None,
        }
    }

    /// A request or (see `answer`) a response.
    fn exchange(
        &mut self,
        sender: Side,
        kind: u8,
        rsp: bool,
        frame: u64,
        link_id: Option<u8>,
    ) -> Option<Vec<u64>> {
        if rsp {
            self.answer(sender, kind, frame, link_id, false)
        } else {
            self.request(sender, kind, frame, link_id);
            None
        }
    }

    /// The same RMB on another link: `rkey` on a known link, `token` on the new one.
    fn alias(&mut self, owner: Side, rkey: u32, token: (u32, u64), room: &mut RkeyRoom) {
        let i = match self.rmb(owner, rkey) {
            Some((i, _)) => Some(i),
            None => self.announce(owner, token.0, token.1, room),
        };
        let Some(i) = i else { return };
        if self.rmbs[owner.index()]
            .get(i)
            .is_some_and(|r| !r.tokens.contains(&token))
        {
            self.add_token(owner, i, token, room);
        }
    }
}

impl Analyzer {
    /// An SMC-R Accept (server) or Confirm (client): ties the session to its
    /// link group, link QP, RMB and alert token.
    pub(super) fn smcr_clc(&mut self, id: u32, side: Side, r: &SmcrAcceptConfirm, first_contact: bool) {
        let qp = QpEnd {
            ip: gid_ip(r.gid),
            qpn: r.qpn,
        };
        let Some(t) = self.sessions.get(&id) else {
            return;
        };
        let known = t.session.smcr.as_ref().and_then(|s| s.link_group);
        // Not a first contact: the link group its QP is on.
        let joined = || match self.qps.get(&qp) {
            Some(&(l, owner)) if !first_contact && owner == side => Some(l),
            _ => None,
        };
        let lgr = match known.or_else(joined) {
            Some(l) => l,
            None if self.lgrs.len() < self.caps.link_groups && self.next_lgr < u32::MAX => {
                let l = self.next_lgr;
                self.next_lgr += 1;
                self.lgrs.insert(l, LinkGroup::new(l, first_contact, self.now));
                l
            }
            None => {
                self.over_caps += 1;
                return;
            }
        };
        self.add_qp(qp, lgr, side);
        let Some(g) = self.lgrs.get_mut(&lgr) else { return };
        g.last = self.now;
        if g.sessions.len() < PER_LGR_CAP && !g.sessions.contains(&id) {
            g.sessions.push(id);
        }
        if first_contact && side == Side::Client {
            g.first_confirm_due = true;
        }
        if first_contact {
            // The first link; its CONFIRM_LINK names its id.
            if let Some(link) = g.link(0, &mut self.link_generation) {
                link.qp[side.index()] = Some(qp);
            }
        }
        let size = dissect::clc::buffer_size(r.rmbe_size);
        if let Some(i) = g.announce(side, r.rmb_rkey, r.rmb_dma_addr, rkey_room!(self)) {
            let rmb = &mut g.rmbs[side.index()][i];
            rmb.size = Some(size);
            rmb.session = Some(id);
        }
        insert_capped(&mut g.conns, PER_LGR_CAP, (side, r.rmbe_alert_token), id);
        let Some(t) = self.sessions.get_mut(&id) else {
            return;
        };
        let s = t.session.smcr.get_or_insert_with(SmcrSeen::default);
        s.link_group = Some(lgr);
        s.qp[side.index()] = Some(qp);
        s.rmb[side.index()] = Some(RmbSeen {
            rkey: r.rmb_rkey,
            dma_addr: r.rmb_dma_addr,
            size,
            alert_token: r.rmbe_alert_token,
        });
    }

    /// An LLC message to `receiver` of link group `lgr`.
    pub(super) fn llc(
        &mut self,
        ev: &Event,
        (lgr, receiver): (u32, Side),
        _src: IpAddr,
        m: &LlcMessage,
        out: &mut Vec<crate::session::Update>,
    ) {
        let sender = receiver.peer();
        let h = *m.header();
        let rsp = h.is_response();
        let kind = h.llc_type.kind();
        let scope = (None, Some(lgr));
        let Some(g) = self.lgrs.get_mut(&lgr) else { return };
        g.last = self.now;
        let whole = g.whole;
        // A response that answers no request: the frames that show it.
        let unanswered = match m {
            LlcMessage::ConfirmLink(l) => {
                if h.flags.0 & LlcFlags::NO_RMBE_EYECATCHER.0 == 0 {
                    let detail = format!("flags {:#04x} from the {}", h.flags.0, sender.name());
                    self.report(out, rules::LLC_NO_RMBE_EYEC, vec![ev.frame], scope, detail);
                }
                let Some(g) = self.lgrs.get_mut(&lgr) else { return };
                let qp = QpEnd {
                    ip: gid_ip(l.body.sender_gid),
                    qpn: l.body.sender_qpn,
                };
                let first = g
                    .links
                    .iter_mut()
                    .find(|k| k.id == 0 && k.qp[sender.index()] == Some(qp));
                if let Some(link) = first {
                    link.id = l.body.link_id;
                }
                if let Some(link) = g.link(l.body.link_id, &mut self.link_generation) {
                    link.qp[sender.index()] = Some(qp);
                    link.confirmed |= rsp;
                }
                let unanswered = if rsp {
                    g.add_link = None;
                    g.answer(sender, kind, ev.frame, None, false)
                } else {
                    let in_flow = sender == Side::Server
                        && (g.first_confirm_due || g.add_link.is_some_and(|(_, accepted)| accepted));
                    g.first_confirm_due = false;
                    g.request(sender, kind, ev.frame, Some(l.body.link_id));
                    if whole && !in_flow {
                        let detail = format!("link {} from the {}", l.body.link_id, sender.name());
                        self.report(
                            out,
                            rules::LLC_CONFIRM_LINK_OUT_OF_FLOW,
                            vec![ev.frame],
                            scope,
                            detail,
                        );
                    }
                    None
                };
                self.add_qp(qp, lgr, sender);
                unanswered
            }
            LlcMessage::AddLink(l) => {
                let reject = h.flags.contains(LlcFlags::ADD_LINK_REJECT);
                let unanswered = if rsp {
                    g.add_link = (!reject).then_some((l.body.link_id, true));
                    g.answer(sender, kind, ev.frame, Some(l.body.link_id), reject)
                } else {
                    g.add_link = Some((l.body.link_id, false));
                    g.request(sender, kind, ev.frame, Some(l.body.link_id));
                    None
                };
                if !reject {
                    let qp = QpEnd {
                        ip: gid_ip(l.body.sender_gid),
                        qpn: l.body.sender_qpn,
                    };
                    if let Some(link) = g.link(l.body.link_id, &mut self.link_generation) {
                        link.qp[sender.index()] = Some(qp);
                    }
                    for p in l.body.v2_ext.iter().flat_map(|x| &x.rkeys) {
                        g.alias(sender, p.rkey, (p.new_rkey, p.new_vaddr), rkey_room!(self));
                    }
                    self.add_qp(qp, lgr, sender);
                }
                unanswered
            }
            LlcMessage::AddLinkCont(l) => {
                if whole && g.add_link.is_none() {
                    let detail = format!("link {} from the {}", l.body.link_id, sender.name());
                    self.report(
                        out,
                        rules::LLC_ADD_LINK_CONT_OUT_OF_FLOW,
                        vec![ev.frame],
                        scope,
                        detail,
                    );
                }
                let Some(g) = self.lgrs.get_mut(&lgr) else { return };
                let n = usize::from(l.body.rkeys_remaining).min(2);
                for p in l.body.rkeys.iter().take(n) {
                    alias_pair(g, sender, p, rkey_room!(self));
                }
                None
            }
            LlcMessage::DeleteLink(l) => {
                if let Some(link) = g.link(l.body.link_id, &mut self.link_generation) {
                    link.deleted = true;
                }
                // Clearing a link ends its TEST_LINK wait (smc_llc_link_clear
                // completes llc_testlink_resp); which link a TEST_LINK went
                // over is not tracked, so every open one of the group goes.
                self.open_tests = self.open_tests.saturating_sub(g.tests.len());
                g.tests.clear();
                if g.add_link.is_some_and(|(id, _)| id == l.body.link_id) {
                    g.add_link = None;
                }
                g.exchange(sender, kind, rsp, ev.frame, Some(l.body.link_id))
            }
            LlcMessage::ConfirmRkey(l) => {
                if !rsp {
                    let t = l.body.rtoken;
                    g.announce(sender, t.rkey, t.vaddr, rkey_room!(self));
                    let n = usize::from(l.body.other_count).min(2);
                    for o in l.body.others.iter().take(n) {
                        g.alias(sender, t.rkey, (o.rtoken.rkey, o.rtoken.vaddr), rkey_room!(self));
                    }
                }
                g.exchange(sender, kind, rsp, ev.frame, None)
            }
            LlcMessage::DeleteRkey(_) | LlcMessage::RequestAddLink(_) => {
                g.exchange(sender, kind, rsp, ev.frame, None)
            }
            LlcMessage::TestLink(_) if rsp => {
                match g.tests.iter().position(|t| t.0 == receiver) {
                    Some(i) => {
                        g.tests.remove(i);
                        self.open_tests = self.open_tests.saturating_sub(1);
                    }
                    None if whole => {
                        let detail = format!("TEST_LINK response from the {}", sender.name());
                        self.report(
                            out,
                            rules::LLC_RESPONSE_WITHOUT_REQUEST,
                            vec![ev.frame],
                            scope,
                            detail,
                        );
                    }
                    None => {}
                }
                None
            }
            LlcMessage::TestLink(_) => {
                if g.tests.len() < PER_LGR_CAP {
                    g.tests.push((sender, ev.frame, ev.time));
                    self.open_tests += 1;
                }
                None
            }
            LlcMessage::ConfirmRkeyCont(_) => None,
            LlcMessage::Unknown(u) => {
                let detail = format!("type {:#04x} from the {}", u.header.llc_type.0, sender.name());
                self.report(out, rules::LLC_UNKNOWN_TYPE, vec![ev.frame], scope, detail);
                None
            }
        };
        if let Some(frames) = unanswered {
            let detail = format!("LLC type {kind:#x} response from the {}", sender.name());
            self.report(out, rules::LLC_RESPONSE_WITHOUT_REQUEST, frames, scope, detail);
        }
    }

    /// TEST_LINK requests past their deadline.
    pub(super) fn test_link_deadlines(&mut self, out: &mut Vec<crate::session::Update>) {
        let now = self.now;
        let mut late = Vec::new();
        for g in self.lgrs.values_mut() {
            g.tests.retain(|&(side, frame, time)| {
                let waited = micros(time, now);
                if waited > TEST_LINK_WAIT_MICROS {
                    late.push((g.id, side, frame, waited));
                }
                waited <= TEST_LINK_WAIT_MICROS
            });
        }
        self.open_tests = self.open_tests.saturating_sub(late.len());
        for (lgr, side, frame, waited) in late {
            let detail = format!("from the {}, no response after {} ms", side.name(), waited / 1000);
            self.report(
                out,
                rules::LLC_TEST_LINK_UNANSWERED,
                vec![frame],
                (None, Some(lgr)),
                detail,
            );
        }
    }
}

fn alias_pair(g: &mut LinkGroup, owner: Side, p: &RkeyPair, room: &mut RkeyRoom) {
    g.alias(owner, p.rkey, (p.new_rkey, p.new_vaddr), room);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rmbs_are_found_by_rkey_and_the_engine_wide_cap_turns_new_rkeys_away() {
        let (mut held, mut over) = (0, 0);
        let mut room = RkeyRoom {
            held: &mut held,
            cap: 3,
            over: &mut over,
        };
        let mut g = LinkGroup::new(0, true, Timestamp::default());
        let owner = Side::Server;
        assert_eq!(g.announce(owner, 0x10, 0x1000, &mut room), Some(0));
        assert_eq!(g.announce(owner, 0x20, 0x2000, &mut room), Some(1));
        // The same RMB on a second link: a new rkey, in RMB 0.
        g.alias(owner, 0x10, (0x11, 0x1100), &mut room);
        assert_eq!(g.rmb(owner, 0x11), Some((0, 0x1100)));
        // A new address for a known rkey takes no room.
        assert_eq!(g.announce(owner, 0x20, 0x2200, &mut room), Some(1));
        assert_eq!(g.rmb(owner, 0x20), Some((1, 0x2200)));
        // A third RMB's rkey would be the fourth held: turned away, counted.
        assert_eq!(g.announce(owner, 0x30, 0x3000, &mut room), None);
        g.alias(owner, 0x20, (0x21, 0x2100), &mut room);
        assert_eq!((g.rmb(owner, 0x30), g.rmb(owner, 0x21)), (None, None));
        assert_eq!(g.rmb(Side::Client, 0x10), None);
        assert_eq!((g.rkeys_held(), *room.held, *room.over), (3, 3, 2));
    }

    #[test]
    fn an_rkey_in_two_rmbs_names_the_first() {
        let (mut held, mut over) = (0, 0);
        let mut room = RkeyRoom {
            held: &mut held,
            cap: 100,
            over: &mut over,
        };
        let mut g = LinkGroup::new(0, true, Timestamp::default());
        let owner = Side::Client;
        g.announce(owner, 0x10, 0x1000, &mut room);
        g.announce(owner, 0x20, 0x2000, &mut room);
        // RMB 1 learns 0x10 on another link (a peer that reused the rkey).
        g.alias(owner, 0x20, (0x10, 0x9000), &mut room);
        assert_eq!(g.rmb(owner, 0x10), Some((0, 0x1000)));
        assert_eq!(g.rkeys_held(), 2);
    }
}
