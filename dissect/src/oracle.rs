//! Checks shared by the tests and the fuzz targets. They panic on purpose:
//! a panic here is a bug found in the codec, reported by libFuzzer or the test.

use crate::wire::Wire;
use core::fmt::Debug;

/// If `bytes` parse as `T`, emitting the value must give bytes of
/// `wire_len()` that parse back to the same value. Returns the value.
pub fn check_reencode<T: Wire + PartialEq + Debug>(bytes: &[u8]) -> Option<T> {
    let first = T::parse(bytes).ok()?;
    let emitted = first.to_bytes();
    assert_eq!(
        emitted.len(),
        first.wire_len(),
        "{}: wire_len disagrees with emit",
        T::NAME
    );
    match T::parse(&emitted) {
        Ok(again) => assert_eq!(first, again, "{}: emit then parse changed the value", T::NAME),
        Err(e) => panic!(
            "{}: emitted bytes do not parse: {e}\n{first:?}\n{emitted:02x?}",
            T::NAME
        ),
    }
    Some(first)
}

/// Parse then emit must give `bytes` back (for inputs in canonical encoding,
/// such as real captures, whose reserved bytes are zero).
pub fn check_canonical<T: Wire + PartialEq + Debug>(bytes: &[u8]) -> T {
    let value = T::parse(bytes).unwrap_or_else(|e| panic!("{}: {e}", T::NAME));
    assert_eq!(
        value.to_bytes(),
        bytes,
        "{}: parse then emit changed the bytes\n{value:?}",
        T::NAME
    );
    check_reencode::<T>(bytes);
    value
}

/// Every proper prefix of a valid message must be rejected.
pub fn check_prefixes_rejected<T: Wire + Debug>(bytes: &[u8]) {
    for len in 0..bytes.len() {
        if let Ok(v) = T::parse(&bytes[..len]) {
            panic!(
                "{}: prefix of {len}/{} bytes parsed as {v:?}",
                T::NAME,
                bytes.len()
            );
        }
    }
}

/// Any bytes at the start of a CLC stream: framing, the lax parse and the
/// strict parse must agree, and a message must re-encode.
pub fn check_clc_stream(bytes: &[u8]) {
    use crate::clc::{frame_len, parse_lax, ClcMessage, Framing};
    let lax = parse_lax(bytes);
    match (check_reencode::<ClcMessage>(bytes), &lax.parsed.message) {
        (Some(strict), Some(laxed)) => assert_eq!(&strict, laxed, "lax and strict CLC parses differ"),
        (None, None) => assert!(lax.error.is_some(), "lax CLC parse failed without an error"),
        (strict, laxed) => panic!("strict {strict:?} but lax {laxed:?}"),
    }
    if lax.error.is_none() {
        // A message that parses is exactly as long as its header frames it.
        assert_eq!(
            frame_len(bytes),
            Ok(Framing::Length(bytes.len())),
            "framing disagrees with parse"
        );
    }
}

/// RoCE: both packet forms re-encode, and a snaplen cut of a valid
/// RoCEv2 packet reads as truncated, never as malformed. Panics on a bug.
pub fn check_roce(data: &[u8]) {
    check_reencode::<crate::roce::RoceV1>(data);
    let _ = crate::roce::parse_v1_lax(data, data.len());
    if check_reencode::<crate::roce::RoceV2>(data).is_none() {
        return;
    }
    let cut = usize::from(data.first().copied().unwrap_or(0)) % data.len().max(1);
    match crate::roce::parse_v2_captured(data.get(..cut).unwrap_or(data), data.len()) {
        Ok(p) => assert!(
            p.truncated.is_some() && p.icrc.is_none(),
            "cut at {cut} read as complete: {p:?}"
        ),
        Err(e) => assert!(e.is_truncated(), "cut at {cut} read as malformed: {e}"),
    }
}

/// A TCP options block: walking it and finding the SMC option agree, and
/// the SMC option where found re-encodes.
pub fn check_tcp_options(block: &[u8]) {
    use crate::tcp_option::{find_smc_option, options, SmcOption};
    let walked: Result<Vec<_>, _> = options(block).collect();
    match (find_smc_option(block), walked) {
        (Ok(found), Ok(all)) => {
            assert_eq!(
                found,
                all.iter().find(|o| o.is_smc()).map(|o| o.offset),
                "find and walk disagree"
            );
            if let Some(at) = found {
                check_canonical::<SmcOption>(&block[at..at + 6]);
            }
        }
        (Err(_), Err(_)) => {}
        (found, walked) => panic!("find {found:?} but walk {walked:?}"),
    }
}

/// The link types the capture decoder knows, for harnesses to pick from.
pub const LINK_TYPES: [crate::capture::LinkType; 6] = {
    use crate::capture::LinkType as L;
    [L::ETHERNET, L::LINUX_SLL, L::LINUX_SLL2, L::RAW, L::IPV4, L::IPV6]
};

/// Any frame: byte 0 picks the link type, byte 1 how many bytes the
/// snaplen cut, the rest is the captured frame. Decoding must keep every
/// layer inside the frame and call a cut frame truncated.
pub fn check_capture_frame(data: &[u8]) {
    let (Some(&pick), Some(&cut), Some(frame)) = (data.first(), data.get(1), data.get(2..)) else {
        return;
    };
    let link = LINK_TYPES[usize::from(pick) % LINK_TYPES.len()];
    let layers = crate::capture::decode(link, frame, frame.len() + usize::from(cut));
    for span in &layers.spans {
        assert!(
            span.offset + span.len <= frame.len(),
            "{span:?} outside a {}-byte frame",
            frame.len()
        );
    }
    if let Some(e) = &layers.error {
        assert!(
            e.offset <= frame.len(),
            "error offset {} past the frame: {e}",
            e.offset
        );
    }
    assert!(
        cut == 0 || layers.truncated,
        "a frame cut by {cut} bytes not marked truncated"
    );
}
