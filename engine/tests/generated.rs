//! The session engine over well-formed messages from dissect's generators
//! (feature `proptest`), put into a real SMC-R session: whatever a peer
//! sends, the engine must not panic, and each finding must name a rule of
//! the catalogue and a session or link group the engine reported.

mod common;

use common::{clc_emit, is_clc, llc_emit, real};
use dissect::gen;
use engine::pipeline::{Event, EventKind};
use engine::rules;
use engine::session::{Analyzer, Update};
use proptest::prelude::*;
use std::collections::HashSet;

/// A message to put into the session: CLC on its TCP connection or LLC on its link.
#[derive(Debug, Clone)]
enum Inserted {
    Clc(dissect::clc::ClcMessage),
    Llc(dissect::llc::LlcMessage),
}

fn inserted() -> impl Strategy<Value = Inserted> {
    prop_oneof![
        gen::clc::clc_message().prop_map(Inserted::Clc),
        gen::llc::llc_message().prop_map(Inserted::Llc),
    ]
}

/// The real session's events with `extra` put in after its Confirm, each on
/// the ends of the real message of its kind (both directions taken in turn).
fn session_with(extra: &[Inserted]) -> Vec<Event> {
    let events = real("smcr-v2-echo.pcapng");
    let confirm = events.iter().position(|e| is_clc(&e.kind, 3)).expect("a Confirm");
    let clc: Vec<&Event> = events
        .iter()
        .filter(|e| matches!(e.kind, EventKind::Clc(_)))
        .collect();
    let llc: Vec<&Event> = events
        .iter()
        .filter(|e| matches!(e.kind, EventKind::Llc(_)))
        .collect();
    let mut out = events[..=confirm].to_vec();
    for (n, m) in extra.iter().enumerate() {
        let (template, kind) = match m {
            Inserted::Clc(m) => (clc[n % clc.len()], clc_emit(m)),
            Inserted::Llc(m) => (llc[n % llc.len()], llc_emit(m)),
        };
        out.push(Event {
            kind,
            message: None,
            ..template.clone()
        });
    }
    out.extend_from_slice(&events[confirm + 1..]);
    out
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    #[test]
    fn generated_messages_give_findings_of_the_catalogue(extra in prop::collection::vec(inserted(), 1..8)) {
        let events = session_with(&extra);
        let (mut analyzer, mut updates) = (Analyzer::default(), Vec::new());
        for e in &events {
            analyzer.event(e, &mut updates);
        }
        analyzer.finish(&mut updates);
        let sessions: HashSet<u32> = updates
            .iter()
            .filter_map(|u| match u {
                Update::Session(id) => Some(*id),
                Update::SessionEnded(s) => Some(s.id),
                Update::Finding(_) => None,
            })
            .collect();
        prop_assert!(!sessions.is_empty(), "the real session is reported");
        for u in &updates {
            if let Update::Finding(f) = u {
                prop_assert!(rules::by_id(f.rule.id).is_some(), "{} is not in the catalogue", f.rule.id);
                if let Some(s) = f.session {
                    prop_assert!(sessions.contains(&s), "finding {} names session {s}, never reported", f.rule.id);
                }
                prop_assert!(f.session.is_some() || f.link_group.is_some(), "finding {} names nothing", f.rule.id);
            }
        }
    }
}
