"""Find the SMC messages in a capture (stdlib only; used by extract-vectors and check).

This is the lab's own small reader, just enough to cut test vectors out of real
captures and to check a fresh capture against corpora/real/manifest.toml; the
project's dissector is the real parser and should replace the check later.

scan(path) returns a Scan: TCP connections (SYN options, CLC messages
reassembled from the stream), RoCEv2 packets, and SMC messages carried in RoCE
SENDs (LLC, CDC; SENDs spanning First/Middle/Last are concatenated).
"""
import struct
from dataclasses import dataclass, field

from pcapng import Packet, read_packets

SMC_OPTION = b"\xfe\x06\xe2\xd4\xc3\xd9"
EYECATCHERS = (b"\xe2\xd4\xc3\xd9", b"\xe2\xd4\xc3\xc4")  # SMCR, SMCD in EBCDIC
CLC_TYPES = {1: "proposal", 2: "accept", 3: "confirm", 4: "decline"}
LLC_TYPES = {1: "confirm_link", 2: "add_link", 3: "add_link_cont", 4: "delete_link",
             5: "req_add_link", 6: "confirm_rkey", 7: "test_link", 8: "confirm_rkey_cont",
             9: "delete_rkey"}
ROCEV2_PORT = 4791
# BTH opcodes of the RC transport (IBA 9.2) and the extra headers they carry
OPCODES = {0x00: "send_first", 0x01: "send_middle", 0x02: "send_last", 0x04: "send_only",
           0x06: "write_first", 0x07: "write_middle", 0x08: "write_last", 0x0A: "write_only",
           0x11: "ack"}
EXTRA_HDR = {0x06: 16, 0x0A: 16, 0x11: 4}  # RETH on WRITE First/Only, AETH on Acknowledge


@dataclass
class ClcMessage:
    frame: int  # frame holding the message's first byte
    frames: list  # every frame it spans
    sender: str  # "client" or "server"
    data: bytes

    @property
    def type(self) -> str:
        return CLC_TYPES.get(self.data[4], f"type{self.data[4]}")

    @property
    def version(self) -> int:
        return self.data[7] >> 4

    @property
    def first_contact(self) -> bool:
        return self.data[4] in (2, 3) and bool(self.data[7] & 0x08)

    @property
    def diagnosis(self) -> int | None:
        return struct.unpack_from(">I", self.data, 16)[0] if self.data[4] == 4 else None


@dataclass
class TcpConn:
    client: tuple  # (ip, port)
    server: tuple
    syn_frame: int
    syn_options: bytes
    synack_frame: int | None = None
    synack_options: bytes | None = None
    rst_frames: list = field(default_factory=list)
    clc: list = field(default_factory=list)
    fallback_bytes: int = 0  # stream bytes after the CLC messages (TCP fallback data)
    segments: dict = field(default_factory=lambda: {"client": [], "server": []})


@dataclass
class RocePacket:
    pkt: Packet
    src: str
    dst: str
    opcode: int
    qp: int
    psn: int
    payload: bytes  # after BTH and extra headers, without pad and ICRC

    @property
    def name(self) -> str:
        return OPCODES.get(self.opcode, f"opcode{self.opcode:#04x}")


@dataclass
class SendMessage:
    frame: int
    frames: list
    src: str
    dst: str
    data: bytes

    @property
    def is_cdc(self) -> bool:
        return len(self.data) == 44 and self.data[0] == 0xFE

    @property
    def llc_name(self) -> str:
        base = LLC_TYPES.get(self.data[0] & 0x0F, f"type{self.data[0]:#04x}")
        return base + ("_rsp" if self.data[3] & 0x80 else "")


@dataclass
class Scan:
    conns: list
    roce: list
    sends: list

    @property
    def cdc(self):
        return [m for m in self.sends if m.is_cdc]

    @property
    def llc(self):
        return [m for m in self.sends if not m.is_cdc]


def _ip_layer(data: bytes):
    """Return (src, dst, proto, l4 bytes) for IPv4/IPv6 over Ethernet, else None."""
    if len(data) < 14:
        return None
    etype = struct.unpack_from(">H", data, 12)[0]
    if etype == 0x0800 and len(data) >= 34:
        ihl = (data[14] & 0x0F) * 4
        total = struct.unpack_from(">H", data, 16)[0]
        src, dst = ".".join(map(str, data[26:30])), ".".join(map(str, data[30:34]))
        return src, dst, data[23], data[14 + ihl:14 + total]
    if etype == 0x86DD and len(data) >= 54:
        plen = struct.unpack_from(">H", data, 18)[0]
        src, dst = data[22:38].hex(), data[38:54].hex()
        return src, dst, data[20], data[54:54 + plen]  # no extension headers on our streams
    return None


