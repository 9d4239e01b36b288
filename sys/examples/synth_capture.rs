//! Builds a large capture for the read benchmark (bench/read-vs-tshark): the
//! real captures' frames, session after session, each copy with its own IP
//! addresses and TCP ports (RoCE QPs are told apart by their addresses), times
//! shifted so the copies follow one another.
//!
//! usage: synth_capture OUT.pcap MEGABYTES CAPTURE...

use sys::savefile::Savefile;
use engine::frame::{Frame, FrameSource, Timestamp};
use sys::source::PcapFile;
use std::path::Path;

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let [_, out, megabytes, inputs @ ..] = &args[..] else {
        eprintln!("usage: synth_capture OUT.pcap MEGABYTES CAPTURE...");
        std::process::exit(2);
    };
    let target = megabytes.parse::<u64>().expect("MEGABYTES") * 1_000_000;
    let sessions: Vec<Vec<Frame>> = inputs.iter().map(|p| read(Path::new(p))).collect();
    let mut file = Savefile::create(Path::new(out), sessions[0][0].link).expect("create OUT");
    let (mut bytes, mut frames, mut copy) = (24u64, 0u64, 0u32);
    while bytes < target {
        for session in &sessions {
            for frame in session {
                let f = rewrite(frame, copy);
                bytes += 16 + f.data.len() as u64;
                frames += 1;
                file.write(&f).expect("write");
            }
            copy += 1;
        }
    }
    file.flush().expect("flush");
    println!("{frames} frames, {bytes} bytes, {copy} sessions");
}

fn read(path: &Path) -> Vec<Frame> {
    let mut source = PcapFile::open(path).expect("capture opens");
    std::iter::from_fn(|| source.next_frame())
        .map(|f| f.expect("whole file"))
        .collect()
}

/// Copy `n` of a frame: the addresses and ports carry `n`, and the time
/// moves 300 ms per copy (every real capture is shorter).
fn rewrite(frame: &Frame, n: u32) -> Frame {
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
    while let Some(i) = d.get(at..).and_then(|rest| rest.windows(16).position(|w| w[..13] == MAPPED_10)) {
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
