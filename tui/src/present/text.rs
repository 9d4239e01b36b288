//! Summary lines, built in a reused buffer ([`Line`]) and written out whole.
//! Numbers, hex and IPv4 addresses are worked out in registers and put in
//! as fixed-size chunks (a few moves, no memcpy call or std formatting per
//! piece); rare text (unknown names, IPv6) still goes through std.

use super::describe::{each_field, Field, Fields, Info};
use engine::frame::Timestamp;
use engine::pipeline::{Endpoints, Event};
use std::fmt::{self, Display, Write as _};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

/// Where text goes: a summary [`Line`], or any Vec (session summaries, the
/// UI's fields).
pub trait TextSink {
    fn put(&mut self, bytes: &[u8]);
    /// `chunk[..len]`: all of the fixed-size chunk may be copied (a few
    /// moves instead of a memcpy call), only `len` bytes count.
    fn put_part<const N: usize>(&mut self, chunk: &[u8; N], len: usize);
}

impl TextSink for Vec<u8> {
    #[inline(always)]
    fn put(&mut self, bytes: &[u8]) {
        self.extend_from_slice(bytes);
    }

    #[inline(always)]
    fn put_part<const N: usize>(&mut self, chunk: &[u8; N], len: usize) {
        self.extend_from_slice(chunk);
        self.truncate(self.len() - N + len);
    }
}

/// Room for a summary line: longer ones go out in pieces.
pub const LINE: usize = 512;

/// A summary line being built in a reused buffer of fixed size: each piece
/// costs one bounds check, where pushing to the output Vec cost a capacity
/// check and a length update through it. Goes out to `out` when dropped.
pub struct Line<'a> {
    buf: &'a mut [u8; LINE],
    len: usize,
    out: &'a mut Vec<u8>,
}

impl<'a> Line<'a> {
    pub fn new(buf: &'a mut [u8; LINE], out: &'a mut Vec<u8>) -> Self {
        Line { buf, len: 0, out }
    }

    /// What is in the buffer to `out`, then `bytes`: the line did not fit.
    #[cold]
    fn spill(&mut self, bytes: &[u8]) {
        self.out.extend_from_slice(&self.buf[..self.len]);
        self.out.extend_from_slice(bytes);
        self.len = 0;
    }
}

impl TextSink for Line<'_> {
    #[inline(always)]
    fn put(&mut self, bytes: &[u8]) {
        match self.buf.get_mut(self.len..self.len + bytes.len()) {
            Some(room) => {
                room.copy_from_slice(bytes);
                self.len += bytes.len();
            }
            None => self.spill(bytes),
        }
    }

    #[inline(always)]
    fn put_part<const N: usize>(&mut self, chunk: &[u8; N], len: usize) {
        match self.buf.get_mut(self.len..self.len + N) {
            Some(room) => {
                room.copy_from_slice(chunk);
                self.len += len;
            }
            None => self.spill(&chunk[..len]),
        }
    }
}

impl Drop for Line<'_> {
    fn drop(&mut self) {
        self.out.extend_from_slice(&self.buf[..self.len]);
    }
}

/// One event's line, as tshark prints it: frame, time since the first
/// frame, source → destination, protocol, message, then `name=value` fields.
pub fn summary(mut line: Line, event: &Event, info: &Info, start: Timestamp) {
    let line = &mut line;
    decimal(line, event.frame, 6);
    line.put(b" ");
    since(line, event.time, start);
    line.put(b" ");
    match &event.at {
        Endpoints::Tcp(flow) => {
            socket(line, flow.src);
            line.put(" → ".as_bytes());
            socket(line, flow.dst);
        }
        Endpoints::Qp { src, dst, .. } => {
            ip(line, *src);
            line.put(" → ".as_bytes());
            ip(line, *dst);
        }
        Endpoints::Undecoded => line.put("- → -".as_bytes()),
    }
    line.put(b" ");
    column_and_message(line, info);
    each_field(&event.kind, &mut Words(line));
    line.put(b"\n");
}

/// Fields as they are described: ` name=value` each, absent ones left out.
struct Words<'l, P>(&'l mut P);

