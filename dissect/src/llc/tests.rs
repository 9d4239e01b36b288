//! Vectors built from the Linux struct layouts (`struct smc_llc_msg_*` in
//! net/smc/smc_llc.c) the way an x86 Linux 6.12 peer fills them; to be
//! swapped for captured bytes from corpora/vectors/llc when they exist.

use super::*;
use crate::error::{ErrorKind, Layer, Reason};
use crate::gen::hex;
use crate::oracle::{check_canonical, check_prefixes_rejected};
use crate::wire::ByteOrder;

const MAC: &str = "52 54 00 12 34 56";
const GID_A: &str = "00000000 00000000 0000ffff c0a87a0a"; // ::ffff:192.168.122.10
const GID_B: &str = "00000000 00000000 0000ffff c0a87a0b";

/// v2 CONFIRM_LINK (smc_llc_msg_confirm_link), length 44 written `2c 00`.
fn confirm_link_v2(flags: &str) -> Vec<u8> {
    hex(&format!(
        "21 2c00 {flags} {MAC} {GID_A} 000011 01 a1b2c3d4 02 ff 0000000000000000"
    ))
}

/// v2 ADD_LINK request with the v2 extension and one rkey: 88 bytes.
fn add_link_v2_request() -> Vec<u8> {
    hex(&format!(
        "22 5800 00 {MAC} 0000 {GID_B} 000012 02 03 abcdef 0000000000000000
         80 00 {GID_A} 0000000000000000 0100
         00001001 00002001 00000000fe100000"
    ))
}

/// v1 ADD_LINK response rejecting with NO_ALT_PATH: Linux echoes the request
/// with RESPONSE|ADD_LINK_REJECT and the reason in byte 2.
fn add_link_v1_reject() -> Vec<u8> {
    hex(&format!(
        "02 2c 01 c0 {MAC} 0000 {GID_B} 000012 02 03 abcdef 0000000000000000"
    ))
}

/// v2 DELETE_RKEY request (Linux sends the 44-byte v1 layout in v2 too).
fn delete_rkey_v2() -> Vec<u8> {
    hex("29 2c00 00 01 00 0000 00001234 00000000 00000000 00000000 00000000 00000000 00000000 00000000 00000000")
}

fn test_link_v2(flags: &str) -> Vec<u8> {
    hex(&format!(
        "27 2c00 {flags} {} {}",
        "00".repeat(16),
        "00".repeat(24)
    ))
}

