//! Link layers other than Ethernet: the real captures' IP packets rewrapped in
//! Linux cooked headers (SLL, SLL2), VLAN tags and raw IP, written to capture
//! files of those link types, then read: the same SMC events.

use dissect::capture::LinkType;
use engine::frame::{Frame, FrameSource};
use engine::pipeline::{Event, Pipeline};
use std::path::{Path, PathBuf};
use sys::savefile::Savefile;
use sys::source::CaptureFiles;

fn corpus(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../corpora/real")
        .join(name)
}

fn read(path: &Path) -> Vec<Frame> {
    let mut source = CaptureFiles::open(&[path]).expect("capture opens");
    std::iter::from_fn(|| source.next_frame())
        .map(|f| f.expect("whole file"))
        .collect()
}

/// Events without their frame numbers' meaning changing: kind and endpoints.
fn events(frames: &[Frame]) -> Vec<Event> {
    let (mut pipeline, mut out) = (Pipeline::default(), Vec::new());
    for f in frames {
        pipeline.frame(f, &mut out);
    }
    pipeline.finish(&mut out);
    out
}

/// An Ethernet frame's source MAC, ethertype and payload.
fn parts(frame: &[u8]) -> (&[u8], &[u8], &[u8]) {
    (&frame[6..12], &frame[12..14], &frame[14..])
}

fn sll(frame: &[u8]) -> Vec<u8> {
    let (mac, ether_type, payload) = parts(frame);
    // packet type (outgoing), ARPHRD_ETHER, address length, address (8), protocol.
    [&[0, 4, 0, 1, 0, 6][..], mac, &[0, 0], ether_type, payload].concat()
}

fn sll2(frame: &[u8]) -> Vec<u8> {
    let (mac, ether_type, payload) = parts(frame);
    // protocol, reserved, if_index 2, ARPHRD_ETHER, packet type, address length, address (8).
    [ether_type, &[0, 0, 0, 0, 0, 2, 0, 1, 4, 6], mac, &[0, 0], payload].concat()
}

fn vlan(frame: &[u8]) -> Vec<u8> {
    let (_, ether_type, payload) = parts(frame);
    // 802.1ad outer tag 100 and 802.1Q inner tag 7 (QinQ).
    [
        &frame[..12],
        &[0x88, 0xa8, 0, 100, 0x81, 0x00, 0, 7],
        ether_type,
        payload,
    ]
    .concat()
}

fn raw(frame: &[u8]) -> Vec<u8> {
    parts(frame).2.to_vec()
}

/// Puts an Ethernet frame's IP packet behind another link header.
type Wrap = fn(&[u8]) -> Vec<u8>;

/// Each IP frame rewrapped; ARP and the like have no place on raw IP and are left out.
fn rewrap(frames: &[Frame], link: LinkType, wrap: Wrap) -> Vec<Frame> {
    let ip: Vec<Frame> = frames
        .iter()
        .filter(|f| matches!(f.data[12..14], [0x08, 0x00] | [0x86, 0xdd]))
        .cloned()
        .collect();
    rewrap_all(&ip, link, wrap)
}

/// Written and read back.
fn round_trip(frames: &[Frame], name: &str) -> Vec<Frame> {
    let path = std::env::temp_dir().join(format!("smc-analyze-{name}-{}.pcap", std::process::id()));
    let mut out = Savefile::create(&path, frames[0].link, 0).expect("savefile");
    frames.iter().for_each(|f| out.write(f, 0).expect("write"));
    out.flush().expect("flush");
    drop(out);
    let back = read(&path);
    let _ = std::fs::remove_file(&path);
    back
}

