//! The shared picture the engine thread builds and the UI thread reads:
//! sessions, the rows of their events, findings and live figures. Capped so
//! a long live capture or a hostile one keeps memory bounded.

use engine::pipeline::Message;
use engine::session::{Finding, Session, Side};
use engine::source::Timestamp;
use std::collections::VecDeque;

/// Rows kept over all sessions; later ones are counted, not kept.
pub const ROWS_CAP: usize = 4_000_000;
pub const FINDINGS_CAP: usize = 100_000;

/// The message kinds the events pane filters on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// The SMC TCP option on SYN / SYN-ACK.
    Tcp,
    Clc,
    Llc,
    Cdc,
    Rdma,
    /// Fallback data, FIN and RST of the TCP connection.
    Data,
    Problem,
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
    /// Indices into [`Store::rows`], in order.
    pub rows: Vec<u32>,
    /// Bytes moved (TCP after CLC and RDMA WRITE, both ways) over time.
    pub rate: Rate,
}

impl Entry {
    pub fn bytes(s: &Session) -> u64 {
        s.tcp_bytes.iter().chain(&s.rdma_bytes).sum()
    }
}

/// What was lost: by the capture itself, by reassembly caps, by our caps.
#[derive(Debug, Clone, Copy, Default)]
pub struct Drops {
    pub capture: Option<u64>,
    pub reassembly: dissect::capture::Drops,
}

#[derive(Default)]
pub struct Store {
    /// Indexed by session id (the engine numbers them from 0).
    pub sessions: Vec<Entry>,
    pub rows: Vec<Row>,
    /// Rows of each link group (LLC), indexed by link group id.
    pub lgr_rows: Vec<Vec<u32>>,
    pub findings: Vec<Finding>,
    pub frames: u64,
    pub bytes: u64,
    pub first: Option<Timestamp>,
    pub last: Timestamp,
    /// Frames over capture time.
    pub frame_rate: Rate,
    pub drops: Drops,
    pub over_caps: u64,
    pub rows_dropped: u64,
    /// Bad input seen (the run went on) and source errors; the last one shows.
    pub problems: u64,
    pub last_error: Option<String>,
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

    /// A new or changed session.
    pub fn session(&mut self, s: Session) {
        let id = s.id as usize;
        if id >= self.sessions.len() {
            self.sessions.resize_with(id + 1, || Entry {
                session: s.clone(),
                rows: Vec::new(),
                rate: Rate::default(),
            });
        }
        self.sessions[id].session = s;
    }

    /// A session moved `bytes` of data (RDMA WRITE or fallback TCP) at `time`.
    pub fn moved(&mut self, session: u32, time: Timestamp, bytes: u64) {
        if let Some(e) = self.sessions.get_mut(session as usize) {
            e.rate.add(time, bytes);
        }
    }

    pub fn push(&mut self, row: Row) {
        if self.rows.len() >= ROWS_CAP {
            self.rows_dropped += 1;
            return;
        }
        let i = self.rows.len() as u32;
        if let Some(e) = row.session.and_then(|s| self.sessions.get_mut(s as usize)) {
            e.rows.push(i);
        } else if let Some(lgr) = row.lgr {
            let lgr = lgr as usize;
            if lgr >= self.lgr_rows.len() {
                self.lgr_rows.resize_with(lgr + 1, Vec::new);
            }
            self.lgr_rows[lgr].push(i);
        }
        self.rows.push(row);
    }

    pub fn finding(&mut self, f: Finding) {
        if self.findings.len() < FINDINGS_CAP {
            self.findings.push(f);
        }
    }

    /// Bad input: counted, the last one shown in the status line.
    pub fn problem(&mut self, what: String) {
        self.problems += 1;
        self.last_error = Some(what);
    }

    /// A source error or the engine's failure.
    pub fn error(&mut self, what: String) {
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
