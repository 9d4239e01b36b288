//! `read --write OUT` and the UI's `e`: the frames of SMC sessions, copied to a new capture file.
//! A session's frames are its TCP connection's (both directions, SYN to the
//! last ACK), and on its link its own CDC messages and RDMA WRITEs (every
//! packet, found by PSN), the RoCE ACKs of those (by PSN), and every LLC
//! message of its link group: a reader needs CONFIRM_LINK and ADD_LINK for
//! the QPs, CONFIRM_RKEY for the rkeys of WRITEs on a second link, each
//! request with its response, and they are few. The session engine says
//! what belongs to a session; that is known only after reading, so the input
//! is read a second time to copy the frames.

use dissect::capture::{decode, Carried, Ip, LinkType};
use dissect::roce::Opcode;
use engine::capture_file::Interface;
use engine::frame::{Frame, FrameSource};
use engine::pipeline::reassembly::QpKey;
use engine::pipeline::{Endpoints, Event, EventKind, Pipeline, Psns};
use engine::session::{normal, Analyzer, Attribution, QpEnd, Session};
use std::collections::{HashMap, HashSet};
use std::net::{IpAddr, Ipv6Addr, SocketAddr};
use std::path::{Path, PathBuf};
use std::str::FromStr;
use sys::savefile::Savefile;
use sys::source::CaptureFiles;

/// Where a frame goes, as its headers show it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Conversation {
    /// A TCP connection, its ends in sorted order so both directions match.
    Tcp(SocketAddr, SocketAddr),
    /// A RoCE packet to queue pair `qp` at `dst`; an ACK goes to the requester.
    Qp {
        dst: IpAddr,
        qp: u32,
        psn: u32,
        ack: bool,
    },
}

fn sorted(a: SocketAddr, b: SocketAddr) -> (SocketAddr, SocketAddr) {
    (a.min(b), a.max(b))
}

/// PSNs are 24 bits.
const PSN_MASK: u32 = 0x00ff_ffff;
/// Spans merge up to half the PSN space, so that a span still tells its
/// PSNs from those a wrap brings back.
const SPAN_MAX: u32 = 1 << 23;
/// Kept spans of a QP, either side of a frame's place among them, that a
/// packet is looked for in: a retransmission or ACK comes shortly after its
/// message. A PSN seen again after a wrap (2^24 packets on one QP) within
/// that window would be taken for the kept one.
const NEAR: usize = 3;

/// The packets of RoCE messages that completed by frame `last_frame`, with
/// consecutive PSNs `psns`.
#[derive(Debug, Clone, Copy)]
struct Span {
    psns: Psns,
    last_frame: u64,
}

impl Span {
    fn len(psns: Psns) -> u32 {
        psns.last.wrapping_sub(psns.first) & PSN_MASK
    }

    fn holds(&self, psn: u32) -> bool {
        (psn.wrapping_sub(self.psns.first) & PSN_MASK) <= Span::len(self.psns)
    }

    /// Takes `next` in when its PSNs follow on.
    fn join(&mut self, next: &Span) -> bool {
        let follows = next.psns.first == (self.psns.last + 1) & PSN_MASK;
        let psns = Psns {
            first: self.psns.first,
            last: next.psns.last,
        };
        if !follows || Span::len(psns) >= SPAN_MAX {
            return false;
        }
        *self = Span {
            psns,
            last_frame: self.last_frame.max(next.last_frame),
        };
        true
    }
}

/// The kept messages to one QP, in the order they completed.
#[derive(Debug, Default)]
struct Spans(Vec<Span>);

impl Spans {
    fn push(&mut self, span: Span) {
        if !self.0.last_mut().is_some_and(|last| last.join(&span)) {
            self.0.push(span);
        }
    }

    /// Whether the packet with `psn` in frame `frame` is one of a kept message (or acknowledges one).
    fn hold(&self, psn: u32, frame: u64) -> bool {
        let next = self.0.partition_point(|s| s.last_frame < frame);
        let near = &self.0[next.saturating_sub(NEAR)..(next + NEAR).min(self.0.len())];
        near.iter().any(|s| s.holds(psn))
    }
}

