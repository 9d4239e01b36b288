//! Link layers a capture file may start frames with, and their headers.
//! Ethernet, VLAN and SLL headers are read by etherparse; SLL2 has no
//! etherparse support, so its 20 fixed bytes are read with [`Reader`].

use crate::error::Layer;
use crate::named_values;
use crate::wire::Reader;
use etherparse::{Ethernet2HeaderSlice, LinuxSllHeaderSlice, LinuxSllProtocolType, SingleVlanHeaderSlice};

named_values! {
    /// The link type of a capture (libpcap DLT values, as `pcap_datalink` reports them).
    pub struct LinkType(u32) {
        ETHERNET = 1 => "EN10MB",
        RAW = 12 => "RAW",
        RAW_OPENBSD = 14 => "RAW",
        RAW_LINKTYPE = 101 => "RAW",
        LINUX_SLL = 113 => "LINUX_SLL",
        IPV4 = 228 => "IPV4",
        IPV6 = 229 => "IPV6",
        INFINIBAND = 247 => "INFINIBAND",
        LINUX_SLL2 = 276 => "LINUX_SLL2",
    }
}

impl LinkType {
    /// Whether frames of this link type are decoded: exactly the named ones.
    pub fn is_decoded(self) -> bool {
        self.name().is_some()
    }
}

/// The link types decoded, in words, for a message about one that is not.
pub const DECODED: &str = "Ethernet, Linux cooked (SLL, SLL2), raw IP and InfiniBand";

/// Ethertypes the decoder follows.
pub mod ether_type {
    pub const IPV4: u16 = 0x0800;
    pub const IPV6: u16 = 0x86dd;
    pub const ROCE_V1: u16 = 0x8915;
    /// 802.1Q, 802.1ad and the old QinQ value: each pushes a 4-byte tag.
    pub const VLAN: [u16; 3] = [0x8100, 0x88a8, 0x9100];
}

/// The link header of a frame.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Link {
    Ethernet {
        src: [u8; 6],
        dst: [u8; 6],
    },
    /// Linux cooked capture v1; `packet_type` says incoming (0) or outgoing (4).
    LinuxSll {
        packet_type: u16,
    },
    LinuxSll2 {
        packet_type: u8,
        if_index: u32,
    },
    /// No link header: the frame starts with the IP header.
    Raw,
    /// An InfiniBand Local Route Header (libpcap's INFINIBAND link type).
    Infiniband {
        slid: u16,
        dlid: u16,
    },
}

impl Link {
    pub fn name(&self) -> &'static str {
        match self {
            Link::Ethernet { .. } => "ethernet",
            Link::LinuxSll { .. } => "sll",
            Link::LinuxSll2 { .. } => "sll2",
            Link::Raw => "raw",
            Link::Infiniband { .. } => "infiniband",
        }
    }
}

/// What the link header says follows it.
pub(super) enum Next {
    EtherType(u16),
    /// Raw IP: the version nibble decides.
    Ip,
    /// A protocol that is not an ethertype (SLL netlink, CAN...).
    NotEther,
    /// An InfiniBand packet routed by LIDs only (no GRH): no GIDs to tie
    /// it to an SMC-R link, which Linux sets up by GID.
    IbLocal,
}

/// A link header: what it is, its length, and what follows.
pub(super) struct LinkHeader {
    pub link: Link,
    pub len: usize,
    pub next: Next,
    /// Bytes at the end of the frame that belong to the link (InfiniBand's VCRC).
    pub trailer: usize,
}

/// Why a link header could not be read.
pub(super) enum LinkError {
    Unsupported(LinkType),
    Bad(String),
}

