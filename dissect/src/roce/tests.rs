//! Whole-packet tests: vectors, ICRC, snaplen truncation, errors, round trips.

use super::*;
use crate::error::ErrorKind;
use crate::gen::hex;
use crate::gen::roce::{roce_v1, roce_v2};
use crate::oracle::{check_canonical, check_prefixes_rejected};
use crate::wire::Wire;
use proptest::prelude::*;

/// A RoCEv2 CNP captured on a Mellanox ConnectX-4 Lx (Ethernet frame), from
/// the Scapy RoCE regression tests: real hardware, so a known-good ICRC.
const CX4_CNP_FRAME: &str = "e41d2dab2bc2 7cfe90643b32 0800
    45c2003c718c400040119161 0a001101 0a001201
    000012b700280000
    8100ffff40000118 0000000000000000 0000000000000000 00000000 82fd002a";

/// Scapy's UC SEND Only example (pad count 2): its ICRC 0x78f353f3 is what
/// Scapy computes, confirmed by an independent zlib computation.
const SCAPY_UC_IP: &str = "450100400478400040 11b4d5 c0a80007 c0a80007";
const SCAPY_UC_DATAGRAM: &str = "c00012b7002caca2 2460ffff000000d300cf1710
    4630818be28935d90e9a95505401be885e500000 78f353f3";

// Real soft-RoCE (rdma_rxe, Linux 6.12) frames from the lab capture
// corpora/real/smcr-v2-echo.pcapng (vectors in corpora/vectors/roce/): IP
// header, UDP header, UDP payload. rxe sends TTL 1 and UDP checksum 0.

/// Frame 38: RC SEND Only (SE, A) carrying a 44-byte CDC message.
const SEND_CDC_IP: &str = "45000058a34940000111c2490a0000020a000001";
const SEND_CDC_UDP: &str = "c12112b700440000";
const SEND_CDC: &str = "0480ffff0000001180f255bd
    fe2c000100000001000000000000400000000000000000000000000000000000000000000000000000000000
    94db5abb";

/// Frame 12: RC SEND Only carrying a 44-byte LLC message (CONFIRM LINK v2).
const SEND_LLC_IP: &str = "4500005860114000011105820a0000010a000002";
const SEND_LLC_UDP: &str = "c12112b700440000";
const SEND_LLC: &str = "0480ffff0000001180377e44
    212c000352540000000100000000000000000000ffff0a000001000011010000010102ff0000000000000000
    bf4933f2";

/// Frame 22: RC RDMA WRITE First with RETH (vaddr 0xff207aaa43450000, rkey
/// 0x3c8, DMA length 16384); its 1024 payload bytes are `pattern()`.
const WRITE_FIRST_IP: &str = "4500043ca33940000111be750a0000020a000001";
const WRITE_FIRST_UDP: &str = "c12112b704280000";
const WRITE_FIRST_HEADERS: &str = "0600ffff0000001100f255ad ff207aaa43450000 000003c8 00004000";
const WRITE_FIRST_ICRC: &str = "3f20882e";

/// Frames 23 and 37: RDMA WRITE Middle and Last (A set), `pattern()` payload.
const WRITE_MIDDLE_IP: &str = "4500042ca33a40000111be840a0000020a000001";
const WRITE_MIDDLE: (&str, &str) = ("0700ffff0000001100f255ae", "69276f6f");
const WRITE_LAST_IP: &str = "4500042ca34840000111be760a0000020a000001";
const WRITE_LAST: (&str, &str) = ("0800ffff0000001180f255bc", "6bd3ae4b");
const WRITE_MORE_UDP: &str = "c12112b704180000";

/// Frame 13: RC Acknowledge, AETH ACK with unlimited credits, MSN 1.
const ACK_IP: &str = "45000030a33540000111c2850a0000020a000001";
const ACK_UDP: &str = "c12112b7001c0000";
const ACK: &str = "1100ffff0000001100377e44 1f000001 903e6f60";