/// What is known of a session seen in the first pass.
#[derive(Debug, Clone, Copy)]
struct Seen {
    wanted: bool,
    link_group: Option<u32>,
}

/// The sessions `--write-filter` selects, gathered over the first pass,
/// and the frames of theirs to keep.
#[derive(Debug, Default)]
pub struct Kept {
    filter: Filter,
    sessions: HashMap<u32, Seen>,
    /// Per TCP connection, the sessions on it by first frame (a 4-tuple may be used again).
    tcp: HashMap<(SocketAddr, SocketAddr), Vec<(u64, u32)>>,
    /// Per receiving QP, the messages of wanted sessions.
    qps: HashMap<QpKey, Spans>,
    /// Per link group, the LLC messages: kept if a wanted session is on it.
    llc: HashMap<u32, Vec<(QpKey, Span)>>,
    /// The requester's QP (where ACKs go) to the QP its messages go to.
    acks: HashMap<QpKey, QpKey>,
    /// QPs whose requester is known.
    paired: HashSet<QpKey>,
}

impl Kept {
    pub fn new(filter: Filter) -> Self {
        Kept {
            filter,
            ..Kept::default()
        }
    }

    /// An event, with what the session engine attributed it to.
    pub fn note(&mut self, e: &Event, at: Option<Attribution>, engine: &Analyzer) {
        let Some(at) = at else { return };
        match (&e.kind, e.at) {
            (EventKind::Problem(_), _) => {}
            (kind, Endpoints::Tcp(_)) => {
                if let Some(id) = at.session {
                    // A segment changes nothing the filter looks at.
                    self.seen(id, engine, !matches!(kind, EventKind::Segment(_)));
                }
            }
            (kind, Endpoints::Qp { dst, qp, psns, .. }) => {
                let key = QpKey { dst: normal(dst), qp };
                let span = Span {
                    psns,
                    last_frame: e.frame,
                };
                let noted = match (kind, at.session, at.link_group) {
                    (EventKind::Llc(_), _, Some(lgr)) => {
                        self.llc.entry(lgr).or_default().push((key, span));
                        true
                    }
                    (_, Some(id), _) if self.seen(id, engine, false) => {
                        self.qps.entry(key).or_default().push(span);
                        true
                    }
                    _ => false,
                };
                if noted && !self.paired.contains(&key) {
                    self.pair(key, at, engine);
                }
            }
            (_, Endpoints::Undecoded) => {}
        }
    }

    /// Whether session `id` is wanted; `recheck`: its picture may have
    /// changed (CLC names its QPs).
    fn seen(&mut self, id: u32, engine: &Analyzer, recheck: bool) -> bool {
        if let Some(seen) = self.sessions.get(&id).filter(|_| !recheck) {
            return seen.wanted;
        }
        let Some(s) = engine.session(id) else {
            return false;
        };
        let seen = Seen {
            wanted: self.filter.matches(s),
            link_group: s.smcr.as_ref().and_then(|r| r.link_group),
        };
        if self.sessions.insert(id, seen).is_none() {
            self.tcp
                .entry(sorted(s.client, s.server))
                .or_default()
                .push((s.first_frame, id));
        }
        seen.wanted
    }

    /// Notes where the ACKs of messages to `key` go: the other end of its link.
    fn pair(&mut self, key: QpKey, at: Attribution, engine: &Analyzer) {
        let receiver = QpEnd {
            ip: key.dst,
            qpn: key.qp,
        };
        let (to, from) = (at.sender.peer().index(), at.sender.index());
        let links = at
            .link_group
            .and_then(|l| engine.link_group(l))
            .map(|g| &g.links[..]);
        let requester = links
            .unwrap_or_default()
            .iter()
            .find(|l| l.qp[to] == Some(receiver))
            .and_then(|l| l.qp[from]);
        if let Some(q) = requester {
            self.acks.insert(QpKey { dst: q.ip, qp: q.qpn }, key);
            self.paired.insert(key);
        }
    }

