//! Capture files as frames: pcap (either byte order, microsecond or
//! nanosecond timestamps) and pcapng (any number of sections, in either byte
//! order, and of interfaces, each with its own link type, snaplen and time
//! resolution; Enhanced, Simple and the obsolete Packet blocks; other blocks
//! skipped). The bytes come from any [`Read`]: opening the file, or a
//! decompressor over it, is the caller's.
//!
//! Frames are handed over borrowed from one buffer that the input is read
//! into: no copy per frame. Lengths are capped ([`MAX_BLOCK`]), so damage
//! is an error naming the frame, never a huge allocation.

use crate::frame::{Frame, SourceError, Timestamp};
use dissect::capture::LinkType;
use std::io::{ErrorKind, Read};

/// The largest block (pcapng) or frame (pcap) read; more is damage.
pub const MAX_BLOCK: usize = 16 << 20;
/// Interfaces a section may describe; more is damage (each costs memory).
pub const MAX_INTERFACES: usize = 4096;
/// How much is read from the input at a time.
const BUFFER: usize = 256 << 10;

// The format's numbers, which the writer (smc-sys's savefile) uses too.
pub const PCAP_MICROS: u32 = 0xa1b2_c3d4;
pub const PCAP_NANOS: u32 = 0xa1b2_3c4d;
pub const SECTION_HEADER: u32 = 0x0a0d_0d0a;
pub const BYTE_ORDER_MAGIC: u32 = 0x1a2b_3c4d;
pub const INTERFACE_DESCRIPTION: u32 = 1;
const PACKET: u32 = 2;
const SIMPLE_PACKET: u32 = 3;
pub const ENHANCED_PACKET: u32 = 6;
pub const IF_TSRESOL: u16 = 9;
const IF_TSOFFSET: u16 = 14;

/// Where frames were captured: a pcapng Interface Description, or a pcap
/// file's header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Interface {
    pub link: LinkType,
    /// 0: no limit.
    pub snaplen: u32,
    /// Whether smc-analyze decodes the link type (checked once, not per frame).
    pub decoded: bool,
    /// Timestamp units per second (if_tsresol).
    units: u64,
    /// Nanoseconds per unit, when a unit is a whole number of them.
    nanos_per_unit: Option<u64>,
    /// Seconds added to every timestamp (if_tsoffset).
    offset: i64,
}

impl Interface {
    /// An interface of link type `link` (a file's LINKTYPE_ value), with
    /// timestamps in units of 1/`units` s.
    fn new(linktype: u32, snaplen: u32, units: u64) -> Self {
        let link = dlt(linktype);
        let nanos_per_unit = 1_000_000_000u64
            .is_multiple_of(units)
            .then_some(1_000_000_000 / units);
        Interface {
            link,
            snaplen,
            decoded: link.is_decoded(),
            units,
            nanos_per_unit,
            offset: 0,
        }
    }

    fn time(&self, ts: u64) -> Timestamp {
        let frac = ts % self.units;
        let nanos = match self.nanos_per_unit {
            Some(n) => frac * n,
            None => (u128::from(frac) * 1_000_000_000 / u128::from(self.units)) as u64,
        };
        Timestamp {
            secs: ((ts / self.units) as i64).saturating_add(self.offset),
            nanos: nanos as u32,
        }
    }
}

/// libpcap's link types are DLT values; files hold LINKTYPE values, which
/// differ for a few (libpcap maps them the same way on reading).
pub fn dlt(linktype: u32) -> LinkType {
    LinkType(match linktype {
        100 => 11,
        101 => LinkType::RAW.0,
        102 => 15,
        103 => 16,
        other => other,
    })
}

/// The LINKTYPE value a file holds for `link` (the inverse of [`dlt`]).
pub fn linktype(link: LinkType) -> u32 {
    match link.0 {
        11 => 100,
        12 | 14 => 101,
        15 => 102,
        16 => 103,
        other => other,
    }
}

#[derive(Debug, Clone, Copy)]
enum Format {
    Pcap { le: bool },
    Pcapng { le: bool },
}

/// The frame at hand: its place in the buffer and what describes it.
#[derive(Debug, Clone, Copy)]
struct Current {
    at: usize,
    len: usize,
    orig_len: usize,
    /// None for a Simple Packet, until it takes the previous frame's.
    time: Option<Timestamp>,
    interface: usize,
}

