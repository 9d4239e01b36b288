//! Writing frames to a capture file through libpcap. libpcap's dump writes
//! the pcap format (nanosecond timestamps), not pcapng.

use crate::source::{Frame, SourceError};
use dissect::capture::LinkType;
use std::path::Path;

/// A capture file being written.
pub struct Savefile {
    file: pcap::Savefile,
}

impl Savefile {
    /// Creates `path` for frames of link type `link`.
    pub fn create(path: &Path, link: LinkType) -> Result<Self, SourceError> {
        let fail = |e: pcap::Error| SourceError {
            frame: 0,
            message: e.to_string(),
        };
        let linktype = pcap::Linktype(i32::try_from(link.0).unwrap_or(i32::MAX));
        let dead = pcap::Capture::dead_with_precision(linktype, pcap::Precision::Nano).map_err(fail)?;
        Ok(Savefile {
            file: dead.savefile(path).map_err(fail)?,
        })
    }

    pub fn write(&mut self, frame: &Frame) {
        let header = pcap::PacketHeader {
            ts: libc_timeval(frame.time.secs, frame.time.nanos),
            caplen: u32::try_from(frame.data.len()).unwrap_or(u32::MAX),
            len: u32::try_from(frame.orig_len).unwrap_or(u32::MAX),
        };
        self.file.write(&pcap::Packet::new(&header, &frame.data));
    }

    pub fn flush(&mut self) -> Result<(), SourceError> {
        self.file.flush().map_err(|e| SourceError {
            frame: 0,
            message: e.to_string(),
        })
    }
}

/// With nanosecond precision libpcap reads `tv_usec` as nanoseconds.
fn libc_timeval(secs: i64, nanos: u32) -> libc::timeval {
    libc::timeval {
        tv_sec: secs as libc::time_t,
        tv_usec: libc::suseconds_t::from(nanos),
    }
}
