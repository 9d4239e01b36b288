//! What a replayed session must give again, and how two are compared.

use super::script::Script;
use crate::frame::Timestamp;
use crate::session::{Fallback, Negotiated, Outcome, Session, Side};
use dissect::clc::ClcType;
use std::fmt::Write as _;

/// Values that must differ between a capture and its replay: never compared.
pub const LEFT_OUT: &[&str] = &[
    "addresses",
    "ports",
    "MACs",
    "GIDs",
    "QPNs",
    "PSNs",
    "rkeys",
    "DMA addresses",
    "alert tokens",
    "DMB tokens",
    "link group ids",
    "peer ids",
    "times",
];

/// One LLC message of a link group, as a sequence compares it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LlcSeen {
    pub from: Side,
    /// The type as the kernel names it (CONFIRM_LINK, ADD_LINK, ...).
    pub kind: &'static str,
    pub response: bool,
    /// The link a CONFIRM_LINK, ADD_LINK or DELETE_LINK names.
    pub link: Option<u8>,
    pub time: Timestamp,
}

/// A session's comparable values.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Digest {
    pub outcome: &'static str,
    pub negotiated: Option<Negotiated>,
    pub fallback: Option<Fallback>,
    pub clc: Vec<(Side, ClcType)>,
    /// The link group's LLC messages, on the session whose first contact
    /// built it (empty on sessions that reuse one).
    pub llc: Vec<LlcSeen>,
    /// CDC messages per sender, as [`CdcCounts`] sorts them.
    pub cdc: [CdcCounts; 2],
    pub rdma_bytes: [u64; 2],
    pub tcp_bytes: [u64; 2],
    pub reset: bool,
    /// Rule ids of the session's findings, sorted.
    pub findings: Vec<&'static str>,
}

impl Digest {
    pub fn new(
        session: &Session,
        llc: Vec<LlcSeen>,
        cdc: [CdcCounts; 2],
        mut findings: Vec<&'static str>,
    ) -> Self {
        findings.sort_unstable();
        let (negotiated, fallback) = match &session.outcome {
            Outcome::Pending => (None, None),
            Outcome::Smc(n) => (Some(n.clone()), None),
            Outcome::Fallback(f) => (None, Some(f.clone())),
        };
        Digest {
            outcome: session.outcome.kind(),
            negotiated,
            fallback,
            clc: session.clc.iter().map(|&(_, side, t)| (side, t)).collect(),
            llc,
            cdc,
            rdma_bytes: session.rdma_bytes,
            tcp_bytes: session.tcp_bytes,
            reset: session.reset,
            findings,
        }
    }
}

/// One sender's CDC messages by what they do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct CdcCounts {
    /// A producer step: data moved.
    pub data: u64,
    /// No producer step, but connection-state flags new to this sender: a close.
    pub close: u64,
    /// Neither: a consumer cursor update.
    pub updates: u64,
}

/// A field whose value the replay did not give again.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Difference {
    pub field: String,
    pub original: String,
    pub replayed: String,
}

/// Connections opened together race for their link group's first contact
/// (the first to take the kernel's lgr_pending lock in smc_connect_rdma or
/// smc_listen_work builds it): within a group of sessions that start with
/// the same predecessors (`Script::after`), the replay's winner may be
/// another session than the capture's. Where it is, the two replayed
/// digests trade what first contact decides (release, max conns and links,
/// first contact, the link group's LLC) before they are compared. Returns
/// the sessions that traded: (the capture's winner, the replay's).
pub fn settle_first_contact_races(
    originals: &[(&Script, &Digest)],
    replayed: &mut [Option<Digest>],
) -> Vec<(u32, u32)> {
    let mut traded = Vec::new();
    let wins = |d: &Digest| d.negotiated.as_ref().is_some_and(|n| n.first_contact);
    for (i, (script, _)) in originals.iter().enumerate() {
        let group: Vec<usize> = (0..originals.len())
            .filter(|&j| originals[j].0.after == script.after)
            .collect();
        if group.len() < 2 || group[0] != i {
            continue;
        }
        let won = group.iter().copied().find(|&j| wins(originals[j].1));
        let replay_won = group
            .iter()
            .copied()
            .find(|&j| replayed[j].as_ref().is_some_and(wins));
        let (Some(a), Some(b)) = (won, replay_won) else {
            continue;
        };
        if a == b || replayed[a].is_none() {
            continue;
        }
        let (lo, hi) = (a.min(b), a.max(b));
        let (left, right) = replayed.split_at_mut(hi);
        if let (Some(x), Some(y)) = (left[lo].as_mut(), right[0].as_mut()) {
            trade_first_contact(x, y);
            traded.push((originals[a].0.session, originals[b].0.session));
        }
    }
    traded
}

