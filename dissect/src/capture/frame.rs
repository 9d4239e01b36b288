//! One captured frame decoded lax: every layer that could be read, with its
//! byte offset, plus the error that stopped decoding.

use super::link::{self, ether_type, Link, LinkError, LinkType, Next};
use arrayvec::ArrayVec;
use etherparse::{
    ip_number, Ipv4HeaderSlice, Ipv6HeaderSlice, LaxNetSlice, LaxSlicedPacket, TcpSlice, TransportSlice,
    UdpSlice,
};
use std::net::IpAddr;

/// UDP destination port of RoCEv2.
pub const ROCE_V2_PORT: u16 = 4791;

/// Where one layer sits in the frame.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Span {
    pub layer: &'static str,
    pub offset: usize,
    pub len: usize,
}

/// The IP header's addresses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Ip {
    pub src: IpAddr,
    pub dst: IpAddr,
}

/// A TCP segment: the header fields reassembly needs, and the payload.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TcpSegment<'a> {
    pub src_port: u16,
    pub dst_port: u16,
    pub seq: u32,
    pub ack: u32,
    pub syn: bool,
    pub ack_flag: bool,
    pub fin: bool,
    pub rst: bool,
    pub options: &'a [u8],
    pub payload: &'a [u8],
}

/// What the frame carries above the network layer, as far as SMC cares.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum Carried<'a> {
    Tcp(TcpSegment<'a>),
    /// UDP to port 4791: `bytes` start at the BTH; `wire_len` is their
    /// length on the wire (from the UDP header), more when the frame was cut.
    RoceV2 {
        bytes: &'a [u8],
        wire_len: usize,
    },
    /// Ethertype 0x8915: `bytes` start at the GRH.
    RoceV1 {
        bytes: &'a [u8],
        wire_len: usize,
    },
    #[default]
    Other,
}

/// Why decoding stopped, at which layer and byte.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DecodeError {
    pub layer: &'static str,
    pub offset: usize,
    pub reason: String,
    /// The frame was cut by the capture's snaplen: incomplete, not malformed.
    pub truncated: bool,
}

impl core::fmt::Display for DecodeError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        let what = if self.truncated {
            "cut by snaplen"
        } else {
            "malformed"
        };
        write!(
            f,
            "{} at byte {}: {what}: {}",
            self.layer, self.offset, self.reason
        )
    }
}

/// Spans a frame records, inline (no allocation per frame): link, network,
/// transport and RoCE, and up to [`VLAN_SPANS`] VLAN tags.
pub const SPANS: usize = 8;
/// VLAN tags given a span; more (stacked tags are rare) are decoded unrecorded.
pub const VLAN_SPANS: usize = SPANS - 4;

/// A decoded frame. `truncated` is set when the capture kept fewer bytes
/// than were on the wire, so a short payload is expected.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Layers<'a> {
    pub link: Option<Link>,
    pub vlans: Vec<u16>,
    pub ip: Option<Ip>,
    pub carried: Carried<'a>,
    pub spans: ArrayVec<Span, SPANS>,
    pub truncated: bool,
    pub error: Option<DecodeError>,
}

/// Decodes `frame` (the captured bytes) of a capture of type `link`;
/// `orig_len` is the frame's length on the wire.
pub fn decode(link: LinkType, frame: &[u8], orig_len: usize) -> Layers<'_> {
    let mut out = Layers::default();
    decode_into(link, frame, orig_len, &mut out);
    out
}

