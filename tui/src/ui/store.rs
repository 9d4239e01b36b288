//! The shared picture the engine thread builds and the UI thread reads:
//! sessions, the rows of their events, findings and live figures. Capped so
//! a long live capture or a hostile one keeps memory bounded: findings past
//! their cap are not kept; rows, ended sessions and link groups past theirs
//! are let go, oldest first (live sessions are bounded by the engine's own
//! cap).

use engine::frame::Timestamp;
use engine::pipeline::Message;
use engine::session::{Finding, Session, Side};
use std::collections::{BTreeMap, VecDeque};

/// What the store keeps at most.
#[derive(Debug, Clone, Copy)]
pub struct StoreCaps {
    /// Rows over all sessions; past it the oldest goes.
    pub rows: usize,
    pub findings: usize,
    /// Sessions kept after their end; the one that ended first goes first.
    pub ended_sessions: usize,
    /// Link groups whose LLC rows are kept; the one quiet longest goes first.
    pub link_groups: usize,
}

impl Default for StoreCaps {
    fn default() -> Self {
        StoreCaps {
            rows: 4_000_000,
            findings: 100_000,
            ended_sessions: 20_000,
            link_groups: 2_000,
        }
    }
}

/// The message kinds the events pane filters on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// The SMC TCP option on SYN / SYN-ACK.
    TcpOption,
    Clc,
    Llc,
    Cdc,
    Rdma,
    /// TCP payload after CLC: fallback data.
    TcpData,
    /// FIN and RST segments of the session's TCP connection.
    TcpEnd,
    Problem,
}

impl Kind {
    /// As the filter and the help name it.
    pub fn name(self) -> &'static str {
        match self {
            Kind::TcpOption => "TCP option",
            Kind::Clc => "CLC",
            Kind::Llc => "LLC",
            Kind::Cdc => "CDC",
            Kind::Rdma => "RDMA",
            Kind::TcpData => "TCP data",
            Kind::TcpEnd => "TCP FIN/RST",
            Kind::Problem => "problem",
        }
    }
}

/// One event of a session, kept compact.
#[derive(Debug, Clone)]
pub struct Row {
    pub frame: u64,
    pub time: Timestamp,
    pub session: Option<u32>,
    pub lgr: Option<u32>,
    /// Who sent it.
    pub from: Side,
    pub kind: Kind,
    pub proto: &'static str,
    pub msg: &'static str,
    pub version: Option<u8>,
    /// LLC: the response flag.
    pub response: bool,
    /// `key=value` pairs.
    pub fields: Box<str>,
    /// The message (CLC, LLC, CDC), for its field tree and hex view.
    pub message: Option<Box<Message>>,
}

impl Row {
    /// "CLC proposal v2", "LLC confirm_link v2 rsp".
    pub fn label(&self) -> String {
        let proto = self.proto.to_uppercase();
        let mut s = if self.msg == self.proto {
            proto
        } else {
            format!("{proto} {}", self.msg)
        };
        if let Some(v) = self.version {
            s += &format!(" v{v}");
        }
        if self.response {
            s += " rsp";
        }
        s
    }
}

/// One session and what the UI keeps about it.
#[derive(Debug, Clone)]
pub struct Entry {
    pub session: Session,
    /// Numbers of its rows still kept ([`Store::row`]), in order.
    pub rows: VecDeque<u64>,
    /// Bytes moved (TCP after CLC and RDMA WRITE, both ways) over time.
    pub rate: Rate,
    /// TCP payload after CLC already shown in a row.
    pub tcp_shown: u64,
    pub ended: bool,
}

impl Entry {
    pub fn bytes(s: &Session) -> u64 {
        s.tcp_bytes.iter().chain(&s.rdma_bytes).sum()
    }
}

/// What was lost: by the capture itself, by reassembly caps, by our caps.
#[derive(Debug, Clone, Copy, Default)]
pub struct Losses {
    pub capture: Option<u64>,
    pub reassembly: engine::pipeline::reassembly::Drops,
}