    /// After the first pass: the LLC of the link groups of wanted sessions
    /// joins their messages.
    fn settle(&mut self) {
        let mut groups: Vec<u32> = self
            .sessions
            .values()
            .filter(|s| s.wanted)
            .filter_map(|s| s.link_group)
            .collect();
        groups.sort_unstable();
        groups.dedup();
        let mut touched = Vec::new();
        for (key, span) in groups.iter().filter_map(|g| self.llc.remove(g)).flatten() {
            self.qps.entry(key).or_default().0.push(span);
            touched.push(key);
        }
        touched.sort_unstable();
        touched.dedup();
        for key in &touched {
            let Some(spans) = self.qps.get_mut(key) else {
                continue;
            };
            let mut all = std::mem::take(&mut spans.0);
            all.sort_by_key(|s| s.last_frame);
            all.into_iter().for_each(|s| spans.push(s));
        }
        self.llc.clear();
    }

    fn keeps(&self, c: &Conversation, frame: u64) -> bool {
        match *c {
            Conversation::Tcp(a, b) => {
                let Some(on) = self.tcp.get(&(a, b)) else {
                    return false;
                };
                // The session that started last before this frame, or the first one.
                let i = on.partition_point(|&(first, _)| first <= frame).saturating_sub(1);
                on.get(i)
                    .and_then(|(_, id)| self.sessions.get(id))
                    .is_some_and(|s| s.wanted)
            }
            Conversation::Qp { dst, qp, psn, ack } => {
                let key = QpKey { dst: normal(dst), qp };
                let key = if ack { self.acks.get(&key) } else { Some(&key) };
                key.and_then(|k| self.qps.get(k))
                    .is_some_and(|spans| spans.hold(psn, frame))
            }
        }
    }
}

/// `--write-filter`: which sessions to write. A term's key given again, or
/// more values after it (`session=1,2`), gives alternatives; different
/// keys must all match.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Filter {
    sessions: Option<Vec<u32>>,
    ends: Option<Vec<(SocketAddr, SocketAddr)>>,
    ips: Option<Vec<IpAddr>>,
    ports: Option<Vec<u16>>,
    qps: Option<Vec<u32>>,
}

const KEYS: &str = "keys are session, ends, ip, port, qp";

impl FromStr for Filter {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        if s.trim().is_empty() {
            return Err(format!("empty filter: give KEY=VALUE terms ({KEYS})"));
        }
        let mut f = Filter::default();
        let mut key = None;
        for term in s.split(',').map(str::trim) {
            let (k, value) = match term.split_once('=') {
                Some((k, v)) => (k.trim(), v.trim()),
                None if key.is_some() && !term.is_empty() => (key.unwrap_or_default(), term),
                None => return Err(format!("`{term}`: expected KEY=VALUE ({KEYS})")),
            };
            let bad = |e: &dyn std::fmt::Display| format!("`{term}`: {e}");
            match k {
                "session" => add(&mut f.sessions, value.parse().map_err(|e| bad(&e))?),
                "ends" => add(&mut f.ends, parse_ends(value).map_err(|e| bad(&e))?),
                "ip" => add(&mut f.ips, value.parse().map_err(|e| bad(&e))?),
                "port" => add(&mut f.ports, value.parse().map_err(|e| bad(&e))?),
                "qp" => add(&mut f.qps, parse_qp(value).map_err(|e| bad(&e))?),
                _ => return Err(bad(&KEYS)),
            }
            key = Some(k);
        }
        Ok(f)
    }
}

fn add<T>(alternatives: &mut Option<Vec<T>>, value: T) {
    alternatives.get_or_insert_with(Vec::new).push(value);
}

/// Whether a key is not given or one of its values is a hit.
fn any<T>(terms: &Option<Vec<T>>, hit: impl Fn(&T) -> bool) -> bool {
    terms.as_ref().is_none_or(|t| t.iter().any(hit))
}

/// `IP:PORT-IP:PORT` (an IPv6 address in brackets), in either order.
fn parse_ends(value: &str) -> Result<(SocketAddr, SocketAddr), String> {
    let (a, b) = value
        .split_once('-')
        .ok_or("ends are IP:PORT-IP:PORT ([IPv6]:PORT)")?;
    let end = |s: &str| s.parse::<SocketAddr>().map_err(|e| format!("{s}: {e}"));
    Ok(sorted(end(a)?, end(b)?))
}