/// RoCEv1 (soft-RoCE has none; built from the GRH layout, ICRC computed
/// with zlib's CRC-32 by the rules the real frames confirm): GRH (link-local GIDs ::1 -> ::2, hop limit 64) + RC SEND Only
/// with 6 payload bytes and pad count 2.
const V1_SEND: &str = "6000000000181b40 fe800000000000000000000000000001 fe800000000000000000000000000002
    0420ffff00000011 80000005 010203040506 0000 f5f1d3a2";

fn pattern() -> Vec<u8> {
    (0..1024u32).map(|i| (i * 7 + 1) as u8).collect()
}

fn write_first() -> Vec<u8> {
    [hex(WRITE_FIRST_HEADERS), pattern(), hex(WRITE_FIRST_ICRC)].concat()
}

/// RoCEv2 has no length field of its own (UDP's length bounds it), so a
/// prefix that still holds the headers and four bytes parses as a packet
/// with a shorter payload. What must hold: every prefix shorter than that is
/// rejected, and no proper prefix of a captured packet passes for complete.
fn check_v2_prefixes(bytes: &[u8], headers_len: usize) {
    check_prefixes_rejected::<RoceV2>(&bytes[..headers_len + ICRC_LEN]);
    for n in 0..bytes.len() {
        let cut = parse_v2_captured(&bytes[..n], bytes.len());
        assert!(
            cut.as_ref()
                .map_or(true, |p| p.icrc.is_none() && p.truncated.is_some()),
            "{n}: {cut:?}"
        );
    }
}

fn datagram(udp: &str, payload: &[u8]) -> Vec<u8> {
    [hex(udp), payload.to_vec()].concat()
}

#[test]
fn real_cnp_parses_and_its_icrc_verifies() {
    let frame = hex(CX4_CNP_FRAME);
    let (ip, udp) = (&frame[14..34], &frame[34..]);
    assert_eq!(icrc::verify_v2(ip, udp), Ok(true));
    let p = check_canonical::<RoceV2>(&udp[8..]);
    check_v2_prefixes(&udp[8..], BTH_LEN);
    assert_eq!(p.ib.bth.opcode, Opcode::CNP);
    assert!(p.ib.bth.becn && !p.ib.bth.fecn);
    assert_eq!(
        (p.ib.bth.dest_qp, p.ib.bth.psn, p.ib.payload.len()),
        (0x118, 0, 16)
    );
    assert_eq!(p.icrc, 0x82fd_002a);
    assert_eq!(icrc::compute_v2(ip, udp), Ok(0x82fd_002a));
}

/// Whether the CNP frame still verifies after XOR-ing `mask` into one byte
/// of the IP header (`in_ip`) or of the UDP datagram.
fn verifies_with_flip(in_ip: bool, at: usize, mask: u8) -> bool {
    let mut frame = hex(CX4_CNP_FRAME);
    frame[if in_ip { 14 } else { 34 } + at] ^= mask;
    icrc::verify_v2(&frame[14..34], &frame[34..]).unwrap()
}

#[test]
fn icrc_ignores_exactly_the_masked_fields() {
    // ToS, TTL, IP checksum, UDP checksum, BTH resv8a (FECN/BECN).
    for (in_ip, at) in [(true, 1), (true, 8), (true, 11), (false, 7), (false, 12)] {
        assert!(verifies_with_flip(in_ip, at, 0x21), "{in_ip} {at}");
    }
    // Protocol, source address, UDP port, dest QP, payload.
    for (in_ip, at) in [(true, 9), (true, 12), (false, 0), (false, 15), (false, 30)] {
        assert!(!verifies_with_flip(in_ip, at, 0x01), "{in_ip} {at}");
    }
}

#[test]
fn scapy_uc_send_with_pad() {
    let (ip, udp) = (hex(SCAPY_UC_IP), hex(SCAPY_UC_DATAGRAM));
    assert_eq!(icrc::verify_v2(&ip, &udp), Ok(true));
    let p = RoceV2::parse(&udp[8..]).unwrap();
    assert_eq!(
        (p.ib.bth.opcode, p.ib.bth.pad_count, p.ib.payload.len()),
        (Opcode::UC_SEND_ONLY, 2, 18)
    );
    assert!(p.ib.bth.migreq);
    assert_eq!(p.compute_icrc(&ip, udp[..8].try_into().unwrap()), Ok(0x78f3_53f3));
}

