//! A session's shape, as each end must play it.

use crate::session::Side;

/// Steps kept per session: past this, further bytes join the last step
/// (the byte count stays exact, the boundaries after it are lost).
pub const STEPS_KEPT: usize = 65_536;

/// Predecessors kept per session (the latest to end), so a hostile capture
/// of many overlapping sessions cannot grow the scripts quadratically.
pub const AFTER_KEPT: usize = 64;

/// One send: `bytes` from `from`, in capture order. The producer step of a
/// CDC message (SMC) or a TCP segment's payload after CLC (fallback).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Step {
    pub from: Side,
    pub bytes: u64,
    /// Nanoseconds from the session's SYN: the earliest the step is played.
    pub at_ns: u64,
    /// Bytes the peer had sent before this step in the capture: the sender
    /// waits until it has received them, so the order survives new timing.
    pub after_received: u64,
}

/// How one end closed, first as the capture shows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EndKind {
    /// Done writing (CDC PEER_DONE_WRITING, or a TCP FIN): shutdown(SHUT_WR),
    /// then read what the peer still sends, then close.
    Shutdown,
    /// Closed outright (CDC PEER_CONN_CLOSED).
    Close,
    /// Aborted (CDC PEER_CONN_ABORT, or a TCP RST): close with SO_LINGER 0.
    Reset,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct End {
    pub kind: EndKind,
    pub at_ns: u64,
    pub after_received: u64,
}

/// The CLC handshake was cut by a reset or FIN from `by`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Abort {
    pub by: Side,
    pub reset: bool,
}

/// One session to play again: the client's part runs on the side that
/// connects, the server's on the side that listens.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Script {
    pub session: u32,
    pub ipv6: bool,
    /// Per side (client, server): an SMC socket, or plain TCP where the
    /// capture shows that side's SYN or SYN-ACK without the SMC option.
    pub smc: [bool; 2],
    /// Nanoseconds from the first session's SYN to this one's.
    pub start_ns: u64,
    /// Sessions that had ended in the capture before this one began (those
    /// that ended after the last of them began: they waited for the
    /// others): it starts after them, so sequential connections stay
    /// sequential.
    pub after: Vec<u32>,
    pub steps: Vec<Step>,
    /// Per side, how it closed first (None: not within the capture).
    pub end: [Option<End>; 2],
    pub abort: Option<Abort>,
    /// False where the data cannot be on the wire (SMC-D: it moves through
    /// ISM memory): the script then moves no bytes.
    pub data_on_wire: bool,
}

impl Script {
    /// Bytes `from` sends in all.
    pub fn total(&self, from: Side) -> u64 {
        self.steps
            .iter()
            .filter(|s| s.from == from)
            .map(|s| s.bytes)
            .sum()
    }

    /// `side`'s steps, in order.
    pub fn steps_of(&self, side: Side) -> impl Iterator<Item = &Step> {
        self.steps.iter().filter(move |s| s.from == side)
    }
}