/// A QP number in decimal or 0x-hex, as tshark shows it.
fn parse_qp(value: &str) -> Result<u32, std::num::ParseIntError> {
    match value.strip_prefix("0x") {
        Some(hex) => u32::from_str_radix(hex, 16),
        None => value.parse(),
    }
}

impl Filter {
    /// Session `id` only (the UI's `e`).
    pub fn session(id: u32) -> Self {
        Filter::default().within(id)
    }

    /// Of the sessions this filter selects, session `id` only (`read --session ID`).
    pub fn within(mut self, id: u32) -> Self {
        let only = match self.sessions.take() {
            None => vec![id],
            Some(ids) => ids.into_iter().filter(|&s| s == id).collect(),
        };
        self.sessions = Some(only);
        self
    }

    fn matches(&self, s: &Session) -> bool {
        let qps = || s.smcr.iter().flat_map(|r| r.qp.iter().flatten());
        any(&self.sessions, |&id| id == s.id)
            && any(&self.ends, |&ends| ends == sorted(s.client, s.server))
            && any(&self.ports, |&p| s.client.port() == p || s.server.port() == p)
            && any(&self.qps, |&n| qps().any(|q| q.qpn == n))
            && any(&self.ips, |&ip| {
                let ip = normal(ip);
                [s.client.ip(), s.server.ip()]
                    .into_iter()
                    .chain(qps().map(|q| q.ip))
                    .any(|a| normal(a) == ip)
            })
    }
}

/// What an export wrote; the caller says it (on stderr, or in the UI's status line).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Written {
    pub frames: u64,
    /// Frames read from the input.
    pub of: u64,
}

impl std::fmt::Display for Written {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "wrote {} of {} frames", self.frames, self.of)
    }
}

/// Reads `inputs` (merged as `read` merges them) through the pipeline and
/// the session engine to find the frames of the sessions `filter` selects
/// (the UI's `e`: `read` notes them as it prints).
pub fn select(inputs: &[PathBuf], filter: Filter) -> Result<Kept, String> {
    let mut source = CaptureFiles::open(inputs).map_err(|e| format!("reopening {e}"))?;
    let (mut pipeline, mut engine) = (Pipeline::default(), Analyzer::default());
    let (mut kept, mut events, mut updates) = (Kept::new(filter), Vec::new(), Vec::new());
    let mut take = |events: &mut Vec<Event>| {
        for e in events.drain(..) {
            let at = engine.event(&e, &mut updates);
            kept.note(&e, at, &engine);
        }
        updates.clear();
    };
    // Damaged input was reported by the reading that showed it: this goes on past it as that did.
    while let Some(next) = source.next_frame() {
        if let Ok(frame) = next {
            pipeline.frame(&frame, &mut events);
            take(&mut events);
        }
    }
    pipeline.finish(&mut events);
    take(&mut events);
    Ok(kept)
}

/// Copies the frames of `inputs` (merged as `read` merges them) that are
/// `kept` to `output`, keeping link types, snaplens, times and lengths.
pub fn frames(inputs: &[PathBuf], output: &Path, kept: &mut Kept) -> Result<Written, String> {
    if let Some(input) = inputs.iter().find(|i| same_file(i, output)) {
        return Err(format!("is the input {}; not writing over it", input.display()));
    }
    kept.settle();
    let mut source = CaptureFiles::open(inputs).map_err(|e| format!("reopening {e}"))?;
    let mut out: Option<Savefile> = None;
    let (mut written, mut seen) = (0u64, 0u64);
    let mut copy = |frame: Frame<&[u8]>, interface: &Interface| -> Result<(), String> {
        seen += 1;
        let keep = conversation(frame.link, frame.data, frame.orig_len)
            .is_some_and(|c| kept.keeps(&c, frame.number));
        let file = match &mut out {
            Some(file) => file,
            None => {
                out.insert(Savefile::create(output, frame.link, interface.snaplen).map_err(|e| e.message)?)
            }
        };
        if keep {
            file.write(&frame, interface.snaplen).map_err(|e| e.to_string())?;
            written += 1;
        }
        Ok(())
    };
    // Damaged input was reported by the first pass: the copy goes on past it as that did.
    while let Some(next) = source.next_with(&mut copy) {
        if let Ok(copied) = next {
            copied?;
        }
    }
    match &mut out {
        Some(file) => file.flush().map_err(|e| e.message)?,
        None => return Err("no frames to copy".into()),
    }
    Ok(Written {
        frames: written,
        of: seen,
    })
}

