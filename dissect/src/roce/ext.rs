//! The extension transport headers that may follow the BTH (IBA 9.3), and
//! [`ExtHeaders`], the set the opcode table selects for one packet.

use super::aeth::Aeth;
use super::opcode::{Layout, Opcode};
use crate::error::Result;
use crate::wire::{Put, Reader};

/// RDMA ETH: the target of an RDMA WRITE First/Only or READ Request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Reth {
    pub vaddr: u64,
    pub rkey: u32,
    /// Length of the whole RDMA operation, not of this packet.
    pub dma_length: u32,
}

impl Reth {
    pub(crate) fn read(r: &mut Reader) -> Result<Self> {
        Ok(Reth {
            vaddr: r.be_u64("reth.vaddr")?,
            rkey: r.be_u32("reth.rkey")?,
            dma_length: r.be_u32("reth.dma_length")?,
        })
    }

    pub(crate) fn write(&self, out: &mut Vec<u8>) {
        out.put_be_u64(self.vaddr);
        out.put_be_u32(self.rkey);
        out.put_be_u32(self.dma_length);
    }
}

super::fixed_wire!(Reth, "RETH", 16);

/// Datagram ETH (UD): Q_Key and source QP (24 bits after a reserved byte).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Deth {
    pub qkey: u32,
    pub src_qp: u32,
}

impl Deth {
    pub(crate) fn read(r: &mut Reader) -> Result<Self> {
        let qkey = r.be_u32("deth.qkey")?;
        r.skip(1, "deth.reserved")?;
        Ok(Deth {
            qkey,
            src_qp: r.be_u24("deth.src_qp")?,
        })
    }

    pub(crate) fn write(&self, out: &mut Vec<u8>) {
        out.put_be_u32(self.qkey);
        out.put_zeros(1);
        out.put_be_u24(self.src_qp & 0x00ff_ffff);
    }
}

super::fixed_wire!(Deth, "DETH", 8);

/// Atomic ETH: target and operands of CmpSwap / FetchAdd.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct AtomicEth {
    pub vaddr: u64,
    pub rkey: u32,
    pub swap_add: u64,
    pub compare: u64,
}

impl AtomicEth {
    pub(crate) fn read(r: &mut Reader) -> Result<Self> {
        Ok(AtomicEth {
            vaddr: r.be_u64("atomic_eth.vaddr")?,
            rkey: r.be_u32("atomic_eth.rkey")?,
            swap_add: r.be_u64("atomic_eth.swap_add")?,
            compare: r.be_u64("atomic_eth.compare")?,
        })
    }

    pub(crate) fn write(&self, out: &mut Vec<u8>) {
        out.put_be_u64(self.vaddr);
        out.put_be_u32(self.rkey);
        out.put_be_u64(self.swap_add);
        out.put_be_u64(self.compare);
    }
}

super::fixed_wire!(AtomicEth, "AtomicETH", 28);

/// Atomic Acknowledge ETH: the value the target held before the atomic.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct AtomicAckEth {
    pub orig_data: u64,
}

impl AtomicAckEth {
    pub(crate) fn read(r: &mut Reader) -> Result<Self> {
        Ok(AtomicAckEth {
            orig_data: r.be_u64("atomic_ack_eth.orig_data")?,
        })
    }

    pub(crate) fn write(&self, out: &mut Vec<u8>) {
        out.put_be_u64(self.orig_data);
    }
}

super::fixed_wire!(AtomicAckEth, "AtomicAckETH", 8);

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

impl ExtHeaders {
    /// Read the headers `opcode` calls for; none for an opcode without a table entry.
    pub(crate) fn read(r: &mut Reader, opcode: Opcode) -> Result<Self> {
        let l = opcode.layout().unwrap_or_default();
        Ok(ExtHeaders {
            deth: read_if(l.deth, r, Deth::read)?,
            reth: read_if(l.reth, r, Reth::read)?,
            atomic_eth: read_if(l.atomic_eth, r, AtomicEth::read)?,
            aeth: read_if(l.aeth, r, Aeth::read)?,
            atomic_ack_eth: read_if(l.atomic_ack_eth, r, AtomicAckEth::read)?,
            immdt: read_if(l.immdt, r, |r| r.be_u32("immdt"))?,
            ieth: read_if(l.ieth, r, |r| r.be_u32("ieth.rkey"))?,
        })
    }