pub(super) fn parse(link: LinkType, frame: &[u8]) -> Result<LinkHeader, LinkError> {
    let bad = |e: &dyn core::fmt::Display| LinkError::Bad(e.to_string());
    match link {
        LinkType::ETHERNET => {
            let eth = Ethernet2HeaderSlice::from_slice(frame).map_err(|e| bad(&e))?;
            // The 14-byte header's addresses as two 6-byte copies (etherparse's
            // accessors read them byte by byte, on every frame).
            let header = eth.slice();
            let mac = |at: usize| {
                header
                    .get(at..at + 6)
                    .and_then(|b| b.try_into().ok())
                    .unwrap_or_default()
            };
            Ok(LinkHeader {
                link: Link::Ethernet {
                    src: mac(6),
                    dst: mac(0),
                },
                len: eth.slice().len(),
                next: Next::EtherType(eth.ether_type().0),
                trailer: 0,
            })
        }
        LinkType::LINUX_SLL => {
            let sll = LinuxSllHeaderSlice::from_slice(frame).map_err(|e| bad(&e))?;
            let next = match sll.protocol_type() {
                LinuxSllProtocolType::EtherType(t) => Next::EtherType(t.0),
                _ => Next::NotEther,
            };
            Ok(LinkHeader {
                link: Link::LinuxSll {
                    packet_type: u16::from(sll.packet_type()),
                },
                len: sll.slice().len(),
                next,
                trailer: 0,
            })
        }
        LinkType::LINUX_SLL2 => parse_sll2(frame).map_err(|e| bad(&e)),
        LinkType::INFINIBAND => parse_lrh(frame).map_err(|e| bad(&e)),
        LinkType::RAW | LinkType::RAW_OPENBSD | LinkType::RAW_LINKTYPE | LinkType::IPV4 | LinkType::IPV6 => {
            Ok(LinkHeader {
                link: Link::Raw,
                len: 0,
                next: Next::Ip,
                trailer: 0,
            })
        }
        other => Err(LinkError::Unsupported(other)),
    }
}

/// SLL2: protocol(2) reserved(2) if_index(4) hatype(2) packet type(1) addr len(1) addr(8).
fn parse_sll2(frame: &[u8]) -> crate::Result<LinkHeader> {
    let mut r = Reader::new(Layer::Frame, "SLL2 header", frame);
    let protocol = r.be_u16("protocol")?;
    r.skip(2, "reserved")?;
    let if_index = r.be_u32("if_index")?;
    r.skip(2, "hatype")?;
    let packet_type = r.u8("packet_type")?;
    r.skip(9, "address")?;
    Ok(LinkHeader {
        link: Link::LinuxSll2 {
            packet_type,
            if_index,
        },
        len: r.offset(),
        next: Next::EtherType(protocol),
        trailer: 0,
    })
}

/// LRH: VL/LVer(1) SL/LNH(1) DLID(2) PktLen(2) SLID(2); LNH 3 says a GRH
/// follows, which makes the rest a RoCEv1 packet but for the 2-byte VCRC.
fn parse_lrh(frame: &[u8]) -> crate::Result<LinkHeader> {
    let mut r = Reader::new(Layer::Frame, "InfiniBand LRH", frame);
    r.skip(1, "vl_lver")?;
    let lnh = r.u8("sl_lnh")? & 0x3;
    let dlid = r.be_u16("dlid")?;
    r.skip(2, "pkt_len")?;
    let slid = r.be_u16("slid")?;
    Ok(LinkHeader {
        link: Link::Infiniband { slid, dlid },
        len: r.offset(),
        next: if lnh == 3 {
            Next::EtherType(ether_type::ROCE_V1)
        } else {
            Next::IbLocal
        },
        trailer: 2,
    })
}

/// One VLAN tag: its id and the ethertype after it.
pub(super) fn parse_vlan(bytes: &[u8]) -> Result<(u16, u16), String> {
    let tag = SingleVlanHeaderSlice::from_slice(bytes).map_err(|e| e.to_string())?;
    Ok((tag.vlan_identifier().value(), tag.ether_type().0))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_decoded_link_types_are_those_parse_knows() {
        for t in (0..300).map(LinkType) {
            let unsupported = matches!(parse(t, &[0; 64]), Err(LinkError::Unsupported(_)));
            assert_eq!(t.is_decoded(), !unsupported, "{t:?}");
        }
    }
}