/// The checks every captured RoCEv2 vector gets; returns the packet.
fn check_real_v2(ip: &str, udp: &str, bytes: &[u8], headers_len: usize) -> RoceV2 {
    let p = check_canonical::<RoceV2>(bytes);
    check_v2_prefixes(bytes, headers_len);
    assert_eq!(icrc::verify_v2(&hex(ip), &datagram(udp, bytes)), Ok(true));
    assert_eq!(
        p.compute_icrc(&hex(ip), hex(udp).as_slice().try_into().unwrap()),
        Ok(p.icrc)
    );
    p
}

#[test]
fn send_only_with_cdc() {
    let p = check_real_v2(SEND_CDC_IP, SEND_CDC_UDP, &hex(SEND_CDC), BTH_LEN);
    let bth = p.ib.bth;
    assert_eq!(
        (bth.opcode, bth.solicited, bth.ack_req, bth.dest_qp, bth.psn),
        (Opcode::RC_SEND_ONLY, true, true, 0x11, 15881661)
    );
    assert_eq!(p.ib.ext, ExtHeaders::default());
    assert_eq!(
        (p.ib.payload.len(), p.ib.payload[0], p.ib.payload[1]),
        (44, 0xfe, 44)
    );
}

#[test]
fn send_only_with_llc() {
    let p = check_real_v2(SEND_LLC_IP, SEND_LLC_UDP, &hex(SEND_LLC), BTH_LEN);
    assert_eq!(
        (p.ib.bth.psn, p.ib.payload.len(), p.ib.payload[0]),
        (3636804, 44, 0x21)
    );
}

#[test]
fn rdma_write_first_with_reth() {
    let p = check_real_v2(WRITE_FIRST_IP, WRITE_FIRST_UDP, &write_first(), BTH_LEN + 16);
    assert_eq!(
        (p.ib.bth.opcode, p.ib.bth.psn),
        (Opcode::RC_RDMA_WRITE_FIRST, 15881645)
    );
    let reth = Reth {
        vaddr: 0xff20_7aaa_4345_0000,
        rkey: 0x3c8,
        dma_length: 16384,
    };
    assert_eq!(p.ib.ext.reth, Some(reth));
    assert_eq!(p.ib.payload, pattern());
}

#[test]
fn rdma_write_middle_and_last() {
    for (ip, (headers, icrc), opcode, ack_req) in [
        (WRITE_MIDDLE_IP, WRITE_MIDDLE, Opcode::RC_RDMA_WRITE_MIDDLE, false),
        (WRITE_LAST_IP, WRITE_LAST, Opcode::RC_RDMA_WRITE_LAST, true),
    ] {
        let bytes = [hex(headers), pattern(), hex(icrc)].concat();
        let p = check_real_v2(ip, WRITE_MORE_UDP, &bytes, BTH_LEN);
        assert_eq!((p.ib.bth.opcode, p.ib.bth.ack_req), (opcode, ack_req));
        assert_eq!((p.ib.ext, p.ib.payload.len()), (ExtHeaders::default(), 1024));
    }
}

#[test]
fn acknowledge_with_aeth() {
    let p = check_real_v2(ACK_IP, ACK_UDP, &hex(ACK), BTH_LEN + 4);
    assert_eq!(
        p.ib.ext.aeth,
        Some(Aeth {
            syndrome: Syndrome::ACK_UNLIMITED,
            msn: 1
        })
    );
    assert_eq!(p.ib.bth.psn, 3636804);
    assert!(p.ib.payload.is_empty());
}

#[test]
fn recomputed_icrc_follows_an_edit() {
    let mut p = RoceV2::parse(&hex(ACK)).unwrap();
    p.ib.ext.aeth = Some(Aeth {
        syndrome: Syndrome(0x60),
        msn: 8,
    });
    let (ip, udp) = (hex(ACK_IP), hex(ACK_UDP));
    assert_eq!(icrc::verify_v2(&ip, &datagram(ACK_UDP, &p.to_bytes())), Ok(false));
    p.icrc = p.compute_icrc(&ip, udp.as_slice().try_into().unwrap()).unwrap();
    assert_eq!(icrc::verify_v2(&ip, &datagram(ACK_UDP, &p.to_bytes())), Ok(true));
}

