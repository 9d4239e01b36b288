//! CDC: real SMC-R CDC from Linux 6.12 over soft-RoCE (corpora/real/
//! smcr-v2-echo.pcapng, frames as in Wireshark), SMC-D CDC built from
//! `struct smcd_cdc_msg`, cursor helpers, errors and round-trips.

use dissect::cdc::*;
use dissect::gen::cdc::{cursor, smcd_cdc, smcr_cdc};
use dissect::gen::{hex, vectors};
use dissect::oracle::{check_canonical, check_prefixes_rejected, check_reencode};
use dissect::{ByteOrder, Error, ErrorKind, Layer, Reason, Wire};
use proptest::prelude::*;
use std::cmp::Ordering;

/// Client's first CDC after writing 16 KiB (frame 36).
const F36_SEQ1: &str =
    "fe2c000100000001000000000000400000000000000000000000000000000000000000000000000000000000";
/// Client's third CDC: done writing (frame 85).
const F85_SEQ3: &str =
    "fe2c000300000001000000000000f00000000000000000000080000000000000000000000000000000000000";
/// Server's sixth CDC: done writing and closed (frame 161).
const F161_SEQ6: &str =
    "fe2c000600000001000000000000f000000000000000f00000c0000000000000000000000000000000000000";

#[test]
fn real_smcr_cdc() {
    for text in [F36_SEQ1, F85_SEQ3, F161_SEQ6] {
        check_prefixes_rejected::<SmcrCdc>(&hex(text));
    }
    let first = check_canonical::<SmcrCdc>(&hex(F36_SEQ1));
    assert_eq!((first.seqno, first.token), (1, 1));
    assert_eq!(
        first.producer,
        Cursor {
            wrap: 0,
            count: 0x4000
        }
    );
    assert_eq!(first.consumer, Cursor::default());
    let third = check_canonical::<SmcrCdc>(&hex(F85_SEQ3));
    assert_eq!(third.conn_state_flags, ConnStateFlags::PEER_DONE_WRITING);
    let last = check_canonical::<SmcrCdc>(&hex(F161_SEQ6));
    assert_eq!(
        last.consumer,
        Cursor {
            wrap: 0,
            count: 0xf000
        }
    );
    assert!(last.conn_state_flags.contains(ConnStateFlags(0xc0)));
    assert_eq!(last.producer_flags, ProducerFlags(0));
}

#[test]
fn realistic_cursors_with_wrap_and_flags() {
    // struct smc_cdc_msg: seqno 0x1234, token 0x102, producer wrapped once,
    // consumer update requested.
    let bytes = hex(&format!(
        "fe 2c 1234 00000102  0000 0002 00001000  0000 0001 000ff000  10 00 {}",
        "00".repeat(18)
    ));
    let m = check_canonical::<SmcrCdc>(&bytes);
    check_prefixes_rejected::<SmcrCdc>(&bytes);
    assert_eq!(
        m.producer,
        Cursor {
            wrap: 2,
            count: 0x1000
        }
    );
    assert_eq!(
        m.consumer,
        Cursor {
            wrap: 1,
            count: 0xff000
        }
    );
    assert_eq!(m.producer_flags, ProducerFlags::CONSUMER_UPDATE_REQUESTED);
    assert_eq!(m.consumer.distance_to(m.producer, 0x10_0000), Some(0x2000));
}

#[test]
fn smcr_errors_name_field_and_offset() {
    let mut bytes = hex(F36_SEQ1);
    bytes[1] = 0x2b;
    let err = SmcrCdc::parse(&bytes).unwrap_err();
    assert_eq!((err.field, err.offset), ("length", 1));
    assert_eq!(
        err.kind,
        ErrorKind::Invalid {
            value: 0x2b,
            reason: Reason::SmcrCdcLength
        }
    );
    // A SEND payload starting with the CDC type fails as CDC, not LLC.
    assert_eq!(
        dissect::llc::parse_send(&bytes),
        Err(Error {
            layer: Layer::Cdc,
            ..err
        })
    );
    let err = SmcrCdc::parse(&hex(&F36_SEQ1.replacen("fe", "07", 1))).unwrap_err();
    assert_eq!((err.field, err.offset), ("type", 0));
    let err = SmcrCdc::parse(&hex(F36_SEQ1)[..20]).unwrap_err();
    assert_eq!((err.field, err.offset), ("consumer.count", 20));
    assert!(err.is_truncated());
    let mut long = hex(F36_SEQ1);
    long.push(0);
    let err = SmcrCdc::parse(&long).unwrap_err();
    assert_eq!(
        (err.field, err.offset, err.kind),
        ("reserved", 44, ErrorKind::TrailingBytes { count: 1 })
    );
}

