//! One pass over a capture: each session's script and digest.

use super::digest::{CdcCounts, Digest, LlcSeen};
use super::script::{Abort, End, EndKind, Script, Step, AFTER_KEPT, STEPS_KEPT};
use super::setup::Offer;
use crate::frame::Frame;
use crate::pipeline::{Event, EventKind, Pipeline};
use crate::session::eid_text;
use crate::session::{Analyzer, Caps, Fallback, Outcome, Session, Side, Update};
use dissect::cdc::{ConnStateFlags, Cursor};
use dissect::clc::ClcMessage;
use dissect::llc::LlcMessage;
use std::collections::{BTreeMap, HashMap};

/// LLC messages kept per link group: enough for any link group's
/// management, bounded against a hostile capture.
const LLC_KEPT: usize = 4096;

/// A session as the capture showed it.
#[derive(Debug, Clone)]
pub struct Recorded {
    pub session: Session,
    /// What the client's first Proposal offered.
    pub offer: Option<Offer>,
    pub script: Script,
    pub digest: Digest,
}

/// Every session of a capture, in id order, and what could not be analysed.
#[derive(Debug, Default)]
pub struct Observed {
    pub sessions: Vec<Recorded>,
    /// Frames with bad or cut input (the pipeline's problems).
    pub problems: u64,
}

/// What the script of a session under way has so far.
#[derive(Debug, Default)]
struct Building {
    steps: Vec<Step>,
    end: [Option<End>; 2],
    tcp_bytes: [u64; 2],
    producer: [Cursor; 2],
    sent: [u64; 2],
    cdc: [CdcCounts; 2],
    /// The connection-state flags of each sender's last CDC message.
    flags: [ConnStateFlags; 2],
}

/// Frames in (any order the capture has them), [`Observed`] out at the end.
#[derive(Debug, Default)]
pub struct Observer {
    pipeline: Pipeline,
    analyzer: Analyzer,
    events: Vec<Event>,
    updates: Vec<Update>,
    building: HashMap<u32, Building>,
    ended: BTreeMap<u32, (Session, Building)>,
    findings: HashMap<u32, Vec<&'static str>>,
    offers: HashMap<u32, Offer>,
    llc: HashMap<u32, Vec<LlcSeen>>,
    problems: u64,
}

impl Observer {
    pub fn new() -> Self {
        Observer {
            analyzer: Analyzer::new(Caps::default()),
            ..Observer::default()
        }
    }

    pub fn frame<D: AsRef<[u8]>>(&mut self, frame: &Frame<D>) {
        let mut events = std::mem::take(&mut self.events);
        self.pipeline.frame(frame, &mut events);
        self.take(&mut events);
        self.events = events;
    }

    pub fn finish(mut self) -> Observed {
        let mut events = std::mem::take(&mut self.events);
        self.pipeline.finish(&mut events);
        self.take(&mut events);
        self.analyzer.finish(&mut self.updates);
        self.updates();
        let first = self
            .ended
            .values()
            .map(|(s, _)| s.start)
            .min()
            .unwrap_or_default();
        let spans: Vec<Span> = self
            .ended
            .iter()
            .map(|(&id, (s, b))| {
                let start = s.start.nanos_since(first);
                Span {
                    id,
                    start,
                    end: start + last_ns(b),
                }
            })
            .collect();
        let mut afters = predecessors(&spans).into_iter();
        let mut sessions = Vec::with_capacity(self.ended.len());
        for (id, (session, b)) in std::mem::take(&mut self.ended) {
            let llc = match &session.outcome {
                Outcome::Smc(n) if n.first_contact => session
                    .smcr
                    .as_ref()
                    .and_then(|s| s.link_group)
                    .and_then(|g| self.llc.get(&g).cloned())
                    .unwrap_or_default(),
                _ => Vec::new(),
            };
            let after = afters.next().unwrap_or_default();
            let digest = Digest::new(
                &session,
                llc,
                b.cdc,
                self.findings.remove(&id).unwrap_or_default(),
            );
            let script = script(&session, b, session.start.nanos_since(first), after);
            sessions.push(Recorded {
                offer: self.offers.remove(&id),
                session,
                script,
                digest,
            });
        }
        Observed {
            sessions,
            problems: self.problems,
        }
    }

