//! The session engine on every real Linux 6.12 capture in corpora/real: each
//! connection gets the outcome corpora/real/manifest.toml records, and no
//! rule fires (these are conforming peers: a finding is a false positive).

mod common;

use dissect::clc::ClcType;
use engine::pipeline::Pipeline;
use engine::session::{Analyzer, Fallback, Outcome, Session, Side, Update};
use std::path::{Path, PathBuf};
use toml::Value;

fn real() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../corpora/real")
}

/// Sessions and findings of one capture.
fn analyse(file: &str) -> (Vec<Session>, Vec<String>) {
    let (mut pipeline, mut analyzer) = (Pipeline::default(), Analyzer::default());
    let (mut events, mut updates) = (Vec::new(), Vec::new());
    for frame in common::real_frames(file) {
        pipeline.frame(&frame, &mut events);
        for e in events.drain(..) {
            analyzer.event(&e, &mut updates);
        }
    }
    pipeline.finish(&mut events);
    for e in events.drain(..) {
        analyzer.event(&e, &mut updates);
    }
    analyzer.finish(&mut updates);
    let (mut sessions, mut findings) = (Vec::new(), Vec::new());
    for u in updates {
        match u {
            Update::Finding(f) => findings.push(format!("{} frames {:?}: {}", f.rule.id, f.frames, f.detail)),
            Update::SessionEnded(s) => sessions.push(*s),
            Update::Session(_) => {}
        }
    }
    // Every session ends exactly once: ids 0, 1, 2, ...
    sessions.sort_by_key(|s| s.id);
    assert!(sessions.iter().enumerate().all(|(i, s)| s.id as usize == i));
    (sessions, findings)
}

fn captures() -> Vec<Value> {
    let text = std::fs::read_to_string(real().join("manifest.toml")).expect("manifest");
    let manifest: Value = text.parse().expect("manifest parses");
    manifest["capture"].as_array().expect("captures").clone()
}

fn bools(expect: &Value, key: &str) -> Option<Vec<bool>> {
    expect
        .get(key)?
        .as_array()
        .map(|a| a.iter().map(|v| v.as_bool().expect("bool")).collect())
}

/// The manifest's outcome word for one session.
fn manifest_outcome(o: &Outcome) -> &'static str {
    match o {
        Outcome::Smc(n) if n.smcd => "smcd",
        Outcome::Smc(_) => "smcr",
        Outcome::Fallback(Fallback::NoOption { .. }) => "tcp",
        Outcome::Fallback(Fallback::Declined { .. }) => "fallback",
        Outcome::Fallback(Fallback::Aborted { reset: true, .. }) => "reset",
        Outcome::Fallback(Fallback::Aborted { .. }) => "aborted",
        Outcome::Pending => "pending",
    }
}

#[test]
fn every_real_capture_gets_its_outcome_and_no_finding() {
    let captures = captures();
    assert!(captures.len() >= 10, "the lab ships ten scenarios");
    for c in captures {
        let file = c["file"].as_str().expect("file");
        let expect = &c["expect"];
        let (sessions, findings) = analyse(file);
        assert_eq!(findings, Vec::<String>::new(), "{file}: false findings");
        let n = expect["connections"].as_integer().expect("connections") as usize;
        assert_eq!(sessions.len(), n, "{file}: sessions");
        let outcome = c["outcome"].as_str().expect("outcome");
        for s in &sessions {
            assert_eq!(manifest_outcome(&s.outcome), outcome, "{file}: session {}", s.id);
            // The CLC handshake is timed from a Proposal to the Confirm or Decline that settled it.
            let proposed = s.clc.iter().any(|c| c.2 == ClcType::PROPOSAL);
            let settled = matches!(
                s.outcome,
                Outcome::Smc(_) | Outcome::Fallback(Fallback::Declined { .. })
            );
            assert_eq!(
                s.handshake_micros.is_some(),
                proposed && settled,
                "{file}: CLC latency"
            );
            assert!(s.tcp_handshake_micros.is_some(), "{file}: TCP handshake latency");
        }
        if let Some(fc) = bools(expect, "first_contact") {
            let seen: Vec<bool> = sessions
                .iter()
                .map(|s| matches!(&s.outcome, Outcome::Smc(n) if n.first_contact))
                .collect();
            assert_eq!(seen, fc, "{file}: first contact");
        }
        if let Some(data) = bools(expect, "fallback_data") {
            let seen: Vec<bool> = sessions
                .iter()
                .map(|s| s.tcp_bytes.iter().sum::<u64>() > 0)
                .collect();
            assert_eq!(seen, data, "{file}: TCP payload after CLC");
        }
        if let Some(reset) = bools(expect, "reset") {
            let seen: Vec<bool> = sessions.iter().map(|s| s.reset).collect();
            assert_eq!(seen, reset, "{file}: reset");
        }
        let declines: Vec<(Side, u8, String)> = sessions
            .iter()
            .filter_map(|s| match &s.outcome {
                Outcome::Fallback(Fallback::Declined {
                    by,
                    version,
                    diagnosis,
                }) => Some((*by, *version, format!("{:#010x}", diagnosis.0))),
                _ => None,
            })
            .collect();
        let want: Vec<(Side, u8, String)> = expect["decline"]
            .as_array()
            .expect("decline")
            .iter()
            .map(|d| {
                let by = if d["by"].as_str() == Some("client") {
                    Side::Client
                } else {
                    Side::Server
                };
                let version = d["version"].as_integer().expect("version") as u8;
                (
                    by,
                    version,
                    d["diagnosis"].as_str().expect("diagnosis").to_string(),
                )
            })
            .collect();
        assert_eq!(declines, want, "{file}: declines");
        if outcome == "smcr" {
            for s in &sessions {
                let r = s.smcr.as_ref().expect("SMC-R details");
                assert!(
                    r.link_group.is_some() && r.rmb.iter().all(Option::is_some),
                    "{file}"
                );
                assert!(r.cdc.iter().all(|&n| n > 0), "{file}: CDC both ways");
                assert!(s.rdma_bytes.iter().all(|&n| n > 0), "{file}: RDMA both ways");
            }
        }
    }
}

#[test]
fn smcr_v2_echo_negotiation_and_bytes() {
    let (sessions, _) = analyse("smcr-v2-echo.pcapng");
    let s = &sessions[0];
    let Outcome::Smc(n) = &s.outcome else {
        panic!("{:?}", s.outcome)
    };
    assert_eq!((n.smcd, n.version, n.first_contact), (false, 2, true));
    assert_eq!((n.max_conns, n.max_links), (Some(255), Some(2)));
    // 61440 bytes echoed: each side writes them into the other's RMB.
    assert_eq!(s.rdma_bytes, [61440, 61440]);
    assert_eq!(s.tcp_bytes, [0, 0]);
}

#[test]
fn many_conns_share_one_link_group() {
    let (sessions, _) = analyse("many-conns.pcapng");
    let groups: Vec<Option<u32>> = sessions
        .iter()
        .map(|s| s.smcr.as_ref().and_then(|r| r.link_group))
        .collect();
    assert_eq!(groups, [Some(0); 4]);
    for s in &sessions {
        assert_eq!(s.rdma_bytes, [4096, 4096], "session {}", s.id);
    }
}
