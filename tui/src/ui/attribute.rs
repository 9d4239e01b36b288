//! Pipeline events as rows of the sessions (or link groups) the session
//! engine says they belong to, and the engine's updates into the store.

use super::store::{Kind, Row, Store};
use crate::present::describe::describe;
use dissect::Layer;
use engine::pipeline::{Event, EventKind};
use engine::session::{Analyzer, Attribution, Update};
use std::collections::HashSet;

#[derive(Default)]
pub struct Attributor {
    /// Sessions whose figures changed since the last refresh.
    touched: HashSet<u32>,
    updates: Vec<Update>,
}

impl Attributor {
    /// Feeds `events` to the engine and stores them as rows of their sessions.
    pub fn events(&mut self, events: &[Event], analyzer: &mut Analyzer, store: &mut Store) {
        for e in events {
            let at = analyzer.event(e, &mut self.updates);
            self.apply(analyzer, store);
            if let Some(row) = at.and_then(|at| self.row(e, at, analyzer, store)) {
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
                        store.session(s.clone());
                    }
                }
                Update::SessionEnded(s) => {
                    self.touched.remove(&s.id);
                    store.session_ended(*s);
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

    fn row(&mut self, e: &Event, at: Attribution, analyzer: &Analyzer, store: &mut Store) -> Option<Row> {
        let Attribution {
            session,
            link_group: lgr,
            sender: from,
        } = at;
        let mut response = false;
        let (kind, proto, msg, version, fields) = match &e.kind {
            EventKind::Segment(seg) => {
                let id = session?;
                let moved = analyzer.session(id).map_or(0, |s| s.tcp_bytes.iter().sum());
                // A session the store has let go shows no more rows.
                let shown = &mut store.sessions.get_mut(&id)?.tcp_shown;
                let data = moved - (*shown).min(moved);
                *shown = moved;
                let (kind, msg) = match (seg.rst, seg.fin, data > 0) {
                    (true, _, _) => (Kind::TcpEnd, "rst"),
                    (_, true, _) => (Kind::TcpEnd, "fin"),
                    (_, _, true) => (Kind::TcpData, "data"),
                    _ => return None,
                };
                let fields = if data > 0 {
                    format!("{data} bytes")
                } else {
                    String::new()
                };
                store.moved(id, e.time, data);
                (kind, "tcp", msg, None, fields)
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
                    Layer::Frame | Layer::TcpOption => Kind::TcpOption,
                };
                response = d.response == Some(true);
                (
                    kind,
                    d.proto.name(),
                    d.msg,
                    d.version,
                    crate::present::text::fields(&d.fields),
                )
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
            message: e.message.clone(),
        })
    }
}
