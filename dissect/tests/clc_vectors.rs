//! CLC test vectors: real captures (Linux 6.12, soft-RoCE) and vectors built
//! from the kernel's struct layouts, plus one error test per Linux rejection rule.

use dissect::clc::*;
use dissect::oracle::{check_canonical, check_prefixes_rejected};
use dissect::{Error, ErrorKind, Layer, Reason, Wire};

/// The vector written in `parts` (fixed part, areas, trailer).
fn hex(parts: &[&str]) -> Vec<u8> {
    dissect::gen::hex(&parts.concat())
}

/// `text` in ASCII, blank padded to `n` bytes, as hex.
fn padded(text: &str, n: usize) -> String {
    let mut b = text.as_bytes().to_vec();
    b.resize(n, b' ');
    b.iter().map(|x| format!("{x:02x}")).collect()
}

fn vector<T: Wire + PartialEq + core::fmt::Debug>(bytes: &[u8]) -> T {
    check_prefixes_rejected::<T>(bytes);
    check_prefixes_rejected::<ClcMessage>(bytes);
    check_canonical::<ClcMessage>(bytes);
    check_canonical::<T>(bytes)
}

fn err<T: Wire + core::fmt::Debug>(bytes: &[u8]) -> Error {
    T::parse(bytes).expect_err("must be rejected")
}

/// The value and the rule an `Invalid` error names (every CLC error says its layer).
fn invalid(e: &Error) -> (u64, Reason) {
    assert_eq!(e.layer, Layer::Clc, "{e}");
    match e.kind {
        ErrorKind::Invalid { value, reason } => (value, reason),
        k => panic!("not Invalid: {k:?} ({e})"),
    }
}

// corpora/vectors/clc/smcr-v2-echo-f6-client-proposal-v2.bin (156 bytes)
const REAL_PROPOSAL: &str = "e2d4c3d901009c22000000000000000000000000000000000000000000000000\
    000000000000000000000000000000000000001c000000000000000000000000\
    0000000000000000000000000000000001000010000000000000000000000000\
    0000ffff0a000002ff020001000000000000000000000000534d432d4c414220\
    202020202020202020202020202020202020202020202020e2d4c3d9";
// corpora/vectors/clc/smcr-v2-echo-f8-server-accept-v2-fc.bin (160 bytes)
const REAL_ACCEPT: &str = "e2d4c3d90200a0286a0452540000000100000000000000000000ffff0a000001\
    525400000001000011000003d201000000012300ff1464c52f67000000a932fe\
    534d432d4c414220202020202020202020202020202020202020202020202020\
    0000000000000000802100006c61622d73657276657220202020202020202020\
    202020202020202020202020ff020001000000000000000000000000e2d4c3d9";
// corpora/vectors/clc/smcr-v2-echo-f11-client-confirm-v2-fc.bin (180 bytes)
const REAL_CONFIRM: &str = "e2d4c3d90300b428a5f052540000000200000000000000000000ffff0a000002\
    525400000002000011000003a301000000012300ff309040833900000047e727\
    534d432d4c414220202020202020202020202020202020202020202020202020\
    0000000000000000802100006c61622d636c69656e7420202020202020202020\
    202020202020202020202020ff02000100000000000000000000000001000000\
    00000000000000000000ffff0a000002e2d4c3d9";

#[test]
fn real_smcr_v2_proposal() {
    let bytes = hex(&[REAL_PROPOSAL]);
    assert_eq!(bytes.len(), 156);
    let p: Proposal = vector(&bytes);
    assert_eq!((p.env.version, p.env.typev1, p.env.typev2), (2, Path::N, Path::R));
    assert_eq!(p.iparea_offset, 0);
    assert_eq!(p.smcd.unwrap().v2_ext_offset, 28);
    assert!(p.ip_prefix.is_none() && p.smcd_v2_ext.is_none());
    let v2 = p.v2_ext.unwrap();
    assert_eq!(v2.release, Release::V2_1);
    assert!(!v2.seid);
    assert_eq!(v2.roce_gid, *b"\0\0\0\0\0\0\0\0\0\0\xff\xff\x0a\0\0\x02");
    assert_eq!(
        (v2.max_conns, v2.max_links, v2.feature_mask),
        (255, 2, FeatureMask::EMULATED_ISM)
    );
    assert_eq!(v2.eids, vec![*b"SMC-LAB                         "]);
}

