//! Whole RoCE packets: [`IbPacket`] (BTH through pad), [`RoceV2`] (the UDP
//! payload) and [`RoceV1`] (GRH onwards), each ending in the ICRC.

use super::bth::Bth;
use super::capture::{read_grh, read_transport, RoceLayers};
use super::ext::ExtHeaders;
use super::grh::Grh;
use super::icrc;
use crate::error::{Layer, Result};
use crate::wire::{Put, Reader, Wire};

pub const ICRC_LEN: usize = 4;

/// The transport part of a packet: BTH, extension headers, payload. The
/// `bth.pad_count` pad bytes after the payload are written as zero.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct IbPacket {
    pub bth: Bth,
    pub ext: ExtHeaders,
    pub payload: Vec<u8>,
}

/// Read from a reader that ends with the packet's ICRC, which is left unread.
impl Wire for IbPacket {
    const NAME: &'static str = "IB transport";
    const LAYER: Layer = Layer::Rdma;

    fn read(r: &mut Reader, _: ()) -> Result<Self> {
        let mut layers = RoceLayers::default();
        let bth = read_transport(r, r.offset() + r.remaining(), &mut layers)?;
        r.skip(bth.pad_count.into(), "pad")?;
        Ok(IbPacket {
            bth,
            ext: layers.ext,
            payload: layers.payload.to_vec(),
        })
    }

    fn write(&self, out: &mut Vec<u8>, _: ()) {
        self.bth.emit(out);
        self.ext.write(out, self.bth.opcode);
        out.put_bytes(&self.payload);
        out.put_zeros((self.bth.pad_count & 3).into());
    }

    fn wire_len(&self) -> usize {
        super::BTH_LEN + self.ext.wire_len() + self.payload.len() + usize::from(self.bth.pad_count & 3)
    }
}

/// The ICRC, the packet's last field.
fn read_icrc(r: &mut Reader) -> Result<u32> {
    let icrc = r.be_u32("icrc")?;
    r.finish("icrc")?;
    Ok(icrc)
}

/// A RoCEv2 packet: the payload of a UDP datagram to port 4791.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct RoceV2 {
    pub ib: IbPacket,
    /// The ICRC as the four wire bytes read big-endian, the way Wireshark
    /// and Scapy show it. Emit writes the value kept, so a re-emitted capture
    /// keeps its ICRC; after editing a packet, set it from `compute_icrc`.
    pub icrc: u32,
}

impl RoceV2 {
    /// The ICRC this packet should carry inside the given IP header and an
    /// 8-byte UDP header (ports and length count, the checksum does not).
    pub fn compute_icrc(&self, ip_header: &[u8], udp_header: &[u8; 8]) -> Result<u32> {
        let mut datagram = udp_header.to_vec();
        self.emit(&mut datagram);
        icrc::compute_v2(ip_header, &datagram)
    }
}

impl Wire for RoceV2 {
    const NAME: &'static str = "RoCEv2 packet";
    const LAYER: Layer = Layer::Rdma;
    const WHOLE: bool = true;

    fn read(r: &mut Reader, _: ()) -> Result<Self> {
        let ib = IbPacket::read(r, ())?;
        Ok(RoceV2 {
            ib,
            icrc: read_icrc(r)?,
        })
    }

    fn write(&self, out: &mut Vec<u8>, _: ()) {
        self.ib.emit(out);
        out.put_be_u32(self.icrc);
    }

    fn wire_len(&self) -> usize {
        self.ib.wire_len() + ICRC_LEN
    }
}

/// A RoCEv1 packet: the payload of an Ethernet frame of type 0x8915.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct RoceV1 {
    /// `grh.pay_len` must equal the length after the GRH, ICRC included.
    pub grh: Grh,
    pub ib: IbPacket,
    /// As in [`RoceV2::icrc`].
    pub icrc: u32,
}

impl RoceV1 {
    /// The ICRC this packet should carry (the GRH is inside the packet).
    pub fn compute_icrc(&self) -> u32 {
        icrc::over_v1(&self.to_bytes())
    }
}

impl Wire for RoceV1 {
    const NAME: &'static str = "RoCEv1 packet";
    const LAYER: Layer = Layer::Rdma;
    const WHOLE: bool = true;

    fn read(r: &mut Reader, _: ()) -> Result<Self> {
        let grh = read_grh(r, r.offset() + r.remaining(), &mut RoceLayers::default())?;
        let ib = IbPacket::read(r, ())?;
        Ok(RoceV1 {
            grh,
            ib,
            icrc: read_icrc(r)?,
        })
    }

    fn write(&self, out: &mut Vec<u8>, _: ()) {
        self.grh.emit(out);
        self.ib.emit(out);
        out.put_be_u32(self.icrc);
    }

    fn wire_len(&self) -> usize {
        super::GRH_LEN + self.ib.wire_len() + ICRC_LEN
    }
}
