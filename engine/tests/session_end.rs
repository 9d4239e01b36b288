//! Sessions end as the capture goes on, not only at its end, and what is
//! over is let go: the lab's real captures, each replayed back to back.

mod common;

use common::real;
use engine::pipeline::Event;
use engine::session::{Analyzer, Session, Update};
use std::path::Path;

fn captures() -> Vec<String> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../corpora/real");
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .expect("corpora/real")
        .filter_map(|e| e.ok()?.file_name().into_string().ok())
        .filter(|n| n.ends_with(".pcapng"))
        .collect();
    names.sort();
    names
}

/// A session's picture without what differs from one replay to the next.
fn normal(s: &Session) -> Session {
    let mut s = s.clone();
    s.id = 0;
    s.start = Default::default();
    if let Some(r) = &mut s.smcr {
        r.link_group = None;
    }
    s
}

/// What the engine reports on `events`: sessions made, sessions ended, findings.
fn feed(analyzer: &mut Analyzer, events: &[Event]) -> (Vec<u32>, Vec<Session>, usize) {
    let mut updates = Vec::new();
    for e in events {
        analyzer.event(e, &mut updates);
    }
    let (mut made, mut ended, mut findings) = (Vec::new(), Vec::new(), 0);
    for u in updates {
        match u {
            Update::Session(id) if !made.contains(&id) => made.push(id),
            Update::Session(_) => {}
            Update::SessionEnded(s) => ended.push(*s),
            Update::Finding(_) => findings += 1,
        }
    }
    (made, ended, findings)
}

#[test]
fn replays_end_the_same_sessions_and_keep_nothing_of_the_ones_before() {
    let mut ended_inside = 0;
    for name in captures() {
        let events = real(&name);
        let mut analyzer = Analyzer::default();
        let (made, first, findings) = feed(&mut analyzer, &events);
        assert_eq!(findings, 0, "{name}");
        let n = made.len() as u32;
        ended_inside += first.len();
        let first: Vec<Session> = first.iter().map(normal).collect();
        let kept = (analyzer.sessions().count(), analyzer.link_groups().count());
        let mut ended_total = first.len();
        for copy in 1..4u32 {
            // Long after the copy before: all of it has gone idle.
            let shifted: Vec<Event> = events
                .iter()
                .map(|e| {
                    let mut e = e.clone();
                    e.time.secs += i64::from(copy) * 1000;
                    e
                })
                .collect();
            let (made, ended, findings) = feed(&mut analyzer, &shifted);
            assert_eq!(findings, 0, "{name} copy {copy}");
            assert_eq!(
                made,
                (copy * n..(copy + 1) * n).collect::<Vec<_>>(),
                "{name} copy {copy}"
            );
            ended_total += ended.len();
            // The copy before's sessions still open end (idle) as this one starts.
            let own: Vec<Session> = ended.iter().filter(|s| s.id >= copy * n).map(normal).collect();
            assert_eq!(
                own, first,
                "{name} copy {copy}: sessions ended inside the capture"
            );
            let now = (analyzer.sessions().count(), analyzer.link_groups().count());
            assert_eq!(now, kept, "{name} copy {copy}: sessions and link groups kept");
        }
        let mut updates = Vec::new();
        analyzer.finish(&mut updates);
        ended_total += updates
            .iter()
            .filter(|u| matches!(u, Update::SessionEnded(_)))
            .count();
        assert_eq!(ended_total, 4 * n as usize, "{name}: every session ends once");
    }
    assert!(ended_inside > 0, "no session ended before its capture did");
}
