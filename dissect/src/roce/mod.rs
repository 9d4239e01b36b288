//! RoCE, the InfiniBand transport carried over Ethernet: RoCEv2 as the
//! payload of UDP port 4791 (IBA Annex A17), RoCEv1 as ethertype 0x8915 with
//! a GRH (Annex A16). SMC-R sends LLC and CDC as RC SEND and data as RC RDMA
//! WRITE.
//!
//! Layers: [`Bth`], then the extension headers the opcode calls for
//! ([`ExtHeaders`]: [`Deth`], [`Reth`], [`AtomicEth`], [`Aeth`],
//! [`AtomicAckEth`], ImmDt, IETH), the payload, the pad bytes, the ICRC.
//! [`RoceV2`] and [`RoceV1`] are whole packets; [`parse_v2_captured`] and
//! [`parse_v1_captured`] take a frame as the capture holds it and report a
//! snaplen cut as [`Truncation`] rather than an error.

mod aeth;
mod bth;
mod capture;
mod ext;
mod grh;
pub mod icrc;
mod opcode;
mod packet;
#[cfg(test)]
mod tests;

pub use aeth::{AckType, Aeth, NakCode, Syndrome};
pub use bth::{Bth, BTH_LEN};
pub use capture::{
    parse_v1_captured, parse_v1_into, parse_v1_lax, parse_v2_captured, parse_v2_into, parse_v2_lax,
    CapturedRoce, IbSlice, RoceLayers, Truncation,
};
pub use ext::{AtomicAckEth, AtomicEth, Deth, ExtHeaders, Reth};
pub use grh::{Grh, GRH_LEN, NEXT_HEADER_IBA};
pub use opcode::{Layout, Opcode};
pub use packet::{IbPacket, RoceV1, RoceV2, ICRC_LEN};

/// UDP destination port of RoCEv2.
pub const ROCEV2_UDP_PORT: u16 = 4791;
/// Ethertype of RoCEv1.
pub const ROCEV1_ETHERTYPE: u16 = 0x8915;
