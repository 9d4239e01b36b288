//! Writing frames to a capture file: pcapng (by the file name's `.pcapng`
//! ending) or pcap through libpcap. libpcap reads pcapng but writes only
//! pcap, so the pcapng blocks are written here.

use dissect::capture::LinkType;
use engine::frame::{Frame, SourceError};
use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::Path;

/// A capture file being written.
pub enum Savefile {
    Pcap(pcap::Savefile),
    Pcapng(Pcapng),
}

impl Savefile {
    /// Creates `path` for frames of link type `link`: pcapng when the name
    /// ends in `.pcapng`, pcap otherwise.
    pub fn create(path: &Path, link: LinkType) -> Result<Self, SourceError> {
        if path.extension().is_some_and(|e| e == "pcapng") {
            let file = File::create(path).map_err(|e| error(e.to_string()))?;
            return Pcapng::start(BufWriter::new(file), link).map(Savefile::Pcapng);
        }
        let fail = |e: pcap::Error| error(e.to_string());
        let linktype = pcap::Linktype(i32::try_from(link.0).unwrap_or(i32::MAX));
        let dead = pcap::Capture::dead_with_precision(linktype, pcap::Precision::Nano).map_err(fail)?;
        Ok(Savefile::Pcap(dead.savefile(path).map_err(fail)?))
    }

    pub fn write(&mut self, frame: &Frame) -> Result<(), SourceError> {
        match self {
            Savefile::Pcap(file) => {
                let header = pcap::PacketHeader {
                    ts: libc_timeval(frame.time.secs, frame.time.nanos),
                    caplen: u32::try_from(frame.data.len()).unwrap_or(u32::MAX),
                    len: u32::try_from(frame.orig_len).unwrap_or(u32::MAX),
                };
                file.write(&pcap::Packet::new(&header, &frame.data));
                Ok(())
            }
            Savefile::Pcapng(file) => file.packet(frame),
        }
    }

    pub fn flush(&mut self) -> Result<(), SourceError> {
        match self {
            Savefile::Pcap(file) => file.flush().map_err(|e| error(e.to_string())),
            Savefile::Pcapng(file) => file.out.flush().map_err(|e| error(e.to_string())),
        }
    }
}

fn error(message: String) -> SourceError {
    SourceError { frame: 0, message }
}

/// With nanosecond precision libpcap reads `tv_usec` as nanoseconds.
fn libc_timeval(secs: i64, nanos: u32) -> libc::timeval {
    libc::timeval {
        tv_sec: secs as libc::time_t,
        tv_usec: libc::suseconds_t::from(nanos),
    }
}

/// A pcapng section with one interface, nanosecond timestamps, in this
/// host's byte order (the byte-order magic tells readers which).
pub struct Pcapng {
    out: BufWriter<File>,
}

const SECTION_HEADER: u32 = 0x0A0D_0D0A;
const INTERFACE_DESCRIPTION: u32 = 1;
const ENHANCED_PACKET: u32 = 6;
const BYTE_ORDER_MAGIC: u32 = 0x1A2B_3C4D;
/// if_tsresol option: timestamps count 10^-9 s.
const IF_TSRESOL_NANOS: [u8; 8] = [9, 0, 1, 0, 9, 0, 0, 0];
const END_OF_OPTIONS: [u8; 4] = [0; 4];

impl Pcapng {
    fn start(out: BufWriter<File>, link: LinkType) -> Result<Self, SourceError> {
        let mut file = Pcapng { out };
        let mut shb = Vec::with_capacity(16);
        shb.extend_from_slice(&BYTE_ORDER_MAGIC.to_ne_bytes());
        shb.extend_from_slice(&1u16.to_ne_bytes());
        shb.extend_from_slice(&0u16.to_ne_bytes());
        shb.extend_from_slice(&(-1i64).to_ne_bytes()); // section length not given
        file.block(SECTION_HEADER, &shb)?;
        let mut idb = Vec::with_capacity(20);
        idb.extend_from_slice(&u16::try_from(link.0).unwrap_or(u16::MAX).to_ne_bytes());
        idb.extend_from_slice(&0u16.to_ne_bytes());
        idb.extend_from_slice(&0u32.to_ne_bytes()); // no snaplen limit
        idb.extend_from_slice(&IF_TSRESOL_NANOS);
        idb.extend_from_slice(&END_OF_OPTIONS);
        file.block(INTERFACE_DESCRIPTION, &idb)?;
        Ok(file)
    }

    fn packet(&mut self, frame: &Frame) -> Result<(), SourceError> {
        let nanos = (frame.time.secs as u64)
            .wrapping_mul(1_000_000_000)
            .wrapping_add(u64::from(frame.time.nanos));
        let mut epb = Vec::with_capacity(20 + frame.data.len() + 3);
        epb.extend_from_slice(&0u32.to_ne_bytes()); // interface 0
        epb.extend_from_slice(&((nanos >> 32) as u32).to_ne_bytes());
        epb.extend_from_slice(&(nanos as u32).to_ne_bytes());
        epb.extend_from_slice(&u32::try_from(frame.data.len()).unwrap_or(u32::MAX).to_ne_bytes());
        epb.extend_from_slice(&u32::try_from(frame.orig_len).unwrap_or(u32::MAX).to_ne_bytes());
        epb.extend_from_slice(&frame.data);
        epb.resize(epb.len().next_multiple_of(4), 0);
        self.block(ENHANCED_PACKET, &epb)
    }

    /// A block: type, total length, body (padded to 4 already), total length.
    fn block(&mut self, kind: u32, body: &[u8]) -> Result<(), SourceError> {
        let total = u32::try_from(12 + body.len()).unwrap_or(u32::MAX).to_ne_bytes();
        [&kind.to_ne_bytes()[..], &total, body, &total]
            .iter()
            .try_for_each(|part| self.out.write_all(part))
            .map_err(|e| error(e.to_string()))
    }
}
