//! Which session (or link group) each pipeline event belongs to, from what
//! the session engine learnt: TCP events by their connection, RoCE events by
//! the QP they went to, CDC by the receiver's alert token, RDMA WRITEs by the
//! rkey of the receiver's RMB. LLC belongs to the link group.

use super::store::{Kind, Row, Store};
use crate::cmd::read::describe::describe;
use dissect::Layer;
use engine::pipeline::{Endpoints, Event, EventKind};
use engine::session::{Analyzer, QpEnd, Session, Side, Update};
use std::collections::{HashMap, HashSet};
use std::net::{IpAddr, SocketAddr};

#[derive(Default)]
pub struct Attributor {
    flows: HashMap<(SocketAddr, SocketAddr), u32>,
    /// Receiving QP end to its link group and side.
    qps: HashMap<QpEnd, (u32, Side)>,
    /// (link group, receiver, alert token) and (link group, receiver, rkey) to session.
    tokens: HashMap<(u32, Side, u32), u32>,
    rkeys: HashMap<(u32, Side, u32), u32>,
    /// The engine's link generation at the last scan for added links.
    links_seen: u64,
    /// TCP payload after CLC already shown, per session.
    tcp_shown: HashMap<u32, u64>,
    /// Sessions whose figures changed since the last refresh.
    touched: HashSet<u32>,
    updates: Vec<Update>,
}

impl Attributor {
    /// Feeds `events` to the engine and stores them as rows of their sessions.
    pub fn events(&mut self, events: &[Event], analyzer: &mut Analyzer, store: &mut Store) {
        for e in events {
            analyzer.event(e, &mut self.updates);
            self.apply(analyzer, store);
            if let Some(row) = self.row(e, analyzer, store) {
                if let Some(s) = row.session {
                    self.touched.insert(s);
                }
                store.push(row);
            } else if let EventKind::Problem(p) = &e.kind {
                store.problem(format!("frame {}: {} {p}", e.frame, p.layer()));
            }
        }
    }

    /// End of input: the engine's last word on every session.
    pub fn finish(&mut self, analyzer: &mut Analyzer, store: &mut Store) {
        analyzer.finish(&mut self.updates);
        self.apply(analyzer, store);
        self.touched.extend(analyzer.sessions().map(|s| s.id));
        self.refresh(analyzer, store);
    }

    /// Copies the figures of the sessions that changed into the store.
    pub fn refresh(&mut self, analyzer: &Analyzer, store: &mut Store) {
        for id in self.touched.drain() {
            if let Some(s) = analyzer.session(id) {
                store.session(s.clone());
            }
        }
    }

    fn apply(&mut self, analyzer: &Analyzer, store: &mut Store) {
        for u in self.updates.drain(..) {
            match u {
                Update::Session(id) => {
                    if let Some(s) = analyzer.session(id) {
                        learn(
                            &mut self.flows,
                            &mut self.qps,
                            &mut self.tokens,
                            &mut self.rkeys,
                            s,
                        );
                        store.session(s.clone());
                    }
                }
                Update::SessionEnded(s) => {
                    self.touched.remove(&s.id);
                    store.session(*s);
                }
                Update::Finding(f) => {
                    if let Some(s) = f.session {
                        self.touched.insert(s);
                    }
                    store.finding(f);
                }
            }
        }
    }

