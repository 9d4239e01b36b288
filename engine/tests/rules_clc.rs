//! Each CLC rule fires on the real SMC-Rv2 handshake with one message
//! changed and re-encoded (see common/mod.rs).

mod common;

use common::*;
use dissect::clc::{AcceptConfirmBody, ClcMessage, Path, Release, SmcdAcceptConfirm, SmcdV2};
use engine::pipeline::EventKind;

const PROPOSAL: u8 = 1;
const ACCEPT: u8 = 2;
const CONFIRM: u8 = 3;
const DECLINE: u8 = 4;

/// The echo capture with its Proposal's bytes changed by `edit`.
fn proposal_bytes(
    edit: impl FnOnce(&mut Vec<u8>),
) -> (Vec<engine::pipeline::Event>, Vec<engine::pipeline::Event>) {
    let events = real("smcr-v2-echo.pcapng");
    let i = find(&events, |k| is_clc(k, PROPOSAL));
    let changed = replaced(&events, i, clc_bytes(&clc(&events, i), edit));
    (events, changed)
}

// The real Proposal (156 B): v2, typev1 N, typev2 R, SMC-D area at 40, v2
// extension at 80 with one EID.

#[test]
fn clc_proposal_length() {
    // Two EIDs counted, one carried.
    let (events, changed) = proposal_bytes(|b| b[80] = 2);
    assert_fires(&events, &changed, "clc-proposal-length");
}

#[test]
fn clc_iparea_offset() {
    let (events, changed) = proposal_bytes(|b| b[38..40].copy_from_slice(&41u16.to_be_bytes()));
    assert_fires(&events, &changed, "clc-iparea-offset");
}

#[test]
fn clc_ipv6_prefix_count() {
    // typev1 N: Linux still reads the count at 40 + iparea_offset + 7.
    let (events, changed) = proposal_bytes(|b| b[47] = 9);
    assert_fires(&events, &changed, "clc-ipv6-prefix-count");
}

#[test]
fn clc_eid_count() {
    let (events, changed) = proposal_bytes(|b| b[80] = 9);
    assert_fires(&events, &changed, "clc-eid-count");
}

#[test]
fn clc_ism_gid_count() {
    // typev2 B (SMC-D offered too) with nine ISM GIDs.
    let (events, changed) = proposal_bytes(|b| {
        b[7] = (b[7] & 0xf3) | (3 << 2);
        b[81] = 9;
    });
    assert_fires(&events, &changed, "clc-ism-gid-count");
}

#[test]
fn clc_v2_ext_missing() {
    let (events, changed) = proposal_bytes(|b| b[50..52].copy_from_slice(&[0, 0]));
    assert_fires(&events, &changed, "clc-v2-ext-missing");
}

#[test]
fn clc_v1_offers_nothing() {
    let (events, changed) = proposal_bytes(|b| b[7] = 0x12);
    assert_fires(&events, &changed, "clc-v1-offers-nothing");
}

#[test]
fn clc_accept_confirm_form() {
    let events = real("smcr-v2-echo.pcapng");
    let i = find(&events, |k| is_clc(k, ACCEPT));
    let changed = replaced(
        &events,
        i,
        clc_bytes(&clc(&events, i), |b| b[7] = (b[7] & 0xfc) | 2),
    );
    assert_fires(&events, &changed, "clc-accept-confirm-form");
}

#[test]
fn clc_decline_length() {
    // The server's v2 Decline (44 bytes) claiming to be v1 (28 bytes).
    let events = real("server-no-ueid.pcapng");
    let i = find(&events, |k| is_clc(k, DECLINE));
    let changed = replaced(
        &events,
        i,
        clc_bytes(&clc(&events, i), |b| b[7] = (b[7] & 0x0f) | 0x10),
    );
    assert_fires(&events, &changed, "clc-decline-length");
}

#[test]
fn clc_trailer() {
    let events = real("smcr-v2-echo.pcapng");
    let i = find(&events, |k| is_clc(k, ACCEPT));
    let changed = replaced(
        &events,
        i,
        clc_bytes(&clc(&events, i), |b| {
            let n = b.len();
            b[n - 4..].copy_from_slice(b"SMCR");
        }),
    );
    assert_fires(&events, &changed, "clc-trailer");
}

#[test]
fn clc_unexpected_message() {
    // A second Proposal after the Accept.
    let events = real("smcr-v2-echo.pcapng");
    let (p, a) = (
        find(&events, |k| is_clc(k, PROPOSAL)),
        find(&events, |k| is_clc(k, ACCEPT)),
    );
    let changed = inserted(&events, a, p, clc_emit(&clc(&events, p)));
    assert_fires(&events, &changed, "clc-unexpected-message");
}

#[test]
fn clc_version_mismatch() {
    // A v1 Confirm (68 bytes, no v2 part) after the v2 Accept.
    let events = real("smcr-v2-echo.pcapng");
    let i = find(&events, |k| is_clc(k, CONFIRM));
    let ClcMessage::Confirm(mut c) = clc(&events, i) else {
        panic!()
    };
    c.env.version = 1;
    if let AcceptConfirmBody::SmcR(r) = &mut c.body {
        r.v2 = None;
    }
    let changed = replaced(&events, i, clc_emit(&ClcMessage::Confirm(c)));
    assert_fires(&events, &changed, "clc-version-mismatch");
}

