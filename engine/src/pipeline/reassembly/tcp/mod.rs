//! TCP connections: both directions reassembled and framed into CLC
//! messages, with the SMC option of the SYN and SYN-ACK noted.

#[cfg(test)]
mod tests;

use super::clc_framer::{ClcEnd, ClcFramer, Framed};
use super::limits::Ctx;
use super::stream::HalfStream;
use dissect::capture::{Ip, TcpSegment};
// Seeded per run, so a crafted capture cannot aim for collisions, and much
// cheaper than SipHash on every segment.
use foldhash::fast::RandomState;
use std::collections::HashMap;
use std::hash::{Hash, Hasher};
use std::net::{IpAddr, SocketAddr};

/// Sender and receiver of a segment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Flow {
    pub src: SocketAddr,
    pub dst: SocketAddr,
}

impl Flow {
    /// The connection's key, the same both ways, and which way this flow goes
    /// (0 from the lower end).
    #[inline]
    pub fn key(self) -> (ConnKey, usize) {
        if self.src <= self.dst {
            (ConnKey(self.src, self.dst), 0)
        } else {
            (ConnKey(self.dst, self.src), 1)
        }
    }
}

/// A TCP connection's two ends, lower first.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ConnKey(pub SocketAddr, pub SocketAddr);

impl Hash for ConnKey {
    // Addresses and ports as three words: std's SocketAddr feeds the hasher
    // part by part, which cost more than the table lookup itself.
    fn hash<H: Hasher>(&self, h: &mut H) {
        let bits = |a: SocketAddr| match a.ip() {
            IpAddr::V4(v4) => u128::from(v4.to_bits()),
            IpAddr::V6(v6) => v6.to_bits(),
        };
        h.write_u128(bits(self.0));
        h.write_u128(bits(self.1));
        h.write_u32(u32::from(self.0.port()) << 16 | u32::from(self.1.port()));
    }
}

/// One end of a connection as the table keys it: family, address and port as
/// integers, ordered as `SocketAddr` orders them (IPv4 first, then address,
/// then port). Segments give no IPv6 flow info or scope to order by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
struct End {
    v6: bool,
    addr: u128,
    port: u16,
}

impl End {
    fn new(ip: IpAddr, port: u16) -> Self {
        match ip {
            IpAddr::V4(a) => End {
                v6: false,
                addr: a.to_bits().into(),
                port,
            },
            IpAddr::V6(a) => End {
                v6: true,
                addr: a.to_bits(),
                port,
            },
        }
    }

    fn socket(self) -> SocketAddr {
        let ip = if self.v6 {
            IpAddr::V6(self.addr.into())
        } else {
            // An IPv4 end holds 32 bits.
            IpAddr::V4((self.addr as u32).into())
        };
        SocketAddr::new(ip, self.port)
    }
}

/// A connection's two ends, lower first: [`ConnKey`] as plain integers,
/// cheaper to order, hash and compare on every segment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
struct Ends(End, End);

impl Ends {
    /// The key of the connection a segment from `src` to `dst` belongs to,
    /// and which way it goes (0 from the lower end), as [`Flow::key`].
    fn of(src: End, dst: End) -> (Ends, usize) {
        if src <= dst {
            (Ends(src, dst), 0)
        } else {
            (Ends(dst, src), 1)
        }
    }

    fn conn_key(self) -> ConnKey {
        ConnKey(self.0.socket(), self.1.socket())
    }
}

impl Hash for Ends {
    // As ConnKey hashes: three words.
    fn hash<H: Hasher>(&self, h: &mut H) {
        h.write_u128(self.0.addr);
        h.write_u128(self.1.addr);
        h.write_u32(u32::from(self.0.port) << 16 | u32::from(self.1.port));
    }
}

