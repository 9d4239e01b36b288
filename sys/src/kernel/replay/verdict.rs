//! A replayed session against its original: the wire's values, the bytes
//! each end received, and what each kernel says of the connection.

use engine::replay::{compare, settle_first_contact_races, Difference, Digest, Recorded};
use engine::session::{normal, Fallback, Session};

use super::driver::PlayedPair;
use super::play::Played;
use crate::kernel::reasons::decline_name;
use crate::kernel::report::Mode;

#[derive(Debug, Clone)]
pub struct Verdict {
    pub session: u32,
    /// The replay's session in the new capture, if it was seen there.
    pub replayed: Option<u32>,
    pub differences: Vec<Difference>,
    /// Where a kernel's smc_diag and the wire disagree, and why a session
    /// could not be played: each makes the verdict `differs`.
    pub findings: Vec<String>,
    /// What was allowed for and why (no effect on the verdict).
    pub notes: Vec<String>,
    pub pair: PlayedPair,
}

impl Verdict {
    pub fn same(&self) -> bool {
        self.replayed.is_some() && self.differences.is_empty() && self.findings.is_empty()
    }
}

/// Judges each of `pairs` (the replays of `originals`, in the same order)
/// by the sessions of the new capture.
pub fn judge_all(originals: &[&Recorded], pairs: Vec<PlayedPair>, replay: &[Recorded]) -> Vec<Verdict> {
    let found: Vec<Option<&Recorded>> = pairs
        .iter()
        .map(|p| replay.iter().find(|r| plays(&r.session, &p.client)))
        .collect();
    let mut digests: Vec<Option<Digest>> = found.iter().map(|f| f.map(|r| r.digest.clone())).collect();
    let sides: Vec<_> = originals.iter().map(|r| (&r.script, &r.digest)).collect();
    let traded = settle_first_contact_races(&sides, &mut digests);
    originals
        .iter()
        .zip(pairs)
        .zip(found.into_iter().zip(digests))
        .map(|((original, pair), (found, digest))| {
            let mut v = judge(original, pair, found.zip(digest));
            for &(a, b) in &traded {
                if v.session == a || v.session == b {
                    v.notes.push(format!(
                        "first contact went to session {b}'s replay, session {a} in the capture: \
                         connections opened together race for it; compared as traded"
                    ));
                }
            }
            v
        })
        .collect()
}

/// Judges `pair` (the replay of `original`) by its session in the new
/// capture and that session's digest.
fn judge(original: &Recorded, pair: PlayedPair, replayed: Option<(&Recorded, Digest)>) -> Verdict {
    let mut v = Verdict {
        session: original.session.id,
        replayed: None,
        differences: Vec::new(),
        findings: pair
            .error
            .iter()
            .map(|e| format!("not played through: {e}"))
            .collect(),
        notes: Vec::new(),
        pair,
    };
    match replayed {
        Some((r, digest)) => {
            v.replayed = Some(r.session.id);
            v.differences = compare(&original.digest, &digest);
            for end in std::iter::once(&v.pair.client).chain(&v.pair.server) {
                v.findings.extend(kernel_view(r, end));
            }
        }
        None => match (v.pair.client.local, v.pair.client.peer) {
            (Some(l), Some(p)) => v.findings.push(format!(
                "the replay's connection {l} -> {p} is not in the new capture"
            )),
            // Why not is said already.
            _ if v.pair.error.is_some() => {}
            _ => v.findings.push("the replay made no connection".into()),
        },
    }
    if original.script.data_on_wire {
        for end in std::iter::once(&v.pair.client).chain(&v.pair.server) {
            let (want, got) = (end.expected, end.received);
            let what = format!("received.{}", end.side.name());
            match end.mismatch_at {
                Some(at) => v.differences.push(Difference {
                    field: what,
                    original: format!("{want} bytes of the peer's payload"),
                    replayed: format!("{got} bytes, the one at offset {at} not the peer's"),
                }),
                None if got != want => v.differences.push(Difference {
                    field: what,
                    original: format!("{want} bytes"),
                    replayed: format!("{got} bytes"),
                }),
                None => {}
            }
        }
    }
    v
}

/// The new capture's session is the one `client` played.
fn plays(s: &Session, client: &Played) -> bool {
    let same = |a: std::net::SocketAddr, b: Option<std::net::SocketAddr>| {
        b.is_some_and(|b| normal(a.ip()) == normal(b.ip()) && a.port() == b.port())
    };
    same(s.client, client.local) && same(s.server, client.peer)
}

/// Where one end's smc_diag disagrees with what the wire showed.
fn kernel_view(wire: &Recorded, end: &Played) -> Vec<String> {
    let mut out = Vec::new();
    let side = end.side.name();
    let expected = match wire.digest.outcome {
        "smc-r" => Mode::Smcr,
        "smc-d" => Mode::Smcd,
        "fallback" | "tcp" => Mode::Tcp,
        // No connection of its own to ask about, or not settled on the wire.
        _ => return out,
    };
    if end.mode == Mode::Unknown {
        return out;
    }
    if end.mode != expected {
        out.push(format!(
            "kernel view: the {side}'s smc_diag says mode {}, the wire says {}",
            end.mode.as_str(),
            wire.digest.outcome
        ));
    }
    // The decliner falls back for the reason it sends (smc_connect_decline_fallback,
    // smc_listen_decline); its peer keeps that reason as peer_diagnosis
    // (smc_clc_wait_msg) and falls back with PEERDECL.
    if let Some(Fallback::Declined { by, diagnosis, .. }) = &wire.digest.fallback {
        let code = diagnosis.0;
        let (what, seen) = if *by == end.side {
            ("fallback_reason", end.fallback_reason)
        } else {
            ("peer_diagnosis", end.peer_diagnosis)
        };
        if seen != Some(code) {
            out.push(format!(
                "kernel view: the {side}'s smc_diag {what} is {}, the wire's Decline by the {} says {code:#010x} ({})",
                seen.map_or("none".into(), |c| format!("{c:#010x} ({})", decline_name(c))),
                by.name(),
                decline_name(code)
            ));
        }
    }
    out
}