#[test]
fn real_smcr_v2_first_contact_accept() {
    let bytes = hex(&[REAL_ACCEPT]);
    assert_eq!(bytes.len(), 160);
    let m: AcceptConfirm = vector(&bytes);
    assert_eq!(m.kind, ClcType::ACCEPT);
    assert!(m.is_first_contact());
    let AcceptConfirmBody::SmcR(r) = m.body else {
        panic!("SMC-R expected")
    };
    assert_eq!(
        (r.qpn, r.rmb_rkey, r.rmbe_idx, r.rmbe_alert_token),
        (0x11, 0x3d2, 1, 1)
    );
    assert_eq!((r.rmbe_size, r.qp_mtu, r.psn), (2, 3, 0xa932fe));
    assert_eq!(r.rmb_dma_addr, 0xff14_64c5_2f67_0000);
    let v2 = r.v2.unwrap();
    assert!(v2.gid_list.is_none());
    let fce = v2.fce.unwrap();
    assert!(fce.v2_direct);
    assert_eq!((fce.os_type, fce.release), (OsType::LINUX, Release::V2_1));
    assert_eq!(&fce.hostname, b"lab-server                      ");
    let v2x = fce.v2x.unwrap();
    assert_eq!(
        (v2x.max_conns, v2x.max_links, v2x.feature_mask),
        (255, 2, FeatureMask::EMULATED_ISM)
    );
}

#[test]
fn real_smcr_v2_first_contact_confirm() {
    let bytes = hex(&[REAL_CONFIRM]);
    assert_eq!(bytes.len(), 180);
    let m = vector::<ClcMessage>(&bytes);
    let ClcMessage::Confirm(AcceptConfirm {
        body: AcceptConfirmBody::SmcR(r),
        ..
    }) = m
    else {
        panic!("{m:?}")
    };
    let v2 = r.v2.unwrap();
    assert_eq!(v2.fce.unwrap().hostname, *b"lab-client                      ");
    assert_eq!(
        v2.gid_list.unwrap(),
        vec![*b"\0\0\0\0\0\0\0\0\0\0\xff\xff\x0a\0\0\x02"]
    );
}

// RFC 7609 v1 Proposal, iparea_offset 0 (smc_clc_msg_proposal of Linux 4.11):
// header, peer id, RoCE v1 GID, MAC, iparea_offset, prefix area, trailer.
const V1_LOCAL: &str = "1a2b525400123456 fe800000000000005054fffe00123456 525400123456";

#[test]
fn legacy_v1_proposal_ipv4() {
    let bytes = hex(&[
        "e2d4c3d9 01 0034 10",
        V1_LOCAL,
        "0000",
        "c0a83800 18 0000 00",
        "e2d4c3d9",
    ]);
    assert_eq!(bytes.len(), 52);
    let p: Proposal = vector(&bytes);
    assert!(p.smcd.is_none());
    let prefix = p.ip_prefix.unwrap();
    assert_eq!(
        (prefix.ipv4_subnet, prefix.ipv4_prefix_len),
        ([192, 168, 56, 0], 24)
    );
}

#[test]
fn legacy_v1_proposal_ipv6() {
    let prefix = "fd000000000000010000000000000000 40";
    let bytes = hex(&[
        "e2d4c3d9 01 0045 10",
        V1_LOCAL,
        "0000",
        "00000000 00 0000 01",
        prefix,
        "e2d4c3d9",
    ]);
    assert_eq!(bytes.len(), 69);
    let p: Proposal = vector(&bytes);
    let v6 = &p.ip_prefix.unwrap().ipv6_prefixes;
    assert_eq!((v6.len(), v6[0].prefix_len), (1, 64));
}