/// Whether `output` names the file `input` is (the same path, a link to it,
/// or another hard link): writing it would destroy the input being read.
pub fn same_file(input: &Path, output: &Path) -> bool {
    use std::os::unix::fs::MetadataExt;
    match (std::fs::metadata(input), std::fs::metadata(output)) {
        (Ok(a), Ok(b)) => a.dev() == b.dev() && a.ino() == b.ino(),
        _ => false,
    }
}

/// Where a frame goes, if it is TCP or RoCE.
fn conversation(link: LinkType, frame: &[u8], orig_len: usize) -> Option<Conversation> {
    let layers = decode(link, frame, orig_len);
    let (dst, bth) = match (&layers.carried, layers.ip) {
        (Carried::Tcp(seg), Some(Ip { src, dst })) => {
            let (a, b) = sorted(
                SocketAddr::new(src, seg.src_port),
                SocketAddr::new(dst, seg.dst_port),
            );
            return Some(Conversation::Tcp(a, b));
        }
        (Carried::RoceV2 { bytes, wire_len }, Some(ip)) => {
            (ip.dst, dissect::roce::parse_v2_lax(bytes, *wire_len).parsed.bth?)
        }
        (Carried::RoceV1 { bytes, wire_len }, _) => {
            let layers = dissect::roce::parse_v1_lax(bytes, *wire_len).parsed;
            (IpAddr::V6(Ipv6Addr::from(layers.grh?.dgid)), layers.bth?)
        }
        _ => return None,
    };
    Some(Conversation::Qp {
        dst,
        qp: bth.dest_qp,
        psn: bth.psn,
        ack: matches!(bth.opcode, Opcode::RC_ACKNOWLEDGE | Opcode::RC_ATOMIC_ACKNOWLEDGE),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn span(first: u32, last: u32, last_frame: u64) -> Span {
        Span {
            psns: Psns { first, last },
            last_frame,
        }
    }

    #[test]
    fn spans_join_what_follows_on_across_the_psn_wrap() {
        let mut spans = Spans::default();
        spans.push(span(0xff_fffd, 0xff_ffff, 10));
        spans.push(span(0, 2, 12));
        spans.push(span(7, 7, 20));
        assert_eq!(spans.0.len(), 2, "{spans:?}");
        let kept = |psn, frame| spans.hold(psn, frame);
        assert!(kept(0xff_fffd, 5) && kept(0xff_ffff, 11) && kept(2, 12) && kept(7, 20));
        assert!(!kept(3, 12) && !kept(6, 15) && !kept(8, 20) && !kept(0xff_fffc, 5));
        // A span never covers more than half the PSN space: a wrap cannot alias.
        let mut long = span(0, SPAN_MAX - 2, 1);
        assert!(long.join(&span(SPAN_MAX - 1, SPAN_MAX - 1, 2)) && !long.join(&span(SPAN_MAX, SPAN_MAX, 3)));
    }

    #[test]
    fn a_filter_term_repeated_or_listed_gives_alternatives() {
        let f: Filter = "session=1,3, session=5,port=5000".parse().unwrap();
        assert_eq!(f.sessions, Some(vec![1, 3, 5]));
        assert_eq!(f.ports, Some(vec![5000]));
        let ends: Filter = "ends=[::1]:5000-[::2]:40000".parse().unwrap();
        let (a, b): (SocketAddr, SocketAddr) =
            ("[::1]:5000".parse().unwrap(), "[::2]:40000".parse().unwrap());
        assert_eq!(ends.ends, Some(vec![(a, b)]));
        assert_eq!(f.clone().within(3).sessions, Some(vec![3]));
        assert_eq!(
            f.within(2).sessions,
            Some(vec![]),
            "--session outside the filter: none"
        );
        assert_eq!(Filter::session(4).sessions, Some(vec![4]));
    }
}
