//! What the two hosts of a replay must be like for it to give the capture
//! again, as far as the capture shows it, with the evidence for each part.

use super::observe::Recorded;
use crate::session::{Fallback, Outcome, Side};
use dissect::clc::{DeclineDiagnosis, Path};

/// What a client's first Proposal offered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Offer {
    pub typev1: Path,
    pub typev2: Path,
    /// The v2 extension's EIDs (the client host's UEIDs), blanks trimmed;
    /// None without a v2 extension.
    pub eids: Option<Vec<String>>,
}

/// The SMC RMB size a Linux 6.12 host uses by default (net.smc.rmem).
pub const DEFAULT_RMEM: u32 = 64 << 10;
/// A TCP handshake slower than this on one host was stretched on purpose.
const DELAY_MS: u64 = 10;

/// Per side (client, server) where the hosts differ.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Setup {
    /// Both ends on one host: SMC-D over loopback-ism reaches only its own
    /// host, and loopback addresses say so too.
    pub one_host: bool,
    pub ipv6: bool,
    /// An ISM device (loopback-ism) on both hosts.
    pub ism: bool,
    /// A RoCE device (soft-RoCE) per host.
    pub rdma: [bool; 2],
    /// User-defined EIDs per host.
    pub ueids: [Vec<String>; 2],
    /// net.smc.rmem and wmem per host, where not the default.
    pub rmem: [Option<u32>; 2],
    /// net.smc.smcr_testlink_time, where TEST_LINK shows it.
    pub testlink_secs: Option<u64>,
    /// A second NIC with its own RoCE device, in the first one's subnet.
    pub second_link: bool,
    /// Nanoseconds from the first SYN at which the client's first link
    /// failed (its NIC went down).
    pub link_down_ns: Option<u64>,
    /// Nanoseconds from the first SYN at which the client's second RoCE
    /// device appeared (None: there from the start, if `second_link`).
    pub second_device_ns: Option<u64>,
    /// A delay on every packet (one host: on lo), in milliseconds.
    pub delay_ms: Option<u64>,
    /// One line per part of the setup: what in the capture led to it.
    pub why: Vec<String>,
}

impl Setup {
    pub fn infer(sessions: &[Recorded]) -> Setup {
        let mut s = Setup {
            rdma: [true, true],
            ..Setup::default()
        };
        let offers: Vec<(u32, &Offer)> = sessions
            .iter()
            .filter_map(|r| r.offer.as_ref().map(|o| (r.session.id, o)))
            .collect();
        s.ipv6 = sessions.iter().any(|r| r.session.client.is_ipv6());
        let on_one_host = |r: &&Recorded| {
            let (c, v) = (r.session.client.ip(), r.session.server.ip());
            c == v || (c.is_loopback() && v.is_loopback())
        };
        if let Some(r) = sessions
            .iter()
            .find(|r| matches!(&r.session.outcome, Outcome::Smc(n) if n.smcd))
        {
            s.one_host = true;
            s.why.push(format!(
                "one host: session {} is SMC-D, and loopback-ism reaches only its own host",
                r.session.id
            ));
        } else if let Some(r) = sessions.iter().find(on_one_host) {
            s.one_host = true;
            s.why.push(format!(
                "one host: session {} runs from {} to {}",
                r.session.id,
                r.session.client.ip(),
                r.session.server.ip()
            ));
        }
        if let Some((id, o)) = offers.iter().find(|(_, o)| o.typev1.has_d() || o.typev2.has_d()) {
            s.ism = true;
            s.why.push(format!(
                "ISM: session {id}'s Proposal offers SMC-D (typev1 {}, typev2 {})",
                o.typev1, o.typev2
            ));
        }
        match offers.first() {
            Some((id, o)) if !o.typev1.has_r() && !o.typev2.has_r() => {
                s.rdma[0] = false;
                s.why.push(format!(
                    "client without RoCE: session {id}'s Proposal offers no SMC-R"
                ));
            }
            Some(_) => {}
            None => {
                if let Some(r) = sessions.iter().find(|r| declined_first_by_client(r)) {
                    s.rdma[0] = false;
                    s.ism = false;
                    s.why.push(format!(
                        "client without SMC devices: session {} opens CLC with the client's Decline NOSMCDEV",
                        r.session.id
                    ));
                }
            }
        }
        s.ueids[0] = offers
            .iter()
            .find_map(|(_, o)| o.eids.clone())
            .unwrap_or_default();
        if let Some((id, _)) = offers.iter().find(|(_, o)| o.eids.is_some()) {
            s.why.push(format!(
                "client UEIDs [{}]: session {id}'s Proposal lists them",
                s.ueids[0].join(", ")
            ));
        }
        s.ueids[1] = s.ueids[0].clone();
        let accepted = sessions.iter().find_map(|r| match &r.session.outcome {
            Outcome::Smc(n) => n.eid.as_ref().map(|e| (r.session.id, e.to_string())),
            _ => None,
        });
        let refused = sessions.iter().find(|r| declined_for_eid(r));
        if let Some((id, eid)) = accepted {
            s.ueids[1] = vec![eid.clone()];
            s.why
                .push(format!("server UEID {eid}: session {id} negotiates it"));
        } else if let Some(r) = refused {
            s.ueids[1].clear();
            s.why.push(format!(
                "server without UEID: the server declines session {}'s v2 Proposal NOSMCDEV or NOUEID \
                 (without a RoCE device it declines NOSMCRDEV)",
                r.session.id
            ));
        }
        if let Some(r) = sessions
            .iter()
            .find(|r| declined_by_server(r, DeclineDiagnosis::NOSMCRDEV))
        {
            s.rdma[1] = false;
            s.why.push(format!(
                "server without RoCE: it declines session {}'s Proposal NOSMCRDEV",
                r.session.id
            ));
        }
        if s.one_host {
            // One host has one EID table.
            let shared = s.ueids[1].clone();
            s.ueids[0] = shared;
        }
        for r in sessions {
            let Outcome::Smc(n) = &r.session.outcome else {
                continue;
            };
            for side in [Side::Client, Side::Server] {
                let size = n.buffer_size[side.index()];
                if size != DEFAULT_RMEM && size != 0 && s.rmem[side.index()].is_none() {
                    s.rmem[side.index()] = Some(size);
                    s.why.push(format!(
                        "{} net.smc.rmem and wmem {size}: session {}'s {} buffer (default {DEFAULT_RMEM})",
                        side.name(),
                        r.session.id,
                        if n.smcd { "DMB" } else { "RMB" }
                    ));
                }
            }
        }
        s.link_events(sessions);
        s.delay(sessions);
        s
    }

