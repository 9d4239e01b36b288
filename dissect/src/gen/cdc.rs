//! CDC messages, SMC-R and SMC-D in either byte order.

use super::byte_order;
use crate::cdc::*;
use proptest::prelude::*;

pub fn cursor() -> impl Strategy<Value = Cursor> {
    (any::<u16>(), any::<u32>()).prop_map(|(wrap, count)| Cursor { wrap, count })
}

pub fn smcr_cdc() -> impl Strategy<Value = SmcrCdc> {
    (any::<u16>(), any::<u32>(), cursor(), cursor(), any::<[u8; 2]>()).prop_map(
        |(seqno, token, producer, consumer, [pf, cf])| SmcrCdc {
            seqno,
            token,
            producer,
            consumer,
            producer_flags: ProducerFlags(pf),
            conn_state_flags: ConnStateFlags(cf),
        },
    )
}

/// SMC-D CDC in either order; parse it back with [`SmcdCdc::parse_in`] and its order.
pub fn smcd_cdc() -> impl Strategy<Value = SmcdCdc> {
    (byte_order(), cursor(), cursor(), any::<[u8; 2]>()).prop_map(|(order, producer, consumer, [pf, cf])| {
        SmcdCdc {
            order,
            producer,
            consumer,
            producer_flags: ProducerFlags(pf),
            conn_state_flags: ConnStateFlags(cf),
        }
    })
}
