//! `read --write OUT` and the UI's `e`: the frames of SMC sessions, copied to a new capture file.
//! A session's frames are those of its TCP connection and of the queue
//! pairs of its link group: the session engine says which events belong to
//! one, and the connections and QPs of those events are kept. That is known
//! only after reading, so the input is read a second time to copy the frames.

use dissect::capture::{decode, Carried, Ip, LinkType};
use engine::capture_file::Interface;
use engine::frame::Frame;
use engine::pipeline::{Endpoints, Event, EventKind};
use engine::session::Attribution;
use std::collections::HashSet;
use std::net::{IpAddr, Ipv6Addr, SocketAddr};
use std::path::{Path, PathBuf};
use std::str::FromStr;
use sys::savefile::Savefile;
use sys::source::CaptureFiles;

/// Where a frame goes, as its headers show it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Conversation {
    /// A TCP connection, its ends in sorted order so both directions match.
    Tcp(SocketAddr, SocketAddr),
    /// Packets to queue pair `qp` at `dst` (ACKs to a QP count as its session).
    Qp { src: IpAddr, dst: IpAddr, qp: u32 },
}

fn sorted(a: SocketAddr, b: SocketAddr) -> (SocketAddr, SocketAddr) {
    (a.min(b), a.max(b))
}

/// The TCP connections and QPs whose frames are kept.
#[derive(Debug, Default)]
pub struct Kept {
    tcp: HashSet<(SocketAddr, SocketAddr)>,
    /// (dst, qp): the source is not part of a QP's identity.
    qps: HashSet<(IpAddr, u32)>,
}

impl Kept {
    /// A TCP connection (both directions).
    pub fn tcp(&mut self, a: SocketAddr, b: SocketAddr) {
        self.tcp.insert(sorted(a, b));
    }

    /// Packets to queue pair `qp` at `dst`.
    pub fn qp(&mut self, dst: IpAddr, qp: u32) {
        self.qps.insert((dst, qp));
    }

    /// An event, with what the session engine attributed it to. TCP is kept
    /// for a session; a QP for any SMC-R message on it, attributed or not
    /// (a link set up before the capture started is unknown to the engine).
    pub fn note(&mut self, e: &Event, at: Option<Attribution>) {
        match e.at {
            Endpoints::Tcp(flow) if at.is_some() => self.tcp(flow.src, flow.dst),
            Endpoints::Qp { dst, qp, .. } if !matches!(e.kind, EventKind::Problem(_)) => self.qp(dst, qp),
            _ => {}
        }
    }

    fn contains(&self, c: &Conversation) -> bool {
        match *c {
            Conversation::Tcp(a, b) => self.tcp.contains(&(a, b)),
            Conversation::Qp { dst, qp, .. } => self.qps.contains(&(dst, qp)),
        }
    }
}

/// `--write-filter`: every term given must match the session.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Filter {
    ip: Option<IpAddr>,
    port: Option<u16>,
    qp: Option<u32>,
    /// Some(true): TCP sessions only; Some(false): RoCE only.
    tcp: Option<bool>,
}

impl FromStr for Filter {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        let mut f = Filter::default();
        for term in s.split(',').map(str::trim).filter(|t| !t.is_empty()) {
            let (key, value) = term
                .split_once('=')
                .ok_or(format!("`{term}`: expected KEY=VALUE"))?;
            let bad = |e: &dyn std::fmt::Display| format!("`{term}`: {e}");
            match key {
                "ip" => f.ip = Some(value.parse().map_err(|e| bad(&e))?),
                "port" => f.port = Some(value.parse().map_err(|e| bad(&e))?),
                "qp" => f.qp = Some(parse_qp(value).map_err(|e| bad(&e))?),
                "proto" => {
                    f.tcp = Some(match value {
                        "tcp" => true,
                        "roce" => false,
                        _ => return Err(bad(&"proto is tcp or roce")),
                    })
                }
                _ => return Err(bad(&"keys are ip, port, qp, proto")),
            }
        }
        Ok(f)
    }
}

/// A QP number in decimal or 0x-hex, as tshark shows it.
fn parse_qp(value: &str) -> Result<u32, std::num::ParseIntError> {
    match value.strip_prefix("0x") {
        Some(hex) => u32::from_str_radix(hex, 16),
        None => value.parse(),
    }
}