/// [`decode`] into `out`, which must be `Layers::default()`: a reader of
/// millions of frames fills its own instead of copying a returned one.
pub fn decode_into<'a>(link: LinkType, frame: &'a [u8], orig_len: usize, out: &mut Layers<'a>) {
    out.truncated = frame.len() < orig_len;
    let header = match link::parse(link, frame) {
        Ok(h) => h,
        Err(LinkError::Unsupported(t)) => {
            out.fail("link", 0, format!("link type {t} ({}) is not supported", t.0));
            return;
        }
        Err(LinkError::Bad(reason)) => {
            out.fail("link", 0, reason);
            return;
        }
    };
    let mut offset = header.len;
    let trailer = header.trailer;
    if header.len > 0 {
        out.span(header.link.name(), 0, header.len);
    }
    out.link = Some(header.link);
    let mut next = header.next;
    while let Next::EtherType(t) = next {
        if !ether_type::VLAN.contains(&t) {
            break;
        }
        match link::parse_vlan(frame.get(offset..).unwrap_or_default()) {
            Ok((id, inner)) => {
                out.vlans.push(id);
                if out.vlans.len() <= VLAN_SPANS {
                    out.span("vlan", offset, 4);
                }
                offset += 4;
                next = Next::EtherType(inner);
            }
            Err(reason) => {
                out.fail("vlan", offset, reason);
                return;
            }
        }
    }
    let rest = frame.get(offset..).unwrap_or_default();
    let packet = match next {
        Next::EtherType(ether_type::ROCE_V1) => {
            // The link trailer (VCRC) is not part of the packet, on the wire or as captured.
            let wire_len = orig_len.saturating_sub(offset + trailer);
            let rest = rest.get(..wire_len).unwrap_or(rest);
            out.span("roce", offset, rest.len());
            let wire_len = wire_len.max(rest.len());
            out.carried = Carried::RoceV1 {
                bytes: rest,
                wire_len,
            };
            return;
        }
        Next::EtherType(ether_type::IPV4) if out.ipv4_strict(frame, offset, rest) => return,
        Next::EtherType(ether_type::IPV6) if out.ipv6_strict(frame, offset, rest) => return,
        Next::EtherType(t @ (ether_type::IPV4 | ether_type::IPV6)) => {
            LaxSlicedPacket::from_ether_type(etherparse::EtherType(t), rest)
        }
        Next::EtherType(_) | Next::NotEther => return,
        Next::IbLocal => {
            out.fail(
                "link",
                0,
                "InfiniBand packet without GRH (routed by LID): not decoded".into(),
            );
            return;
        }
        Next::Ip => match LaxSlicedPacket::from_ip(rest) {
            Ok(p) => p,
            Err(e) => {
                out.fail("ip", offset, e.to_string());
                return;
            }
        },
    };
    out.network(frame, offset, packet);
}

impl<'a> Layers<'a> {
    /// Records where a layer sits (see [`SPANS`] for why there is room).
    fn span(&mut self, layer: &'static str, offset: usize, len: usize) {
        let _ = self.spans.try_push(Span { layer, offset, len });
    }

    // Out of line: most frames decode, and the error's String would weigh on the path that does.
    #[cold]
    #[inline(never)]
    fn fail(&mut self, layer: &'static str, offset: usize, reason: String) {
        let truncated = self.truncated;
        self.error = Some(DecodeError {
            layer,
            offset,
            reason,
            truncated,
        });
    }

    fn network(&mut self, frame: &'a [u8], base: usize, packet: LaxSlicedPacket<'a>) {
        let ip_payload = match &packet.net {
            Some(LaxNetSlice::Ipv4(v4)) => {
                let h = v4.header();
                self.ip = Some(Ip {
                    src: h.source_addr().into(),
                    dst: h.destination_addr().into(),
                });
                Some(("ipv4", v4.payload()))
            }
            Some(LaxNetSlice::Ipv6(v6)) => {
                let h = v6.header();
                self.ip = Some(Ip {
                    src: h.source_addr().into(),
                    dst: h.destination_addr().into(),
                });
                Some(("ipv6", v6.payload()))
            }
            Some(LaxNetSlice::Arp(_)) | None => None,
        };
        if let Some((name, payload)) = ip_payload {
            let at = offset_in(frame, payload.payload);
            self.span(name, base, at.saturating_sub(base));
            self.truncated |= payload.incomplete;
            if payload.fragmented {
                self.fail(name, base, "fragmented IP payload is not reassembled".into());
                return;
            }
        }
        if let Some((err, layer)) = &packet.stop_err {
            // etherparse offsets count from the slice we handed it.
            let fallback = self.spans.last().map_or(base, |s| s.offset + s.len);
            let at = stop_offset(err).map_or(fallback, |o| base + o);
            self.fail(layer_name(layer), at, err.to_string());
        }
        self.transport(frame, packet.transport);
    }

