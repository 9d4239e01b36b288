//! Reassembly state is let go of as a long capture goes on (closed and idle
//! connections, idle QPs), on the lab's real captures, without changing
//! what is decoded.

mod common;

use common::real_frames as frames;
use engine::frame::Frame;
use engine::pipeline::{Event, Pipeline};

/// The events of `frames`, as (frame, summary) pairs independent of time.
fn run(pipeline: &mut Pipeline, frames: &[Frame]) -> Vec<(u64, String)> {
    let mut out: Vec<Event> = Vec::new();
    for f in frames {
        pipeline.frame(f, &mut out);
    }
    out.iter()
        .map(|e| (e.frame, format!("{:?} {:?}", e.at, e.kind)))
        .collect()
}

#[test]
fn connections_closed_both_ways_are_let_go_at_once() {
    let frames = frames("many-conns.pcapng");
    let mut pipeline = Pipeline::default();
    let events = run(&mut pipeline, &frames);
    let pruned = pipeline.reassembly().pruned();
    let syns = events
        .iter()
        .filter(|(_, e)| e.contains("SmcOption { syn_ack: false"))
        .count();
    assert!(syns >= 4, "{syns} SMC connections opened");
    assert!(pruned.closed_connections >= syns as u64, "{pruned:?}");
    assert_eq!(pipeline.reassembly().held().connections, 0, "{pruned:?}");
}

#[test]
fn idle_connections_and_qps_are_let_go_and_the_next_session_decodes_alike() {
    let first = frames("smcr-v2-echo.pcapng");
    // The same session again, 10 minutes of capture time later.
    let again: Vec<Frame> = first
        .iter()
        .map(|f| {
            let mut f = f.clone();
            f.number += first.len() as u64;
            f.time.secs += 600;
            f
        })
        .collect();
    let mut pipeline = Pipeline::default();
    let before = run(&mut pipeline, &first);
    let held = pipeline.reassembly().held();
    assert!(held.qps > 0, "the session's QPs are tracked: {held:?}");
    let after = run(&mut pipeline, &again);
    let pruned = pipeline.reassembly().pruned();
    assert_eq!(pruned.idle_qps, held.qps as u64, "{pruned:?}");
    assert_eq!(pruned.idle_connections, held.connections as u64, "{pruned:?}");
    let shifted: Vec<_> = before
        .into_iter()
        .map(|(n, e)| (n + first.len() as u64, e))
        .collect();
    assert_eq!(after, shifted);
}
