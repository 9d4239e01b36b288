//! Base Transport Header (IBA 9.2): 12 bytes that start every RoCE packet's
//! transport part.

use super::opcode::Opcode;
use crate::error::{Layer, Result};
use crate::wire::{Put, Reader, Wire};

/// The BTH. Fields narrower than their Rust type keep their low bits on
/// emit (pad count 2, TVer 4, QP and PSN 24). Reserved bits (6 in byte 4,
/// 7 in byte 8) are dropped on parse and written as zero.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Bth {
    pub opcode: Opcode,
    /// SE: the responder should raise a completion event.
    pub solicited: bool,
    /// M: migration state of the requester's path.
    pub migreq: bool,
    /// Bytes of padding after the payload that align it to 4 bytes.
    pub pad_count: u8,
    /// Transport header version; the spec defines only 0.
    pub tver: u8,
    pub pkey: u16,
    /// RoCEv2 explicit congestion notification bits (Annex A17).
    pub fecn: bool,
    pub becn: bool,
    pub dest_qp: u32,
    /// A: the requester asks for an acknowledgment.
    pub ack_req: bool,
    pub psn: u32,
}

pub const BTH_LEN: usize = 12;
const MASK_24: u32 = 0x00ff_ffff;

/// Each field and the offset where it ends.
const FIELDS: [(usize, &str); 7] = [
    (1, "bth.opcode"),
    (2, "bth.flags"),
    (4, "bth.pkey"),
    (5, "bth.fecn_becn"),
    (8, "bth.dest_qp"),
    (9, "bth.ack_req"),
    (BTH_LEN, "bth.psn"),
];

/// The error for a header shorter than [`BTH_LEN`]: the first field it lacks.
/// Reads a copy of the reader: one whose address is never taken stays in registers.
#[cold]
fn cut(mut r: Reader) -> crate::error::Error {
    let mut start = 0;
    for (end, field) in FIELDS {
        if let Err(e) = r.bytes(end - start, field) {
            return e;
        }
        start = end;
    }
    r.error(
        "bth",
        crate::error::ErrorKind::Truncated {
            needed: BTH_LEN,
            available: 0,
        },
    )
}

fn bit(byte: u8, mask: u8) -> bool {
    byte & mask != 0
}

fn flag(on: bool, mask: u8) -> u8 {
    if on {
        mask
    } else {
        0
    }
}

impl Wire for Bth {
    const NAME: &'static str = "BTH";
    const LAYER: Layer = Layer::Rdma;

    /// One length check for the whole header (every RoCE packet pays this);
    /// a header cut short is reported on the field it cuts.
    fn read(r: &mut Reader, _: ()) -> Result<Self> {
        if r.remaining() < BTH_LEN {
            return Err(cut(r.clone()));
        }
        let b: [u8; BTH_LEN] = r.array("bth")?;
        let be24 = |at: usize| u32::from_be_bytes([0, b[at], b[at + 1], b[at + 2]]);
        let (flags, ecn) = (b[1], b[4]);
        Ok(Bth {
            opcode: Opcode(b[0]),
            solicited: bit(flags, 0x80),
            migreq: bit(flags, 0x40),
            pad_count: (flags >> 4) & 0x3,
            tver: flags & 0x0f,
            pkey: u16::from_be_bytes([b[2], b[3]]),
            fecn: bit(ecn, 0x80),
            becn: bit(ecn, 0x40),
            dest_qp: be24(5),
            ack_req: bit(b[8], 0x80),
            psn: be24(9),
        })
    }

    fn write(&self, out: &mut Vec<u8>, _: ()) {
        out.put_u8(self.opcode.0);
        out.put_u8(
            flag(self.solicited, 0x80)
                | flag(self.migreq, 0x40)
                | (self.pad_count & 0x3) << 4
                | (self.tver & 0x0f),
        );
        out.put_be_u16(self.pkey);
        out.put_u8(flag(self.fecn, 0x80) | flag(self.becn, 0x40));
        out.put_be_u24(self.dest_qp & MASK_24);
        out.put_u8(flag(self.ack_req, 0x80));
        out.put_be_u24(self.psn & MASK_24);
    }

    fn wire_len(&self) -> usize {
        BTH_LEN
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::gen::roce::bth;
    use crate::oracle::{check_canonical, check_prefixes_rejected};
    use crate::wire::Wire;
    use proptest::prelude::*;

    #[test]
    fn bth_fields_at_their_bits() {
        // SEND Only, SE, M, pad 3, P_Key default, QP 0x000102, A, PSN 0xabcdef.
        let bytes = [
            0x04, 0xf0, 0xff, 0xff, 0x40, 0x00, 0x01, 0x02, 0x80, 0xab, 0xcd, 0xef,
        ];
        let bth = check_canonical::<Bth>(&bytes);
        check_prefixes_rejected::<Bth>(&bytes);
        assert_eq!(bth.opcode, Opcode::RC_SEND_ONLY);
        assert!(bth.solicited && bth.migreq && bth.ack_req && bth.becn && !bth.fecn);
        assert_eq!((bth.pad_count, bth.tver, bth.pkey), (3, 0, 0xffff));
        assert_eq!((bth.dest_qp, bth.psn), (0x102, 0xabcdef));
    }

    #[test]
    fn reserved_bits_are_dropped() {
        let bytes = [
            0x11, 0x00, 0xff, 0xff, 0x3f, 0x00, 0x00, 0x11, 0x7f, 0x00, 0x00, 0x01,
        ];
        let bth = Bth::parse(&bytes).unwrap();
        assert_eq!(
            bth.to_bytes(),
            [0x11, 0x00, 0xff, 0xff, 0x00, 0x00, 0x00, 0x11, 0x00, 0x00, 0x00, 0x01]
        );
    }

    proptest! {
        #[test]
        fn bth_round_trips(bth in bth()) {
            prop_assert_eq!(Bth::parse(&bth.to_bytes()), Ok(bth));
        }
    }
}