    fn row(&mut self, e: &Event, analyzer: &Analyzer, store: &mut Store) -> Option<Row> {
        let (session, lgr, from) = match e.at {
            Endpoints::Tcp(flow) => {
                let id = *self.flows.get(&(flow.src, flow.dst))?;
                let s = analyzer.session(id)?;
                let from = if flow.src == s.client {
                    Side::Client
                } else {
                    Side::Server
                };
                (Some(id), s.smcr.as_ref().and_then(|r| r.link_group), from)
            }
            Endpoints::Qp { dst, qp, .. } => {
                let (lgr, receiver) = self.qp(dst, qp, analyzer)?;
                let session = match &e.kind {
                    EventKind::Cdc(c) => self.tokens.get(&(lgr, receiver, c.token)).copied(),
                    EventKind::RdmaWrite { target: Some(t), .. } => {
                        self.rkeys.get(&(lgr, receiver, t.rkey)).copied()
                    }
                    _ => None,
                };
                (session, Some(lgr), receiver.peer())
            }
            Endpoints::Frame => return None,
        };
        let mut response = false;
        let (kind, proto, msg, version, fields) = match &e.kind {
            EventKind::Segment(seg) => {
                let id = session?;
                let moved = analyzer.session(id).map_or(0, |s| s.tcp_bytes.iter().sum());
                let shown = self.tcp_shown.entry(id).or_default();
                let data = moved - (*shown).min(moved);
                *shown = moved;
                let msg = match (seg.rst, seg.fin, data > 0) {
                    (true, _, _) => "rst",
                    (_, true, _) => "fin",
                    (_, _, true) => "data",
                    _ => return None,
                };
                let fields = if data > 0 {
                    format!("{data} bytes")
                } else {
                    String::new()
                };
                store.moved(id, e.time, data);
                (Kind::Data, "tcp", msg, None, fields)
            }
            EventKind::Problem(p) => (Kind::Problem, p.layer().name(), "problem", None, p.to_string()),
            kind => {
                if let (EventKind::RdmaWrite { bytes, .. }, Some(id)) = (kind, session) {
                    store.moved(id, e.time, *bytes);
                }
                let d = describe(kind)?;
                let kind = match d.proto {
                    Layer::Clc => Kind::Clc,
                    Layer::Llc => Kind::Llc,
                    Layer::Cdc => Kind::Cdc,
                    Layer::Rdma => Kind::Rdma,
                    Layer::Frame | Layer::TcpOption => Kind::Tcp,
                };
                response = d.response == Some(true);
                (kind, d.proto.name(), d.msg, d.version, crate::cmd::read::text::fields(&d.fields))
            }
        };
        Some(Row {
            frame: e.frame,
            time: e.time,
            session,
            lgr,
            from,
            kind,
            proto,
            msg,
            version,
            response,
            fields: fields.into_boxed_str(),
            bytes: e.tree.as_ref().map(|t| t.bytes.clone().into_boxed_slice()),
        })
    }

    /// The link group and side owning the QP a RoCE packet went to; a miss
    /// rescans the link groups when links were added since the last scan.
    fn qp(&mut self, dst: IpAddr, qpn: u32, analyzer: &Analyzer) -> Option<(u32, Side)> {
        let end = QpEnd {
            ip: dst.to_canonical(),
            qpn,
        };
        if let Some(&found) = self.qps.get(&end) {
            return Some(found);
        }
        let generation = analyzer.link_generation();
        if generation != self.links_seen {
            self.links_seen = generation;
            for g in analyzer.link_groups() {
                for link in &g.links {
                    for side in [Side::Client, Side::Server] {
                        if let Some(q) = link.qp[side.index()] {
                            self.qps.insert(q, (g.id, side));
                        }
                    }
                }
            }
        }
        self.qps.get(&end).copied()
    }
}

/// What a session update teaches: its connection, QPs, tokens and rkeys.
fn learn(
    flows: &mut HashMap<(SocketAddr, SocketAddr), u32>,
    qps: &mut HashMap<QpEnd, (u32, Side)>,
    tokens: &mut HashMap<(u32, Side, u32), u32>,
    rkeys: &mut HashMap<(u32, Side, u32), u32>,
    s: &Session,
) {
    flows.insert((s.client, s.server), s.id);
    flows.insert((s.server, s.client), s.id);
    let Some((r, lgr)) = s.smcr.as_ref().and_then(|r| Some((r, r.link_group?))) else {
        return;
    };
    for side in [Side::Client, Side::Server] {
        if let Some(q) = r.qp[side.index()] {
            qps.insert(q, (lgr, side));
        }
        if let Some(rmb) = r.rmb[side.index()] {
            tokens.insert((lgr, side, rmb.alert_token), s.id);
            rkeys.insert((lgr, side, rmb.rkey), s.id);
        }
    }
}

