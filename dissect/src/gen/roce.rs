//! RoCE headers and packets.

use super::maybe;
use crate::roce::*;
use crate::wire::Wire;
use proptest::prelude::*;

const MASK_24: u32 = 0x00ff_ffff;

pub fn bth() -> impl Strategy<Value = Bth> {
    (
        any::<u8>(),
        any::<[bool; 6]>(),
        0u8..4,
        0u8..16,
        any::<u16>(),
        0u32..=MASK_24,
        0u32..=MASK_24,
    )
        .prop_map(|(op, f, pad_count, tver, pkey, dest_qp, psn)| Bth {
            opcode: Opcode(op),
            solicited: f[0],
            migreq: f[1],
            pad_count,
            tver,
            pkey,
            fecn: f[2],
            becn: f[3],
            dest_qp,
            ack_req: f[4],
            psn,
        })
}

/// A GRH with any `pay_len`; a [`RoceV1`] needs it to match (see [`roce_v1`]).
pub fn grh() -> impl Strategy<Value = Grh> {
    (
        any::<u8>(),
        0u32..0x0010_0000,
        any::<(u16, u8, u8)>(),
        any::<([u8; 16], [u8; 16])>(),
    )
        .prop_map(
            |(traffic_class, flow_label, (pay_len, next_header, hop_limit), (sgid, dgid))| Grh {
                traffic_class,
                flow_label,
                pay_len,
                next_header,
                hop_limit,
                sgid,
                dgid,
            },
        )
}

pub fn reth() -> impl Strategy<Value = Reth> {
    any::<(u64, u32, u32)>().prop_map(|(vaddr, rkey, dma_length)| Reth {
        vaddr,
        rkey,
        dma_length,
    })
}

pub fn deth() -> impl Strategy<Value = Deth> {
    (any::<u32>(), 0u32..=MASK_24).prop_map(|(qkey, src_qp)| Deth { qkey, src_qp })
}

pub fn atomic_eth() -> impl Strategy<Value = AtomicEth> {
    any::<(u64, u32, u64, u64)>().prop_map(|(vaddr, rkey, swap_add, compare)| AtomicEth {
        vaddr,
        rkey,
        swap_add,
        compare,
    })
}

pub fn aeth() -> impl Strategy<Value = Aeth> {
    (any::<u8>(), 0u32..=MASK_24).prop_map(|(s, msn)| Aeth {
        syndrome: Syndrome(s),
        msn,
    })
}

pub fn atomic_ack_eth() -> impl Strategy<Value = AtomicAckEth> {
    any::<u64>().prop_map(|orig_data| AtomicAckEth { orig_data })
}

/// Headers for `layout`, with random contents.
pub fn ext_for(layout: Layout) -> impl Strategy<Value = ExtHeaders> {
    (
        maybe(layout.deth, deth()),
        maybe(layout.reth, reth()),
        maybe(layout.atomic_eth, atomic_eth()),
        maybe(layout.aeth, aeth()),
        maybe(layout.atomic_ack_eth, atomic_ack_eth()),
        maybe(layout.immdt, any::<u32>()),
        maybe(layout.ieth, any::<u32>()),
    )
        .prop_map(
            |(deth, reth, atomic_eth, aeth, atomic_ack_eth, immdt, ieth)| ExtHeaders {
                deth,
                reth,
                atomic_eth,
                aeth,
                atomic_ack_eth,
                immdt,
                ieth,
            },
        )
}

/// A known opcode and extension headers as its table entry calls for.
pub fn opcode_and_ext() -> impl Strategy<Value = (Opcode, ExtHeaders)> {
    proptest::sample::select(Opcode::KNOWN)
        .prop_flat_map(|op| (Just(op), ext_for(op.layout().unwrap_or_default())))
}

/// A transport part whose extension headers follow the opcode table; any
/// opcode, known or not.
pub fn ib_packet() -> impl Strategy<Value = IbPacket> {
    let opcode = prop_oneof![
        proptest::sample::select(Opcode::KNOWN),
        any::<u8>().prop_map(Opcode)
    ];
    (opcode, bth(), proptest::collection::vec(any::<u8>(), 0..64)).prop_flat_map(|(opcode, bth, payload)| {
        let bth = Bth { opcode, ..bth };
        ext_for(opcode.layout().unwrap_or_default()).prop_map(move |ext| IbPacket {
            bth,
            ext,
            payload: payload.clone(),
        })
    })
}

pub fn roce_v2() -> impl Strategy<Value = RoceV2> {
    (ib_packet(), any::<u32>()).prop_map(|(ib, icrc)| RoceV2 { ib, icrc })
}

/// A RoCEv1 packet whose GRH PayLen matches its length.
pub fn roce_v1() -> impl Strategy<Value = RoceV1> {
    (grh(), ib_packet(), any::<u32>()).prop_map(|(grh, ib, icrc)| {
        let grh = Grh {
            pay_len: u16::try_from(ib.wire_len() + ICRC_LEN).unwrap_or(u16::MAX),
            ..grh
        };
        RoceV1 { grh, ib, icrc }
    })
}
