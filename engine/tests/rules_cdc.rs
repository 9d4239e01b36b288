//! Each CDC and RDMA rule fires on a real SMC-R connection with one CDC
//! message or RDMA WRITE changed, added or left out (see common/mod.rs).

mod common;

use common::*;
use dissect::cdc::{ConnStateFlags, Cursor};
use engine::pipeline::{Event, EventKind};

fn is_cdc(kind: &EventKind) -> bool {
    matches!(kind, EventKind::Cdc(_))
}

fn is_write(kind: &EventKind) -> bool {
    matches!(kind, EventKind::RdmaWrite { target: Some(_), .. })
}

/// The echo capture and the index of its last CDC (the server's close).
fn echo() -> (Vec<Event>, usize) {
    let events = real("smcr-v2-echo.pcapng");
    let last = events.iter().rposition(|e| is_cdc(&e.kind)).expect("CDC");
    (events, last)
}

/// A copy of the CDC at `i`, one sequence number on, changed by `edit`, after it.
fn next_cdc(events: &[Event], i: usize, edit: impl FnOnce(&mut dissect::cdc::SmcrCdc)) -> Vec<Event> {
    let mut c = cdc(events, i);
    c.seqno = c.seqno.wrapping_add(1);
    edit(&mut c);
    inserted(events, i, i, cdc_emit(&c))
}

#[test]
fn cdc_seq_out_of_order() {
    let (events, last) = echo();
    let changed = inserted(&events, last, last, cdc_emit(&cdc(&events, last)));
    assert_fires(&events, &changed, "cdc-seq-out-of-order");
}

#[test]
fn cdc_cursor_backwards() {
    let (events, last) = echo();
    let changed = next_cdc(&events, last, |c| c.consumer = Cursor::default());
    assert_fires(&events, &changed, "cdc-cursor-backwards");
}

#[test]
fn cdc_cursor_beyond_ring() {
    // The RMBEs are 64 KiB.
    let (events, last) = echo();
    let changed = next_cdc(&events, last, |c| c.consumer.count = 70_000);
    assert_fires(&events, &changed, "cdc-cursor-beyond-ring");
}

#[test]
fn cdc_producer_overruns_consumer() {
    // small-rmem: a producer a full ring plus 4 KiB ahead of its peer's consumer.
    let events = real("small-rmem.pcapng");
    let i = find(&events, is_cdc);
    let changed = next_cdc(&events, i, |c| {
        c.producer = Cursor {
            wrap: c.producer.wrap.wrapping_add(1),
            count: c.producer.count + 4096,
        };
    });
    assert_fires(&events, &changed, "cdc-cursor-beyond-ring");
}

#[test]
fn cdc_producer_without_write() {
    // Leave out the client's first RDMA WRITE: its CDC announces unwritten data.
    let (events, _) = echo();
    let mut changed = events.clone();
    changed.remove(find(&events, is_write));
    assert_fires(&events, &changed, "cdc-producer-without-write");
}

#[test]
fn cdc_data_after_close() {
    let (events, last) = echo();
    assert!(cdc(&events, last)
        .conn_state_flags
        .contains(ConnStateFlags::PEER_CONN_CLOSED));
    let changed = next_cdc(&events, last, |c| c.producer.count += 16);
    assert_fires(&events, &changed, "cdc-data-after-close");
}

#[test]
fn rdma_write_after_close() {
    // An RDMA WRITE from the server after its closing CDC.
    let (events, last) = echo();
    let w = events.iter().rposition(|e| is_write(&e.kind)).expect("write");
    let changed = inserted(&events, last, w, events[w].kind.clone());
    assert_fires(&events, &changed, "cdc-data-after-close");
}

#[test]
fn cdc_unknown_token() {
    let (events, last) = echo();
    let changed = next_cdc(&events, last, |c| c.token = 0x99);
    assert_fires(&events, &changed, "cdc-unknown-token");
}

fn write_changed(
    edit: impl FnOnce(&mut engine::pipeline::reassembly::WriteTarget),
) -> (Vec<Event>, Vec<Event>) {
    let (events, _) = echo();
    let i = find(&events, is_write);
    let EventKind::RdmaWrite {
        target: Some(mut t),
        bytes,
        packets,
    } = events[i].kind.clone()
    else {
        panic!()
    };
    edit(&mut t);
    let changed = replaced(
        &events,
        i,
        EventKind::RdmaWrite {
            target: Some(t),
            bytes,
            packets,
        },
    );
    (events, changed)
}

#[test]
fn rdma_write_wrong_rkey() {
    let (events, changed) = write_changed(|t| t.rkey ^= 0x1000);
    assert_fires(&events, &changed, "rdma-write-wrong-rkey");
}

#[test]
fn rdma_write_outside_rmb() {
    let (events, changed) = write_changed(|t| t.vaddr += 0x10000);
    assert_fires(&events, &changed, "rdma-write-outside-rmb");
}