    pub(crate) fn write(&self, out: &mut Vec<u8>) {
        self.deth.iter().for_each(|h| h.write(out));
        self.reth.iter().for_each(|h| h.write(out));
        self.atomic_eth.iter().for_each(|h| h.write(out));
        self.aeth.iter().for_each(|h| h.write(out));
        self.atomic_ack_eth.iter().for_each(|h| h.write(out));
        self.immdt.iter().for_each(|v| out.put_be_u32(*v));
        self.ieth.iter().for_each(|v| out.put_be_u32(*v));
    }

    pub fn wire_len(&self) -> usize {
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
pub(crate) mod tests {
    use super::*;
    use crate::oracle::{check_canonical, check_prefixes_rejected};
    use crate::roce::aeth::Syndrome;
    use crate::wire::Wire;
    use proptest::prelude::*;

    fn any_reth() -> impl Strategy<Value = Reth> {
        any::<(u64, u32, u32)>().prop_map(|(vaddr, rkey, dma_length)| Reth {
            vaddr,
            rkey,
            dma_length,
        })
    }
    fn any_deth() -> impl Strategy<Value = Deth> {
        (any::<u32>(), 0u32..0x0100_0000).prop_map(|(qkey, src_qp)| Deth { qkey, src_qp })
    }
    fn any_atomic_eth() -> impl Strategy<Value = AtomicEth> {
        any::<(u64, u32, u64, u64)>().prop_map(|(vaddr, rkey, swap_add, compare)| AtomicEth {
            vaddr,
            rkey,
            swap_add,
            compare,
        })
    }
    fn any_aeth() -> impl Strategy<Value = Aeth> {
        (any::<u8>(), 0u32..0x0100_0000).prop_map(|(s, msn)| Aeth {
            syndrome: Syndrome(s),
            msn,
        })
    }

    fn maybe<T: core::fmt::Debug + Clone + 'static>(
        on: bool,
        s: impl Strategy<Value = T> + 'static,
    ) -> BoxedStrategy<Option<T>> {
        if on {
            s.prop_map(Some).boxed()
        } else {
            Just(None).boxed()
        }
    }

    /// Headers for `layout`, with random contents.
    pub(crate) fn ext_for(layout: Layout) -> impl Strategy<Value = ExtHeaders> {
        (
            maybe(layout.deth, any_deth()),
            maybe(layout.reth, any_reth()),
            maybe(layout.atomic_eth, any_atomic_eth()),
            maybe(layout.aeth, any_aeth()),
            maybe(
                layout.atomic_ack_eth,
                any::<u64>().prop_map(|orig_data| AtomicAckEth { orig_data }),
            ),
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
        fn reth_round_trips(h in any_reth()) { prop_assert_eq!(Reth::parse(&h.to_bytes()), Ok(h)); }
        #[test]
        fn deth_round_trips(h in any_deth()) { prop_assert_eq!(Deth::parse(&h.to_bytes()), Ok(h)); }
        #[test]
        fn atomic_eth_round_trips(h in any_atomic_eth()) {
            prop_assert_eq!(AtomicEth::parse(&h.to_bytes()), Ok(h));
        }
        #[test]
        fn atomic_ack_eth_round_trips(orig_data in any::<u64>()) {
            let h = AtomicAckEth { orig_data };
            prop_assert_eq!(AtomicAckEth::parse(&h.to_bytes()), Ok(h));
        }

        #[test]
        fn ext_headers_round_trip_for_every_opcode(
            (op, ext) in proptest::sample::select(Opcode::KNOWN)
                .prop_flat_map(|op| (Just(op), ext_for(op.layout().unwrap_or_default())))
        ) {
            let mut out = Vec::new();
            ext.write(&mut out);
            prop_assert_eq!(out.len(), ext.wire_len());
            let mut r = Reader::new(crate::error::Layer::Rdma, "test", &out);
            prop_assert_eq!(ExtHeaders::read(&mut r, op), Ok(ext));
            prop_assert_eq!(r.remaining(), 0);
        }
    }
}