#[test]
fn clc_path_not_offered() {
    // An SMC-Dv2 Accept to a Proposal that offered SMC-R only.
    let events = real("smcr-v2-echo.pcapng");
    let i = find(&events, |k| is_clc(k, ACCEPT));
    let ClcMessage::Accept(mut a) = clc(&events, i) else {
        panic!()
    };
    let AcceptConfirmBody::SmcR(r) = &a.body else {
        panic!()
    };
    let v2 = r.v2.clone().expect("v2 Accept");
    a.env.typev1 = Path::D;
    a.body = AcceptConfirmBody::SmcD(SmcdAcceptConfirm {
        gid: 0x1234,
        dmb_token: 0x5678,
        dmbe_size: 1,
        link_id: 7,
        v2: Some(SmcdV2 {
            chid: 0xffff,
            eid: v2.eid,
            fce: v2.fce,
            ..SmcdV2::default()
        }),
        ..SmcdAcceptConfirm::default()
    });
    let changed = replaced(&events, i, clc_emit(&ClcMessage::Accept(a)));
    assert_fires(&events, &changed, "clc-path-not-offered");
}

/// The first-contact extension's v2.1 part of an Accept or Confirm.
fn with_limits(m: ClcMessage, conns: u8, links: u8) -> EventKind {
    with_fce(m, Release::V2_1, conns, links)
}

/// An Accept or Confirm with its first-contact extension's release and limits set.
fn with_fce(m: ClcMessage, release: Release, conns: u8, links: u8) -> EventKind {
    let (ClcMessage::Accept(mut ac) | ClcMessage::Confirm(mut ac)) = m.clone() else {
        panic!()
    };
    let AcceptConfirmBody::SmcR(r) = &mut ac.body else {
        panic!()
    };
    let fce = r.v2.as_mut().and_then(|v| v.fce.as_mut()).expect("an FCE");
    fce.release = release;
    let x = fce.v2x.as_mut().expect("the 52-byte FCE");
    x.max_conns = conns;
    x.max_links = links;
    clc_emit(&match m {
        ClcMessage::Accept(_) => ClcMessage::Accept(ac),
        _ => ClcMessage::Confirm(ac),
    })
}

#[test]
fn clc_confirm_mismatch() {
    let events = real("smcr-v2-echo.pcapng");
    let i = find(&events, |k| is_clc(k, CONFIRM));
    let changed = replaced(&events, i, with_limits(clc(&events, i), 255, 1));
    assert_fires(&events, &changed, "clc-confirm-mismatch");
}

#[test]
fn clc_v21_limits() {
    let events = real("smcr-v2-echo.pcapng");
    let i = find(&events, |k| is_clc(k, ACCEPT));
    let changed = replaced(&events, i, with_limits(clc(&events, i), 10, 2));
    assert_fires(&events, &changed, "clc-v21-limits");
    let changed = replaced(&events, i, with_limits(clc(&events, i), 255, 3));
    assert_fires(&events, &changed, "clc-v21-limits");
}

/// A server before v2.1 (5.16-6.5) answers release 0 in the 52-byte form
/// with the limits left 0; the client checks them only from release 1
/// (smc_clc_clnt_v2x_features_validate): no finding at all.
#[test]
fn release_0_limits_are_not_checked() {
    let events = real("smcr-v2-echo.pcapng");
    let a = find(&events, |k| is_clc(k, ACCEPT));
    let c = find(&events, |k| is_clc(k, CONFIRM));
    let changed = replaced(&events, a, with_fce(clc(&events, a), Release::V2_0, 0, 0));
    let changed = replaced(&changed, c, with_fce(clc(&events, c), Release::V2_0, 0, 0));
    assert_eq!(fired(&changed), Vec::<&str>::new());
}

/// A release above the offer: the kernel's server would not choose it
/// (smc_listen_v2_check takes the lower), yet the client takes what the
/// Accept says: a warning of its own.
#[test]
fn clc_release_above_offer() {
    let events = real("smcr-v2-echo.pcapng");
    let p = find(&events, |k| is_clc(k, PROPOSAL));
    let ClcMessage::Proposal(mut prop) = clc(&events, p) else {
        panic!()
    };
    prop.v2_ext.as_mut().expect("a v2 Proposal").release = Release::V2_0;
    let changed = replaced(&events, p, clc_emit(&ClcMessage::Proposal(prop)));
    assert_fires(&events, &changed, "clc-release-above-offer");
    assert!(!fired(&changed).contains(&"clc-v21-limits"));
}

#[test]
fn clc_decline_sync_flag() {
    let events = real("server-no-ueid.pcapng");
    let i = find(&events, |k| is_clc(k, DECLINE));
    let ClcMessage::Decline(mut d) = clc(&events, i) else {
        panic!()
    };
    d.env.typev2 = Path(d.env.typev2.0 | 2);
    let changed = replaced(&events, i, clc_emit(&ClcMessage::Decline(d)));
    assert_fires(&events, &changed, "clc-decline-sync-flag");
}
