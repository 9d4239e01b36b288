//! LLC messages captured from Linux 6.12 over soft-RoCE (x86-64), from
//! corpora/real/smcr-v2-echo.pcapng via corpora/vectors/llc (frame numbers
//! as in Wireshark). The bytes are inlined so the test runs without the corpus.

use dissect::gen::{hex, vectors};
use dissect::llc::*;
use dissect::oracle::{check_canonical, check_prefixes_rejected};
use dissect::{ByteOrder, Wire};

const F12_CONFIRM_LINK: &str =
    "212c000352540000000100000000000000000000ffff0a000001000011010000010102ff0000000000000000";
const F14_CONFIRM_LINK_RSP: &str =
    "212c008352540000000200000000000000000000ffff0a000002000011010000010102ff0000000000000000";
const F16_ADD_LINK: &str = "22580000525400000001000000000000000000000000ffff0a00000100001202033ce3c4\
                            0000000000000000800000000000000000000000ffff0a00000100000000000000000100\
                            000003d2000005beff1464c52f670000";
const F18_ADD_LINK_RSP: &str =
    "222c00c0525400000001000000000000000000000000ffff0a00000100001202033ce3c40000000000000000";
const F170_DELETE_RKEY: &str =
    "292c000001000000000003a30000000000000000000000000000000000000000000000000000000000000000";
const F173_DELETE_RKEY_RSP: &str =
    "292c008001000000000000000000000000000000000000000000000000000000000000000000000000000000";

fn real(hex_text: &str) -> Vec<u8> {
    let bytes = hex(hex_text);
    check_prefixes_rejected::<LlcMessage>(&bytes);
    bytes
}

#[test]
fn confirm_link_request_and_response() {
    let req = check_canonical::<Llc<ConfirmLink>>(&real(F12_CONFIRM_LINK));
    let rsp = check_canonical::<Llc<ConfirmLink>>(&real(F14_CONFIRM_LINK_RSP));
    assert_eq!(req.header.length_order, ByteOrder::Little);
    assert_eq!(req.header.llc_type, LlcType::CONFIRM_LINK_V2);
    assert_eq!(req.header.flags, LlcFlags::NO_RMBE_EYECATCHER);
    assert_eq!(rsp.header.flags, LlcFlags(0x83));
    assert_eq!(
        (req.body.link_id, req.body.max_links, req.body.max_conns),
        (1, 2, 255)
    );
    assert_eq!(req.body.sender_qpn, 0x11);
    assert_eq!(req.body.link_uid, rsp.body.link_uid);
    assert_eq!(req.body.sender_gid[10..], [0xff, 0xff, 10, 0, 0, 1]);
    assert_eq!(rsp.body.sender_gid[10..], [0xff, 0xff, 10, 0, 0, 2]);
}

#[test]
fn add_link_request_carries_one_rkey() {
    let m = check_canonical::<Llc<AddLink>>(&real(F16_ADD_LINK));
    assert_eq!(m.wire_len(), 88);
    assert_eq!(
        (m.body.link_id, m.body.qp_mtu, m.body.initial_psn),
        (2, QpMtu::MTU_1024, 0x3ce3c4)
    );
    let ext = m.body.v2_ext.expect("v2 extension");
    assert!(ext.direct);
    assert_eq!(ext.rkey_count, 1);
    assert_eq!(
        ext.rkeys,
        [RkeyPair {
            rkey: 0x3d2,
            new_rkey: 0x5be,
            new_vaddr: 0xff14_64c5_2f67_0000
        }]
    );
}

#[test]
fn add_link_response_is_a_44_byte_reject() {
    let m = check_canonical::<Llc<AddLink>>(&real(F18_ADD_LINK_RSP));
    assert!(m.header.is_response() && m.header.flags.contains(LlcFlags::ADD_LINK_REJECT));
    // v2 has no room for the reject reason: Linux overwrites it with the length.
    assert_eq!(m.header.reject_reason, AddLinkRejectReason::NONE);
    assert_eq!(m.body.v2_ext, None);
}

#[test]
fn delete_rkey_request_and_response() {
    let req = check_canonical::<Llc<DeleteRkey>>(&real(F170_DELETE_RKEY));
    let rsp = check_canonical::<Llc<DeleteRkey>>(&real(F173_DELETE_RKEY_RSP));
    assert_eq!((req.body.count, req.body.rkeys[0]), (1, 0x3a3));
    assert_eq!(
        (rsp.body.count, rsp.body.error_mask, rsp.body.rkeys[0]),
        (1, 0, 0)
    );
    assert!(rsp.header.is_response() && !rsp.header.flags.contains(LlcFlags::RKEY_NEGATIVE));
}

/// Every LLC message the lab captured.
#[test]
fn corpus_llc_vectors_parse_canonically() {
    for (path, bytes) in vectors("llc") {
        let m = check_canonical::<LlcMessage>(&bytes);
        check_prefixes_rejected::<LlcMessage>(&bytes);
        assert!(!matches!(m, LlcMessage::Unknown(_)), "{}: {m:?}", path.display());
    }
}