/// What one segment brought to light.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TcpEvent {
    /// A SYN (`syn_ack` false) or SYN-ACK; `present` says whether it carried
    /// the SMC option. Reported when either handshake segment offered SMC.
    SmcOption {
        syn_ack: bool,
        present: bool,
    },
    Framed(Framed),
}

/// One connection, keyed by its lower endpoint first.
#[derive(Debug, Default)]
struct Conn {
    dirs: [Direction; 2],
    syn_offered: bool,
    /// Set when the whole connection carries no (more) CLC.
    ended: Option<ClcEnd>,
    closed: [bool; 2],
    /// Capture time (seconds) of the latest segment.
    last_seen: i64,
}

#[derive(Debug, Default)]
struct Direction {
    stream: HalfStream,
    /// None until the SYN or the first data fixed how the stream starts.
    clc: Option<ClcFramer>,
}

/// Every TCP connection in the capture.
#[derive(Debug, Default)]
pub(crate) struct Connections {
    conns: HashMap<Ends, Conn, RandomState>,
    /// What the framer cut from one segment, kept to spare an allocation per segment.
    framed: Vec<Framed>,
}

impl Connections {
    pub fn len(&self) -> usize {
        self.conns.len()
    }

    /// Takes one segment; `smc_option` says whether its options hold the SMC option.
    pub fn segment(
        &mut self,
        ip: &Ip,
        seg: &TcpSegment,
        smc_option: bool,
        ctx: &mut Ctx,
        out: &mut Vec<(Flow, TcpEvent)>,
    ) {
        let (key, side) = Ends::of(End::new(ip.src, seg.src_port), End::new(ip.dst, seg.dst_port));
        // One lookup for the segments of known connections, nearly all of them.
        let conn = match self.conns.get_mut(&key) {
            Some(conn) => conn,
            None => {
                // A segment without SYN or data (the last ACK of a closed
                // connection) starts nothing worth tracking.
                if !seg.syn && seg.payload.is_empty() {
                    return;
                }
                if !self.make_room(ctx.limits.connections) {
                    ctx.drops.untracked_segments += 1;
                    return;
                }
                self.conns.entry(key).or_default()
            }
        };
        conn.last_seen = ctx.now;
        // Made only for what the segment brings to light.
        let flow = || Flow {
            src: SocketAddr::new(ip.src, seg.src_port),
            dst: SocketAddr::new(ip.dst, seg.dst_port),
        };
        if seg.syn {
            conn.handshake(side, seg, smc_option, flow, ctx, out);
        }
        if !seg.payload.is_empty() {
            conn.data(side, seg, flow, ctx, &mut self.framed, out);
        }
        if seg.rst || seg.fin {
            conn.closed[side] = true;
            if seg.rst {
                conn.closed = [true; 2];
            }
        }
        if conn.closed == [true; 2] {
            if let Some(mut conn) = self.conns.remove(&key) {
                conn.flush(key.conn_key(), ctx, out);
                ctx.pruned.closed_connections += 1;
            }
        }
    }

    /// End of input: deliver what waits behind gaps, report cut messages.
    pub fn finish(&mut self, ctx: &mut Ctx, out: &mut Vec<(Flow, TcpEvent)>) {
        let all: Vec<Ends> = self.conns.keys().copied().collect();
        self.flush_in_order(all, ctx, out);
    }

    /// Lets go of connections without a segment since `before`, as at the end of input.
    pub fn prune_idle(&mut self, before: i64, ctx: &mut Ctx, out: &mut Vec<(Flow, TcpEvent)>) {
        let idle: Vec<Ends> = self
            .conns
            .iter()
            .filter(|(_, conn)| conn.last_seen < before)
            .map(|(&key, _)| key)
            .collect();
        ctx.pruned.idle_connections += idle.len() as u64;
        self.flush_in_order(idle, ctx, out);
    }