    fn take(&mut self, events: &mut Vec<Event>) {
        for event in events.drain(..) {
            if matches!(event.kind, EventKind::Problem(_)) {
                self.problems += 1;
            }
            let at = self.analyzer.event(&event, &mut self.updates);
            if let Some(at) = at {
                self.attributed(&event, at.session, at.link_group, at.sender);
            }
            self.updates();
        }
    }

    fn attributed(&mut self, event: &Event, session: Option<u32>, lgr: Option<u32>, sender: Side) {
        if let (EventKind::Llc(m), Some(g)) = (&event.kind, lgr) {
            let seen = self.llc.entry(g).or_default();
            if seen.len() < LLC_KEPT {
                let h = m.header();
                seen.push(LlcSeen {
                    from: sender,
                    kind: h.llc_type.with_version(0).name().unwrap_or("unknown"),
                    response: h.is_response(),
                    link: match m {
                        LlcMessage::ConfirmLink(l) => Some(l.body.link_id),
                        LlcMessage::AddLink(l) => Some(l.body.link_id),
                        LlcMessage::DeleteLink(l) => Some(l.body.link_id),
                        _ => None,
                    },
                    time: event.time,
                });
            }
        }
        let Some(id) = session else { return };
        if let (EventKind::Clc(ClcMessage::Proposal(p)), Side::Client) = (&event.kind, sender) {
            self.offers.entry(id).or_insert_with(|| Offer {
                typev1: p.env.typev1,
                typev2: p.env.typev2,
                eids: p
                    .v2_ext
                    .as_ref()
                    .map(|x| x.eids.iter().map(|e| eid_text(e).to_string()).collect()),
            });
        }
        let Some(now) = self.analyzer.session(id).cloned() else {
            return;
        };
        let b = self.building.entry(id).or_default();
        let at_ns = event.time.nanos_since(now.start);
        let (i, peer) = (sender.index(), sender.peer().index());
        let mut sent = 0;
        let mut end = None;
        match &event.kind {
            EventKind::Segment(s) => {
                sent = now.tcp_bytes[i].saturating_sub(b.tcp_bytes[i]);
                b.tcp_bytes[i] = now.tcp_bytes[i];
                if s.rst {
                    end = Some(EndKind::Reset);
                } else if s.fin && !matches!(&now.outcome, Outcome::Smc(n) if !n.smcd) {
                    // An SMC-R connection's FIN follows its CDC close; over
                    // TCP, and SMC-D (whose CDC is not on a wire), it is the close.
                    end = Some(EndKind::Shutdown);
                }
            }
            EventKind::Cdc(c) => {
                let ring = now.smcr.as_ref().and_then(|s| s.rmb[peer]).map(|r| r.size);
                if let Some(d) = ring.and_then(|r| b.producer[i].distance_to(c.producer, r)) {
                    sent = u64::from(d);
                    b.producer[i] = c.producer;
                }
                let f = c.conn_state_flags;
                let counts = &mut b.cdc[i];
                if sent > 0 {
                    counts.data += 1;
                } else if f != b.flags[i] {
                    counts.close += 1;
                } else {
                    counts.updates += 1;
                }
                b.flags[i] = f;
                end = if f.contains(ConnStateFlags::PEER_CONN_ABORT) {
                    Some(EndKind::Reset)
                } else if f.contains(ConnStateFlags::PEER_CONN_CLOSED) {
                    Some(EndKind::Close)
                } else if f.contains(ConnStateFlags::PEER_DONE_WRITING) {
                    Some(EndKind::Shutdown)
                } else {
                    None
                };
            }
            _ => {}
        }
        if sent > 0 {
            let after_received = b.sent[peer];
            b.sent[i] += sent;
            let full = b.steps.len() >= STEPS_KEPT;
            match b.steps.last_mut() {
                Some(last) if full => last.bytes += sent,
                _ => b.steps.push(Step {
                    from: sender,
                    bytes: sent,
                    at_ns,
                    after_received,
                }),
            }
        }
        if let (Some(kind), None) = (end, b.end[i]) {
            b.end[i] = Some(End {
                kind,
                at_ns,
                after_received: b.sent[peer],
            });
        }
    }