/// Linux's v1 form (5.x): iparea_offset 40, SMC-D area (smc_clc_msg_smcd) first.
#[test]
fn linux_v1_proposal_with_smcd_area() {
    let smcd = "00000000000000aa 0102 0000 000000 0000000000 0000000000000000000000000000000000000000";
    let bytes = hex(&[
        "e2d4c3d9 01 005c 13",
        V1_LOCAL,
        "0028",
        smcd,
        "c0a83800 18 0000 00",
        "e2d4c3d9",
    ]);
    assert_eq!(bytes.len(), 92);
    let p: Proposal = vector(&bytes);
    assert_eq!(p.env.typev1, Path::B);
    assert_eq!(p.smcd.unwrap().ism_gid, 0xaa);
}

/// SMC-Dv2 + SMC-Rv2 Proposal, typev1 N, one EID, SEID, a native ISM device
/// and loopback-ism (CHID 0xFFFF) as a GID/GID-ext pair.
fn smcd_v2_proposal_hex() -> Vec<u8> {
    let smcd_area = "0000000000000000 0000 001c 000000 0000000000 0000000000000000000000000000000000000000";
    let v2_ext = "01 03 00 11 0000 0040 00000000000000000000ffff0a000002 ff 02 0001 000000000000000000000000";
    let smcd_v2 =
        "000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000";
    let ism = "1111111111111111 0123 2222222222222222 ffff 3333333333333333 ffff";
    let len = 40 + 40 + 40 + 32 + 48 + 30 + 4;
    let header = format!("e2d4c3d9 01 {len:04x} 2{:x}", (3 << 2) | 2);
    hex(&[
        &header,
        &"00".repeat(30),
        "0000",
        smcd_area,
        v2_ext,
        &padded("SMC-ANALYZE-LAB", 32),
        smcd_v2,
        ism,
        "e2d4c3d9",
    ])
}

#[test]
fn smcd_v2_proposal_with_emulated_ism() {
    let bytes = smcd_v2_proposal_hex();
    let p: Proposal = vector(&bytes);
    let d = p.smcd_v2_ext.unwrap();
    assert_eq!(
        d.devices(),
        vec![
            IsmDevice {
                chid: 0x0123,
                gid: 0x1111_1111_1111_1111,
                gid_ext: None
            },
            IsmDevice {
                chid: 0xffff,
                gid: 0x2222_2222_2222_2222,
                gid_ext: Some(0x3333_3333_3333_3333)
            },
        ]
    );
    assert!(p.v2_ext.unwrap().seid);
}

/// SMC-Dv2 first-contact Accept, release v2.0: 36-byte FCE, 78 + 36 bytes.
#[test]
fn smcd_v2_first_contact_accept_short_fce() {
    let d0 = "1111111111111111 00000000deadbeef 00 30 0000 01020304";
    let d1 = format!("ffff {} 4444444444444444", padded("SMC-ANALYZE-LAB", 32));
    let fce = format!("00 20 0000 {}", padded("smc-lab-server", 32));
    let bytes = hex(&["e2d4c3c4 02 0072 29", d0, &d1, &fce, "e2d4c3c4"]);
    assert_eq!(bytes.len(), 114);
    let m: AcceptConfirm = vector(&bytes);
    let AcceptConfirmBody::SmcD(d) = m.body else {
        panic!()
    };
    assert_eq!((d.dmbe_size, d.link_id), (3, 0x01020304));
    let v2 = d.v2.unwrap();
    assert_eq!((v2.chid, v2.gid_ext), (0xffff, 0x4444_4444_4444_4444));
    assert!(v2.fce.unwrap().v2x.is_none());
}

#[test]
fn smcd_v1_confirm() {
    let bytes = hex(&[
        "e2d4c3c4 03 0030 11",
        "1111111111111111 00000000deadbeef 00 10 0000 01020304",
        &"00".repeat(12),
        "e2d4c3c4",
    ]);
    let m: AcceptConfirm = vector(&bytes);
    assert_eq!(m.kind, ClcType::CONFIRM);
    assert!(!m.is_first_contact());
}

#[test]
fn smcr_v1_accept() {
    let r0 = "1a2b525400123456 fe800000000000005054fffe00123456 525400123456 000011 000003d2 01 00000001 23 00 0000000105c00000 00 5a3c7e";
    let bytes = hex(&["e2d4c3d9 02 0044 18", r0, "e2d4c3d9"]);
    let m: AcceptConfirm = vector(&bytes);
    assert!(m.is_first_contact());
}