impl Filter {
    fn matches(&self, c: &Conversation) -> bool {
        match *c {
            Conversation::Tcp(a, b) => {
                self.tcp != Some(false)
                    && self.qp.is_none()
                    && self.ip.is_none_or(|ip| a.ip() == ip || b.ip() == ip)
                    && self.port.is_none_or(|p| a.port() == p || b.port() == p)
            }
            Conversation::Qp { src, dst, qp } => {
                self.tcp != Some(true)
                    && self.port.is_none()
                    && self.ip.is_none_or(|ip| src == ip || dst == ip)
                    && self.qp.is_none_or(|q| q == qp)
            }
        }
    }
}

/// What an export wrote; the caller says it (on stderr, or in the UI's status line).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Written {
    pub frames: u64,
    /// Frames read from the input.
    pub of: u64,
}

impl std::fmt::Display for Written {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "wrote {} of {} frames", self.frames, self.of)
    }
}

/// Copies the frames of `inputs` (merged as `read` merges them) that are
/// `kept` and match `filter` to `output`, keeping link types, snaplens,
/// times and lengths.
pub fn frames(inputs: &[PathBuf], output: &Path, kept: &Kept, filter: &Filter) -> Result<Written, String> {
    if let Some(input) = inputs.iter().find(|i| same_file(i, output)) {
        return Err(format!("is the input {}; not writing over it", input.display()));
    }
    let mut source = CaptureFiles::open(inputs).map_err(|e| format!("reopening {e}"))?;
    let mut out: Option<Savefile> = None;
    let (mut written, mut seen) = (0u64, 0u64);
    let mut copy = |frame: Frame<&[u8]>, interface: &Interface| -> Result<(), String> {
        seen += 1;
        let keep = conversation(frame.link, frame.data, frame.orig_len)
            .is_some_and(|c| kept.contains(&c) && filter.matches(&c));
        let file = match &mut out {
            Some(file) => file,
            None => {
                out.insert(Savefile::create(output, frame.link, interface.snaplen).map_err(|e| e.message)?)
            }
        };
        if keep {
            file.write(&frame, interface.snaplen).map_err(|e| e.to_string())?;
            written += 1;
        }
        Ok(())
    };
    // Damaged input was reported by the first pass: the copy goes on past it as that did.
    while let Some(next) = source.next_with(&mut copy) {
        if let Ok(copied) = next {
            copied?;
        }
    }
    match &mut out {
        Some(file) => file.flush().map_err(|e| e.message)?,
        None => return Err("no frames to copy".into()),
    }
    Ok(Written {
        frames: written,
        of: seen,
    })
}

/// Whether `output` names the file `input` is (the same path, a link to it,
/// or another hard link): writing it would destroy the input being read.
pub fn same_file(input: &Path, output: &Path) -> bool {
    use std::os::unix::fs::MetadataExt;
    match (std::fs::metadata(input), std::fs::metadata(output)) {
        (Ok(a), Ok(b)) => a.dev() == b.dev() && a.ino() == b.ino(),
        _ => false,
    }
}

/// Where a frame goes, if it is TCP or a RoCE request or ACK.
fn conversation(link: LinkType, frame: &[u8], orig_len: usize) -> Option<Conversation> {
    let layers = decode(link, frame, orig_len);
    match (&layers.carried, layers.ip) {
        (Carried::Tcp(seg), Some(Ip { src, dst })) => {
            let (a, b) = sorted(
                SocketAddr::new(src, seg.src_port),
                SocketAddr::new(dst, seg.dst_port),
            );
            Some(Conversation::Tcp(a, b))
        }
        (Carried::RoceV2 { bytes, wire_len }, Some(ip)) => {
            let bth = dissect::roce::parse_v2_lax(bytes, *wire_len).parsed.bth?;
            Some(Conversation::Qp {
                src: ip.src,
                dst: ip.dst,
                qp: bth.dest_qp,
            })
        }
        (Carried::RoceV1 { bytes, wire_len }, _) => {
            let layers = dissect::roce::parse_v1_lax(bytes, *wire_len).parsed;
            let (grh, bth) = (layers.grh?, layers.bth?);
            Some(Conversation::Qp {
                src: IpAddr::V6(Ipv6Addr::from(grh.sgid)),
                dst: IpAddr::V6(Ipv6Addr::from(grh.dgid)),
                qp: bth.dest_qp,
            })
        }
        _ => None,
    }
}