    fn updates(&mut self) {
        for u in self.updates.drain(..) {
            match u {
                Update::SessionEnded(s) => {
                    let b = self.building.remove(&s.id).unwrap_or_default();
                    self.ended.insert(s.id, (*s, b));
                }
                Update::Finding(f) => {
                    if let Some(id) = f.session {
                        self.findings.entry(id).or_default().push(f.rule.id);
                    }
                }
                Update::Session(_) => {}
            }
        }
    }
}

/// A session's time in the capture, in nanoseconds from the first SYN.
struct Span {
    id: u32,
    start: u64,
    end: u64,
}

/// When the session's last step or close was seen, from its SYN.
fn last_ns(b: &Building) -> u64 {
    let ends = b.end.iter().flatten().map(|e| e.at_ns);
    ends.chain(b.steps.last().map(|s| s.at_ns)).max().unwrap_or(0)
}

/// For each span, in order: the sessions that had ended before it began and
/// ended after the last of those began. Waiting for them waits for the rest,
/// which they waited for in turn; the list stays as short as the capture's
/// concurrency (at most [`AFTER_KEPT`], the latest to end), not as long as
/// its history.
fn predecessors(spans: &[Span]) -> Vec<Vec<u32>> {
    let mut by_end: Vec<&Span> = spans.iter().collect();
    by_end.sort_by_key(|s| s.end);
    // The latest start among the first k spans to end.
    let latest_start: Vec<u64> = by_end
        .iter()
        .scan(0, |latest, s| {
            *latest = s.start.max(*latest);
            Some(*latest)
        })
        .collect();
    spans
        .iter()
        .map(|s| {
            let ended = by_end.partition_point(|e| e.end < s.start);
            let Some(&last) = ended.checked_sub(1).and_then(|k| latest_start.get(k)) else {
                return Vec::new();
            };
            let from = by_end[..ended]
                .partition_point(|e| e.end < last)
                .max(ended.saturating_sub(AFTER_KEPT));
            let mut ids: Vec<u32> = by_end[from..ended].iter().map(|e| e.id).collect();
            ids.sort_unstable();
            ids
        })
        .collect()
}

fn script(session: &Session, b: Building, start_ns: u64, after: Vec<u32>) -> Script {
    let abort = match session.outcome {
        Outcome::Fallback(Fallback::Aborted { by, reset, .. }) => Some(Abort { by, reset }),
        _ => None,
    };
    let smcd = matches!(&session.outcome, Outcome::Smc(n) if n.smcd);
    Script {
        session: session.id,
        ipv6: session.client.is_ipv6(),
        smc: [
            session.syn_option != Some(false),
            session.synack_option != Some(false),
        ],
        start_ns,
        after,
        steps: b.steps,
        end: b.end,
        abort,
        data_on_wire: !smcd,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn span(id: u32, start: u64, end: u64) -> Span {
        Span { id, start, end }
    }

    /// Two parallel pairs one after the other, then one more: each waits
    /// for the pair before it, and the pair before that is implied.
    #[test]
    fn a_session_waits_for_the_last_ones_to_end_before_it() {
        let spans = [
            span(0, 0, 10),
            span(1, 1, 12),
            span(2, 20, 30),
            span(3, 21, 31),
            span(4, 40, 50),
        ];
        assert_eq!(
            predecessors(&spans),
            vec![vec![], vec![], vec![0, 1], vec![0, 1], vec![2, 3]]
        );
    }

    /// Hundreds of sessions open at once before one more: the list stays capped.
    #[test]
    fn predecessors_are_capped() {
        let mut spans: Vec<Span> = (0..300)
            .map(|i| span(i, u64::from(i), 1000 + u64::from(i)))
            .collect();
        spans.push(span(300, 5000, 5001));
        let after = predecessors(&spans).pop().unwrap();
        let latest: Vec<u32> = (300 - AFTER_KEPT as u32..300).collect();
        assert_eq!(after, latest);
    }
}
