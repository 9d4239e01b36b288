//! Where each event belongs, as `Analyzer::event` says, on every real
//! capture: CLC and TCP to the session of their connection and the side
//! that sent it, CDC and RDMA WRITEs to the session of their token or rkey,
//! LLC to the link group alone.

mod common;

use dissect::clc::ClcMessage;
use engine::pipeline::{Endpoints, EventKind};
use engine::session::{Analyzer, Attribution, Session, Side, Update};
use std::collections::HashMap;

fn captures() -> impl Iterator<Item = String> {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../corpora/real");
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .expect("corpora/real")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".pcapng"))
        .collect();
    names.sort();
    names.into_iter()
}

#[test]
fn every_smc_message_belongs_where_its_connection_token_or_link_says() {
    for file in captures() {
        let events = common::real(&file);
        let (mut analyzer, mut updates) = (Analyzer::default(), Vec::new());
        let mut rdma: HashMap<u32, [u64; 2]> = HashMap::new();
        let mut attributed = 0;
        for e in &events {
            let at = analyzer.event(e, &mut updates);
            let kind = &e.kind;
            let session = at.and_then(|a| analyzer.session(a.session?)).cloned();
            match (kind, at, &e.at) {
                (EventKind::Clc(m), Some(a), Endpoints::Tcp(flow)) => {
                    let s = session.unwrap_or_else(|| panic!("{file} frame {}: {a:?}", e.frame));
                    let from = if flow.src == s.client {
                        Side::Client
                    } else {
                        Side::Server
                    };
                    assert_eq!(a.sender, from, "{file} frame {}", e.frame);
                    let expected = match m {
                        ClcMessage::Proposal(_) | ClcMessage::Confirm(_) => Some(Side::Client),
                        ClcMessage::Accept(_) => Some(Side::Server),
                        _ => None,
                    };
                    assert!(expected.is_none_or(|x| x == a.sender), "{file} frame {}", e.frame);
                    assert_eq!(a.link_group, link_group(&s), "{file} frame {}", e.frame);
                }
                (EventKind::Clc(_), None, _) => panic!("{file} frame {}: CLC without a session", e.frame),
                (EventKind::Llc(_), a, _) => {
                    let a = a.unwrap_or_else(|| panic!("{file} frame {}: LLC without a link", e.frame));
                    assert_eq!(
                        (a.session, a.link_group.is_some()),
                        (None, true),
                        "{file} frame {}",
                        e.frame
                    );
                }
                (EventKind::Cdc(c), a, _) => {
                    let (a, s) = in_session(&file, e.frame, a, session);
                    // The token is the receiver's.
                    let receiver = a.sender.peer();
                    let rmb = s.smcr.as_ref().and_then(|r| r.rmb[receiver.index()]);
                    assert_eq!(
                        rmb.map(|r| r.alert_token),
                        Some(c.token),
                        "{file} frame {}",
                        e.frame
                    );
                }
                (
                    EventKind::RdmaWrite {
                        target: Some(_),
                        bytes,
                        ..
                    },
                    a,
                    _,
                ) => {
                    let (a, s) = in_session(&file, e.frame, a, session);
                    rdma.entry(s.id).or_default()[a.sender.index()] += bytes;
                }
                _ => {}
            }
            attributed += usize::from(at.is_some());
        }
        analyzer.finish(&mut updates);
        // The writes attributed to a session are the bytes it counts, on every link.
        for u in &updates {
            if let Update::SessionEnded(s) = u {
                assert_eq!(
                    rdma.get(&s.id).copied().unwrap_or_default(),
                    s.rdma_bytes,
                    "{file} session {}",
                    s.id
                );
            }
        }
        assert!(attributed > 0, "{file}");
    }
}

fn link_group(s: &Session) -> Option<u32> {
    s.smcr.as_ref().and_then(|r| r.link_group)
}

/// A CDC or RDMA WRITE: attributed to a live session on its link group.
fn in_session(file: &str, frame: u64, a: Option<Attribution>, s: Option<Session>) -> (Attribution, Session) {
    let a = a.unwrap_or_else(|| panic!("{file} frame {frame}: not attributed"));
    let s = s.unwrap_or_else(|| panic!("{file} frame {frame}: {a:?} names no session"));
    assert_eq!(a.link_group, link_group(&s), "{file} frame {frame}");
    (a, s)
}