    fn link_events(&mut self, sessions: &[Recorded]) {
        let first = sessions.iter().map(|r| r.session.start).min();
        for r in sessions {
            let llc = &r.digest.llc;
            let requests = |kind: &'static str| llc.iter().filter(move |m| m.kind == kind && !m.response);
            if !self.second_link && requests("CONFIRM_LINK").count() >= 2 {
                self.second_link = true;
                self.why.push(format!(
                    "second NIC with a RoCE device: session {}'s link group confirms a second link",
                    r.session.id
                ));
            }
            let asked = llc
                .iter()
                .find(|m| m.kind == "REQ_ADD_LINK" && !m.response && m.from == Side::Client);
            if let (None, Some(m), Some(first)) = (self.second_device_ns, asked, first) {
                // The client asks for a link when a device of its own comes up.
                let ns = m.time.nanos_since(first);
                self.second_device_ns = Some(ns);
                self.second_link = true;
                self.why.push(format!(
                    "the client's second RoCE device comes up {:.1} s in: session {}'s client sends REQ_ADD_LINK then",
                    ns as f64 / 1e9,
                    r.session.id
                ));
            }
            let tests: Vec<_> = requests("TEST_LINK").collect();
            if self.testlink_secs.is_none() && !tests.is_empty() {
                // A TEST_LINK goes out after smcr_testlink_time without traffic on the link.
                let gap = tests
                    .iter()
                    .filter_map(|t| {
                        let before = llc.iter().rev().find(|m| m.time < t.time)?;
                        Some(t.time.nanos_since(before.time))
                    })
                    .min();
                if let Some(gap) = gap {
                    let secs = (gap + 500_000_000) / 1_000_000_000;
                    self.testlink_secs = Some(secs.max(1));
                    self.why.push(format!(
                        "net.smc.smcr_testlink_time {}: session {}'s TEST_LINK comes {:.1} s after the LLC before it",
                        secs.max(1),
                        r.session.id,
                        gap as f64 / 1e9
                    ));
                }
            }
            // A link both sides had confirmed, deleted by the client while
            // data was still to move: the client's NIC under it failed.
            let last_step = r.script.steps.last().map_or(0, |s| s.at_ns);
            let confirmed = |link: Option<u8>| {
                llc.iter()
                    .any(|m| m.kind == "CONFIRM_LINK" && m.response && m.link == link)
            };
            let down = llc.iter().find(|m| {
                m.kind == "DELETE_LINK"
                    && !m.response
                    && m.from == Side::Client
                    && confirmed(m.link)
                    && m.time.nanos_since(r.session.start) < last_step
            });
            if let (None, Some(d), Some(first)) = (self.link_down_ns, down, first) {
                let ns = d.time.nanos_since(first);
                self.link_down_ns = Some(ns);
                self.why.push(format!(
                    "the client's first NIC goes down {:.1} s in: session {}'s client deletes a link while it is open",
                    ns as f64 / 1e9,
                    r.session.id
                ));
            }
        }
    }

    fn delay(&mut self, sessions: &[Recorded]) {
        if !self.one_host {
            return;
        }
        let slowest = sessions
            .iter()
            .filter_map(|r| r.session.tcp_handshake_micros.map(|m| (r, m)))
            .max_by_key(|(_, m)| *m);
        if let Some((r, micros)) = slowest.filter(|(_, m)| m / 1000 >= DELAY_MS) {
            let ms = micros / 1000;
            self.delay_ms = Some(ms);
            self.why.push(format!(
                "a delay of {ms} ms a packet on lo: session {}'s SYN-ACK comes {ms} ms after its SYN on one host",
                r.session.id
            ));
        }
    }
}

fn declined_first_by_client(r: &Recorded) -> bool {
    matches!(
        r.session.outcome,
        Outcome::Fallback(Fallback::Declined { by: Side::Client, diagnosis, .. })
            if diagnosis == DeclineDiagnosis::NOSMCDEV && r.offer.is_none()
    )
}

/// The server declined a v2 Proposal for want of a common EID: NOUEID, or
/// NOSMCDEV when its RoCE device was there (seen in the lab: a server
/// without UEID declines NOSMCDEV, one without RoCE NOSMCRDEV).
fn declined_for_eid(r: &Recorded) -> bool {
    (declined_by_server(r, DeclineDiagnosis::NOSMCDEV) || declined_by_server(r, DeclineDiagnosis::NOUEID))
        && matches!(
            r.session.outcome,
            Outcome::Fallback(Fallback::Declined { version: 2, .. })
        )
        && r.offer.as_ref().is_some_and(|o| o.eids.is_some())
}

fn declined_by_server(r: &Recorded, why: DeclineDiagnosis) -> bool {
    matches!(
        r.session.outcome,
        Outcome::Fallback(Fallback::Declined { by: Side::Server, diagnosis, .. }) if diagnosis == why
    )
}