    /// Flushes and lets go of `keys`, in key order: the table's own order
    /// follows its per-run hash seed, and the same capture must read the same.
    fn flush_in_order(&mut self, mut keys: Vec<Ends>, ctx: &mut Ctx, out: &mut Vec<(Flow, TcpEvent)>) {
        keys.sort_unstable();
        for key in keys {
            if let Some(mut conn) = self.conns.remove(&key) {
                conn.flush(key.conn_key(), ctx, out);
            }
        }
    }

    /// Frees closed connections when the table is full; false if still full.
    fn make_room(&mut self, cap: usize) -> bool {
        if self.conns.len() >= cap {
            self.conns.retain(|_, c| c.closed != [true; 2]);
        }
        self.conns.len() < cap
    }
}

impl Conn {
    /// Gives up on gaps, delivers what waits and reports messages left cut.
    fn flush(&mut self, ConnKey(lo, hi): ConnKey, ctx: &mut Ctx, out: &mut Vec<(Flow, TcpEvent)>) {
        for (side, dir) in self.dirs.iter_mut().enumerate() {
            let flow = if side == 0 {
                Flow { src: lo, dst: hi }
            } else {
                Flow { src: hi, dst: lo }
            };
            let mut framed = Vec::new();
            if let Some(clc) = &mut dir.clc {
                dir.stream.flush(ctx, &mut |chunk| clc.feed(chunk, &mut framed));
                clc.finish(&mut framed);
            }
            out.extend(framed.into_iter().map(|f| (flow, TcpEvent::Framed(f))));
        }
    }

    fn handshake(
        &mut self,
        side: usize,
        seg: &TcpSegment,
        smc_option: bool,
        flow: impl Fn() -> Flow,
        ctx: &mut Ctx,
        out: &mut Vec<(Flow, TcpEvent)>,
    ) {
        let dir = &mut self.dirs[side];
        dir.stream.syn(seg.seq);
        if dir.clc.is_none() {
            dir.clc = Some(ClcFramer::at_start(ctx.limits.clc_scan));
        }
        if !seg.ack_flag {
            self.syn_offered = smc_option;
        } else if !smc_option {
            // Without the option on the SYN-ACK Linux falls back before any CLC.
            self.end(ClcEnd::NoSmcOption, ctx);
        }
        if smc_option || self.syn_offered {
            out.push((
                flow(),
                TcpEvent::SmcOption {
                    syn_ack: seg.ack_flag,
                    present: smc_option,
                },
            ));
        }
    }

    fn data(
        &mut self,
        side: usize,
        seg: &TcpSegment,
        flow: impl Fn() -> Flow,
        ctx: &mut Ctx,
        framed: &mut Vec<Framed>,
        out: &mut Vec<(Flow, TcpEvent)>,
    ) {
        let ended = self.ended;
        let dir = &mut self.dirs[side];
        let clc = dir.clc.get_or_insert_with(|| {
            let mut clc = ClcFramer::mid_stream(ctx.limits.clc_scan);
            if let Some(why) = ended {
                clc.end(why);
            }
            clc
        });
        if clc.ended().is_some() {
            // Past CLC nothing is analysed here: keep no bytes.
            dir.stream.clear(ctx);
            return;
        }
        dir.stream
            .segment(seg.seq, seg.payload, ctx, &mut |chunk| clc.feed(chunk, framed));
        let declined = framed
            .iter()
            .any(|f| matches!(f, Framed::Clc(r) if r.kind() == dissect::clc::ClcType::DECLINE));
        if !framed.is_empty() {
            let flow = flow();
            out.extend(framed.drain(..).map(|f| (flow, TcpEvent::Framed(f))));
        }
        if declined {
            self.end(ClcEnd::Fallback, ctx);
        }
    }

    /// No more CLC in either direction.
    fn end(&mut self, why: ClcEnd, ctx: &mut Ctx) {
        self.ended = Some(why);
        for dir in &mut self.dirs {
            dir.stream.clear(ctx);
            dir.clc.get_or_insert_with(|| ClcFramer::at_start(0)).end(why);
        }
    }
}