/// v1 ADD_LINK_CONT (smc_llc_msg_add_link_cont, packed): two rkey entries at byte 8.
fn add_link_cont_v1() -> Vec<u8> {
    hex("03 2c 00 80 02 02 0000
         00001001 00002001 00000000fe100000
         00001002 00002002 00000000fe200000
         00000000")
}

#[test]
fn confirm_link_v2_request_and_response() {
    for (flags, response) in [("03", false), ("83", true)] {
        let bytes = confirm_link_v2(flags);
        let m = check_canonical::<Llc<ConfirmLink>>(&bytes);
        check_prefixes_rejected::<Llc<ConfirmLink>>(&bytes);
        assert_eq!(m.header.llc_type, LlcType::CONFIRM_LINK_V2);
        assert_eq!(m.header.length_order, ByteOrder::Little);
        assert!(m.header.flags.contains(LlcFlags::NO_RMBE_EYECATCHER));
        assert_eq!(m.header.is_response(), response);
        assert_eq!(m.body.sender_qpn, 0x11);
        assert_eq!((m.body.link_id, m.body.max_links, m.body.max_conns), (1, 2, 255));
        assert_eq!(m.body.link_uid, [0xa1, 0xb2, 0xc3, 0xd4]);
    }
}

#[test]
fn add_link_v2_request_with_extension() {
    let bytes = add_link_v2_request();
    assert_eq!(bytes.len(), 88);
    let m = check_canonical::<Llc<AddLink>>(&bytes);
    check_prefixes_rejected::<Llc<AddLink>>(&bytes);
    assert_eq!(
        (m.body.link_id, m.body.qp_mtu, m.body.initial_psn),
        (2, QpMtu::MTU_1024, 0xabcdef)
    );
    let ext = m.body.v2_ext.expect("v2 extension");
    assert!(ext.direct);
    assert_eq!(ext.client_target_gid[15], 0x0a);
    assert_eq!(ext.rkey_count, 1);
    assert_eq!(
        ext.rkeys,
        [RkeyPair {
            rkey: 0x1001,
            new_rkey: 0x2001,
            new_vaddr: 0xfe10_0000
        }]
    );
}

#[test]
fn add_link_v2_from_big_endian_host_keeps_its_order() {
    let mut bytes = add_link_v2_request();
    bytes[1..3].copy_from_slice(&[0x00, 0x58]);
    bytes[70..72].copy_from_slice(&[0x00, 0x01]);
    let m = check_canonical::<Llc<AddLink>>(&bytes);
    assert_eq!(m.header.length_order, ByteOrder::Big);
    assert_eq!(m.body.v2_ext.map(|e| e.rkey_count), Some(1));
}

#[test]
fn add_link_reject_reason_v1_and_v2() {
    let bytes = add_link_v1_reject();
    let m = check_canonical::<Llc<AddLink>>(&bytes);
    check_prefixes_rejected::<Llc<AddLink>>(&bytes);
    assert_eq!(m.header.reject_reason, AddLinkRejectReason::NO_ALT_PATH);
    assert!(m.header.is_response() && m.header.flags.contains(LlcFlags::ADD_LINK_REJECT));
    // v2: Linux writes the length over byte 2, so the reason is gone.
    let mut v2 = bytes.clone();
    v2[..3].copy_from_slice(&[0x22, 0x2c, 0x00]);
    let m = check_canonical::<Llc<AddLink>>(&v2);
    assert_eq!(
        (m.header.reject_reason, m.body.v2_ext),
        (AddLinkRejectReason::NONE, None)
    );
}

#[test]
fn delete_rkey_v2_request_and_response() {
    let bytes = delete_rkey_v2();
    let m = check_canonical::<Llc<DeleteRkey>>(&bytes);
    check_prefixes_rejected::<Llc<DeleteRkey>>(&bytes);
    assert_eq!(
        (m.body.count, m.body.rkeys.len(), m.body.rkeys[0]),
        (1, 8, 0x1234)
    );
    // The v2 response zeroes the rkeys, keeps the count, and sets RESPONSE.
    let mut resp = bytes.clone();
    resp[3] = 0x80;
    resp[8..12].fill(0);
    let m = check_canonical::<Llc<DeleteRkey>>(&resp);
    assert_eq!((m.body.count, m.body.rkeys[0]), (1, 0));
}

#[test]
fn delete_rkey_v2_long_form() {
    // 8 + 4 * 10 bytes: ten slots, no reserved tail.
    let bytes = hex(&format!("29 3000 00 0a 00 0000 {}", "0000abcd".repeat(10)));
    let m = check_canonical::<Llc<DeleteRkey>>(&bytes);
    assert_eq!(m.body.rkeys, vec![0xabcd; 10]);
}

#[test]
fn test_link_v2_request_and_response() {
    for flags in ["00", "80"] {
        let bytes = test_link_v2(flags);
        let m = check_canonical::<LlcMessage>(&bytes);
        check_prefixes_rejected::<LlcMessage>(&bytes);
        assert!(matches!(m, LlcMessage::TestLink(_)));
        assert_eq!(m.header().is_response(), flags == "80");
    }
}

#[test]
fn add_link_cont_v1_two_entries_at_byte_8() {
    let bytes = add_link_cont_v1();
    let m = check_canonical::<Llc<AddLinkCont>>(&bytes);
    check_prefixes_rejected::<Llc<AddLinkCont>>(&bytes);
    assert_eq!((m.body.link_id, m.body.rkeys_remaining), (2, 2));
    assert_eq!(m.body.rkeys[0].rkey, 0x1001);
    assert_eq!(
        m.body.rkeys[1],
        RkeyPair {
            rkey: 0x1002,
            new_rkey: 0x2002,
            new_vaddr: 0xfe20_0000
        }
    );
}

#[test]
fn delete_link_all_orderly_v1() {
    let bytes = hex(&format!("04 2c 00 60 00 00020000 {}", "00".repeat(35)));
    let m = check_canonical::<Llc<DeleteLink>>(&bytes);
    check_prefixes_rejected::<Llc<DeleteLink>>(&bytes);
    assert!(m.header.flags.contains(LlcFlags(0x60)));
    assert_eq!(m.body.reason, DeleteLinkReason::OP_INIT_TERM);
    assert_eq!(m.body.reason.to_string(), "OP_INIT_TERM");
}

#[test]
fn request_add_link_v2_gid_list_and_response() {
    let bytes = hex(&format!(
        "25 3c00 00 {} 02 000000 {GID_A} {GID_B}",
        "00".repeat(20)
    ));
    let m = check_canonical::<Llc<RequestAddLink>>(&bytes);
    check_prefixes_rejected::<Llc<RequestAddLink>>(&bytes);
    assert_eq!(m.body.gids.len(), 2);
    let resp = hex(&format!("25 2c00 80 {}", "00".repeat(40)));
    let m = check_canonical::<Llc<RequestAddLink>>(&resp);
    assert!(m.body.gids.is_empty());
}

#[test]
fn confirm_rkey_v2_tokens() {
    let bytes = hex(&format!(
        "26 2c00 00 01 00000abc 00000000fe300000 02 00000def 00000000fe400000 {} 00",
        "00".repeat(13)
    ));
    let m = check_canonical::<Llc<ConfirmRkey>>(&bytes);
    check_prefixes_rejected::<Llc<ConfirmRkey>>(&bytes);
    assert_eq!(m.body.other_count, 1);
    assert_eq!(
        m.body.rtoken,
        Rtoken {
            rkey: 0xabc,
            vaddr: 0xfe30_0000
        }
    );
    assert_eq!(m.body.others[0].link_id, 2);
    assert_eq!(m.body.others[0].rtoken.rkey, 0xdef);
}

#[test]
fn unknown_types_are_kept_raw() {
    for first in [0x0cu8, 0x31, 0x20] {
        let mut bytes = test_link_v2("00");
        bytes[0] = first;
        if first < 0x10 {
            bytes[1..3].copy_from_slice(&[0x2c, 0x00]);
        }
        let m = check_canonical::<LlcMessage>(&bytes);
        assert!(
            matches!(&m, LlcMessage::Unknown(u) if u.body.bytes.len() == 40),
            "{m:?}"
        );
        assert_eq!(m.header().llc_type.name(), None);
    }
}

fn assert_error(result: Result<impl core::fmt::Debug>, field: &str, offset: usize, kind: ErrorKind) {
    let err = result.expect_err("must fail");
    assert_eq!(
        (err.layer, err.field, err.offset, err.kind),
        (Layer::Llc, field, offset, kind),
        "{err}"
    );
}

#[test]
fn v1_length_must_be_44() {
    let mut bytes = add_link_cont_v1();
    bytes[1] = 43;
    let kind = ErrorKind::Invalid {
        value: 43,
        reason: Reason::LlcV1Length,
    };
    assert_error(LlcMessage::parse(&bytes), "length", 1, kind);
}

#[test]
fn v2_length_out_of_range_in_both_orders() {
    let mut bytes = confirm_link_v2("03");
    bytes[1..3].copy_from_slice(&[0xff, 0xff]);
    let err = LlcMessage::parse(&bytes).unwrap_err();
    assert_eq!((err.field, err.offset), ("length", 1));
    assert!(matches!(err.kind, ErrorKind::Invalid { value: 0xffff, .. }));
}

#[test]
fn cut_add_link_is_truncated_and_lax_keeps_the_header() {
    let bytes = add_link_v2_request();
    let cut = &bytes[..80];
    assert_error(
        LlcMessage::parse(cut),
        "body",
        4,
        ErrorKind::Truncated {
            needed: 84,
            available: 76,
        },
    );
    let lax = parse_lax(cut);
    assert!(lax.error.is_some_and(|e| e.is_truncated()));
    assert_eq!(lax.parsed.declared_length, Some(88));
    assert_eq!(lax.parsed.header.map(|h| h.llc_type), Some(LlcType::ADD_LINK_V2));
    assert_eq!(lax.parsed.message, None);
}

#[test]
fn add_link_length_too_short_for_extension() {
    let mut bytes = add_link_v2_request();
    bytes.truncate(60);
    bytes[1] = 60;
    let kind = ErrorKind::LengthMismatch {
        declared: 60,
        expected: 72,
    };
    assert_error(Llc::<AddLink>::parse(&bytes), "length", 1, kind);
}

#[test]
fn req_add_link_count_beyond_length() {
    let bytes = hex(&format!(
        "25 3c00 00 {} 03 000000 {GID_A} {GID_B}",
        "00".repeat(20)
    ));
    let kind = ErrorKind::LengthMismatch {
        declared: 60,
        expected: 76,
    };
    assert_error(Llc::<RequestAddLink>::parse(&bytes), "length", 1, kind);
}

#[test]
fn bytes_past_the_declared_length() {
    let mut bytes = add_link_cont_v1();
    bytes.push(0);
    let kind = ErrorKind::LengthMismatch {
        declared: 44,
        expected: 45,
    };
    assert_error(LlcMessage::parse(&bytes), "length", 1, kind);
}

#[test]
fn fixed_v2_message_longer_than_44_has_trailing_bytes() {
    let mut bytes = confirm_link_v2("03");
    bytes.extend_from_slice(&[0; 4]);
    bytes[1] = 48;
    assert_error(
        LlcMessage::parse(&bytes),
        "reserved",
        44,
        ErrorKind::TrailingBytes { count: 4 },
    );
}

#[test]
fn typed_parser_rejects_other_types() {
    let kind = ErrorKind::Invalid {
        value: 0x27,
        reason: Reason::NotTheLlcTypeParsed,
    };
    assert_error(Llc::<ConfirmLink>::parse(&test_link_v2("00")), "type", 0, kind);
}

#[test]
fn send_payloads_route_to_cdc_or_llc() {
    let cdc = hex(&format!(
        "fe 2c 0005 00000102 0000 0001 00004000 0000 0000 0000f000 00 00 {}",
        "00".repeat(18)
    ));
    assert_eq!(classify_send(&cdc), SendPayloadKind::Cdc);
    assert_eq!(classify_send(&test_link_v2("00")), SendPayloadKind::Llc);
    assert_eq!(classify_send(&[]), SendPayloadKind::Empty);
    assert!(matches!(parse_send(&cdc), Ok(SmcrControl::Cdc(c)) if c.seqno == 5));
    assert!(matches!(
        parse_send(&test_link_v2("80")),
        Ok(SmcrControl::Llc(LlcMessage::TestLink(_)))
    ));
}
