//! Writing frames to a capture file: pcapng (by the file name's `.pcapng`
//! ending) or pcap, with nanosecond timestamps, in this host's byte order
//! (the magic tells readers which).

use dissect::capture::LinkType;
use engine::capture_file::{
    linktype, BYTE_ORDER_MAGIC, ENHANCED_PACKET, IF_TSRESOL, INTERFACE_DESCRIPTION, PCAP_NANOS,
    SECTION_HEADER,
};
use engine::frame::{Frame, SourceError};
use std::io::{BufWriter, Write};
use std::path::Path;

/// A capture file being written.
pub struct Savefile {
    out: BufWriter<Box<dyn Write + Send>>,
    pcapng: bool,
    /// (link type, snaplen) of each interface: pcapng's Interface
    /// Description Blocks, in order; pcap's one, from its header.
    interfaces: Vec<(LinkType, u32)>,
}

/// What a pcap header says for "no limit" (libpcap's largest snaplen).
const PCAP_NO_LIMIT: u32 = 262_144;
const END_OF_OPTIONS: [u8; 4] = [0; 4];

impl Savefile {
    /// Creates `path` (`-`: standard output) for frames of link type `link`
    /// cut at `snaplen` (0: not cut): pcapng when the name ends in
    /// `.pcapng`, pcap otherwise. pcapng takes frames of other link types
    /// and snaplens as they come; pcap holds one link type.
    pub fn create(path: &Path, link: LinkType, snaplen: u32) -> Result<Self, SourceError> {
        let out: Box<dyn Write + Send> = if path == Path::new("-") {
            Box::new(std::io::stdout())
        } else {
            Box::new(std::fs::File::create(path).map_err(|e| error(e.to_string()))?)
        };
        let mut file = Savefile {
            out: BufWriter::with_capacity(256 << 10, out),
            pcapng: path.extension().is_some_and(|e| e == "pcapng"),
            interfaces: vec![(link, snaplen)],
        };
        if file.pcapng {
            let mut shb = Vec::with_capacity(16);
            shb.extend_from_slice(&BYTE_ORDER_MAGIC.to_ne_bytes());
            shb.extend_from_slice(&1u16.to_ne_bytes());
            shb.extend_from_slice(&0u16.to_ne_bytes());
            shb.extend_from_slice(&(-1i64).to_ne_bytes()); // section length not given
            file.block(SECTION_HEADER, &[&shb])?;
            file.interface(link, snaplen)?;
        } else {
            let snaplen = if snaplen == 0 { PCAP_NO_LIMIT } else { snaplen };
            let header = [
                &PCAP_NANOS.to_ne_bytes()[..],
                &2u16.to_ne_bytes(),
                &4u16.to_ne_bytes(),
                &0u32.to_ne_bytes(), // thiszone
                &0u32.to_ne_bytes(), // sigfigs
                &snaplen.to_ne_bytes(),
                &linktype(link).to_ne_bytes(),
            ];
            file.put(&header)?;
        }
        Ok(file)
    }

    /// Writes `frame`, captured with `snaplen`.
    pub fn write<D: AsRef<[u8]>>(&mut self, frame: &Frame<D>, snaplen: u32) -> Result<(), SourceError> {
        let data = frame.data.as_ref();
        let caplen = u32::try_from(data.len()).unwrap_or(u32::MAX).to_ne_bytes();
        let orig_len = u32::try_from(frame.orig_len).unwrap_or(u32::MAX).to_ne_bytes();
        if !self.pcapng {
            let (pcap_link, _) = self.interfaces[0];
            if frame.link != pcap_link {
                return Err(SourceError {
                    frame: frame.number,
                    message: format!(
                        "link type {} after {}: a pcap file holds one link type; write a .pcapng file",
                        frame.link.0, pcap_link.0
                    ),
                });
            }
            let secs = (frame.time.secs as u32).to_ne_bytes();
            let nanos = frame.time.nanos.to_ne_bytes();
            return self.put(&[&secs, &nanos, &caplen, &orig_len, data]);
        }
        let id = match self.interfaces.iter().position(|&i| i == (frame.link, snaplen)) {
            Some(id) => id,
            None => {
                self.interface(frame.link, snaplen)?;
                self.interfaces.push((frame.link, snaplen));
                self.interfaces.len() - 1
            }
        };
        let nanos = (frame.time.secs as u64)
            .wrapping_mul(1_000_000_000)
            .wrapping_add(u64::from(frame.time.nanos));
        let pad = [0u8; 3];
        self.block(
            ENHANCED_PACKET,
            &[
                &(id as u32).to_ne_bytes(),
                &((nanos >> 32) as u32).to_ne_bytes(),
                &(nanos as u32).to_ne_bytes(),
                &caplen,
                &orig_len,
                data,
                &pad[..data.len().next_multiple_of(4) - data.len()],
            ],
        )
    }

    pub fn flush(&mut self) -> Result<(), SourceError> {
        self.out.flush().map_err(|e| error(e.to_string()))
    }

    /// An Interface Description Block with nanosecond timestamps.
    fn interface(&mut self, link: LinkType, snaplen: u32) -> Result<(), SourceError> {
        let link = u16::try_from(linktype(link)).unwrap_or(u16::MAX).to_ne_bytes();
        // if_tsresol, one byte: timestamps count 10^-9 s; padded to 4.
        let idb: [&[u8]; 7] = [
            &link,
            &0u16.to_ne_bytes(),
            &snaplen.to_ne_bytes(),
            &IF_TSRESOL.to_ne_bytes(),
            &1u16.to_ne_bytes(),
            &[9, 0, 0, 0],
            &END_OF_OPTIONS,
        ];
        self.block(INTERFACE_DESCRIPTION, &idb)
    }

    /// A pcapng block: type, total length, body (its parts padded to 4 already), total length.
    fn block(&mut self, kind: u32, body: &[&[u8]]) -> Result<(), SourceError> {
        let len = 12 + body.iter().map(|p| p.len()).sum::<usize>();
        let total = u32::try_from(len).unwrap_or(u32::MAX).to_ne_bytes();
        self.put(&[&kind.to_ne_bytes(), &total])?;
        self.put(body)?;
        self.put(&[&total])
    }

    fn put(&mut self, parts: &[&[u8]]) -> Result<(), SourceError> {
        parts
            .iter()
            .try_for_each(|part| self.out.write_all(part))
            .map_err(|e| error(e.to_string()))
    }
}

fn error(message: String) -> SourceError {
    SourceError { frame: 0, message }
}