#[test]
fn decline_v1_and_v2() {
    // smc_clc_msg_decline: NOSMCDEV from a v1 peer.
    let v1 = hex(&["e2d4c3d9 04 001c 10 1a2b525400123456 03030000 00 000000 e2d4c3d9"]);
    let d: Decline = vector(&v1);
    assert_eq!(
        (d.diagnosis, d.more_diagnoses),
        (DeclineDiagnosis::NOSMCDEV, None)
    );
    // smc_clc_msg_decline_v2: SYNCERR with the out-of-sync flag, OS Linux.
    let v2 = hex(&[
        "e2d4c3d9 04 002c 28 1a2b525400123456 04000000 20 000000",
        &"00".repeat(16),
        "e2d4c3d9",
    ]);
    let d: Decline = vector(&v2);
    assert!(d.is_out_of_sync());
    assert_eq!((d.diagnosis.name(), d.os_type), (Some("SYNCERR"), OsType::LINUX));
    assert_eq!(DeclineDiagnosis(0x0303_0003).to_string(), "NOISM2SUPP");
    assert_eq!(DeclineDiagnosis(0x0123_4567).to_string(), "0x01234567");
}

#[test]
fn unknown_type_is_kept() {
    let bytes = hex(&["e2d4c3d9 07 0010 20 deadbeef e2d4c3d9"]);
    let m = check_canonical::<ClcMessage>(&bytes);
    let ClcMessage::Unknown(u) = m else { panic!() };
    assert_eq!((u.kind, u.body), (ClcType(7), vec![0xde, 0xad, 0xbe, 0xef]));
}

// ---- Linux's rejection rules, one test each ----

fn set(bytes: &mut [u8], at: usize, v: &[u8]) {
    bytes[at..at + v.len()].copy_from_slice(v);
}

#[test]
fn rejects_iparea_offset_beyond_smcd_area() {
    let mut b = hex(&[REAL_PROPOSAL]);
    set(&mut b, 38, &[0, 41]);
    let e = err::<Proposal>(&b);
    assert_eq!(
        (e.field, e.offset, invalid(&e)),
        ("iparea_offset", 38, (41, Reason::IpareaOffsetBeyondSmcdArea))
    );
}

#[test]
fn rejects_more_than_8_ipv6_prefixes() {
    let mut b = hex(&[
        "e2d4c3d9 01 0045 10",
        V1_LOCAL,
        "0000",
        "00000000 00 0000 01",
        &"00".repeat(17),
        "e2d4c3d9",
    ]);
    b[47] = 9;
    let e = err::<Proposal>(&b);
    assert_eq!(
        (e.field, e.offset, invalid(&e)),
        (
            "ip_prefix.ipv6_prefix_count",
            47,
            (9, Reason::TooManyIpv6Prefixes)
        )
    );
}

#[test]
fn rejects_v1_proposal_length_off_formula() {
    let b = hex(&[
        "e2d4c3d9 01 0035 10",
        V1_LOCAL,
        "0000",
        "c0a83800 18 0000 00 00",
        "e2d4c3d9",
    ]);
    let e = err::<Proposal>(&b);
    assert_eq!((e.field, e.offset), ("header.length", 5));
    assert_eq!(
        e.kind,
        ErrorKind::LengthMismatch {
            declared: 53,
            expected: 52
        }
    );
}

#[test]
fn rejects_v2_proposal_length_off_formula() {
    let mut b = hex(&[REAL_PROPOSAL]);
    b[80] = 0; // no EID: 32 bytes too many
    let e = err::<Proposal>(&b);
    assert_eq!((e.field, e.offset), ("header.length", 5));
    assert_eq!(
        e.kind,
        ErrorKind::LengthMismatch {
            declared: 156,
            expected: 124
        }
    );
}

#[test]
fn rejects_v1_proposal_offering_nothing() {
    let b = hex(&[
        "e2d4c3d9 01 0034 12",
        V1_LOCAL,
        "0000",
        "c0a83800 18 0000 00",
        "e2d4c3d9",
    ]);
    let e = err::<Proposal>(&b);
    assert_eq!(
        (e.field, e.offset, invalid(&e)),
        ("header.typev1", 7, (2, Reason::V1ProposalOffersNothing))
    );
}

