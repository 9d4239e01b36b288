//! Round-trip properties: value -> emit -> parse gives the value back, for
//! every LLC message type, v1 and v2, both byte orders of the v2 length.

use super::*;
use crate::gen::llc::*;
use proptest::collection::vec;
use proptest::prelude::*;

/// emit -> parse as the typed message and as [`LlcMessage`] gives the value back.
fn round_trip<B: LlcBody + PartialEq + core::fmt::Debug + Clone>(
    value: Llc<B>,
    wrap: fn(Llc<B>) -> LlcMessage,
) -> core::result::Result<(), TestCaseError> {
    let bytes = value.to_bytes();
    prop_assert_eq!(bytes.len(), value.wire_len());
    prop_assert_eq!(Llc::<B>::parse(&bytes), Ok(value.clone()));
    prop_assert_eq!(LlcMessage::parse(&bytes), Ok(wrap(value)));
    Ok(())
}

proptest! {
    #[test]
    fn confirm_link_round_trips(v in confirm_link()) { round_trip(v, LlcMessage::ConfirmLink)?; }

    #[test]
    fn add_link_round_trips(v in add_link()) { round_trip(v, LlcMessage::AddLink)?; }

    #[test]
    fn add_link_cont_round_trips(v in add_link_cont()) { round_trip(v, LlcMessage::AddLinkCont)?; }

    #[test]
    fn delete_link_round_trips(v in delete_link()) { round_trip(v, LlcMessage::DeleteLink)?; }

    #[test]
    fn request_add_link_round_trips(v in request_add_link()) {
        round_trip(v, LlcMessage::RequestAddLink)?;
    }

    #[test]
    fn confirm_rkey_round_trips(v in confirm_rkey()) { round_trip(v, LlcMessage::ConfirmRkey)?; }

    #[test]
    fn confirm_rkey_cont_round_trips(v in confirm_rkey_cont()) {
        round_trip(v, LlcMessage::ConfirmRkeyCont)?;
    }

    #[test]
    fn test_link_round_trips(v in test_link()) { round_trip(v, LlcMessage::TestLink)?; }

    #[test]
    fn delete_rkey_round_trips(v in delete_rkey()) { round_trip(v, LlcMessage::DeleteRkey)?; }

    #[test]
    fn unknown_types_round_trip_raw(v in unknown()) { round_trip(v, LlcMessage::Unknown)?; }

    /// Parsing arbitrary bytes never panics, and what parses re-encodes.
    #[test]
    fn arbitrary_bytes_reencode(bytes in vec(any::<u8>(), 0..120)) {
        crate::oracle::check_reencode::<LlcMessage>(&bytes);
        let _ = parse_lax(&bytes);
    }
}