/// struct smcd_cdc_msg from an x86 loopback-ism peer: producer {wrap 1,
/// count 0x2000} at 8, consumer {0, 0x800} at 16, flags at 22-23.
const SMCD_LE: &str = "fe00000000000000010000200000000000000008000010800000000000000000";

#[test]
fn smcd_cdc_in_both_orders() {
    let bytes = hex(SMCD_LE);
    let m = check_canonical::<SmcdCdc>(&bytes);
    check_prefixes_rejected::<SmcdCdc>(&bytes);
    assert_eq!(m.order, ByteOrder::Little);
    assert_eq!(
        m.producer,
        Cursor {
            wrap: 1,
            count: 0x2000
        }
    );
    assert_eq!(
        m.consumer,
        Cursor {
            wrap: 0,
            count: 0x800
        }
    );
    assert_eq!(m.producer_flags, ProducerFlags::CONSUMER_UPDATE_REQUESTED);
    assert_eq!(m.conn_state_flags, ConnStateFlags::PEER_DONE_WRITING);
    // The same message from an s390 (big-endian) ISM peer.
    let be = SmcdCdc {
        order: ByteOrder::Big,
        ..m.clone()
    };
    let be_bytes = be.to_bytes();
    assert_eq!(&be_bytes[8..14], &[0, 1, 0, 0, 0x20, 0]);
    assert_eq!(SmcdCdc::parse_in(&be_bytes, ByteOrder::Big), Ok(be));
    let err = SmcdCdc::parse(&bytes[..31]).unwrap_err();
    assert_eq!((err.field, err.offset), ("reserved", 24));
}

#[test]
fn cursor_distance_accounts_for_one_wrap() {
    let size = 0x1_0000;
    let at = |wrap, count| Cursor { wrap, count };
    assert_eq!(at(3, 0x100).distance_to(at(3, 0x900), size), Some(0x800));
    assert_eq!(at(3, 0xff00).distance_to(at(4, 0x100), size), Some(0x200));
    assert_eq!(at(3, 0x100).distance_to(at(4, 0x100), size), Some(size));
    assert_eq!(at(0xffff, 0xff00).distance_to(at(0, 0x100), size), Some(0x200));
    assert_eq!(at(3, 0x900).distance_to(at(3, 0x100), size), None, "behind");
    assert_eq!(
        at(3, 0x100).distance_to(at(4, 0x200), size),
        None,
        "more than a ring"
    );
    assert_eq!(at(3, 0x100).distance_to(at(5, 0x0), size), None, "two wraps");
    assert_eq!(
        at(3, size).distance_to(at(3, size), size),
        None,
        "count outside the ring"
    );
    assert_eq!(at(3, 0xff00).advanced(0x200, size), Some(at(4, 0x100)));
    assert_eq!(at(0xffff, 0xff00).advanced(0x100, size), Some(at(0, 0)));
    assert_eq!(at(3, 0).advanced(size + 1, size), None);
}

#[test]
fn sequence_numbers_compare_signed_16_bit() {
    assert!(seq_before(1, 2));
    assert!(!seq_before(2, 1));
    assert!(seq_before(0xfff0, 0x0005), "across the wrap");
    assert!(!seq_before(0x0005, 0xfff0));
    assert!(!seq_before(7, 7));
    assert_eq!(
        seq_cmp(0x8000, 0),
        Ordering::Less,
        "half way round counts as before"
    );
    assert_eq!(seq_cmp(0x7fff, 0), Ordering::Greater);
    assert_eq!(seq_cmp(9, 9), Ordering::Equal);
}

#[test]
fn corpus_cdc_vectors_parse_canonically() {
    for (_, bytes) in vectors("cdc") {
        check_canonical::<SmcrCdc>(&bytes);
        check_prefixes_rejected::<SmcrCdc>(&bytes);
    }
}

proptest! {
    #[test]
    fn smcr_round_trips(m in smcr_cdc()) {
        let bytes = m.to_bytes();
        prop_assert_eq!(bytes.len(), SMCR_CDC_LEN);
        prop_assert_eq!(SmcrCdc::parse(&bytes), Ok(m));
    }

    #[test]
    fn smcd_round_trips_in_both_orders(m in smcd_cdc()) {
        let bytes = m.to_bytes();
        prop_assert_eq!(bytes.len(), SMCD_CDC_LEN);
        prop_assert_eq!(SmcdCdc::parse_in(&bytes, m.order), Ok(m));
    }

    #[test]
    fn advancing_then_measuring_gives_the_step(start in cursor(), size in 1u32..1 << 24, n: u32) {
        let start = Cursor { count: start.count % size, ..start };
        let n = n % (size + 1);
        let end = start.advanced(n, size).unwrap();
        prop_assert_eq!(start.distance_to(end, size), Some(n));
    }

    #[test]
    fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..64)) {
        check_reencode::<SmcrCdc>(&bytes);
        check_reencode::<SmcdCdc>(&bytes);
    }
}