#[test]
fn cooked_vlan_and_raw_ip_captures_give_the_ethernet_events() {
    for file in ["smcr-v2-echo.pcapng", "ipv6.pcapng", "server-no-ueid.pcapng"] {
        let ethernet = read(&corpus(file));
        let expected: Vec<_> = events(&rewrap(&ethernet, LinkType::ETHERNET, |f| f.to_vec()))
            .into_iter()
            .map(|e| (e.time, e.at, e.kind))
            .collect();
        assert!(expected.len() >= 3, "{file}: {} events", expected.len());
        let links: [(LinkType, Wrap); 4] = [
            (LinkType::LINUX_SLL, sll),
            (LinkType::LINUX_SLL2, sll2),
            (LinkType::ETHERNET, vlan),
            (LinkType::RAW, raw),
        ];
        for (link, wrap) in links {
            let read = round_trip(&rewrap(&ethernet, link, wrap), link.name().unwrap_or("link"));
            assert_eq!(read[0].link, link, "{file}: the file kept the link type");
            let got: Vec<_> = events(&read)
                .into_iter()
                .map(|e| (e.time, e.at, e.kind))
                .collect();
            assert_eq!(got, expected, "{file} as {link}");
        }
    }
}

/// An InfiniBand packet with a GRH (libpcap's INFINIBAND link type) made of a
/// RoCEv2 frame: LRH, a GRH from the IPv4 header (IPv4-mapped GIDs), the UDP
/// payload (BTH to ICRC), and a VCRC.
fn infiniband(frame: &[u8]) -> Vec<u8> {
    let ip = &frame[14..34];
    let ib = &frame[42..];
    let gid = |a: &[u8]| [&[0u8; 10][..], &[0xff, 0xff], a].concat();
    let words = ((8 + 40 + ib.len()) / 4) as u16;
    let lrh = [
        0x00,
        0x03,
        0x00,
        0x02,
        (words >> 8) as u8,
        words as u8,
        0x00,
        0x01,
    ];
    let pay_len = (ib.len() as u16).to_be_bytes();
    let grh = [
        &[0x60, 0, 0, 0],
        &pay_len[..],
        &[0x1b, 64],
        &gid(&ip[12..16]),
        &gid(&ip[16..20]),
    ]
    .concat();
    [&lrh[..], &grh, ib, &[0xab, 0xcd]].concat()
}

#[test]
fn infiniband_captures_with_a_grh_give_the_roce_events() {
    let ethernet = read(&corpus("smcr-v2-echo.pcapng"));
    let roce: Vec<Frame> = ethernet
        .into_iter()
        .filter(|f| f.data.len() > 42 && f.data[12..14] == [0x08, 0x00] && f.data[36..38] == [0x12, 0xb7])
        .collect();
    let kinds = |events: Vec<Event>| -> Vec<_> { events.into_iter().map(|e| (e.time, e.kind)).collect() };
    let expected = kinds(events(&rewrap_all(&roce, LinkType::ETHERNET, |f| f.to_vec())));
    assert!(expected.len() > 20, "{} RoCE events", expected.len());
    let read = round_trip(&rewrap_all(&roce, LinkType::INFINIBAND, infiniband), "infiniband");
    assert_eq!(read[0].link, LinkType::INFINIBAND, "the file kept the link type");
    assert_eq!(kinds(events(&read)), expected);
}

#[test]
fn infiniband_packets_without_a_grh_are_reported_not_dropped() {
    // LNH 2: BTH right after the LRH, no GIDs.
    let frame = [
        &[0x00, 0x02, 0x00, 0x02, 0x00, 0x06, 0x00, 0x01][..],
        &[0x04; 16],
        &[0, 0],
    ]
    .concat();
    let layers = dissect::capture::decode(LinkType::INFINIBAND, &frame, frame.len());
    let error = layers.error.expect("an error names what was not decoded");
    assert_eq!(error.layer, "link");
    assert!(format!("{error:?}").contains("without GRH"), "{error:?}");
}

fn rewrap_all(frames: &[Frame], link: LinkType, wrap: Wrap) -> Vec<Frame> {
    frames
        .iter()
        .map(|f| {
            let data = wrap(&f.data);
            Frame {
                orig_len: f.orig_len + data.len() - f.data.len(),
                data,
                link,
                ..f.clone()
            }
        })
        .collect()
}
