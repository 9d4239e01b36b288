#!/usr/bin/env python3
"""Seeds for the capture_frame and pipeline fuzz targets, carved from the real
captures in corpora/real (pcapng, Ethernet) in the layouts the harnesses read
(dissect::oracle::check_capture_frame, engine::oracle::check_pipeline).
Writes corpora/fuzz/{capture_frame,pipeline}/. Run from anywhere."""
import hashlib, pathlib, struct

ROOT = pathlib.Path(__file__).resolve().parents[2]
# Index in dissect::oracle::LINK_TYPES.
ETHERNET, SLL, SLL2, RAW = 0, 1, 2, 3


def frames(path):
    """Enhanced Packet Blocks of a little-endian pcapng file: (caplen data, orig_len)."""
    b = path.read_bytes()
    at = 0
    while at + 12 <= len(b):
        kind, size = struct.unpack_from("<II", b, at)
        if kind == 6:
            caplen, orig = struct.unpack_from("<II", b, at + 20)
            yield b[at + 28 : at + 28 + caplen], orig
        at += size


def wrap(frame, link):
    """The IP packet of an Ethernet frame behind another link header."""
    ethertype, ip = frame[12:14], frame[14:]
    if link == SLL:
        return b"\x00\x00\x00\x01\x00\x06" + frame[6:12] + b"\x00\x00" + ethertype + ip
    if link == SLL2:
        return ethertype + b"\x00\x00" + struct.pack(">IHBB", 2, 1, 0, 6) + frame[6:12] + b"\x00\x00" + ip
    if link == RAW:
        return ip
    return frame


def write(target, data):
    d = ROOT / "corpora/fuzz" / target
    d.mkdir(parents=True, exist_ok=True)
    (d / hashlib.sha1(data).hexdigest()[:16]).write_bytes(data)


for cap in sorted((ROOT / "corpora/real").glob("*.pcapng")):
    all_frames = list(frames(cap))
    # capture_frame: a few frames of each size class, on every link type, one cut.
    seen = set()
    for data, _ in all_frames:
        key = (data[12:14], len(data) // 64)
        if key in seen:
            continue
        seen.add(key)
        for link in (ETHERNET, SLL, SLL2, RAW):
            write("capture_frame", bytes([link, 0]) + wrap(data, link))
        write("capture_frame", bytes([ETHERNET, 40]) + data[: max(0, len(data) - 40)])
    # pipeline: the first frames of the capture (handshake, LLC, CDC), with field trees.
    for link in (ETHERNET, SLL2):
        seed = bytes([link << 1 | 1])
        for data, orig in all_frames[:60]:
            body = wrap(data, link)
            seed += struct.pack(">HB", len(body), min(255, orig - len(data))) + body
        write("pipeline", seed)