fn trade_first_contact(x: &mut Digest, y: &mut Digest) {
    std::mem::swap(&mut x.llc, &mut y.llc);
    if let (Some(n), Some(m)) = (x.negotiated.as_mut(), y.negotiated.as_mut()) {
        std::mem::swap(&mut n.first_contact, &mut m.first_contact);
        std::mem::swap(&mut n.release, &mut m.release);
        std::mem::swap(&mut n.max_conns, &mut m.max_conns);
        std::mem::swap(&mut n.max_links, &mut m.max_links);
    }
}

/// TEST_LINK exchanges may differ by this many: the kernel sends one after
/// smcr_testlink_time of link silence, and where that timer falls against
/// the connection's own traffic moves with the replay's timing.
const TEST_LINK_SLACK: usize = 1;

/// One negotiated value as text.
type Shown = dyn Fn(&Negotiated) -> String;

/// Every field the replay did not give again, in a fixed order.
pub fn compare(original: &Digest, replayed: &Digest) -> Vec<Difference> {
    let mut out = Vec::new();
    let mut field = |name: &str, a: String, b: String| {
        if a != b {
            out.push(Difference {
                field: name.to_owned(),
                original: a,
                replayed: b,
            });
        }
    };
    field("outcome", original.outcome.into(), replayed.outcome.into());
    let n = |d: &Digest, f: &Shown| d.negotiated.as_ref().map_or("-".into(), f);
    let negotiated: [(&str, &Shown); 8] = [
        ("version", &|n| format!("v{}", n.version)),
        ("release", &|n| n.release.map_or("-".into(), |r| r.to_string())),
        ("eid", &|n| n.eid.as_ref().map_or("-".into(), |e| e.to_string())),
        ("first_contact", &|n| n.first_contact.to_string()),
        ("max_conns", &|n| opt(n.max_conns)),
        ("max_links", &|n| opt(n.max_links)),
        ("buffer_size.client", &|n| n.buffer_size[0].to_string()),
        ("buffer_size.server", &|n| n.buffer_size[1].to_string()),
    ];
    for (name, f) in negotiated {
        field(name, n(original, f), n(replayed, f));
    }
    field("fallback", fallback(original), fallback(replayed));
    field("clc", clc(original), clc(replayed));
    field("llc", llc(original), llc(replayed));
    // DELETE_LINK as the links deleted: when both ends lose or time out a
    // link at once, each sends its own request and the two cross instead
    // of a request and its response, so who asks moves with timing.
    let deleted = |d: &Digest| {
        let mut links: Vec<Option<u8>> = d
            .llc
            .iter()
            .filter(|m| m.kind == "DELETE_LINK")
            .map(|m| m.link)
            .collect();
        links.sort_unstable();
        links.dedup();
        links.len()
    };
    field(
        "llc.links_deleted",
        deleted(original).to_string(),
        deleted(replayed).to_string(),
    );
    let tests = |d: &Digest| {
        d.llc
            .iter()
            .filter(|m| m.kind == "TEST_LINK" && !m.response)
            .count()
    };
    if tests(original).abs_diff(tests(replayed)) > TEST_LINK_SLACK {
        field(
            "llc.test_link",
            tests(original).to_string(),
            tests(replayed).to_string(),
        );
    }
    for side in [Side::Client, Side::Server] {
        let i = side.index();
        let name = |what: &str| format!("{what}.{}", side.name());
        let (a, b) = (original.cdc[i], replayed.cdc[i]);
        // The kernel merges sends queued while its previous RDMA WRITE is in
        // flight and splits them at the ring's end or the peer's free space
        // (smc_tx_sndbuf_nonempty, smc_tx_rdma_writes): where those fall
        // moves with timing. A third of the steps more or less, at least one.
        if a.data.abs_diff(b.data) > (a.data / 3).max(1) {
            field(&name("cdc_data"), a.data.to_string(), b.data.to_string());
        }
        field(&name("cdc_close"), a.close.to_string(), b.close.to_string());
        // A receiver updates its consumer cursor as its reads and the
        // sender's free space fall (smc_rx_update_consumer): one update more
        // or less per producer step of the peer.
        let slack = original.cdc[side.peer().index()].data;
        if a.updates.abs_diff(b.updates) > slack {
            field(&name("cdc_updates"), a.updates.to_string(), b.updates.to_string());
        }
        field(
            &name("rdma_bytes"),
            original.rdma_bytes[i].to_string(),
            replayed.rdma_bytes[i].to_string(),
        );
        field(
            &name("tcp_bytes"),
            original.tcp_bytes[i].to_string(),
            replayed.tcp_bytes[i].to_string(),
        );
    }
    field("reset", original.reset.to_string(), replayed.reset.to_string());
    field(
        "findings",
        original.findings.join(","),
        replayed.findings.join(","),
    );
    out
}