/// A pcap or pcapng file being read: [`Reader::advance`] to the next frame,
/// then [`Reader::current`] to see it.
pub struct Reader<R> {
    input: R,
    buf: Vec<u8>,
    /// Bytes of `buf` not yet consumed: `start..end`.
    start: usize,
    end: usize,
    /// Bytes read from the input so far.
    read: u64,
    format: Format,
    interfaces: Vec<Interface>,
    /// Frames so far, the current one included: frame numbers within the file.
    frames: u64,
    current: Option<Current>,
    /// Bytes the current block takes in `buf`, consumed by the next advance.
    block: usize,
    /// The last frame's time, for a Simple Packet (which has none).
    last_time: Timestamp,
    done: bool,
}

/// An error in the file's header or its first block: the file is not read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpenError(pub String);

impl std::fmt::Display for OpenError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl<R: Read> Reader<R> {
    /// Reads the file header (pcap) or first section header (pcapng).
    pub fn open(input: R) -> Result<Self, OpenError> {
        let mut r = Reader {
            input,
            buf: vec![0; BUFFER],
            start: 0,
            end: 0,
            read: 0,
            format: Format::Pcap { le: true },
            interfaces: Vec::new(),
            frames: 0,
            current: None,
            block: 0,
            last_time: Timestamp::default(),
            done: false,
        };
        let io = |e: std::io::Error| OpenError(format!("reading the file header: {e}"));
        let got = r.fill_some(24).map_err(io)?;
        let head = &r.buf[..got];
        let magic = |le| u32_at(head, 0, le);
        match head.get(..4).map(|_| (magic(true), magic(false))) {
            None if got == 0 => Err(OpenError("empty file (no capture header)".into())),
            None => Err(OpenError(format!("not a capture file: only {got} bytes"))),
            Some((SECTION_HEADER, _)) => {
                r.format = Format::Pcapng { le: true };
                match r.block() {
                    Ok(true) => Ok(r),
                    Ok(false) => Err(OpenError(
                        "pcapng file cut short in its Section Header Block".into(),
                    )),
                    Err(e) => Err(OpenError(e.message)),
                }
            }
            Some((m @ (PCAP_MICROS | PCAP_NANOS), _)) => r.pcap_header(true, m == PCAP_NANOS),
            Some((_, m @ (PCAP_MICROS | PCAP_NANOS))) => r.pcap_header(false, m == PCAP_NANOS),
            Some(_) => {
                let start: Vec<String> = head[..4].iter().map(|b| format!("{b:02x}")).collect();
                Err(OpenError(format!(
                    "not a pcap or pcapng file (it starts {})",
                    start.join(" ")
                )))
            }
        }
    }

    fn pcap_header(mut self, le: bool, nanos: bool) -> Result<Self, OpenError> {
        if self.end < 24 {
            return Err(OpenError(format!(
                "pcap file cut short in its header ({} of 24 bytes)",
                self.end
            )));
        }
        let h = &self.buf[..24];
        let major = u16_at(h, 4, le);
        if major != 2 {
            return Err(OpenError(format!(
                "pcap file of version {major}: only 2 is known"
            )));
        }
        // The top bits of the link type field carry the FCS length, not the type.
        let link = u32_at(h, 20, le) & 0x03ff_ffff;
        let units = if nanos { 1_000_000_000 } else { 1_000_000 };
        self.interfaces
            .push(Interface::new(link, u32_at(h, 16, le), units));
        self.format = Format::Pcap { le };
        self.start = 24;
        Ok(self)
    }

    /// Moves to the next frame: true if there is one (see [`Reader::current`]),
    /// false at the end. A frame that cannot be read is an error naming it;
    /// reading goes on after it where the file's framing is intact, and
    /// ends otherwise.
    pub fn advance(&mut self) -> Result<bool, SourceError> {
        self.start += std::mem::take(&mut self.block);
        self.current = None;
        if self.done {
            return Ok(false);
        }
        let format = self.format;
        let more = match format {
            Format::Pcap { le } => self.pcap_record(le),
            Format::Pcapng { .. } => loop {
                match self.block() {
                    Ok(true) if self.current.is_none() => self.start += std::mem::take(&mut self.block),
                    other => break other,
                }
            },
        };
        match more {
            Ok(more) => {
                self.done = !more;
                Ok(more)
            }
            Err(e) => Err(e),
        }
    }

