//! The extension transport headers that may follow the BTH (IBA 9.3), and
//! [`ExtHeaders`], the set the opcode table selects for one packet.

use super::aeth::Aeth;
use super::opcode::{Layout, Opcode};
use crate::error::{Layer, Result};
use crate::wire::{Put, Reader, Wire};

/// RDMA ETH: the target of an RDMA WRITE First/Only or READ Request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Reth {
    pub vaddr: u64,
    pub rkey: u32,
    /// Length of the whole RDMA operation, not of this packet.
    pub dma_length: u32,
}

impl Wire for Reth {
    const NAME: &'static str = "RETH";
    const LAYER: Layer = Layer::Rdma;

    fn read(r: &mut Reader, _: ()) -> Result<Self> {
        Ok(Reth {
            vaddr: r.be_u64("reth.vaddr")?,
            rkey: r.be_u32("reth.rkey")?,
            dma_length: r.be_u32("reth.dma_length")?,
        })
    }

    fn write(&self, out: &mut Vec<u8>, _: ()) {
        out.put_be_u64(self.vaddr);
        out.put_be_u32(self.rkey);
        out.put_be_u32(self.dma_length);
    }

    fn wire_len(&self) -> usize {
        16
    }
}

/// Datagram ETH (UD): Q_Key and source QP (24 bits after a reserved byte).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Deth {
    pub qkey: u32,
    pub src_qp: u32,
}

impl Wire for Deth {
    const NAME: &'static str = "DETH";
    const LAYER: Layer = Layer::Rdma;

    fn read(r: &mut Reader, _: ()) -> Result<Self> {
        let qkey = r.be_u32("deth.qkey")?;
        r.skip(1, "deth.reserved")?;
        Ok(Deth {
            qkey,
            src_qp: r.be_u24("deth.src_qp")?,
        })
    }

    fn write(&self, out: &mut Vec<u8>, _: ()) {
        out.put_be_u32(self.qkey);
        out.put_zeros(1);
        out.put_be_u24(self.src_qp & 0x00ff_ffff);
    }

    fn wire_len(&self) -> usize {
        8
    }
}

/// Atomic ETH: target and operands of CmpSwap / FetchAdd.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct AtomicEth {
    pub vaddr: u64,
    pub rkey: u32,
    pub swap_add: u64,
    pub compare: u64,
}

impl Wire for AtomicEth {
    const NAME: &'static str = "AtomicETH";
    const LAYER: Layer = Layer::Rdma;

    fn read(r: &mut Reader, _: ()) -> Result<Self> {
        Ok(AtomicEth {
            vaddr: r.be_u64("atomic_eth.vaddr")?,
            rkey: r.be_u32("atomic_eth.rkey")?,
            swap_add: r.be_u64("atomic_eth.swap_add")?,
            compare: r.be_u64("atomic_eth.compare")?,
        })
    }

    fn write(&self, out: &mut Vec<u8>, _: ()) {
        out.put_be_u64(self.vaddr);
        out.put_be_u32(self.rkey);
        out.put_be_u64(self.swap_add);
        out.put_be_u64(self.compare);
    }

    fn wire_len(&self) -> usize {
        28
    }
}

/// Atomic Acknowledge ETH: the value the target held before the atomic.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct AtomicAckEth {
    pub orig_data: u64,
}

impl Wire for AtomicAckEth {
    const NAME: &'static str = "AtomicAckETH";
    const LAYER: Layer = Layer::Rdma;

    fn read(r: &mut Reader, _: ()) -> Result<Self> {
        Ok(AtomicAckEth {
            orig_data: r.be_u64("atomic_ack_eth.orig_data")?,
        })
    }

    fn write(&self, out: &mut Vec<u8>, _: ()) {
        out.put_be_u64(self.orig_data);
    }

    fn wire_len(&self) -> usize {
        8
    }
}

/// The extension headers of one packet, in wire order. Parsing fills what
/// the opcode's [`Layout`] calls for; emit writes every header present, so
/// a hand-built value should follow the same table.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ExtHeaders {
    pub deth: Option<Deth>,
    pub reth: Option<Reth>,
    pub atomic_eth: Option<AtomicEth>,
    pub aeth: Option<Aeth>,
    pub atomic_ack_eth: Option<AtomicAckEth>,
    /// Immediate data of a *with Immediate* opcode.
    pub immdt: Option<u32>,
    /// R_Key to invalidate, on SEND *with Invalidate*.
    pub ieth: Option<u32>,
}

fn read_if<T>(
    wanted: bool,
    r: &mut Reader,
    read: impl FnOnce(&mut Reader) -> Result<T>,
) -> Result<Option<T>> {
    if wanted {
        read(r).map(Some)
    } else {
        Ok(None)
    }
}

fn read_if_part<T: Wire>(wanted: bool, r: &mut Reader) -> Result<Option<T>> {
    read_if(wanted, r, |r| T::read(r, ()))
}