impl<'a, P: TextSink> Fields<'a> for Words<'_, P> {
    // Inlined where each field is described: the name and the kind of
    // value are then known, and the name is copied as a constant.
    #[inline(always)]
    fn field(&mut self, name: &'static str, value: Field<'a>) {
        const WORD: usize = 24;
        if matches!(value, Field::Absent) {
            return;
        }
        if name.len() + 2 <= WORD {
            // " name=" put in one piece.
            let mut word = [b'='; WORD];
            word[0] = b' ';
            word[1..=name.len()].copy_from_slice(name.as_bytes());
            self.0.put_part(&word, name.len() + 2);
            field(self.0, &value);
        } else {
            self.0.put(b" ");
            key_value(self.0, name, &value);
        }
    }
}

/// The fields as `name=value` words, as a summary line ends (the UI shows them too).
pub fn fields(fields: &[(&'static str, Field)]) -> String {
    let mut line = Vec::new();
    for (k, v) in fields.iter().filter(|(_, v)| !matches!(v, Field::Absent)) {
        if !line.is_empty() {
            line.push(b' ');
        }
        key_value(&mut line, k, v);
    }
    String::from_utf8_lossy(&line).into_owned()
}

#[inline(always)]
fn key_value(line: &mut impl TextSink, k: &str, v: &Field) {
    line.put(k.as_bytes());
    line.put(b"=");
    field(line, v);
}

/// "SMCv2 [SMC-Rv2-Accept]", "SMC-R [SMC-R] LLC CONFIRM_LINK Response".
pub(crate) fn column_and_message(line: &mut impl TextSink, info: &Info) {
    match info {
        Info::Fixed(s) => line.put(s.as_bytes()),
        Info::Clc { path, v2, kind } => {
            line.put(if *v2 { b"SMCv2 [SMC" } else { b"SMC [SMC" });
            line.put(path.as_bytes());
            line.put(if *v2 { b"v2-" } else { b"-" });
            named(line, kind.name(), kind);
            line.put(b"]");
        }
        Info::Llc { kind, response } => {
            line.put(b"SMC-R [SMC-R] LLC ");
            named(line, kind.name(), kind);
            line.put(if *response { b" Response" } else { b"" });
        }
    }
}

/// A named value: its name, or what its Display shows for an unknown one.
fn named(line: &mut impl TextSink, name: Option<&str>, value: impl Display) {
    match name {
        Some(name) => line.put(name.as_bytes()),
        None => shown(line, value),
    }
}

/// Anything else, through std's formatting (writing to a line cannot fail).
pub(crate) fn shown(line: &mut impl TextSink, value: impl Display) {
    let _ = write!(Text(line), "{value}");
}

/// A line as a `fmt::Write`: text goes in without io's adapter in between.
struct Text<'a, P>(&'a mut P);

impl<P: TextSink> fmt::Write for Text<'_, P> {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        self.0.put(s.as_bytes());
        Ok(())
    }
}

/// 0 to 999 as three digit values (0-9), the hundreds in the highest byte.
const TRIPLES: [u32; 1000] = {
    let mut triples = [0; 1000];
    let mut i = 0;
    while i < 1000 {
        let n = i as u32;
        triples[i] = ((n / 100) << 16) | ((n / 10 % 10) << 8) | (n % 10);
        i += 1;
    }
    triples
};

const E8: u64 = 100_000_000;

#[inline(always)]
pub(crate) fn num(line: &mut impl TextSink, n: u64) {
    decimal(line, n, 0);
}

/// `n` in decimal, right-aligned in `width` columns (at most 8). Inlined:
/// most numbers are short, and the call cost as much as the digits.
#[inline(always)]
fn decimal(line: &mut impl TextSink, n: u64, width: usize) {
    if n < E8 {
        eight(line, n, 1, width);
    } else {
        wide(line, n, width);
    }
}

/// Nine digits or more, eight at a time.
#[cold]
fn wide(line: &mut impl TextSink, n: u64, width: usize) {
    decimal(line, n / E8, width.saturating_sub(8));
    eight(line, n % E8, 8, 8);
}