    /// The frame [`Reader::advance`] moved to, numbered within this file,
    /// and its interface.
    pub fn current(&self) -> Option<(Frame<&[u8]>, &Interface)> {
        let c = self.current?;
        let interface = &self.interfaces[c.interface];
        let frame = Frame {
            number: self.frames,
            time: c.time.unwrap_or_default(),
            data: &self.buf[c.at..c.at + c.len],
            orig_len: c.orig_len,
            link: interface.link,
        };
        Some((frame, interface))
    }

    /// Bytes of the input consumed, through the current frame.
    pub fn offset(&self) -> u64 {
        self.read - (self.end - self.start - self.block) as u64
    }

    /// Frames so far, the current one and any skipped included.
    pub fn frames(&self) -> u64 {
        self.frames
    }

    /// The interfaces described so far in the current section.
    pub fn interfaces(&self) -> &[Interface] {
        &self.interfaces
    }

    /// An error at the next frame, which ends the file.
    fn fatal(&mut self, message: String) -> SourceError {
        self.done = true;
        SourceError {
            frame: self.frames + 1,
            message,
        }
    }

    fn cut_short(&mut self, what: &str, need: usize) -> SourceError {
        let have = self.end - self.start;
        self.fatal(format!("file cut short in {what} ({have} of {need} bytes)"))
    }

    fn pcap_record(&mut self, le: bool) -> Result<bool, SourceError> {
        match self.fill(16) {
            Ok(false) if self.end == self.start => return Ok(false),
            Ok(false) => return Err(self.cut_short("a record header", 16)),
            Ok(true) => {}
            Err(e) => return Err(self.fatal(e)),
        }
        let h = &self.buf[self.start..self.start + 16];
        let (secs, frac) = (u32_at(h, 0, le), u32_at(h, 4, le));
        let (caplen, orig_len) = (u32_at(h, 8, le) as usize, u32_at(h, 12, le) as usize);
        if caplen > MAX_BLOCK {
            return Err(self.fatal(format!(
                "record header: captured length {caplen} over the cap of {MAX_BLOCK}"
            )));
        }
        match self.fill(16 + caplen) {
            Ok(true) => {}
            Ok(false) => return Err(self.cut_short("a frame", 16 + caplen)),
            Err(e) => return Err(self.fatal(e)),
        }
        let interface = &self.interfaces[0];
        let ts = u64::from(secs) * interface.units + u64::from(frac);
        self.frames += 1;
        self.block = 16 + caplen;
        self.current = Some(Current {
            at: self.start + 16,
            len: caplen,
            orig_len,
            time: Some(interface.time(ts)),
            interface: 0,
        });
        Ok(true)
    }

