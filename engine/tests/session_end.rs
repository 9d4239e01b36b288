//! Sessions end as the capture goes on, not only at its end, and what is
//! over is let go: the lab's real captures, each replayed back to back.

mod common;

use common::find;
use common::real;
use engine::pipeline::{Event, EventKind};
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

fn is_test_link(kind: &EventKind, response: bool) -> bool {
    matches!(kind, EventKind::Llc(m) if m.header().llc_type.kind() == 7 && m.header().is_response() == response)
}

fn later(e: &Event, secs: i64) -> Event {
    let mut e = e.clone();
    e.time.secs += secs;
    e
}

#[test]
fn an_open_smcr_connection_stays_while_test_links_keep_its_link_group_up() {
    // test-link idles with TEST_LINKs: keep them going for 10 minutes, no data.
    let events = real("test-link.pcapng");
    let request = find(&events, |k| is_test_link(k, false));
    let response = find(&events, |k| is_test_link(k, true));
    let (mut analyzer, mut updates) = (Analyzer::default(), Vec::new());
    for e in &events[..=response] {
        analyzer.event(e, &mut updates);
    }
    for n in 1..=20 {
        analyzer.event(&later(&events[request], 30 * n), &mut updates);
        analyzer.event(&later(&events[response], 30 * n), &mut updates);
    }
    let ended = |u: &[Update]| u.iter().filter(|u| matches!(u, Update::SessionEnded(_))).count();
    assert_eq!(ended(&updates), 0, "{updates:?}");
    assert!(analyzer.session(0).is_some_and(|s| s.smcr.is_some()));
    // Then nothing: the link group and its session go idle and are let go.
    let mut quiet = events[response].time;
    quiet.secs += 30 * 20 + 200;
    analyzer.tick(quiet, &mut updates);
    assert_eq!(ended(&updates), 1);
    assert_eq!(
        (analyzer.sessions().count(), analyzer.link_groups().count()),
        (0, 0)
    );
    assert!(
        !updates.iter().any(|u| matches!(u, Update::Finding(_))),
        "{updates:?}"
    );
}

#[test]
fn a_connection_on_the_ports_of_an_ended_one_is_a_new_session() {
    // smcr-v2-echo again 10 s later: the first session has ended but is still kept.
    let events = real("smcr-v2-echo.pcapng");
    let mut analyzer = Analyzer::default();
    let (made, first, _) = feed(&mut analyzer, &events);
    assert_eq!((made.len(), first.len()), (1, 1));
    let again: Vec<Event> = events.iter().map(|e| later(e, 10)).collect();
    let (made, second, findings) = feed(&mut analyzer, &again);
    assert_eq!(findings, 0);
    assert_eq!(made, [1]);
    assert_eq!(second.iter().map(normal).collect::<Vec<_>>(), [normal(&first[0])]);
}
