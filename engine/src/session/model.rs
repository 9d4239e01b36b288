//! What the engine knows about each SMC connection: the public, read-only
//! picture a printer or UI shows.

use crate::frame::Timestamp;
use crate::pipeline::reassembly::QpKey;
use crate::rules::Rule;
use arrayvec::{ArrayString, ArrayVec};
use dissect::clc::{ClcType, DeclineDiagnosis, Release};
use std::hash::{Hash, Hasher};
use std::net::{IpAddr, SocketAddr};

/// The two ends of an SMC connection: the client proposes, the server accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Side {
    Client,
    Server,
}

impl Side {
    pub fn index(self) -> usize {
        self as usize
    }
    pub fn peer(self) -> Side {
        match self {
            Side::Client => Side::Server,
            Side::Server => Side::Client,
        }
    }
    pub fn name(self) -> &'static str {
        match self {
            Side::Client => "client",
            Side::Server => "server",
        }
    }
}

/// How a connection ended up, as far as the capture shows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// The handshake did not finish within the capture.
    Pending,
    Smc(Negotiated),
    Fallback(Fallback),
}

impl Outcome {
    /// A short name: smc-r, smc-d, fallback, tcp (no option), aborted, pending.
    pub fn kind(&self) -> &'static str {
        match self {
            Outcome::Pending => "pending",
            Outcome::Smc(n) if n.smcd => "smc-d",
            Outcome::Smc(_) => "smc-r",
            Outcome::Fallback(Fallback::NoOption { .. }) => "tcp",
            Outcome::Fallback(Fallback::Declined { .. }) => "fallback",
            Outcome::Fallback(Fallback::Aborted { .. }) => "aborted",
        }
    }
}

/// An EID as text, kept inline (a session's picture is copied when it ends):
/// 32 bytes on the wire, each invalid one decoded as a 3-byte U+FFFD.
pub type EidText = ArrayString<{ 3 * 32 }>;

/// What the CLC handshake settled on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Negotiated {
    pub smcd: bool,
    pub version: u8,
    /// v2 with a First Contact Extension only.
    pub release: Option<Release>,
    /// The negotiated EID (v2), blanks trimmed.
    pub eid: Option<EidText>,
    pub max_conns: Option<u8>,
    pub max_links: Option<u8>,
    /// RMBE (SMC-R) or DMBE (SMC-D) bytes of the client and the server.
    pub buffer_size: [u32; 2],
    /// True: a new link group; false: an existing one is reused.
    pub first_contact: bool,
}

/// Why a connection did not use SMC.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Fallback {
    /// A SYN or SYN-ACK lacked the SMC option; `lacking` is who left it out.
    NoOption { lacking: Side },
    Declined {
        by: Side,
        version: u8,
        diagnosis: DeclineDiagnosis,
    },
    /// RST or FIN before the handshake finished; `after` is the last CLC
    /// message seen (None: during the TCP handshake).
    Aborted {
        by: Side,
        reset: bool,
        after: Option<ClcType>,
    },
}

/// One RMB (SMC-R) as its owner announced it in CLC.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RmbSeen {
    pub rkey: u32,
    pub dma_addr: u64,
    pub size: u32,
    /// The alert token CDC messages to this owner carry.
    pub alert_token: u32,
}

/// One end of an SMC-R link.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct QpEnd {
    pub ip: IpAddr,
    pub qpn: u32,
}

/// Every RoCE event looks its receiver up: hashed as the pipeline's QP key
/// (an IPv4 end as one word).
impl Hash for QpEnd {
    fn hash<H: Hasher>(&self, state: &mut H) {
        QpKey {
            dst: self.ip,
            qp: self.qpn,
        }
        .hash(state)
    }
}

/// SMC-R specifics of a connection.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SmcrSeen {
    pub link_group: Option<u32>,
    /// The QP each side named in CLC (the link the connection started on).
    pub qp: [Option<QpEnd>; 2],
    pub rmb: [Option<RmbSeen>; 2],
    /// CDC messages sent by each side.
    pub cdc: [u64; 2],
}

/// SMC-D specifics of a connection (only CLC shows on a wire).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct SmcdSeen {
    pub gid: [u64; 2],
    pub dmb_token: [u64; 2],
    pub link_id: u32,
    pub chid: Option<u16>,
}

/// CLC messages kept per session for the summary.
pub const CLC_KEPT: usize = 16;

/// One SMC connection: TCP connection, CLC handshake, what it moved.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Session {
    pub id: u32,
    pub client: SocketAddr,
    pub server: SocketAddr,
    pub first_frame: u64,
    pub start: Timestamp,
    pub syn_option: Option<bool>,
    pub synack_option: Option<bool>,
    /// CLC messages in order: frame, sender, type (the first CLC_KEPT, kept
    /// inline: a session's picture is copied when it ends).
    pub clc: ArrayVec<(u64, Side, ClcType), CLC_KEPT>,
    pub outcome: Outcome,
    /// From the SYN to the SYN-ACK (both captured).
    pub tcp_handshake_micros: Option<u64>,
    /// From the Proposal to the Confirm or Decline that settled the CLC
    /// handshake (both captured).
    pub handshake_micros: Option<u64>,
    /// TCP payload after CLC, per sender (client, server).
    pub tcp_bytes: [u64; 2],
    /// RDMA WRITE payload into the peer's RMB, per sender.
    pub rdma_bytes: [u64; 2],
    pub reset: bool,
    pub smcr: Option<SmcrSeen>,
    pub smcd: Option<SmcdSeen>,
    pub findings: u32,
}

/// A rule violation with the frames that show it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    pub rule: &'static Rule,
    pub frames: Vec<u64>,
    pub time: Timestamp,
    pub session: Option<u32>,
    pub link_group: Option<u32>,
    /// The values involved, in the protocol's words.
    pub detail: String,
}

/// Where an event belongs, as the engine found it: what [`super::Analyzer::event`]
/// returns for an event of a connection or link it knows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Attribution {
    /// The SMC connection: TCP of its connection, CDC to its alert token,
    /// RDMA WRITEs into its RMB (None for LLC, which is the link group's).
    pub session: Option<u32>,
    pub link_group: Option<u32>,
    /// Who sent the event's message.
    pub sender: Side,
}

/// What the engine reports as it goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Update {
    /// The session with this id was created or its outcome changed.
    Session(u32),
    /// The session is over (its connection closed, it went idle, or the
    /// capture ended): its picture, once. The engine keeps it until it has
    /// been idle a while, so a late message still counts and may still
    /// raise findings (after this update).
    SessionEnded(Box<Session>),
    Finding(Finding),
}