    /// Reads one pcapng block: false at the end of the file. A packet block
    /// sets the current frame; the block's bytes are consumed by the caller.
    fn block(&mut self) -> Result<bool, SourceError> {
        match self.fill(12) {
            Ok(false) if self.end == self.start => return Ok(false),
            Ok(false) => return Err(self.cut_short("a block header", 12)),
            Ok(true) => {}
            Err(e) => return Err(self.fatal(e)),
        }
        let Format::Pcapng { mut le } = self.format else {
            return Ok(false);
        };
        let head = &self.buf[self.start..self.start + 12];
        let kind = u32_at(head, 0, le);
        if kind == SECTION_HEADER {
            // A new section says its own byte order.
            le = match u32_at(head, 8, true) {
                BYTE_ORDER_MAGIC => true,
                m if m.swap_bytes() == BYTE_ORDER_MAGIC => false,
                m => {
                    return Err(self.fatal(format!(
                        "Section Header Block: byte-order magic {m:#010x} is not 0x1a2b3c4d"
                    )))
                }
            };
            self.format = Format::Pcapng { le };
        }
        let len = u32_at(head, 4, le) as usize;
        if len < 12 || !len.is_multiple_of(4) || len > MAX_BLOCK {
            return Err(self.fatal(format!(
                "block of type {kind:#x}: length {len} is not a multiple of 4 from 12 to {MAX_BLOCK}"
            )));
        }
        match self.fill(len) {
            Ok(true) => {}
            Ok(false) => return Err(self.cut_short(&format!("a block of type {kind:#x}"), len)),
            Err(e) => return Err(self.fatal(e)),
        }
        let block = &self.buf[self.start..self.start + len];
        let trailer = u32_at(block, len - 4, le) as usize;
        if trailer != len {
            return Err(self.fatal(format!(
                "block of type {kind:#x}: trailing length {trailer} differs from its length {len}"
            )));
        }
        self.block = len;
        match parse_block(kind, &block[8..len - 4], le, &self.interfaces) {
            Ok(Block::Section) => self.interfaces.clear(),
            Ok(Block::Interface(i)) => self.interfaces.push(i),
            Ok(Block::Packet(mut c)) => {
                c.at += self.start + 8;
                self.frames += 1;
                // A Simple Packet has no time: it takes the previous frame's.
                let time = c.time.unwrap_or(self.last_time);
                (self.last_time, c.time) = (time, Some(time));
                self.current = Some(c);
            }
            Ok(Block::Other) => {}
            Err(Damage::Block(e)) => return Err(self.fatal(e)),
            Err(Damage::Frame(e)) => {
                self.frames += 1;
                return Err(SourceError {
                    frame: self.frames,
                    message: e,
                });
            }
        }
        Ok(true)
    }
    /// Makes `n` bytes from `start` available: false if the input ends first.
    fn fill(&mut self, n: usize) -> Result<bool, String> {
        if self.end - self.start >= n {
            return Ok(true);
        }
        Ok(self.fill_some(n).map_err(|e| format!("reading: {e}"))? >= n)
    }