#[test]
fn rejects_v2_without_v2_extension() {
    let mut b = hex(&[REAL_PROPOSAL]);
    set(&mut b, 50, &[0, 0]);
    let e = err::<Proposal>(&b);
    assert_eq!(
        (e.field, e.offset, invalid(&e)),
        ("smcd.v2_ext_offset", 50, (0, Reason::NoV2Extension))
    );
    set(&mut b, 50, &[0, 173]);
    assert_eq!(err::<Proposal>(&b).field, "smcd.v2_ext_offset");
}

#[test]
fn rejects_more_than_8_eids() {
    let mut b = hex(&[REAL_PROPOSAL]);
    b[80] = 9;
    let e = err::<Proposal>(&b);
    assert_eq!(
        (e.field, e.offset, invalid(&e)),
        ("v2_ext.eid_count", 80, (9, Reason::TooManyEids))
    );
}

#[test]
fn rejects_more_than_8_ism_gids() {
    let mut b = smcd_v2_proposal_hex();
    b[81] = 9;
    let e = err::<Proposal>(&b);
    assert_eq!(
        (e.field, e.offset, invalid(&e)),
        ("v2_ext.ism_gid_count", 81, (9, Reason::TooManyIsmGids))
    );
}

#[test]
fn rejects_prefix_count_linux_reads_without_prefix_area() {
    // typev1 N: Linux still checks byte 47 (inside the SMC-D area) as a prefix count.
    let mut b = hex(&[REAL_PROPOSAL]);
    b[47] = 9;
    assert_eq!(err::<Proposal>(&b).field, "ip_prefix.ipv6_prefix_count");
}

#[test]
fn rejects_bad_trailer_but_not_on_decline() {
    let mut b = hex(&[REAL_ACCEPT]);
    set(&mut b, 156, &[0, 0, 0, 0]);
    let e = err::<AcceptConfirm>(&b);
    assert_eq!(
        (e.field, e.offset, invalid(&e)),
        ("trailer", 156, (0, Reason::Trailer))
    );
    let d = hex(&["e2d4c3d9 04 001c 10 1a2b525400123456 03030000 00 000000 00000000"]);
    assert_eq!(check_canonical::<Decline>(&d).env.trailer, Eyecatcher(0));
}

#[test]
fn rejects_bad_eyecatcher_and_version_0() {
    let mut b = hex(&[REAL_ACCEPT]);
    b[3] = 0xc5;
    let e = err::<ClcMessage>(&b);
    assert_eq!(
        (e.field, e.offset, invalid(&e)),
        ("header.eyecatcher", 0, (0xe2d4c3c5, Reason::Eyecatcher))
    );
    let mut b = hex(&[REAL_ACCEPT]);
    b[7] = 0x08;
    assert_eq!(err::<ClcMessage>(&b).field, "header.version");
}

#[test]
fn rejects_accept_confirm_lengths_linux_rejects() {
    // typev1 must be R or D.
    let mut b = hex(&[REAL_ACCEPT]);
    b[7] = 0x2a;
    let e = err::<AcceptConfirm>(&b);
    assert_eq!(
        (e.field, e.offset, invalid(&e)),
        ("header.typev1", 7, (2, Reason::NeitherRNorD))
    );
    // v2 SMC-R below 108 bytes.
    let mut b = hex(&[REAL_ACCEPT]);
    b.drain(64..124);
    set(&mut b, 5, &[0, 100]);
    let e = err::<AcceptConfirm>(&b);
    assert_eq!(
        e.kind,
        ErrorKind::LengthMismatch {
            declared: 100,
            expected: 108
        }
    );
    // v1 SMC-D must be exactly 48.
    let b = hex(&[
        "e2d4c3c4 02 0034 11",
        "1111111111111111 00000000deadbeef 00 10 0000 01020304",
        &"00".repeat(16),
        "e2d4c3c4",
    ]);
    let e = err::<AcceptConfirm>(&b);
    assert_eq!(
        e.kind,
        ErrorKind::LengthMismatch {
            declared: 52,
            expected: 48
        }
    );
}

