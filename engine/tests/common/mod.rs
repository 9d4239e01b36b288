//! Violating traffic for the rule tests: the real captures' events, with
//! messages changed and re-encoded by the dissector's emit, fed to the engine.
#![allow(dead_code)]

use dissect::cdc::SmcrCdc;
use dissect::clc::ClcMessage;
use dissect::llc::{parse_send, LlcMessage, SmcrControl};
use dissect::Wire;
use engine::pipeline::{clc_event, Event, EventKind, Pipeline};
use engine::session::{Analyzer, Update};

/// The frames of capture file `name` in corpora/real, read by the product's reader.
pub fn real_frames(name: &str) -> Vec<engine::frame::Frame> {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../corpora/real")
        .join(name);
    let file = std::fs::File::open(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let mut reader = engine::capture_file::Reader::open(file).expect("a capture file");
    let mut frames = Vec::new();
    while reader.advance().expect("an intact file") {
        frames.extend(reader.current().map(|(f, _)| f.owned()));
    }
    frames
}

/// Every pipeline event of a real capture.
pub fn real(file: &str) -> Vec<Event> {
    let (mut pipeline, mut out) = (Pipeline::default(), Vec::new());
    for frame in real_frames(file) {
        pipeline.frame(&frame, &mut out);
    }
    pipeline.finish(&mut out);
    out
}

/// The rule ids the engine reports on `events`.
pub fn fired(events: &[Event]) -> Vec<&'static str> {
    let (mut analyzer, mut updates) = (Analyzer::default(), Vec::new());
    for e in events {
        analyzer.event(e, &mut updates);
    }
    analyzer.finish(&mut updates);
    updates
        .iter()
        .filter_map(|u| match u {
            Update::Finding(f) => Some(f.rule.id),
            Update::Session(_) | Update::SessionEnded(_) => None,
        })
        .collect()
}

/// Asserts the unchanged capture is clean and the changed one fires `rule`.
pub fn assert_fires(original: &[Event], changed: &[Event], rule: &str) {
    assert_eq!(fired(original), Vec::<&str>::new(), "the real capture is clean");
    let got = fired(changed);
    assert!(got.contains(&rule), "{rule} not among {got:?}");
}

/// Index of the first event matching `pred` (and its event).
pub fn find(events: &[Event], pred: impl Fn(&EventKind) -> bool) -> usize {
    events.iter().position(|e| pred(&e.kind)).expect("event present")
}

pub fn nth(events: &[Event], n: usize, pred: impl Fn(&EventKind) -> bool) -> usize {
    events
        .iter()
        .enumerate()
        .filter(|(_, e)| pred(&e.kind))
        .nth(n)
        .map(|(i, _)| i)
        .expect("event present")
}

/// The CLC message at `i`.
pub fn clc(events: &[Event], i: usize) -> ClcMessage {
    match &events[i].kind {
        EventKind::Clc(m) => m.clone(),
        other => panic!("not CLC: {other:?}"),
    }
}

/// A CLC message as bytes, changed by `edit`, as the pipeline sees it.
pub fn clc_bytes(m: &ClcMessage, edit: impl FnOnce(&mut Vec<u8>)) -> EventKind {
    let mut bytes = Vec::new();
    m.emit(&mut bytes);
    edit(&mut bytes);
    clc_event(&bytes, 0)
}

/// Re-encodes a CLC message and parses it back (it must stay valid).
pub fn clc_emit(m: &ClcMessage) -> EventKind {
    let kind = clc_bytes(m, |_| {});
    assert!(matches!(kind, EventKind::Clc(_)), "{kind:?}");
    kind
}

pub fn llc(events: &[Event], i: usize) -> LlcMessage {
    match &events[i].kind {
        EventKind::Llc(m) => m.clone(),
        other => panic!("not LLC: {other:?}"),
    }
}

/// Re-encodes an LLC message and parses it back as a SEND payload.
pub fn llc_emit(m: &LlcMessage) -> EventKind {
    let mut bytes = Vec::new();
    m.emit(&mut bytes);
    match parse_send(&bytes).expect("valid LLC") {
        SmcrControl::Llc(m) => EventKind::Llc(m),
        SmcrControl::Cdc(c) => EventKind::Cdc(c),
    }
}

pub fn cdc(events: &[Event], i: usize) -> SmcrCdc {
    match &events[i].kind {
        EventKind::Cdc(c) => c.clone(),
        other => panic!("not CDC: {other:?}"),
    }
}

/// Re-encodes a CDC message and parses it back.
pub fn cdc_emit(c: &SmcrCdc) -> EventKind {
    let mut bytes = Vec::new();
    c.emit(&mut bytes);
    EventKind::Cdc(SmcrCdc::parse(&bytes).expect("valid CDC"))
}

/// `events` with the event at `i` replaced by `kind` (same frame, time, ends).
pub fn replaced(events: &[Event], i: usize, kind: EventKind) -> Vec<Event> {
    let mut v = events.to_vec();
    v[i].kind = kind;
    v
}

/// `events` with a copy of event `i` carrying `kind` inserted after `after`.
pub fn inserted(events: &[Event], after: usize, i: usize, kind: EventKind) -> Vec<Event> {
    let mut v = events.to_vec();
    let mut e = events[i].clone();
    e.kind = kind;
    e.frame = events[after].frame;
    e.time = events[after].time;
    v.insert(after + 1, e);
    v
}

pub fn is_clc(kind: &EventKind, t: u8) -> bool {
    matches!(kind, EventKind::Clc(m) if m.kind().0 == t)
}
