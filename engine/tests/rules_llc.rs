//! Each LLC rule fires on a real link group with one LLC message changed,
//! added or left out (see common/mod.rs).

mod common;

use common::*;
use dissect::llc::{AddLinkCont, Llc, LlcFlags, LlcHeader, LlcMessage, LlcType, RawBody};
use engine::pipeline::EventKind;

fn is_llc(kind: &EventKind, t: u8, rsp: bool) -> bool {
    matches!(kind, EventKind::Llc(m) if m.header().llc_type.kind() == t && m.header().is_response() == rsp)
}

#[test]
fn llc_confirm_link_eyecatcher() {
    let events = real("smcr-v2-echo.pcapng");
    let i = find(&events, |k| is_llc(k, 1, false));
    let LlcMessage::ConfirmLink(mut m) = llc(&events, i) else {
        panic!()
    };
    m.header.flags = LlcFlags(m.header.flags.0 & !LlcFlags::NO_RMBE_EYECATCHER.0);
    let changed = replaced(&events, i, llc_emit(&LlcMessage::ConfirmLink(m)));
    assert_fires(&events, &changed, "llc-confirm-link-eyecatcher");
}

#[test]
fn llc_response_without_request() {
    // The client answers the CONFIRM_LINK twice.
    let events = real("smcr-v2-echo.pcapng");
    let i = find(&events, |k| is_llc(k, 1, true));
    let changed = inserted(&events, i, i, llc_emit(&llc(&events, i)));
    assert_fires(&events, &changed, "llc-response-without-request");
}

/// A peer that sends its next CONFIRM_RKEY before the answer to the last
/// (Linux answers each in turn): both answers match, no finding.
#[test]
fn pipelined_rkey_requests_are_each_answered() {
    let events = real("many-conns.pcapng");
    let request = find(&events, |k| is_llc(k, 6, false));
    let from = events[request].at;
    let response = (request + 1..events.len())
        .find(|&j| is_llc(&events[j].kind, 6, true) && events[j].at != from)
        .expect("its answer");
    let twice = inserted(&events, response, response, llc_emit(&llc(&events, response)));
    let twice = inserted(&twice, request, request, llc_emit(&llc(&events, request)));
    assert_eq!(fired(&twice), Vec::<&str>::new());
}

#[test]
fn llc_confirm_link_out_of_flow() {
    // The client sends a CONFIRM_LINK request (only the server sets up links).
    let events = real("smcr-v2-echo.pcapng");
    let i = find(&events, |k| is_llc(k, 1, true));
    let LlcMessage::ConfirmLink(mut m) = llc(&events, i) else {
        panic!()
    };
    m.header.flags = LlcFlags(m.header.flags.0 & !LlcFlags::RESPONSE.0);
    let changed = inserted(&events, i, i, llc_emit(&LlcMessage::ConfirmLink(m)));
    assert_fires(&events, &changed, "llc-confirm-link-out-of-flow");
}

#[test]
fn llc_add_link_cont_out_of_flow() {
    // A v1 ADD_LINK_CONT after the ADD_LINK exchange ended in a reject.
    let events = real("smcr-v2-echo.pcapng");
    let i = find(&events, |k| is_llc(k, 2, true));
    let cont = LlcMessage::AddLinkCont(Llc {
        header: LlcHeader {
            llc_type: LlcType::ADD_LINK_CONT,
            ..LlcHeader::default()
        },
        body: AddLinkCont {
            link_id: 2,
            ..AddLinkCont::default()
        },
    });
    let changed = inserted(&events, i, i, llc_emit(&cont));
    assert_fires(&events, &changed, "llc-add-link-cont-out-of-flow");
}

#[test]
fn llc_unknown_type() {
    let events = real("smcr-v2-echo.pcapng");
    let i = find(&events, |k| is_llc(k, 1, true));
    let unknown = LlcMessage::Unknown(Llc {
        header: LlcHeader {
            llc_type: LlcType(0x0b),
            ..LlcHeader::default()
        },
        body: RawBody { bytes: vec![0; 40] },
    });
    let changed = inserted(&events, i, i, llc_emit(&unknown));
    assert_fires(&events, &changed, "llc-unknown-type");
}

#[test]
fn llc_test_link_unanswered() {
    // The capture idles 14 s with TEST_LINK every 5 s: drop the first answer.
    let events = real("test-link.pcapng");
    let i = find(&events, |k| is_llc(k, 7, true));
    let mut changed = events.clone();
    changed.remove(i);
    assert_fires(&events, &changed, "llc-test-link-unanswered");
}

/// A link deleted while its TEST_LINK waits takes the wait with it
/// (smc_llc_link_clear completes llc_testlink_resp): no finding.
#[test]
fn a_deleted_link_clears_its_test_link() {
    let events = real("test-link.pcapng");
    let request = find(&events, |k| is_llc(k, 7, false));
    let response = find(&events, |k| is_llc(k, 7, true));
    let other = real("two-links.pcapng");
    let delete = llc(&other, find(&other, |k| is_llc(k, 4, false)));
    let mut changed = events.clone();
    changed.remove(response);
    let changed = inserted(&changed, request, request, llc_emit(&delete));
    assert_eq!(fired(&changed), Vec::<&str>::new());
}
