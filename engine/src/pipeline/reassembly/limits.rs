//! Memory caps for reassembly and the counters of what they dropped.

/// Caps on buffered bytes. Defaults suit a large capture file on a laptop.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Out-of-order bytes one TCP direction may hold while it waits for a gap.
    pub stream_pending: usize,
    /// All buffered bytes across every stream and QP.
    pub total: usize,
    /// TCP connections tracked at once; new ones beyond it are ignored.
    pub connections: usize,
    /// Bytes a direction scans for a CLC eyecatcher when the capture missed
    /// the handshake; CLC only ever opens a connection.
    pub clc_scan: usize,
    /// Largest SEND message reassembled from First/Middle/Last (LLC v2 is at most 8192).
    pub send_message: usize,
    /// QPs tracked at once.
    pub qps: usize,
    /// Capture seconds without a packet after which a TCP connection or QP
    /// is let go (what waited in it is delivered as at the end of input).
    /// SMC-R's TEST_LINK keeps a quiet link busy every 30 s by default.
    pub idle_secs: u32,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            stream_pending: 256 * 1024,
            total: 64 * 1024 * 1024,
            connections: 65_536,
            clc_scan: 64 * 1024,
            send_message: 16 * 1024,
            qps: 65_536,
            idle_secs: 120,
        }
    }
}

/// What was dropped or skipped, by cause. Every byte reassembly does not
/// deliver lands in one of these.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Drops {
    /// Out-of-order bytes dropped because a stream's or the total cap was reached.
    pub pending_bytes: u64,
    /// Bytes never seen: gaps given up on (capture loss or a cap).
    pub gap_bytes: u64,
    /// Bytes of retransmitted or overlapping segments already delivered.
    pub duplicate_bytes: u64,
    /// Segments of connections beyond [`Limits::connections`].
    pub untracked_segments: u64,
    /// RoCE packets of QPs beyond [`Limits::qps`].
    pub untracked_packets: u64,
    /// SEND fragments dropped: no First before them, a PSN gap, or a message over the caps.
    pub send_fragments: u64,
    /// RoCE requests with a PSN already seen (retransmissions).
    pub duplicate_packets: u64,
}

/// State let go of, so memory stays flat on a long capture.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Pruned {
    /// TCP connections closed in both directions (FIN each way, or RST).
    pub closed_connections: u64,
    /// TCP connections without a segment for [`Limits::idle_secs`].
    pub idle_connections: u64,
    /// QPs without a packet for [`Limits::idle_secs`].
    pub idle_qps: u64,
}

/// The shared budget behind [`Limits::total`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Budget {
    left: usize,
}

impl Budget {
    pub fn new(total: usize) -> Self {
        Budget { left: total }
    }

    /// Reserve `n` bytes; false when they do not fit.
    pub fn take(&mut self, n: usize) -> bool {
        match self.left.checked_sub(n) {
            Some(left) => {
                self.left = left;
                true
            }
            None => false,
        }
    }

    pub fn has(&self, n: usize) -> bool {
        n <= self.left
    }

    pub fn left(&self) -> usize {
        self.left
    }

    pub fn give(&mut self, n: usize) {
        self.left += n;
    }
}

/// The caps, budget and counters every stream and QP draws on, and the
/// capture time (seconds) of the packet at hand.
pub(crate) struct Ctx<'l> {
    pub limits: &'l Limits,
    pub budget: &'l mut Budget,
    pub drops: &'l mut Drops,
    pub pruned: &'l mut Pruned,
    pub now: i64,
}