#[derive(Default)]
pub struct Store {
    pub caps: StoreCaps,
    /// By session id (the engine numbers them from 0, in order).
    pub sessions: BTreeMap<u32, Entry>,
    /// One past the highest session id seen: a lower one not in `sessions` was let go.
    pub next_session: u32,
    /// Ended sessions in the order they ended (some may be let go already).
    ended: VecDeque<u32>,
    /// Ended sessions let go for `caps.ended_sessions`.
    pub sessions_let_go: u64,
    /// The newest rows, oldest first: the first is number `first_row`.
    pub rows: VecDeque<Row>,
    first_row: u64,
    /// Numbers of the rows of each link group (LLC), by link group id.
    pub lgr_rows: BTreeMap<u32, VecDeque<u64>>,
    /// Link groups whose rows were let go for `caps.link_groups`.
    pub link_groups_let_go: u64,
    pub findings: Vec<Finding>,
    pub frames: u64,
    pub bytes: u64,
    pub first: Option<Timestamp>,
    pub last: Timestamp,
    /// Frames over capture time.
    pub frame_rate: Rate,
    pub drops: Losses,
    pub over_caps: u64,
    /// Rows let go for `caps.rows`, oldest first.
    pub rows_let_go: u64,
    /// Bad input seen (the run went on) and source errors; the last one shows.
    pub problems: u64,
    pub last_error: Option<String>,
    /// The source failed (it ends at its first error): said again on stderr
    /// when the UI exits, which then exits non-zero, as `read --no-ui` does.
    pub failure: Option<String>,
    /// The feed ended (file read through, or the source failed).
    pub done: bool,
    /// Recent (time, frames) samples for the packet rate.
    samples: VecDeque<(Timestamp, u64)>,
}

impl Store {
    pub fn frame(&mut self, _number: u64, time: Timestamp, len: usize) {
        self.frames += 1;
        self.bytes += len as u64;
        self.first.get_or_insert(time);
        self.last = self.last.max(time);
        self.frame_rate.add(time, 1);
    }

    /// A new or changed session (one already let go stays gone).
    pub fn session(&mut self, s: Session) {
        let id = s.id;
        if let Some(e) = self.sessions.get_mut(&id) {
            e.session = s;
        } else if id >= self.next_session {
            self.next_session = id + 1;
            let rows = VecDeque::new();
            let (rate, tcp_shown, ended) = (Rate::default(), 0, false);
            self.sessions.insert(
                id,
                Entry {
                    session: s,
                    rows,
                    rate,
                    tcp_shown,
                    ended,
                },
            );
        }
    }

    /// A session's last picture; past the cap, the session that ended first is let go.
    pub fn session_ended(&mut self, s: Session) {
        let id = s.id;
        self.session(s);
        let Some(e) = self.sessions.get_mut(&id).filter(|e| !e.ended) else {
            return;
        };
        e.ended = true;
        self.ended.push_back(id);
        while self.ended.len() > self.caps.ended_sessions {
            if let Some(old) = self.ended.pop_front() {
                self.sessions.remove(&old);
                self.sessions_let_go += 1;
            }
        }
    }

    /// A session moved `bytes` of data (RDMA WRITE or fallback TCP) at `time`.
    pub fn moved(&mut self, session: u32, time: Timestamp, bytes: u64) {
        if let Some(e) = self.sessions.get_mut(&session) {
            e.rate.add(time, bytes);
        }
    }

    /// The row numbered `n`, unless it was let go.
    pub fn row(&self, n: u64) -> Option<&Row> {
        self.rows
            .get(usize::try_from(n.checked_sub(self.first_row)?).ok()?)
    }

    /// The number the next row gets.
    pub fn next_row(&self) -> u64 {
        self.first_row + self.rows.len() as u64
    }

    /// A new row; past the cap the oldest goes.
    pub fn push(&mut self, row: Row) {
        let n = self.next_row();
        if let Some(e) = row.session.and_then(|s| self.sessions.get_mut(&s)) {
            e.rows.push_back(n);
        } else if let Some(lgr) = row.lgr {
            if !self.lgr_rows.contains_key(&lgr) && self.lgr_rows.len() >= self.caps.link_groups {
                self.let_go_quietest_link_group();
            }
            self.lgr_rows.entry(lgr).or_default().push_back(n);
        }
        self.rows.push_back(row);
        while self.rows.len() > self.caps.rows {
            self.let_go_oldest_row();
        }
    }

