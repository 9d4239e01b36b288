//! The shipped captures as frames, for the engine's tests: a small reader of
//! pcap and pcapng (the blocks the lab's files hold), so the sans-IO core
//! needs no libpcap even to test. The product reads files with libpcap
//! (smc-sys); its tests there cover that path.

use dissect::capture::LinkType;
use engine::frame::{Frame, Timestamp};
use std::path::Path;

/// The frames of capture file `name` in corpora/real.
pub fn real_frames(name: &str) -> Vec<Frame> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../corpora/real")
        .join(name);
    frames(&std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display())))
}

/// Every frame of a pcap or pcapng file's bytes; panics on what it cannot read.
pub fn frames(file: &[u8]) -> Vec<Frame> {
    match file.get(..4) {
        Some([0x0a, 0x0d, 0x0d, 0x0a]) => pcapng(file),
        _ => pcap(file),
    }
}

fn u16_at(b: &[u8], at: usize, le: bool) -> u16 {
    let v = [b[at], b[at + 1]];
    if le {
        u16::from_le_bytes(v)
    } else {
        u16::from_be_bytes(v)
    }
}

fn u32_at(b: &[u8], at: usize, le: bool) -> u32 {
    let v = [b[at], b[at + 1], b[at + 2], b[at + 3]];
    if le {
        u32::from_le_bytes(v)
    } else {
        u32::from_be_bytes(v)
    }
}

fn pcap(file: &[u8]) -> Vec<Frame> {
    let (le, nanos) = match u32_at(file, 0, true) {
        0xa1b2_c3d4 => (true, false),
        0xa1b2_3c4d => (true, true),
        _ => match u32_at(file, 0, false) {
            0xa1b2_c3d4 => (false, false),
            0xa1b2_3c4d => (false, true),
            m => panic!("not a pcap file (magic {m:#x})"),
        },
    };
    let link = LinkType(u32_at(file, 20, le));
    let (mut at, mut out) = (24, Vec::new());
    while at + 16 <= file.len() {
        let (secs, frac) = (u32_at(file, at, le), u32_at(file, at + 4, le));
        let (caplen, orig_len) = (
            u32_at(file, at + 8, le) as usize,
            u32_at(file, at + 12, le) as usize,
        );
        let data = file[at + 16..at + 16 + caplen].to_vec();
        let nanos = if nanos { frac } else { frac * 1000 };
        out.push(frame(out.len(), i64::from(secs), nanos, data, orig_len, link));
        at += 16 + caplen;
    }
    out
}

fn pcapng(file: &[u8]) -> Vec<Frame> {
    let le = u32_at(file, 8, true) == 0x1a2b_3c4d;
    // Per interface: its link type and timestamp units per second.
    let mut interfaces: Vec<(LinkType, u64)> = Vec::new();
    let (mut at, mut out) = (0, Vec::new());
    while at + 12 <= file.len() {
        let (kind, len) = (u32_at(file, at, le), u32_at(file, at + 4, le) as usize);
        let body = &file[at + 8..at + len - 4];
        match kind {
            // Interface Description: link type, then options (if_tsresol = 9).
            1 => {
                let mut resolution = 1_000_000;
                let mut opt = 8;
                while opt + 4 <= body.len() {
                    let (code, olen) = (u16_at(body, opt, le), u16_at(body, opt + 2, le) as usize);
                    if code == 0 {
                        break;
                    }
                    if code == 9 {
                        let r = body[opt + 4];
                        resolution = if r & 0x80 == 0 {
                            10u64.pow(u32::from(r))
                        } else {
                            1 << (r & 0x7f)
                        };
                    }
                    opt += 4 + olen.div_ceil(4) * 4;
                }
                interfaces.push((LinkType(u32::from(u16_at(body, 0, le))), resolution));
            }
            // Enhanced Packet.
            6 => {
                let (link, resolution) = interfaces[u32_at(body, 0, le) as usize];
                let ts = (u64::from(u32_at(body, 4, le)) << 32) | u64::from(u32_at(body, 8, le));
                let (caplen, orig_len) = (u32_at(body, 12, le) as usize, u32_at(body, 16, le) as usize);
                let data = body[20..20 + caplen].to_vec();
                let secs = (ts / resolution) as i64;
                let nanos = ((ts % resolution) * 1_000_000_000 / resolution) as u32;
                out.push(frame(out.len(), secs, nanos, data, orig_len, link));
            }
            _ => {}
        }
        at += len;
    }
    out
}

fn frame(before: usize, secs: i64, nanos: u32, data: Vec<u8>, orig_len: usize, link: LinkType) -> Frame {
    Frame {
        number: before as u64 + 1,
        time: Timestamp { secs, nanos },
        data,
        orig_len,
        link,
    }
}