fn opt(v: Option<u8>) -> String {
    v.map_or("-".into(), |v| v.to_string())
}

fn fallback(d: &Digest) -> String {
    match &d.fallback {
        None => "-".into(),
        Some(Fallback::NoOption { lacking }) => format!("no SMC option from the {}", lacking.name()),
        Some(Fallback::Declined {
            by,
            version,
            diagnosis,
        }) => format!("declined by the {} (v{version}): {diagnosis}", by.name()),
        Some(Fallback::Aborted { by, reset, after }) => format!(
            "{} by the {} after {}",
            if *reset { "reset" } else { "closed" },
            by.name(),
            after.map_or("the TCP handshake".into(), |t| t.to_string())
        ),
    }
}

fn clc(d: &Digest) -> String {
    let mut s = String::new();
    for (i, (side, t)) in d.clc.iter().enumerate() {
        let sep = if i == 0 { "" } else { ", " };
        let _ = write!(s, "{sep}{} {t}", side.name());
    }
    s
}

/// The LLC messages counted by sender, type and request or response
/// (TEST_LINK and DELETE_LINK apart: they are compared on their own). Counts, not the sequence: the CONFIRM_RKEY and DELETE_RKEY
/// exchanges of concurrent connections interleave as the timing falls.
fn llc(d: &Digest) -> String {
    let mut counts: Vec<((Side, &str, bool), usize)> = Vec::new();
    for m in d
        .llc
        .iter()
        .filter(|m| !matches!(m.kind, "TEST_LINK" | "DELETE_LINK"))
    {
        let key = (m.from, m.kind, m.response);
        match counts.iter_mut().find(|(k, _)| *k == key) {
            Some((_, n)) => *n += 1,
            None => counts.push((key, 1)),
        }
    }
    counts.sort_by_key(|((from, kind, response), _)| (*kind, *response, from.index()));
    let mut s = String::new();
    for ((from, kind, response), n) in counts {
        let sep = if s.is_empty() { "" } else { ", " };
        let what = if response { "response" } else { "request" };
        let _ = write!(s, "{sep}{n}x {} {kind} {what}", from.name());
    }
    s
}
