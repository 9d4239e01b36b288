//! Link-layer decode of captured frames, sans-IO and without state between
//! frames: Ethernet (with VLAN tags), Linux cooked SLL/SLL2, raw IP and
//! InfiniBand down to the TCP segment or RoCE packet a frame carries.
//! Reassembly across frames is the engine's (`engine::pipeline::reassembly`).

mod frame;
mod link;

pub use frame::{decode, decode_into, Carried, DecodeError, Ip, Layers, Span, TcpSegment, ROCE_V2_PORT};
pub use link::{Link, LinkType, DECODED};