#[test]
fn rejects_confirm_gid_list_count_off_length() {
    let mut b = hex(&[REAL_CONFIRM]);
    b[156] = 2;
    let e = err::<AcceptConfirm>(&b);
    assert_eq!(
        (e.field, e.offset, invalid(&e)),
        ("gid_list.count", 156, (2, Reason::GidListCount))
    );
}

#[test]
fn rejects_decline_length_linux_rejects() {
    let b = hex(&["e2d4c3d9 04 001c 20 1a2b525400123456 03030000 00 000000 e2d4c3d9"]);
    let e = err::<Decline>(&b);
    assert_eq!(
        e.kind,
        ErrorKind::LengthMismatch {
            declared: 28,
            expected: 44
        }
    );
}

#[test]
fn rejects_trailing_bytes_and_reports_truncation() {
    let mut b = hex(&[REAL_ACCEPT]);
    b.push(0);
    let e = err::<ClcMessage>(&b);
    assert_eq!(
        (e.field, e.offset, e.kind),
        ("header.length", 160, ErrorKind::TrailingBytes { count: 1 })
    );
    let b = hex(&[REAL_ACCEPT]);
    let e = err::<ClcMessage>(&b[..100]);
    assert!(e.is_truncated());
}

// ---- lax parsing and stream framing ----

#[test]
fn lax_keeps_header_when_body_fails() {
    let mut b = hex(&[REAL_PROPOSAL]);
    b[80] = 9;
    let lax = parse_lax(&b);
    let h = lax.parsed.header.unwrap();
    assert_eq!((h.kind, h.length, h.version), (ClcType::PROPOSAL, 156, 2));
    assert!(lax.parsed.message.is_none());
    assert_eq!(lax.error.unwrap().field, "v2_ext.eid_count");
    let ok = parse_lax(&hex(&[REAL_CONFIRM]));
    assert!(ok.error.is_none() && ok.parsed.message.is_some());
    assert!(parse_lax(&b[..5]).parsed.header.is_none());
}

#[test]
fn frames_messages_on_a_stream() {
    let mut stream = hex(&[REAL_PROPOSAL]);
    stream.extend(hex(&[REAL_ACCEPT]));
    assert_eq!(frame_len(&stream[..3]).unwrap(), Framing::NeedMore);
    assert_eq!(frame_len(&stream[..7]).unwrap(), Framing::NeedMore);
    assert_eq!(frame_len(&stream[..8]).unwrap(), Framing::Length(156));
    assert_eq!(frame_len(&stream[156..]).unwrap(), Framing::Length(160));
    assert_eq!(frame_len(&[]).unwrap(), Framing::NeedMore);
    // Plain data after a fallback: wrong from the first byte.
    let e = frame_len(b"GET").unwrap_err();
    assert_eq!((e.field, e.offset), ("header.eyecatcher", 0));
    // A Decline shorter than 28 bytes.
    let e = frame_len(&hex(&["e2d4c3d9 04 0010 10"])).unwrap_err();
    assert_eq!(
        (e.field, e.offset, invalid(&e)),
        ("header.length", 5, (16, Reason::BelowTypeMinimum))
    );
}

/// Every CLC message the lab captured from Linux: canonical, every prefix
/// rejected, framed by `frame_len` at its full length, and of the type its
/// file name says.
#[test]
fn corpus_clc_vectors() {
    use dissect::clc::{frame_len, ClcMessage, Framing};
    for (path, bytes) in dissect::gen::vectors("clc") {
        let name = path
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or_default()
            .to_owned();
        let msg = check_canonical::<ClcMessage>(&bytes);
        check_prefixes_rejected::<ClcMessage>(&bytes);
        assert_eq!(frame_len(&bytes), Ok(Framing::Length(bytes.len())), "{name}");
        let kind = match msg {
            ClcMessage::Proposal(_) => "proposal",
            ClcMessage::Accept(_) => "accept",
            ClcMessage::Confirm(_) => "confirm",
            ClcMessage::Decline(_) => "decline",
            ClcMessage::Unknown(_) => "unknown",
        };
        assert!(name.contains(kind), "{name} parsed as {kind}");
    }
}