/// Read with the opcode whose table entry says which headers follow; none
/// for an opcode without an entry.
impl Wire<Opcode> for ExtHeaders {
    const NAME: &'static str = "extension headers";
    const LAYER: Layer = Layer::Rdma;

    // Inline: out of line, the headers were built on the stack and copied out.
    #[inline(always)]
    fn read(r: &mut Reader, opcode: Opcode) -> Result<Self> {
        let l = opcode.layout().unwrap_or_default();
        Ok(ExtHeaders {
            deth: read_if_part(l.deth, r)?,
            reth: read_if_part(l.reth, r)?,
            atomic_eth: read_if_part(l.atomic_eth, r)?,
            aeth: read_if_part(l.aeth, r)?,
            atomic_ack_eth: read_if_part(l.atomic_ack_eth, r)?,
            immdt: read_if(l.immdt, r, |r| r.be_u32("immdt"))?,
            ieth: read_if(l.ieth, r, |r| r.be_u32("ieth.rkey"))?,
        })
    }

    fn write(&self, out: &mut Vec<u8>, _: Opcode) {
        self.deth.iter().for_each(|h| h.emit(out));
        self.reth.iter().for_each(|h| h.emit(out));
        self.atomic_eth.iter().for_each(|h| h.emit(out));
        self.aeth.iter().for_each(|h| h.emit(out));
        self.atomic_ack_eth.iter().for_each(|h| h.emit(out));
        self.immdt.iter().for_each(|v| out.put_be_u32(*v));
        self.ieth.iter().for_each(|v| out.put_be_u32(*v));
    }

    fn wire_len(&self) -> usize {
        let sizes = [
            (self.deth.is_some(), 8),
            (self.reth.is_some(), 16),
            (self.atomic_eth.is_some(), 28),
            (self.aeth.is_some(), 4),
            (self.atomic_ack_eth.is_some(), 8),
            (self.immdt.is_some(), 4),
            (self.ieth.is_some(), 4),
        ];
        sizes.iter().filter(|(present, _)| *present).map(|(_, n)| n).sum()
    }
}

impl ExtHeaders {
    /// Which headers are present, as a [`Layout`].
    pub fn layout(&self) -> Layout {
        Layout {
            deth: self.deth.is_some(),
            reth: self.reth.is_some(),
            atomic_eth: self.atomic_eth.is_some(),
            aeth: self.aeth.is_some(),
            atomic_ack_eth: self.atomic_ack_eth.is_some(),
            immdt: self.immdt.is_some(),
            ieth: self.ieth.is_some(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::gen::roce::*;
    use crate::oracle::{check_canonical, check_prefixes_rejected};
    use crate::wire::Wire;
    use proptest::prelude::*;

    #[test]
    fn reth_vector() {
        // vaddr 0x0000_7f00_1234_5000, rkey 0x1a2b, DMA length 8192.
        let bytes = [
            0, 0, 0x7f, 0, 0x12, 0x34, 0x50, 0, 0, 0, 0x1a, 0x2b, 0, 0, 0x20, 0,
        ];
        let reth = check_canonical::<Reth>(&bytes);
        check_prefixes_rejected::<Reth>(&bytes);
        assert_eq!(
            (reth.vaddr, reth.rkey, reth.dma_length),
            (0x7f00_1234_5000, 0x1a2b, 8192)
        );
        let e = Reth::parse(&bytes[..13]).unwrap_err();
        assert_eq!((e.field, e.offset), ("reth.dma_length", 12));
    }

    #[test]
    fn deth_reserved_byte_is_dropped() {
        let deth = Deth::parse(&[0x80, 0, 0, 0x01, 0xee, 0, 0, 0x05]).unwrap();
        assert_eq!(
            deth,
            Deth {
                qkey: 0x8000_0001,
                src_qp: 5
            }
        );
        assert_eq!(deth.to_bytes(), [0x80, 0, 0, 0x01, 0, 0, 0, 0x05]);
    }

    proptest! {
        #[test]
        fn reth_round_trips(h in reth()) { prop_assert_eq!(Reth::parse(&h.to_bytes()), Ok(h)); }
        #[test]
        fn deth_round_trips(h in deth()) { prop_assert_eq!(Deth::parse(&h.to_bytes()), Ok(h)); }
        #[test]
        fn atomic_eth_round_trips(h in atomic_eth()) {
            prop_assert_eq!(AtomicEth::parse(&h.to_bytes()), Ok(h));
        }
        #[test]
        fn atomic_ack_eth_round_trips(h in atomic_ack_eth()) {
            prop_assert_eq!(AtomicAckEth::parse(&h.to_bytes()), Ok(h));
        }

        #[test]
        fn ext_headers_round_trip_for_every_opcode(
            (op, ext) in opcode_and_ext()
        ) {
            let mut out = Vec::new();
            ext.write(&mut out, op);
            prop_assert_eq!(out.len(), ext.wire_len());
            let mut r = Reader::new(crate::error::Layer::Rdma, "test", &out);
            prop_assert_eq!(ExtHeaders::read(&mut r, op), Ok(ext));
            prop_assert_eq!(r.remaining(), 0);
        }
    }
}
