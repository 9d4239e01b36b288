//! Checks for the fuzz targets over the pipeline. They panic on purpose: a
//! panic here is a bug found, reported by libFuzzer.

use crate::pipeline::Pipeline;
use crate::source::{Frame, Timestamp};
use dissect::capture::Limits;
use dissect::oracle::LINK_TYPES;

/// Small caps, so a short input can reach them.
const LIMITS: Limits = Limits {
    stream_pending: 4096,
    total: 32 * 1024,
    connections: 8,
    clc_scan: 2048,
    send_message: 9000,
    qps: 8,
    idle_secs: 120,
};

/// Frames carved from `data` and run through one pipeline. Byte 0 picks the
/// link type (odd: with message bytes); then each frame is a 2-byte big-endian
/// length, a byte of snaplen cut, and the frame. Nothing may panic, and
/// reassembly must stay within its caps after every frame.
pub fn check_pipeline(data: &[u8]) {
    let Some((&pick, mut rest)) = data.split_first() else {
        return;
    };
    let link = LINK_TYPES[usize::from(pick >> 1) % LINK_TYPES.len()];
    let mut pipeline = Pipeline::new(LIMITS);
    if pick & 1 == 1 {
        pipeline = pipeline.with_messages();
    }
    let mut events = Vec::new();
    let mut number = 0;
    while let [hi, lo, cut, tail @ ..] = rest {
        let len = usize::from(u16::from_be_bytes([*hi, *lo])).min(tail.len());
        let (bytes, next) = tail.split_at(len);
        rest = next;
        number += 1;
        let frame = Frame {
            number,
            time: Timestamp {
                secs: number as i64,
                nanos: 0,
            },
            data: bytes.to_vec(),
            orig_len: len + usize::from(*cut),
            link,
        };
        pipeline.frame(&frame, &mut events);
        check_held(&pipeline);
        // The trees a reader would be shown, built from the bytes kept.
        for message in events.iter().filter_map(|e| e.message.as_ref()) {
            message.tree();
        }
        events.clear();
    }
    pipeline.finish(&mut events);
    check_held(&pipeline);
}

fn check_held(pipeline: &Pipeline) {
    let held = pipeline.reassembly().held();
    assert!(held.connections <= LIMITS.connections, "{held:?} over {LIMITS:?}");
    assert!(held.qps <= LIMITS.qps, "{held:?} over {LIMITS:?}");
    assert!(
        held.budget_left <= LIMITS.total,
        "budget grew past its total: {held:?}"
    );
}