/// `n` < 10^8 with at least `min` digits (zero-padded), right-aligned in
/// `width` columns (at most 8). The digits are worked out in the bytes of
/// a u64 (the first in the highest byte), three at a time (the third
/// group's hundreds, always 0, falls off the top); its leading zero bytes
/// count the digits not shown.
#[inline(always)]
fn eight(line: &mut impl TextSink, n: u64, min: usize, width: usize) {
    let (mut values, mut left, mut at) = (0, n, 0);
    // The last group without a division.
    while left >= 1000 {
        values |= u64::from(TRIPLES[(left % 1000) as usize]) << at;
        left /= 1000;
        at += 24;
    }
    values |= u64::from(TRIPLES[left as usize]) << at;
    let len = (8 - values.leading_zeros() as usize / 8).max(min);
    // '0' (0x30) for the digits shown, ' ' (0x20) for the columns before them.
    let shown = u64::MAX >> (8 * (8 - len));
    let text = values | 0x2020_2020_2020_2020 | (0x1010_1010_1010_1010 & shown);
    let columns = len.max(width);
    line.put_part(&(text << (8 * (8 - columns))).to_be_bytes(), columns);
}

/// Seconds since the first frame with 6 decimals, right-aligned in 12
/// columns; computed in whole nanoseconds (an f64 of epoch seconds keeps
/// only about 0.2 µs), rounded to microseconds.
fn since(line: &mut impl TextSink, time: Timestamp, start: Timestamp) {
    const NS: i64 = 1_000_000_000;
    // Seconds in i128 (two i64 apart), nanoseconds normalised to [0, 1 s):
    // no 128-bit division.
    let nanos = i64::from(time.nanos) - i64::from(start.nanos);
    let mut secs = i128::from(time.secs) - i128::from(start.secs) + i128::from(nanos.div_euclid(NS));
    let mut nanos = nanos.rem_euclid(NS);
    let negative = secs < 0;
    if negative && nanos > 0 {
        // -(s + n/1e9) = -(s + 1) + (1e9 - n)/1e9
        secs += 1;
        nanos = NS - nanos;
    }
    let mut secs = secs.unsigned_abs();
    let mut micros = (nanos as u64 + 500) / 1000;
    if micros == 1_000_000 {
        secs += 1;
        micros = 0;
    }
    match u64::try_from(secs) {
        Ok(whole) if !negative => decimal(line, whole, 5),
        // A frame before the first one, or timestamps centuries apart.
        _ => shown(
            line,
            format_args!("{:>5}", format!("{}{secs}", if negative { "-" } else { "" })),
        ),
    }
    line.put(b".");
    eight(line, micros, 6, 6);
}

/// A field's value: codes by name, cursors as wrap:count, lists as `[a,b]`.
#[inline(always)]
fn field(line: &mut impl TextSink, v: &Field) {
    match v {
        Field::Bool(b) => line.put(if *b { b"true" } else { b"false" }),
        Field::Num(n) => num(line, *n),
        Field::Hex(v) => hex(line, *v),
        Field::Code { name, .. } => line.put(name.as_bytes()),
        Field::Cursor(c) => {
            num(line, c.wrap.into());
            line.put(b":");
            num(line, c.count.into());
        }
        Field::HexList(items) => {
            line.put(b"[");
            for (i, v) in items.iter().enumerate() {
                if i > 0 {
                    line.put(b",");
                }
                hex(line, (*v).into());
            }
            line.put(b"]");
        }
        Field::Named(name, value) => named(line, *name, value),
        Field::Flags(f) => line.put(f.names().as_bytes()),
        Field::Absent => {}
    }
}

/// `{:#x}`: "0x" and lowercase digits, no leading zeros.
#[inline(always)]
fn hex(line: &mut impl TextSink, v: u64) {
    let digits = (64 - (v | 1).leading_zeros()).div_ceil(4) as usize;
    let mut buf = *b"0x0000000000000000";
    // Each half's digits, shifted to the top: most values fit the low half.
    let high = digits.saturating_sub(8);
    if high > 0 {
        buf[2..10].copy_from_slice(&(hex_digits((v >> 32) as u32) << (8 * (8 - high))).to_be_bytes());
    }
    let low = hex_digits(v as u32) << (8 * (8 - (digits - high)));
    buf[2 + high..10 + high].copy_from_slice(&low.to_be_bytes());
    line.put_part(&buf, 2 + digits);
}

/// The 8 hex digits of `x` as ASCII, the first in the highest byte: each
/// nibble spread to a byte, then all made digits at once.
fn hex_digits(x: u32) -> u64 {
    let mut x = u64::from(x);
    x = (x | x << 16) & 0x0000_ffff_0000_ffff;
    x = (x | x << 8) & 0x00ff_00ff_00ff_00ff;
    x = (x | x << 4) & 0x0f0f_0f0f_0f0f_0f0f;
    // 1 in each byte of 10 or more: 'a' is 39 past '9' + 1.
    let letters = ((x + 0x0606_0606_0606_0606) >> 4) & 0x0101_0101_0101_0101;
    x + 0x3030_3030_3030_3030 + letters * 39
}