#[test]
fn rocev1_send_with_grh() {
    let bytes = hex(V1_SEND);
    let p = check_canonical::<RoceV1>(&bytes);
    check_prefixes_rejected::<RoceV1>(&bytes);
    assert_eq!(icrc::verify_v1(&bytes), Ok(true));
    assert_eq!(p.compute_icrc(), p.icrc);
    assert_eq!(
        (p.grh.pay_len, p.grh.next_header, p.grh.hop_limit),
        (24, NEXT_HEADER_IBA, 64)
    );
    assert_eq!(p.ib.payload, [1, 2, 3, 4, 5, 6]);
}

#[test]
fn rocev1_pay_len_must_match() {
    let mut bytes = hex(V1_SEND);
    bytes[5] += 1;
    let lax = parse_v1_lax(&bytes, bytes.len());
    assert_eq!(lax.parsed.grh.map(|g| g.pay_len), Some(25));
    let e = RoceV1::parse(&bytes).unwrap_err();
    assert_eq!(lax.error.map(|e| e.field), Some(e.field));
    assert_eq!((e.field, e.offset), ("grh.pay_len", 4));
    assert_eq!(
        e.kind,
        ErrorKind::LengthMismatch {
            declared: 25,
            expected: 24
        }
    );
}

#[test]
fn snaplen_cut_is_truncated_not_malformed() {
    // Frame 22 (1098 bytes) captured with snaplen 128: 86 bytes of UDP payload.
    let bytes = write_first();
    let wire_len = 1098 - 42;
    assert_eq!(bytes.len(), wire_len);
    let p = parse_v2_captured(&bytes[..128 - 42], wire_len).unwrap();
    assert_eq!(p.icrc, None);
    assert_eq!(
        p.truncated,
        Some(Truncation {
            wire_len,
            captured_len: 86,
            payload_len: 1024
        })
    );
    assert_eq!(p.ib.payload, &pattern()[..86 - 28]);
    assert_eq!(p.ib.ext.reth.map(|r| r.dma_length), Some(16384));

    // Only the ICRC lost: the payload is whole.
    let p = parse_v2_captured(&bytes[..wire_len - 2], wire_len).unwrap();
    assert_eq!((p.ib.payload.len(), p.icrc), (1024, None));

    // The whole packet captured.
    let p = parse_v2_captured(&bytes, wire_len).unwrap();
    assert_eq!((p.icrc, p.truncated), (Some(0x3f20_882e), None));
}

#[test]
fn cut_inside_headers_is_truncated_and_lax_keeps_the_bth() {
    let bytes = write_first();
    let e = parse_v2_captured(&bytes[..20], bytes.len()).unwrap_err();
    assert!(e.is_truncated());
    assert_eq!((e.field, e.offset), ("reth.rkey", 20));
    let lax = parse_v2_lax(&bytes[..20], bytes.len());
    assert_eq!(
        lax.parsed.bth.map(|b| b.opcode),
        Some(Opcode::RC_RDMA_WRITE_FIRST)
    );
    assert_eq!(lax.error, Some(e));
}

#[test]
fn too_short_on_the_wire_is_malformed() {
    let bytes = write_first();
    let e = parse_v2_captured(&bytes[..20], 20).unwrap_err();
    assert_eq!((e.field, e.offset), ("reth.rkey", 20));
    assert_eq!(
        e.kind,
        ErrorKind::LengthMismatch {
            declared: 20,
            expected: 24
        }
    );

    // Headers whole but no room for the ICRC, cut or not.
    for captured in [28, 30] {
        let e = parse_v2_captured(&bytes[..captured], 30).unwrap_err();
        assert_eq!((e.field, e.offset), ("icrc", 28));
        assert_eq!(
            e.kind,
            ErrorKind::LengthMismatch {
                declared: 30,
                expected: 32
            }
        );
    }
}

