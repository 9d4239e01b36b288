//! Copies of captured sessions that a reader tells apart, for the read
//! benchmark's large captures and the UI's long-run tests: each copy has its
//! own IP addresses (and the GIDs that name them) and TCP client port, and
//! comes 300 ms after the one before (RoCE QPs are told apart by their
//! addresses).

use crate::frame::{Frame, FrameSource, SourceError, Timestamp};

/// Copy `n` of a frame: the addresses and ports carry `n`, and the time
/// moves 300 ms per copy (every real capture is shorter).
pub fn copy(frame: &Frame, n: u32) -> Frame {
    let mut f = frame.clone();
    let nanos = u64::from(n) * 300_000_000 + u64::from(f.time.nanos);
    f.time = Timestamp {
        secs: f.time.secs + (nanos / 1_000_000_000) as i64,
        nanos: (nanos % 1_000_000_000) as u32,
    };
    let [_, _, hi, lo] = n.to_be_bytes();
    let d = &mut f.data;
    let (addrs, ip_len, proto) = match d.get(12..14) {
        // Where the two address bytes to change are: octets 2-3 of IPv4, bytes 10-11 of IPv6.
        Some([0x08, 0x00]) if d.len() >= 34 => (&[27usize, 31][..], usize::from(d[14] & 0x0f) * 4, d[23]),
        Some([0x86, 0xdd]) if d.len() >= 54 => (&[22 + 10, 38 + 10][..], 40, d[20]),
        _ => return f,
    };
    // IPv4 10.0.0.x becomes 10.hi.lo.x; IPv6 addresses change in two bytes alike.
    for &at in addrs {
        d[at] = hi;
        d[at + 1] = lo;
    }
    // The GIDs SMC-R messages carry (CLC and LLC: IPv4-mapped, ::ffff:10.0.0.x)
    // name the same hosts: changed alike, so each copy's QPs belong to its
    // own link group, as in the capture it copies.
    const MAPPED_10: [u8; 13] = [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 10];
    let mut at = 14 + ip_len;
    while let Some(i) = d
        .get(at..)
        .and_then(|rest| rest.windows(16).position(|w| w[..13] == MAPPED_10))
    {
        d[at + i + 13] = hi;
        d[at + i + 14] = lo;
        at += i + 16;
    }
    if proto == 6 {
        // The client's (ephemeral) port: the larger one, shifted by the copy.
        let tcp = 14 + ip_len;
        if let Some(ports) = d.get_mut(tcp..tcp + 4) {
            let (src, dst) = (
                u16::from_be_bytes([ports[0], ports[1]]),
                u16::from_be_bytes([ports[2], ports[3]]),
            );
            let at = if src > dst { 0 } else { 2 };
            let port = src.max(dst).wrapping_add((n % 1000) as u16);
            ports[at..at + 2].copy_from_slice(&port.to_be_bytes());
        }
    }
    f
}

/// `copies` copies of a capture's `frames`, one after another, numbered from 1.
pub struct Copies {
    frames: Vec<Frame>,
    copies: u32,
    next: u64,
}

impl Copies {
    pub fn new(frames: Vec<Frame>, copies: u32) -> Self {
        Copies {
            frames,
            copies,
            next: 0,
        }
    }
}

impl FrameSource for Copies {
    fn next_frame(&mut self) -> Option<Result<Frame, SourceError>> {
        let per_copy = self.frames.len() as u64;
        let n = self.next.checked_div(per_copy)?;
        let i = usize::try_from(self.next % per_copy).ok()?;
        let n = u32::try_from(n).ok().filter(|&n| n < self.copies)?;
        self.next += 1;
        let mut frame = copy(&self.frames[i], n);
        frame.number = self.next;
        Some(Ok(frame))
    }
}