    /// A whole, unfragmented IPv4 packet carrying TCP or UDP, read with
    /// etherparse's header slices: the lax decode costs several times more.
    /// False for anything else, which the lax decode then reports as it
    /// always did (the layers are the same for what this path takes).
    fn ipv4_strict(&mut self, frame: &'a [u8], base: usize, rest: &'a [u8]) -> bool {
        let Ok(h) = Ipv4HeaderSlice::from_slice(rest) else {
            return false;
        };
        let header_len = h.slice().len();
        let Some(payload) = rest.get(header_len..usize::from(h.total_len())) else {
            return false;
        };
        if h.is_fragmenting_payload() {
            return false;
        }
        let ip = Ip {
            src: h.source_addr().into(),
            dst: h.destination_addr().into(),
        };
        self.ip_strict(frame, ("ipv4", base, header_len), ip, h.protocol(), payload)
    }

    /// [`Self::ipv4_strict`] for IPv6: a whole packet with TCP or UDP right
    /// after the fixed header (extension headers, jumbograms: the lax decode).
    fn ipv6_strict(&mut self, frame: &'a [u8], base: usize, rest: &'a [u8]) -> bool {
        let Ok(h) = Ipv6HeaderSlice::from_slice(rest) else {
            return false;
        };
        let header_len = h.slice().len();
        let Some(payload) = rest.get(header_len..header_len + usize::from(h.payload_length())) else {
            return false;
        };
        if payload.is_empty() {
            return false;
        }
        let ip = Ip {
            src: h.source_addr().into(),
            dst: h.destination_addr().into(),
        };
        self.ip_strict(frame, ("ipv6", base, header_len), ip, h.next_header(), payload)
    }

    /// The transport `payload` of an IP header (its span given) read strict:
    /// false, with nothing recorded, unless it is a TCP or UDP header.
    /// Inlined: out of line, passing the header's fields costs more than reading them.
    #[inline(always)]
    fn ip_strict(
        &mut self,
        frame: &'a [u8],
        (name, base, header_len): (&'static str, usize, usize),
        ip: Ip,
        protocol: etherparse::IpNumber,
        payload: &'a [u8],
    ) -> bool {
        let transport = match protocol {
            ip_number::TCP => TcpSlice::from_slice(payload).map(TransportSlice::Tcp).ok(),
            ip_number::UDP => UdpSlice::from_slice_lax(payload).map(TransportSlice::Udp).ok(),
            _ => None,
        };
        if transport.is_none() {
            return false;
        }
        self.ip = Some(ip);
        self.span(name, base, header_len);
        self.transport(frame, transport);
        true
    }

    // Inlined into both callers (lax and strict): a call per frame costs more than its RoCE arm.
    #[inline(always)]
    fn transport(&mut self, frame: &'a [u8], transport: Option<TransportSlice<'a>>) {
        match transport {
            Some(TransportSlice::Tcp(tcp)) => {
                let at = offset_in(frame, tcp.slice());
                self.span("tcp", at, tcp.header_slice().len());
                self.carried = Carried::Tcp(TcpSegment {
                    src_port: tcp.source_port(),
                    dst_port: tcp.destination_port(),
                    seq: tcp.sequence_number(),
                    ack: tcp.acknowledgment_number(),
                    syn: tcp.syn(),
                    ack_flag: tcp.ack(),
                    fin: tcp.fin(),
                    rst: tcp.rst(),
                    options: tcp_options(tcp.header_slice()),
                    payload: tcp.payload(),
                });
            }
            Some(TransportSlice::Udp(udp)) if udp.destination_port() == ROCE_V2_PORT => {
                let at = offset_in(frame, udp.slice());
                self.span("udp", at, udp.header_slice().len());
                self.span("roce", at + 8, udp.payload().len());
                let wire_len = usize::from(udp.length())
                    .saturating_sub(8)
                    .max(udp.payload().len());
                self.carried = Carried::RoceV2 {
                    bytes: udp.payload(),
                    wire_len,
                };
            }
            _ => {}
        }
    }
}

/// TCP options: the header past its fixed 20 bytes. Borrowed from the
/// frame (etherparse's accessor borrows the slice view instead).
fn tcp_options(header: &[u8]) -> &[u8] {
    header.get(20..).unwrap_or_default()
}

/// Where `sub` starts inside `frame`; both come from the same buffer.
fn offset_in(frame: &[u8], sub: &[u8]) -> usize {
    (sub.as_ptr() as usize).saturating_sub(frame.as_ptr() as usize)
}

/// Only length errors tell where their layer started.
fn stop_offset(err: &etherparse::err::packet::SliceError) -> Option<usize> {
    match err {
        etherparse::err::packet::SliceError::Len(len) => Some(len.layer_start_offset),
        _ => None,
    }
}

fn layer_name(layer: &etherparse::err::Layer) -> &'static str {
    use etherparse::err::Layer as L;
    match layer {
        L::Ipv4Header | L::Ipv4Packet => "ipv4",
        L::Ipv6Header | L::Ipv6Packet => "ipv6",
        L::TcpHeader => "tcp",
        L::UdpHeader | L::UdpPayload => "udp",
        L::IpAuthHeader | L::Ipv6ExtHeader | L::Ipv6HopByHopHeader | L::Ipv6RouteHeader => "ip extension",
        _ => "ip",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use etherparse::PacketBuilder;

    const ETHERNET: LinkType = LinkType::ETHERNET;

    /// What the lax decode alone makes of an Ethernet frame carrying IP.
    fn lax(frame: &[u8], orig_len: usize) -> Layers<'_> {
        let linked = decode(ETHERNET, frame, orig_len);
        let mut out = Layers {
            link: linked.link,
            truncated: frame.len() < orig_len,
            ..Layers::default()
        };
        out.spans.push(linked.spans[0]);
        let ether_type = etherparse::EtherType(u16::from_be_bytes([frame[12], frame[13]]));
        let packet = LaxSlicedPacket::from_ether_type(ether_type, &frame[14..]);
        out.network(frame, 14, packet);
        out
    }