    /// Reads until `n` bytes from `start` are there or the input ends; how many are.
    fn fill_some(&mut self, n: usize) -> std::io::Result<usize> {
        if self.buf.len() - self.start < n {
            self.buf.copy_within(self.start..self.end, 0);
            self.end -= self.start;
            self.start = 0;
            if self.buf.len() < n {
                self.buf.resize(n, 0);
            }
        }
        while self.end - self.start < n {
            match self.input.read(&mut self.buf[self.end..]) {
                Ok(0) => break,
                Ok(k) => {
                    self.end += k;
                    self.read += k as u64;
                }
                Err(e) if e.kind() == ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
        Ok(self.end - self.start)
    }
}

/// What a pcapng block holds.
enum Block {
    Section,
    Interface(Interface),
    /// A frame: where it starts in the block body.
    Packet(Current),
    Other,
}

/// Why a block could not be read.
enum Damage {
    /// The section cannot be read on (its interfaces unknown).
    Block(String),
    /// One frame's block, skipped: reading goes on.
    Frame(String),
}

fn parse_block(kind: u32, body: &[u8], le: bool, interfaces: &[Interface]) -> Result<Block, Damage> {
    let short = |name: &str| format!("{name}: {} bytes, too short", body.len() + 12);
    match kind {
        SECTION_HEADER => {
            if body.len() < 16 {
                return Err(Damage::Block(short("Section Header Block")));
            }
            match u16_at(body, 4, le) {
                1 => Ok(Block::Section),
                major => Err(Damage::Block(format!(
                    "Section Header Block: version {major}: only 1 is known"
                ))),
            }
        }
        INTERFACE_DESCRIPTION => {
            if body.len() < 8 {
                return Err(Damage::Block(short("Interface Description Block")));
            }
            if interfaces.len() == MAX_INTERFACES {
                return Err(Damage::Block(format!(
                    "Interface Description Block: more than {MAX_INTERFACES} interfaces"
                )));
            }
            interface(body, le).map(Block::Interface).map_err(Damage::Block)
        }
        ENHANCED_PACKET | PACKET => {
            let name = if kind == ENHANCED_PACKET {
                "Enhanced Packet Block"
            } else {
                "Packet Block"
            };
            if body.len() < 20 {
                return Err(Damage::Frame(short(name)));
            }
            // The obsolete Packet Block has a 16-bit interface id and a drops count.
            let id = match kind {
                ENHANCED_PACKET => u32_at(body, 0, le) as usize,
                _ => usize::from(u16_at(body, 0, le)),
            };
            let Some(interface) = interfaces.get(id) else {
                let n = interfaces.len();
                return Err(Damage::Frame(format!(
                    "{name}: interface {id}, but the section describes {n}"
                )));
            };
            let ts = (u64::from(u32_at(body, 4, le)) << 32) | u64::from(u32_at(body, 8, le));
            let (caplen, orig_len) = (u32_at(body, 12, le) as usize, u32_at(body, 16, le) as usize);
            let room = body.len() - 20;
            if caplen > room {
                return Err(Damage::Frame(format!(
                    "{name}: captured length {caplen} over the block's {room}"
                )));
            }
            Ok(Block::Packet(Current {
                at: 20,
                len: caplen,
                orig_len,
                time: Some(interface.time(ts)),
                interface: id,
            }))
        }
        // Interface 0; captured length the least of the original length, the snaplen and the block.
        SIMPLE_PACKET => {
            if body.len() < 4 {
                return Err(Damage::Frame(short("Simple Packet Block")));
            }
            let Some(interface) = interfaces.first() else {
                return Err(Damage::Frame("Simple Packet Block before any interface".into()));
            };
            let orig_len = u32_at(body, 0, le) as usize;
            let mut len = orig_len.min(body.len() - 4);
            if interface.snaplen > 0 {
                len = len.min(interface.snaplen as usize);
            }
            Ok(Block::Packet(Current {
                at: 4,
                len,
                orig_len,
                time: None,
                interface: 0,
            }))
        }
        _ => Ok(Block::Other),
    }
}

/// An Interface Description Block's body: link type, snaplen, and the
/// options that set how its timestamps count.
fn interface(body: &[u8], le: bool) -> Result<Interface, String> {
    let (link, snaplen) = (u32::from(u16_at(body, 0, le)), u32_at(body, 4, le));
    let (mut units, mut offset) = (1_000_000, 0);
    let mut options = &body[8..];
    while let [c0, c1, l0, l1, rest @ ..] = options {
        let (code, olen) = (
            u16_at(&[*c0, *c1], 0, le),
            usize::from(u16_at(&[*l0, *l1], 0, le)),
        );
        let value = rest.get(..olen).unwrap_or(rest);
        match (code, value) {
            (0, _) => break,
            (IF_TSRESOL, [r, ..]) => {
                units = match (r & 0x80, u32::from(r & 0x7f)) {
                    (0, n) if n <= 19 => 10u64.pow(n),
                    (0x80, n) if n <= 63 => 1 << n,
                    _ => {
                        return Err(format!(
                            "Interface Description Block: if_tsresol {r:#04x} out of range"
                        ))
                    }
                }
            }
            (IF_TSOFFSET, [_, _, _, _, _, _, _, _, ..]) => offset = u64_at(value, 0, le) as i64,
            _ => {}
        }
        options = rest.get(olen.next_multiple_of(4)..).unwrap_or_default();
    }
    let mut interface = Interface::new(link, snaplen, units);
    interface.offset = offset;
    Ok(interface)
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

/// A 64-bit option value: in pcapng, the high 32 bits first for timestamps
/// but a plain integer in the section's byte order for if_tsoffset.
fn u64_at(b: &[u8], at: usize, le: bool) -> u64 {
    let v: [u8; 8] = std::array::from_fn(|i| b[at + i]);
    if le {
        u64::from_le_bytes(v)
    } else {
        u64::from_be_bytes(v)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn real(name: &str) -> Vec<u8> {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../corpora/real/");
        std::fs::read(format!("{path}{name}")).unwrap()
    }

    /// Every frame (owned), with its interface's link type and snaplen, or the error.
    fn read_all(bytes: &[u8]) -> (Vec<(Frame, u32)>, Vec<SourceError>) {
        let mut r = Reader::open(bytes).unwrap();
        let (mut frames, mut errors) = (Vec::new(), Vec::new());
        loop {
            match r.advance() {
                Ok(true) => frames.extend(r.current().map(|(f, i)| (f.owned(), i.snaplen))),
                Ok(false) => break,
                Err(e) => errors.push(e),
            }
        }
        (frames, errors)
    }

    /// pcapng blocks built in either byte order.
    struct Ng {
        le: bool,
        out: Vec<u8>,
    }

    impl Ng {
        fn section(le: bool) -> Self {
            let mut ng = Ng { le, out: Vec::new() };
            ng.add_section();
            ng
        }

        fn add_section(&mut self) {
            let body = [
                self.u32(BYTE_ORDER_MAGIC),
                self.u16(1),
                self.u16(0),
                vec![0xff; 8],
            ]
            .concat();
            self.block(SECTION_HEADER, &body);
        }

        fn u16(&self, v: u16) -> Vec<u8> {
            if self.le { v.to_le_bytes() } else { v.to_be_bytes() }.to_vec()
        }

        fn u32(&self, v: u32) -> Vec<u8> {
            if self.le { v.to_le_bytes() } else { v.to_be_bytes() }.to_vec()
        }

        fn block(&mut self, kind: u32, body: &[u8]) {
            let mut body = body.to_vec();
            body.resize(body.len().next_multiple_of(4), 0);
            let len = self.u32(12 + body.len() as u32);
            self.out.extend([self.u32(kind), len.clone(), body, len].concat());
        }

        /// An interface; `options` as (code, value).
        fn interface(&mut self, link: u16, snaplen: u32, options: &[(u16, &[u8])]) {
            let mut body = [self.u16(link), self.u16(0), self.u32(snaplen)].concat();
            for (code, value) in options {
                body.extend([self.u16(*code), self.u16(value.len() as u16)].concat());
                body.extend_from_slice(value);
                body.resize(body.len().next_multiple_of(4), 0);
            }
            self.block(INTERFACE_DESCRIPTION, &body);
        }

        fn epb(&mut self, id: u32, ts: u64, data: &[u8], orig_len: u32) {
            let head = [
                self.u32(id),
                self.u32((ts >> 32) as u32),
                self.u32(ts as u32),
                self.u32(data.len() as u32),
                self.u32(orig_len),
            ];
            self.block(ENHANCED_PACKET, &[&head.concat()[..], data].concat());
        }
    }

    /// A pcap file header and records, `nanos` or micro, in either byte order.
    fn pcap(le: bool, nanos: bool, link: u32, records: &[(u32, u32, &[u8])]) -> Vec<u8> {
        let u32b = |v: u32| if le { v.to_le_bytes() } else { v.to_be_bytes() };
        let u16b = |v: u16| if le { v.to_le_bytes() } else { v.to_be_bytes() };
        let magic = if nanos { PCAP_NANOS } else { PCAP_MICROS };
        let mut out = [
            &u32b(magic)[..],
            &u16b(2),
            &u16b(4),
            &[0; 8],
            &u32b(128),
            &u32b(link),
        ]
        .concat();
        for (secs, frac, data) in records {
            let len = data.len() as u32;
            out.extend([&u32b(*secs)[..], &u32b(*frac), &u32b(len), &u32b(len + 10), data].concat());
        }
        out
    }

    fn time(secs: i64, nanos: u32) -> Timestamp {
        Timestamp { secs, nanos }
    }

    #[test]
    fn a_real_capture_reads_to_its_end_and_its_size() {
        let bytes = real("smcr-v2-echo.pcapng");
        let mut r = Reader::open(&bytes[..]).unwrap();
        let mut n = 0;
        while r.advance().unwrap() {
            let (frame, interface) = r.current().unwrap();
            n += 1;
            assert_eq!(frame.number, n);
            assert_eq!((interface.link, interface.snaplen), (LinkType::ETHERNET, 262144));
        }
        assert_eq!(n, 186);
        assert_eq!(r.offset(), bytes.len() as u64);
    }

    /// A reader that hands over `n` bytes at most per read, as a pipe may.
    struct Trickle<'a>(&'a [u8], usize);

    impl Read for Trickle<'_> {
        fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
            let n = self.1.min(buf.len()).min(self.0.len());
            buf[..n].copy_from_slice(&self.0[..n]);
            self.0 = &self.0[n..];
            Ok(n)
        }
    }

    #[test]
    fn short_reads_and_frames_larger_than_the_buffer_give_the_same_frames() {
        let mut ng = Ng::section(true);
        ng.interface(1, 0, &[]);
        let big = vec![0x5a; BUFFER * 2 + 3];
        ng.epb(0, 1, b"first", 5);
        ng.epb(0, 2, &big, big.len() as u32);
        ng.epb(0, 3, b"last", 4);
        let (whole, errors) = read_all(&ng.out);
        assert!(errors.is_empty(), "{errors:?}");
        assert_eq!(whole.len(), 3);
        assert_eq!(whole[1].0.data, big);
        for chunk in [1, 7, 4096] {
            let mut r = Reader::open(Trickle(&ng.out, chunk)).unwrap();
            let mut frames = Vec::new();
            while r.advance().unwrap() {
                frames.push(r.current().unwrap().0.owned());
            }
            assert_eq!(
                frames,
                whole.iter().map(|(f, _)| f.clone()).collect::<Vec<_>>(),
                "{chunk}"
            );
        }
    }

    #[test]
    fn pcap_in_either_byte_order_and_resolution() {
        let records: [(u32, u32, &[u8]); 2] = [(1_700_000_000, 250_000, b"one"), (1_700_000_001, 7, b"two!")];
        for le in [true, false] {
            for nanos in [false, true] {
                let (frames, errors) = read_all(&pcap(le, nanos, 1, &records));
                assert!(errors.is_empty());
                let scale = if nanos { 1 } else { 1000 };
                let got: Vec<_> = frames
                    .iter()
                    .map(|(f, s)| (f.time, f.data.clone(), f.orig_len, *s))
                    .collect();
                assert_eq!(
                    got,
                    [
                        (time(1_700_000_000, 250_000 * scale), b"one".to_vec(), 13, 128),
                        (time(1_700_000_001, 7 * scale), b"two!".to_vec(), 14, 128),
                    ],
                    "le {le} nanos {nanos}"
                );
            }
        }
        // LINKTYPE_RAW is libpcap's DLT_RAW; the FCS bits above the type are not part of it.
        let (frames, _) = read_all(&pcap(true, false, 101 | 0x1000_0000, &records));
        assert_eq!(frames[0].0.link, LinkType::RAW);
    }

    #[test]
    fn interfaces_keep_their_own_link_type_snaplen_and_time_resolution() {
        for le in [true, false] {
            let mut ng = Ng::section(le);
            ng.interface(1, 65535, &[]);
            // 2^-20 s, 10^-3 s with an offset of 100 s, 10^-9 s.
            ng.interface(113, 96, &[(IF_TSRESOL, &[0x80 | 20])]);
            let offset = if le {
                100u64.to_le_bytes()
            } else {
                100u64.to_be_bytes()
            };
            ng.interface(
                276,
                0,
                &[(2, b"eth1"), (IF_TSRESOL, &[3]), (IF_TSOFFSET, &offset)],
            );
            ng.interface(147, 128, &[(IF_TSRESOL, &[9])]);
            ng.block(0x0bad, &[1, 2, 3, 4]);
            ng.epb(0, 1_500_000, b"a", 1);
            ng.epb(1, (3 << 20) | (1 << 19), b"b", 1);
            ng.epb(2, 2_001, b"c", 9);
            ng.epb(3, 4_000_000_123, b"d", 1);
            let (frames, errors) = read_all(&ng.out);
            assert!(errors.is_empty(), "{errors:?}");
            let got: Vec<_> = frames
                .iter()
                .map(|(f, s)| (f.link.0, *s, f.time, f.number))
                .collect();
            assert_eq!(
                got,
                [
                    (1, 65535, time(1, 500_000_000), 1),
                    (113, 96, time(3, 500_000_000), 2),
                    (276, 0, time(102, 1_000_000), 3),
                    (147, 128, time(4, 123), 4),
                ],
                "le {le}"
            );
        }
    }

    #[test]
    fn a_new_section_brings_its_byte_order_and_its_own_interfaces() {
        let mut ng = Ng::section(true);
        ng.interface(1, 0, &[]);
        ng.epb(0, 1, b"le", 2);
        let mut be = Ng::section(false);
        be.interface(113, 0, &[]);
        be.epb(0, 2, b"be", 2);
        // The obsolete Packet Block: 16-bit interface, drops count, then as an EPB.
        let head = [be.u16(0), be.u16(0), be.u32(0), be.u32(3), be.u32(2), be.u32(2)].concat();
        be.block(PACKET, &[&head[..], b"pb"].concat());
        // A Simple Packet Block: interface 0, the snaplen-less length, no time.
        let spb = [be.u32(3), b"spb".to_vec()].concat();
        be.block(SIMPLE_PACKET, &spb);
        ng.out.extend(be.out);
        let (frames, errors) = read_all(&ng.out);
        assert!(errors.is_empty(), "{errors:?}");
        let got: Vec<_> = frames
            .iter()
            .map(|(f, _)| (f.link.0, f.data.clone(), f.time))
            .collect();
        assert_eq!(
            got,
            [
                (1, b"le".to_vec(), time(0, 1000)),
                (113, b"be".to_vec(), time(0, 2000)),
                (113, b"pb".to_vec(), time(0, 3000)),
                (113, b"spb".to_vec(), time(0, 3000)),
            ]
        );
    }

    #[test]
    fn a_damaged_packet_block_is_named_and_reading_goes_on() {
        let mut ng = Ng::section(true);
        ng.interface(1, 0, &[]);
        ng.epb(0, 1, b"one", 3);
        ng.epb(5, 2, b"two", 3);
        let at = ng.out.len();
        ng.epb(0, 3, b"three", 5);
        // Captured length past the block's end.
        ng.out[at + 20..at + 24].copy_from_slice(&99u32.to_le_bytes());
        ng.epb(0, 4, b"four", 4);
        let (frames, errors) = read_all(&ng.out);
        let numbers: Vec<_> = frames.iter().map(|(f, _)| (f.number, f.data.clone())).collect();
        assert_eq!(numbers, [(1, b"one".to_vec()), (4, b"four".to_vec())]);
        let errors: Vec<_> = errors.iter().map(|e| e.to_string()).collect();
        assert_eq!(
            errors,
            [
                "frame 2: Enhanced Packet Block: interface 5, but the section describes 1",
                "frame 3: Enhanced Packet Block: captured length 99 over the block's 8",
            ]
        );
    }

    #[test]
    fn broken_framing_ends_the_file_at_the_frame_without_allocating() {
        let mut ng = Ng::section(true);
        ng.interface(1, 0, &[]);
        ng.epb(0, 1, b"one", 3);
        let at = ng.out.len();
        ng.epb(0, 2, b"two", 3);
        ng.epb(0, 3, b"three", 5);
        let mut huge = ng.out.clone();
        huge[at + 4..at + 8].copy_from_slice(&0xfff0_0000u32.to_le_bytes());
        let mut trailer = ng.out.clone();
        trailer[at + 32..at + 36].copy_from_slice(&40u32.to_le_bytes());
        let cut = ng.out[..ng.out.len() - 3].to_vec();
        for (bytes, read, error) in [
            (
                huge,
                1,
                "frame 2: block of type 0x6: length 4293918720 is not a multiple of 4 from 12 to 16777216",
            ),
            (
                trailer,
                1,
                "frame 2: block of type 0x6: trailing length 40 differs from its length 36",
            ),
            (
                cut,
                2,
                "frame 3: file cut short in a block of type 0x6 (37 of 40 bytes)",
            ),
        ] {
            let (frames, errors) = read_all(&bytes);
            assert_eq!(frames.len(), read);
            let errors: Vec<_> = errors.iter().map(|e| e.to_string()).collect();
            assert_eq!(errors, [error]);
        }
        let mut pcap = pcap(true, true, 1, &[(1, 0, b"one"), (2, 0, b"two")]);
        pcap[24 + 19 + 8..24 + 19 + 12].copy_from_slice(&(MAX_BLOCK as u32 + 1).to_le_bytes());
        let (frames, errors) = read_all(&pcap);
        assert_eq!(frames.len(), 1);
        assert_eq!(
            errors[0].to_string(),
            "frame 2: record header: captured length 16777217 over the cap of 16777216"
        );
    }

    #[test]
    fn what_is_not_a_capture_says_what_it_is() {
        let open = |b: &[u8]| Reader::open(b).err().map(|e| e.0);
        assert_eq!(open(b""), Some("empty file (no capture header)".into()));
        assert_eq!(open(b"ab"), Some("not a capture file: only 2 bytes".into()));
        assert_eq!(
            open(b"hello, world\n"),
            Some("not a pcap or pcapng file (it starts 68 65 6c 6c)".into())
        );
        assert_eq!(
            open(&pcap(true, false, 1, &[])[..20]),
            Some("pcap file cut short in its header (20 of 24 bytes)".into())
        );
        // A header and no frames is a capture, of nothing.
        assert_eq!(read_all(&pcap(true, false, 1, &[])).0.len(), 0);
        assert_eq!(read_all(&Ng::section(false).out).0.len(), 0);
    }
}