/// Each octet's digits and a dot, and how many digits.
const OCTETS: [([u8; 4], u8); 256] = {
    let mut octets = [([0; 4], 0); 256];
    let mut i = 0;
    while i < 256 {
        let o = i as u8;
        octets[i] = match o {
            0..=9 => ([b'0' + o, b'.', 0, 0], 1),
            10..=99 => ([b'0' + o / 10, b'0' + o % 10, b'.', 0], 2),
            _ => ([b'0' + o / 100, b'0' + o / 10 % 10, b'0' + o % 10, b'.'], 3),
        };
        i += 1;
    }
    octets
};

#[inline]
fn ipv4(line: &mut impl TextSink, addr: Ipv4Addr) {
    let mut buf = [0u8; 16];
    let mut n = 0;
    for octet in addr.octets() {
        let (text, len) = OCTETS[usize::from(octet)];
        buf[n..n + 4].copy_from_slice(&text);
        n += usize::from(len) + 1;
    }
    // Without the last octet's dot.
    line.put_part(&buf, n - 1);
}

/// As std shows it (RFC 5952): groups in hex, the first longest run of two
/// or more zero groups as "::", an IPv4-mapped address as "::ffff:a.b.c.d".
/// RoCEv1 endpoints are GIDs: IPv6 is common enough to skip std's fmt.
fn ipv6(line: &mut impl TextSink, addr: Ipv6Addr) {
    if let Some(v4) = addr.to_ipv4_mapped() {
        line.put(b"::ffff:");
        return ipv4(line, v4);
    }
    let groups = addr.segments();
    // (start, length) of the first longest run of zero groups.
    let (mut longest, mut run) = ((0, 0), (0, 0));
    for (i, &group) in groups.iter().enumerate() {
        if group == 0 {
            run = (if run.1 == 0 { i } else { run.0 }, run.1 + 1);
            if run.1 > longest.1 {
                longest = run;
            }
        } else {
            run = (0, 0);
        }
    }
    let skipped = if longest.1 > 1 {
        longest.0..longest.0 + longest.1
    } else {
        8..8
    };
    for (i, &group) in groups.iter().enumerate() {
        if i == skipped.start {
            line.put(b"::");
        }
        if skipped.contains(&i) {
            continue;
        }
        if i > 0 && i != skipped.end {
            line.put(b":");
        }
        // `{:x}`: no leading zeros.
        let digits = (16 - (group | 1).leading_zeros()).div_ceil(4) as usize;
        let text = hex_digits(group.into()) << (8 * (8 - digits));
        line.put_part(&text.to_be_bytes(), digits);
    }
}

#[inline]
fn ip(line: &mut impl TextSink, addr: IpAddr) {
    match addr {
        IpAddr::V4(v4) => ipv4(line, v4),
        IpAddr::V6(v6) => ipv6(line, v6),
    }
}