    fn frames() -> Vec<Vec<u8>> {
        let mut frames = Vec::new();
        for ipv6 in [false, true] {
            frames.extend(frames_over(ipv6));
        }
        frames
    }

    fn frames_over(ipv6: bool) -> Vec<Vec<u8>> {
        let base = || {
            let ethernet = PacketBuilder::ethernet2([2; 6], [4; 6]);
            if ipv6 {
                ethernet.ipv6([1; 16], [2; 16], 64)
            } else {
                ethernet.ipv4([10, 0, 0, 1], [10, 0, 0, 2], 64)
            }
        };
        let mut frames = Vec::new();
        let mut tcp = Vec::new();
        base()
            .tcp(50000, 5000, 7, 4096)
            .syn()
            .options_raw(&[254, 4, 0xe2, 0xd4, 0xc3, 0xd9, 1, 0])
            .unwrap()
            .write(&mut tcp, b"\xe2\xd4\xc3\xd9 CLC bytes")
            .unwrap();
        let mut roce = Vec::new();
        base()
            .udp(49152, ROCE_V2_PORT)
            .write(&mut roce, &[0x11; 44])
            .unwrap();
        let mut udp = Vec::new();
        base().udp(53, 53).write(&mut udp, b"dns").unwrap();
        for f in [tcp, roce, udp] {
            let mut padded = f.clone();
            padded.extend_from_slice(&[0; 6]);
            frames.push(padded);
            // Total length, fragment offset, IHL, UDP length, TCP data offset broken.
            for (at, value) in [
                (16, 0),
                (17, 19),
                (17, 255),
                (20, 0x20),
                (21, 1),
                (14, 0x44),
                (14, 0x4f),
            ] {
                let mut bad = f.clone();
                bad[at] = value;
                frames.push(bad);
            }
            // Then the same for IPv6: payload length, next header, TCP data offset.
            for (at, value) in [
                (38, 0),
                (38, 0xff),
                (46, 0x40),
                (46, 0xf0),
                (18, 0),
                (19, 1),
                (19, 0xff),
                (20, 0x3a),
                (20, 0),
                (66, 0x40),
                (66, 0xf0),
            ] {
                let mut bad = f.clone();
                if let Some(b) = bad.get_mut(at) {
                    *b = value;
                }
                frames.push(bad);
            }
            frames.push(f);
        }
        frames
    }

    #[test]
    fn ip_header_slices_give_what_the_lax_decode_gives() {
        for frame in frames() {
            // Every cut a snaplen could make, from the IPv4 header on.
            for len in 14..=frame.len() {
                let cut = &frame[..len];
                assert_eq!(
                    decode(ETHERNET, cut, frame.len()),
                    lax(cut, frame.len()),
                    "{cut:02x?}"
                );
            }
        }
    }
}
