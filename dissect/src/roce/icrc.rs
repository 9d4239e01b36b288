//! The invariant CRC (IBA 7.8.1, Annex A16/A17): CRC-32 (the Ethernet
//! polynomial, reflected, init and final XOR all ones) over 8 bytes of ones
//! standing in for the LRH, then the network header, UDP header (RoCEv2),
//! BTH, extension headers, payload and pad, with the fields routers change
//! set to ones: IPv4 ToS, TTL and header checksum; IPv6/GRH traffic class,
//! flow label and hop limit; UDP checksum; BTH byte 4 (resv8a, which holds
//! FECN/BECN in RoCEv2).
//!
//! Values here use the crate's ICRC convention: the four wire bytes read
//! big-endian, as Wireshark shows them (the CRC's little-endian bytes are
//! what goes on the wire).

use super::bth::BTH_LEN;
use super::grh::GRH_LEN;
use crate::error::{ErrorKind, Layer, Reason, Result};
use crate::wire::Reader;

const NAME: &str = "ICRC";
const UDP_LEN: usize = 8;

/// Bytes set to ones (OR-ed with the mask) before the CRC sees them.
type Mask = [(usize, u8)];
const IPV4_MASK: &Mask = &[(1, 0xff), (8, 0xff), (10, 0xff), (11, 0xff)];
/// IPv6 header and GRH share this layout.
const IPV6_MASK: &Mask = &[(0, 0x0f), (1, 0xff), (2, 0xff), (3, 0xff), (7, 0xff)];
const UDP_MASK: &Mask = &[(6, 0xff), (7, 0xff)];
const BTH_MASK: &Mask = &[(4, 0xff)];

const fn crc_table() -> [u32; 256] {
    let mut table = [0u32; 256];
    let mut i = 0;
    while i < 256 {
        let mut c = i as u32;
        let mut k = 0;
        while k < 8 {
            c = if c & 1 != 0 {
                0xedb8_8320 ^ (c >> 1)
            } else {
                c >> 1
            };
            k += 1;
        }
        table[i] = c;
        i += 1;
    }
    table
}

static TABLE: [u32; 256] = crc_table();

struct Crc(u32);

impl Crc {
    fn new() -> Self {
        Crc(!0)
    }

    fn byte(&mut self, b: u8) {
        self.0 = TABLE[usize::from((self.0 as u8) ^ b)] ^ (self.0 >> 8);
    }

    fn update(&mut self, bytes: &[u8]) {
        bytes.iter().for_each(|&b| self.byte(b));
    }

    fn update_masked(&mut self, bytes: &[u8], mask: &Mask) {
        for (i, &b) in bytes.iter().enumerate() {
            let ones = mask.iter().find(|(at, _)| *at == i).map_or(0, |&(_, m)| m);
            self.byte(b | ones);
        }
    }

    /// The ICRC in the crate's convention (wire bytes read big-endian).
    fn finish(self) -> u32 {
        (!self.0).swap_bytes()
    }
}

/// CRC over a network header, an optional UDP header and the transport part
/// (BTH through pad, ICRC excluded).
fn over(net: &[u8], net_mask: &Mask, udp: &[u8], transport: &[u8]) -> u32 {
    let mut crc = Crc::new();
    crc.update(&[0xff; 8]);
    crc.update_masked(net, net_mask);
    crc.update_masked(udp, UDP_MASK);
    let (bth, rest) = transport.split_at(transport.len().min(BTH_LEN));
    crc.update_masked(bth, BTH_MASK);
    crc.update(rest);
    crc.finish()
}

/// ICRC of a whole RoCEv1 packet (GRH through ICRC) that emit produced.
pub(crate) fn over_v1(packet: &[u8]) -> u32 {
    let (grh, rest) = packet.split_at(packet.len().min(GRH_LEN));
    let (transport, _icrc) = rest.split_at(rest.len().saturating_sub(4));
    over(grh, IPV6_MASK, &[], transport)
}

/// The transport part and the ICRC carried, checking there is a BTH.
fn split_transport<'a>(r: &mut Reader<'a>) -> Result<(&'a [u8], u32)> {
    let transport_len = r.remaining().saturating_sub(4).max(BTH_LEN);
    let transport = r.bytes(transport_len, "bth")?;
    Ok((transport, r.be_u32("icrc")?))
}

/// Computed and carried ICRC of the UDP datagram of a RoCEv2 packet (UDP
/// header through ICRC), sent inside `ip_header` (IPv4 or IPv6, as on the wire).
fn v2(ip_header: &[u8], udp_datagram: &[u8]) -> Result<(u32, u32)> {
    let ip = Reader::new(Layer::Rdma, NAME, ip_header);
    let (mask, min_len) = match ip_header.first().map(|b| b >> 4) {
        Some(4) => (IPV4_MASK, 20),
        Some(6) => (IPV6_MASK, 40),
        Some(v) => return Err(ip.invalid("ip.version", 0, v.into(), Reason::RoceIpVersion)),
        None => {
            return Err(ip.error(
                "ip.version",
                ErrorKind::Truncated {
                    needed: 1,
                    available: 0,
                },
            ))
        }
    };
    if ip_header.len() < min_len {
        let kind = ErrorKind::Truncated {
            needed: min_len,
            available: ip_header.len(),
        };
        return Err(ip.error("ip.header", kind));
    }
    let mut r = Reader::new(Layer::Rdma, NAME, udp_datagram);
    let udp = r.bytes(UDP_LEN, "udp.header")?;
    let (transport, carried) = split_transport(&mut r)?;
    Ok((over(ip_header, mask, udp, transport), carried))
}

/// The ICRC a RoCEv2 datagram should carry. `udp_datagram` runs from the
/// UDP header through the ICRC (whose value is ignored).
pub fn compute_v2(ip_header: &[u8], udp_datagram: &[u8]) -> Result<u32> {
    v2(ip_header, udp_datagram).map(|(computed, _)| computed)
}

/// Whether a RoCEv2 datagram carries the right ICRC.
pub fn verify_v2(ip_header: &[u8], udp_datagram: &[u8]) -> Result<bool> {
    v2(ip_header, udp_datagram).map(|(computed, carried)| computed == carried)
}

fn v1(packet: &[u8]) -> Result<(u32, u32)> {
    let mut r = Reader::new(Layer::Rdma, NAME, packet);
    let grh = r.bytes(GRH_LEN, "grh")?;
    let (transport, carried) = split_transport(&mut r)?;
    Ok((over(grh, IPV6_MASK, &[], transport), carried))
}

/// The ICRC a RoCEv1 packet (GRH through ICRC) should carry.
pub fn compute_v1(packet: &[u8]) -> Result<u32> {
    v1(packet).map(|(computed, _)| computed)
}

/// Whether a RoCEv1 packet carries the right ICRC.
pub fn verify_v1(packet: &[u8]) -> Result<bool> {
    v1(packet).map(|(computed, carried)| computed == carried)
}