    /// The oldest row goes, and leaves the list it is first in (its
    /// session's or its link group's, unless the store let that go).
    fn let_go_oldest_row(&mut self) {
        let Some(row) = self.rows.pop_front() else {
            return;
        };
        let n = self.first_row;
        self.first_row += 1;
        self.rows_let_go += 1;
        if let Some(e) = row.session.and_then(|s| self.sessions.get_mut(&s)) {
            if e.rows.front() == Some(&n) {
                e.rows.pop_front();
                return;
            }
        }
        if let Some(lgr) = row.lgr {
            if let Some(rows) = self.lgr_rows.get_mut(&lgr).filter(|r| r.front() == Some(&n)) {
                rows.pop_front();
                // A link group with no rows left is not kept.
                if rows.is_empty() {
                    self.lgr_rows.remove(&lgr);
                }
            }
        }
    }

    /// Lets go of the rows of the link group whose last row is oldest.
    fn let_go_quietest_link_group(&mut self) {
        let quietest = self
            .lgr_rows
            .iter()
            .min_by_key(|(_, rows)| rows.back())
            .map(|(&id, _)| id);
        if let Some(id) = quietest {
            self.lgr_rows.remove(&id);
            self.link_groups_let_go += 1;
        }
    }

    pub fn finding(&mut self, f: Finding) {
        if self.findings.len() < self.caps.findings {
            self.findings.push(f);
        }
    }

    /// Bad input: counted, the last one shown in the status line.
    pub fn problem(&mut self, what: String) {
        self.problems += 1;
        self.last_error = Some(what);
    }

    /// The source failed: it could not start or could not go on.
    pub fn error(&mut self, what: String) {
        self.failure.get_or_insert_with(|| what.clone());
        self.problem(what);
    }

    /// Frames per second of capture time over about the last second.
    pub fn packet_rate(&mut self) -> f64 {
        if self.frames == 0 {
            return 0.0;
        }
        let now = (self.last, self.frames);
        if self.samples.back() != Some(&now) {
            self.samples.push_back(now);
        }
        while self.samples.len() > 2 && secs(self.samples[1].0, now.0) >= 1.0 {
            self.samples.pop_front();
        }
        // Within one batch (a short file read at once): the whole capture's rate.
        let (t, n) = match self.samples[0] {
            (t, _) if t == now.0 => (self.first.unwrap_or(t), 0),
            sample => sample,
        };
        let dt = secs(t, now.0);
        if dt > 0.0 {
            (now.1 - n) as f64 / dt
        } else {
            0.0
        }
    }
}

fn secs(a: Timestamp, b: Timestamp) -> f64 {
    b.as_secs_f64() - a.as_secs_f64()
}

/// A quantity over time in at most [`BUCKETS`] buckets: when time runs past
/// the last one, neighbours merge and buckets get twice as wide, so a
/// session's whole life fits whatever its length.
#[derive(Debug, Clone)]
pub struct Rate {
    start: Option<Timestamp>,
    width_micros: u64,
    pub buckets: Vec<u64>,
}

pub const BUCKETS: usize = 128;

impl Default for Rate {
    fn default() -> Self {
        Rate {
            start: None,
            width_micros: 1000,
            buckets: Vec::new(),
        }
    }
}

impl Rate {
    pub fn add(&mut self, t: Timestamp, n: u64) {
        let start = *self.start.get_or_insert(t);
        let since = ((t.as_secs_f64() - start.as_secs_f64()) * 1e6).max(0.0) as u64;
        let mut i = since / self.width_micros;
        while i >= BUCKETS as u64 {
            self.buckets = self.buckets.chunks(2).map(|c| c.iter().sum()).collect();
            self.width_micros *= 2;
            i = since / self.width_micros;
        }
        let i = i as usize;
        if i >= self.buckets.len() {
            self.buckets.resize(i + 1, 0);
        }
        self.buckets[i] += n;
    }

    /// Seconds each bucket covers.
    pub fn width(&self) -> f64 {
        self.width_micros as f64 / 1e6
    }
}