#[test]
fn pad_larger_than_the_payload_is_malformed() {
    // SEND Only, pad count 3, then only 6 bytes: 2 of payload-or-pad and the ICRC.
    let bytes = hex("0430ffff00000011 80000001 0102 00000000");
    let e = RoceV2::parse(&bytes).unwrap_err();
    assert_eq!((e.field, e.offset), ("bth.pad_count", 12));
    assert_eq!(
        e.kind,
        ErrorKind::LengthMismatch {
            declared: 18,
            expected: 19
        }
    );
}

#[test]
fn wire_len_shorter_than_capture_is_invalid() {
    let e = parse_v2_captured(&hex(ACK), 4).unwrap_err();
    assert_eq!((e.field, e.offset), ("wire_len", 0));
    assert!(matches!(e.kind, ErrorKind::Invalid { value: 4, .. }));
}

#[test]
fn icrc_input_errors_name_the_field() {
    let frame = hex(CX4_CNP_FRAME);
    let e = icrc::compute_v2(&[0x55; 20], &frame[34..]).unwrap_err();
    assert_eq!(e.field, "ip.version");
    let e = icrc::compute_v2(&frame[14..30], &frame[34..]).unwrap_err();
    assert_eq!(e.field, "ip.header");
    let e = icrc::compute_v2(&frame[14..34], &frame[34..50]).unwrap_err();
    assert_eq!((e.field, e.offset), ("bth", 8));
}

proptest! {
    #[test]
    fn rocev2_round_trips(p in roce_v2()) {
        let bytes = p.to_bytes();
        prop_assert_eq!(bytes.len(), p.wire_len());
        prop_assert_eq!(RoceV2::parse(&bytes), Ok(p));
    }

    #[test]
    fn rocev1_round_trips(p in roce_v1()) {
        prop_assert_eq!(RoceV1::parse(&p.to_bytes()), Ok(p));
    }

    #[test]
    fn any_cut_is_truncated_never_malformed(p in roce_v2(), cut in any::<prop::sample::Index>()) {
        let bytes = p.to_bytes();
        let n = cut.index(bytes.len() + 1);
        match parse_v2_captured(&bytes[..n], bytes.len()) {
            Ok(c) => {
                prop_assert_eq!(c.truncated.is_some(), n < bytes.len());
                prop_assert_eq!(c.ib.payload, &p.ib.payload[..c.ib.payload.len()]);
                prop_assert_eq!(c.ib.bth, p.ib.bth);
            }
            Err(e) => prop_assert!(e.is_truncated(), "{}", e),
        }
    }

    #[test]
    fn fuzz_harness_holds_on_packets(p in roce_v2(), first in any::<u8>()) {
        let mut bytes = p.to_bytes();
        bytes[0] = first;
        crate::oracle::check_roce(&bytes);
    }

    #[test]
    fn captured_parse_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..80), extra in 0usize..40) {
        let _ = parse_v2_captured(&bytes, bytes.len() + extra);
        let _ = parse_v1_lax(&bytes, bytes.len() + extra);
        let _ = crate::oracle::check_reencode::<RoceV2>(&bytes);
        let _ = crate::oracle::check_reencode::<RoceV1>(&bytes);
    }
}

#[test]
fn a_cut_bth_names_the_field_it_cuts() {
    // A real RDMA WRITE First, its BTH cut at every length.
    let bytes = write_first();
    let cases = [
        (0, "bth.opcode", 0),
        (1, "bth.flags", 1),
        (3, "bth.pkey", 2),
        (4, "bth.fecn_becn", 4),
        (6, "bth.dest_qp", 5),
        (8, "bth.ack_req", 8),
        (10, "bth.psn", 9),
    ];
    for (n, field, offset) in cases {
        // Wire length as short as the cut: malformed, not merely truncated.
        let e = parse_v2_captured(&bytes[..n], n).unwrap_err();
        assert_eq!((e.field, e.offset), (field, offset), "cut at {n}");
    }
    let whole = parse_v2_captured(&bytes, bytes.len()).unwrap();
    assert_eq!(whole.ib.bth.opcode, Opcode::RC_RDMA_WRITE_FIRST);
}