def _tcp(pkt, src, dst, seg, conns):
    sport, dport, seq = struct.unpack_from(">HHI", seg, 0)
    off, flags = (seg[12] >> 4) * 4, seg[13]
    options, payload = seg[20:off], seg[off:]
    syn, ack, rst = flags & 0x02, flags & 0x10, flags & 0x04
    a, b = (src, sport), (dst, dport)
    if syn and not ack:
        conns[(a, b)] = TcpConn(a, b, pkt.frame, options)
        conns[(a, b)].isn = {"client": seq + 1}
        return
    conn = conns.get((a, b)) or conns.get((b, a))
    if conn is None:
        return
    side = "client" if (a, b) == (conn.client, conn.server) else "server"
    if syn and ack and conn.synack_frame is None:
        conn.synack_frame, conn.synack_options = pkt.frame, options
        conn.isn["server"] = seq + 1
    if rst:
        conn.rst_frames.append(pkt.frame)
    if payload and side in conn.isn:
        conn.segments[side].append(((seq - conn.isn[side]) & 0xFFFFFFFF, payload, pkt.frame))


def _reassemble(segments):
    """In-order stream bytes plus, for each byte offset range, its frame."""
    stream, spans = b"", []
    for rel, payload, frame in sorted(segments, key=lambda s: (s[0], s[2])):
        if rel + len(payload) <= len(stream):
            continue  # retransmission
        if rel > len(stream):
            break  # a hole: stop at what is known
        new = payload[len(stream) - rel:]
        spans.append((len(stream), len(stream) + len(new), frame))
        stream += new
    return stream, spans


def _clc_messages(conn):
    out = {}
    for side in ("client", "server"):
        stream, spans = _reassemble(conn.segments[side])
        pos, msgs = 0, []
        while stream[pos:pos + 4] in EYECATCHERS and pos + 8 <= len(stream):
            length = struct.unpack_from(">H", stream, pos + 5)[0]
            if length < 8 or pos + length > len(stream):
                break
            frames = [f for lo, hi, f in spans if lo < pos + length and hi > pos]
            msgs.append(ClcMessage(frames[0], frames, side, stream[pos:pos + length]))
            pos += length
        conn.fallback_bytes += len(stream) - pos
        out[side] = msgs
    # CLC alternates between the peers; order the two directions by first frame
    conn.clc = sorted(out["client"] + out["server"], key=lambda m: m.frame)


def _roce(pkt, src, dst, udp):
    bth = udp[8:]
    if len(bth) < 16:
        return None
    opcode, pad = bth[0], (bth[1] >> 4) & 0x3
    qp = int.from_bytes(bth[5:8], "big")
    psn = int.from_bytes(bth[9:12], "big")
    start = 12 + EXTRA_HDR.get(opcode, 0)
    return RocePacket(pkt, src, dst, opcode, qp, psn, bth[start:len(bth) - 4 - pad])


def _sends(roce):
    """SMC messages from SEND packets; a retransmitted PSN is counted once."""
    seen, partial, out = set(), {}, []
    for r in roce:
        if r.opcode > 0x04 or r.opcode == 0x03:
            continue
        key = (r.src, r.dst, r.qp)
        if (key, r.psn) in seen:
            continue
        seen.add((key, r.psn))
        if r.opcode in (0x00, 0x04):
            partial[key] = ([r.pkt.frame], r.payload)
        elif key in partial:
            frames, data = partial[key]
            partial[key] = (frames + [r.pkt.frame], data + r.payload)
        else:
            continue  # a Middle/Last whose First was not captured
        if r.opcode in (0x02, 0x04):
            frames, data = partial.pop(key)
            out.append(SendMessage(frames[0], frames, r.src, r.dst, data))
    return out


def scan(path: str) -> Scan:
    conns, roce, packets = {}, [], []
    for pkt in read_packets(path):
        packets.append(pkt)
        ip = _ip_layer(pkt.data)
        if ip is None:
            continue
        src, dst, proto, l4 = ip
        if proto == 6 and len(l4) >= 20:
            _tcp(pkt, src, dst, l4, conns)
        elif proto == 17 and len(l4) >= 8 and struct.unpack_from(">H", l4, 2)[0] == ROCEV2_PORT:
            r = _roce(pkt, src, dst, l4)
            if r:
                roce.append(r)
    for conn in conns.values():
        _clc_messages(conn)
    ordered = sorted(conns.values(), key=lambda c: c.syn_frame)
    return Scan(ordered, roce, _sends(roce))


def has_smc_option(options: bytes | None) -> bool:
    """Walk the TCP options block (kind, length, value) looking for SMC's experimental option."""
    pos, options = 0, options or b""
    while pos < len(options):
        kind = options[pos]
        if kind == 0:
            return False
        if kind == 1:
            pos += 1
            continue
        if pos + 1 >= len(options) or options[pos + 1] < 2:
            return False
        if options[pos:pos + options[pos + 1]] == SMC_OPTION:
            return True
        pos += options[pos + 1]
    return False
