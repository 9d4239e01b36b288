#!/usr/bin/env python3
"""Classic pcap in, pcapng out (stdlib only).

tcpdump writes classic pcap; the corpus ships pcapng so that a capture on
several NICs is one file with one Interface Description Block per NIC.

  pcapng.py merge OUT.pcapng IN.pcap...   (interface name = input file stem)

Also imported by extract-vectors: read_packets(path) yields Packet tuples
from pcap or pcapng files.
"""
import os
import struct
import sys
from typing import Iterator, NamedTuple


class Packet(NamedTuple):
    frame: int  # 1-based, as Wireshark numbers frames
    iface: str
    ts_us: int
    data: bytes
    orig_len: int


def _read_pcap(path: str) -> tuple[int, int, list]:
    """Return (linktype, snaplen, [(ts_us, data, orig_len)])."""
    with open(path, "rb") as f:
        buf = f.read()
    magic = buf[:4]
    order = {b"\xd4\xc3\xb2\xa1": "<", b"\xa1\xb2\xc3\xd4": ">",
             b"\x4d\x3c\xb2\xa1": "<", b"\xa1\xb2\x3c\x4d": ">"}.get(magic)
    if order is None:
        raise ValueError(f"{path}: not a classic pcap file")
    nano = magic in (b"\x4d\x3c\xb2\xa1", b"\xa1\xb2\x3c\x4d")
    _, _, _, _, snaplen, linktype = struct.unpack_from(order + "HHiIII", buf, 4)
    out, off = [], 24
    while off + 16 <= len(buf):
        sec, frac, incl, orig = struct.unpack_from(order + "IIII", buf, off)
        off += 16
        if off + incl > len(buf):
            break  # a packet cut by the end of the file (capture stopped mid-write)
        out.append((sec * 1_000_000 + (frac // 1000 if nano else frac), buf[off:off + incl], orig))
        off += incl
    return linktype, snaplen, out


def _block(btype: int, body: bytes) -> bytes:
    body += b"\0" * (-len(body) % 4)
    n = len(body) + 12
    return struct.pack("<II", btype, n) + body + struct.pack("<I", n)


def _option(code: int, value: bytes) -> bytes:
    return struct.pack("<HH", code, len(value)) + value + b"\0" * (-len(value) % 4)


def merge(out_path: str, inputs: list[str]) -> None:
    shb = _block(0x0A0D0D0A, struct.pack("<IHHq", 0x1A2B3C4D, 1, 0, -1)
                 + _option(4, b"lab/pcapng.py") + _option(0, b""))
    blocks, packets = [shb], []
    for idx, path in enumerate(inputs):
        linktype, snaplen, pkts = _read_pcap(path)
        name = os.path.splitext(os.path.basename(path))[0].encode()
        # if_name, if_tsresol = 6 (microseconds), end of options
        opts = _option(2, name) + _option(9, b"\x06") + _option(0, b"")
        blocks.append(_block(1, struct.pack("<HHI", linktype, 0, snaplen) + opts))
        packets += [(ts, idx, data, orig) for ts, data, orig in pkts]
    packets.sort(key=lambda p: (p[0], p[1]))  # stable: same-time packets keep their order
    for ts, idx, data, orig in packets:
        blocks.append(_block(6, struct.pack("<IIIII", idx, ts >> 32, ts & 0xFFFFFFFF, len(data), orig) + data))
    with open(out_path, "wb") as f:
        f.write(b"".join(blocks))


def read_packets(path: str) -> Iterator[Packet]:
    with open(path, "rb") as f:
        head = f.read(4)
    if head != b"\x0a\x0d\x0d\x0a":
        _, _, pkts = _read_pcap(path)
        name = os.path.splitext(os.path.basename(path))[0]
        for n, (ts, data, orig) in enumerate(pkts, 1):
            yield Packet(n, name, ts, data, orig)
        return
    with open(path, "rb") as f:
        buf = f.read()
    order, off, frame, ifaces = "<", 0, 0, []
    while off + 12 <= len(buf):
        btype = struct.unpack_from(order + "I", buf, off)[0]
        if btype == 0x0A0D0D0A:
            order = "<" if buf[off + 8:off + 12] == b"\x4d\x3c\x2b\x1a" else ">"
            ifaces = []
        blen = struct.unpack_from(order + "I", buf, off + 4)[0]
        body = buf[off + 8:off + blen - 4]
        if btype == 1:
            ifaces.append(_idb_name(body, order, len(ifaces)))
        elif btype == 6:
            idx, hi, lo, incl, orig = struct.unpack_from(order + "IIIII", body)
            frame += 1
            yield Packet(frame, ifaces[idx], (hi << 32) | lo, body[20:20 + incl], orig)
        off += blen


def _idb_name(body: bytes, order: str, idx: int) -> str:
    off = 8
    while off + 4 <= len(body):
        code, n = struct.unpack_from(order + "HH", body, off)
        if code == 0:
            break
        if code == 2:
            return body[off + 4:off + 4 + n].decode(errors="replace")
        off += 4 + n + (-n % 4)
    return f"if{idx}"


if __name__ == "__main__":
    if len(sys.argv) < 4 or sys.argv[1] != "merge":
        sys.exit(__doc__)
    merge(sys.argv[2], sys.argv[3:])
