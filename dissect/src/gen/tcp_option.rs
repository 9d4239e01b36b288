//! TCP options blocks around the SMC option.

use proptest::prelude::*;

/// One option other than the SMC one, as bytes: a NOP or a kind 2-253 with
/// its length byte and up to 9 data bytes.
pub fn other_option() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        Just(vec![1]),
        (2u8..=253, proptest::collection::vec(any::<u8>(), 0..10)).prop_map(|(kind, data)| {
            let mut v = vec![kind, data.len() as u8 + 2];
            v.extend(data);
            v
        }),
    ]
}