/// `a.b.c.d:port`, `[v6]:port` or `[v6%scope]:port`, as std shows them.
pub(crate) fn socket(line: &mut impl TextSink, addr: SocketAddr) {
    match addr {
        SocketAddr::V4(v4) => ipv4(line, *v4.ip()),
        SocketAddr::V6(v6) => {
            line.put(b"[");
            ipv6(line, *v6.ip());
            if v6.scope_id() != 0 {
                line.put(b"%");
                num(line, v6.scope_id().into());
            }
            line.put(b"]");
        }
    }
    line.put(b":");
    num(line, addr.port().into());
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::SocketAddrV6;

    fn text(f: impl Fn(&mut Vec<u8>)) -> String {
        let mut line = Vec::new();
        f(&mut line);
        String::from_utf8(line).unwrap()
    }

    #[test]
    fn numbers_and_addresses_print_as_std_prints_them() {
        let values = [
            0,
            1,
            9,
            10,
            99,
            100,
            0xf,
            0x10,
            0xabc,
            4096,
            9_999_999,
            99_999_999,
            100_000_000,
        ]
        .into_iter()
        .chain([
            1_234_567_890_123,
            10_000_000_000_000_000,
            u64::from(u32::MAX),
            u64::MAX,
        ]);
        for v in values {
            assert_eq!(text(|l| hex(l, v)), format!("{v:#x}"));
            assert_eq!(text(|l| num(l, v)), v.to_string());
            assert_eq!(text(|l| decimal(l, v, 6)), format!("{v:>6}"));
        }
        let addrs = [
            "10.0.0.1:5000",
            "255.255.255.0:0",
            "1.20.199.9:65535",
            "[fd00::1]:4791",
            "[fe80::1%2]:22",
        ];
        for a in addrs {
            let addr: SocketAddr = a.parse().unwrap();
            assert_eq!(text(|l| socket(l, addr)), addr.to_string());
            assert_eq!(text(|l| ip(l, addr.ip())), addr.ip().to_string());
        }
        // IPv6: every pattern of zero and non-zero groups, mapped and
        // compatible IPv4, scope ids.
        let values: [u16; 6] = [0, 1, 0xf, 0x10, 0xabc, 0xffff];
        for zeros in 0..=u8::MAX {
            for (n, value) in values.into_iter().enumerate() {
                let groups: [u16; 8] = std::array::from_fn(|i| {
                    if zeros >> i & 1 == 1 {
                        0
                    } else {
                        value.wrapping_add((i * n) as u16)
                    }
                });
                let v6 = Ipv6Addr::from(groups);
                assert_eq!(text(|l| ip(l, v6.into())), v6.to_string());
                let sock = SocketAddr::V6(SocketAddrV6::new(v6, 4791, 0, u32::from(zeros) * 7));
                assert_eq!(text(|l| socket(l, sock)), sock.to_string());
            }
        }
        for a in [
            "::ffff:10.0.0.1",
            "::10.0.0.1",
            "::ffff:0:1",
            "64:ff9b::1.2.3.4",
            "fe80::ffff:1:2",
        ] {
            let v6: Ipv6Addr = a.parse().unwrap();
            assert_eq!(text(|l| ip(l, v6.into())), v6.to_string());
        }
    }

    #[test]
    fn lines_longer_than_the_buffer_come_out_whole() {
        let mut buf = [0; LINE];
        let mut out = b"before\n".to_vec();
        let mut expected = out.clone();
        {
            let mut line = Line::new(&mut buf, &mut out);
            for i in 0..300u64 {
                num(&mut line, i * 1_000_003);
                hex(&mut line, i);
                line.put(b" ");
                expected.extend(format!("{}{i:#x} ", i * 1_000_003).bytes());
            }
        }
        assert_eq!(
            String::from_utf8(out).unwrap(),
            String::from_utf8(expected).unwrap()
        );
    }

    #[test]
    fn time_since_the_first_frame_rounds_to_microseconds() {
        let at = |secs, nanos| Timestamp { secs, nanos };
        let start = at(1_700_000_000, 999_999_000);
        let cases = [
            (at(1_700_000_000, 999_999_000), "    0.000000"),
            (at(1_700_000_001, 0), "    0.000001"),
            (at(1_700_000_123, 456_789_499), "  122.456790"),
            (at(1_700_000_000, 499_999_000), "   -0.500000"),
        ];
        for (time, shown) in cases {
            assert_eq!(text(|l| since(l, time, start)), shown);
        }
        // Carries, signs and extremes, against the plain 128-bit sum.
        let plain = |time: Timestamp, start: Timestamp| {
            let ns = (i128::from(time.secs) - i128::from(start.secs)) * 1_000_000_000
                + i128::from(time.nanos)
                - i128::from(start.nanos);
            let us = (ns.unsigned_abs() + 500) / 1000;
            let sign = if ns < 0 { "-" } else { "" };
            format!(
                "{:>12}",
                format!("{sign}{}.{:06}", us / 1_000_000, us % 1_000_000)
            )
        };
        let times = [
            at(0, 0),
            at(0, 499),
            at(0, 500),
            at(5, 999_999_500),
            at(-5, 999_999_499),
            at(123_456, 1),
            at(1_700_000_000, 999_999_000),
            at(1_700_000_000, 4_294_967_295),
            at(i64::MAX, 999_999_999),
            at(i64::MIN, 0),
        ];
        for time in times {
            for start in times {
                assert_eq!(text(|l| since(l, time, start)), plain(time, start));
            }
        }
    }
}
