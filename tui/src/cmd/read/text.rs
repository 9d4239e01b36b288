//! Summary lines built in a reused buffer, then written in one piece.
//! Numbers and IPv4 addresses skip std's formatting machinery, which costs
//! more than decoding the frame; rare text (unknown names, IPv6, flags)
//! still goes through it.

use super::describe::{Description, Field, Info};
use engine::pipeline::{Endpoints, Event};
use engine::source::Timestamp;
use std::fmt::{self, Display, Write as _};
use std::net::{IpAddr, Ipv4Addr, SocketAddr};

/// One event's line, as tshark prints it, appended to `line`: frame, time
/// since the first frame, source → destination, protocol, message, then
/// `name=value` fields.
pub fn summary(line: &mut Vec<u8>, event: &Event, d: &Description, start: Timestamp) {
    right(line, 6, itoa::Buffer::new().format(event.frame).as_bytes());
    line.push(b' ');
    since(line, event.time, start);
    line.push(b' ');
    match &event.at {
        Endpoints::Tcp(flow) => {
            socket(line, flow.src);
            line.extend_from_slice(" → ".as_bytes());
            socket(line, flow.dst);
        }
        Endpoints::Qp { src, dst, .. } => {
            ip(line, *src);
            line.extend_from_slice(" → ".as_bytes());
            ip(line, *dst);
        }
        Endpoints::Frame => line.extend_from_slice("- → -".as_bytes()),
    }
    line.push(b' ');
    line.extend_from_slice(d.column.as_bytes());
    line.push(b' ');
    info(line, &d.info);
    for (k, v) in &d.fields {
        if !matches!(v, Field::Absent) {
            line.push(b' ');
            key_value(line, k, v);
        }
    }
    line.push(b'\n');
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

fn key_value(line: &mut Vec<u8>, k: &str, v: &Field) {
    line.extend_from_slice(k.as_bytes());
    line.push(b'=');
    field(line, v);
}

/// "[SMC-Rv2-Accept]", "[SMC-R] LLC CONFIRM_LINK Response".
fn info(line: &mut Vec<u8>, info: &Info) {
    match info {
        Info::Fixed(s) => line.extend_from_slice(s.as_bytes()),
        Info::Clc { path, v2, kind } => {
            line.extend_from_slice(b"[SMC");
            line.extend_from_slice(path.as_bytes());
            line.extend_from_slice(if *v2 { b"v2-" } else { b"-" });
            named(line, kind.name(), kind);
            line.push(b']');
        }
        Info::Llc { kind, response } => {
            line.extend_from_slice(b"[SMC-R] LLC ");
            named(line, kind.name(), kind);
            line.extend_from_slice(if *response { b" Response" } else { b"" });
        }
    }
}

/// A named value: its name, or what its Display shows for an unknown one.
fn named(line: &mut Vec<u8>, name: Option<&str>, value: impl Display) {
    match name {
        Some(name) => line.extend_from_slice(name.as_bytes()),
        None => shown(line, value),
    }
}

/// Anything else, through std's formatting (writing to a Vec cannot fail).
pub(crate) fn shown(line: &mut Vec<u8>, value: impl Display) {
    let _ = write!(Text(line), "{value}");
}

/// A line as a `fmt::Write`: text goes in without io's adapter in between.
struct Text<'a>(&'a mut Vec<u8>);

impl fmt::Write for Text<'_> {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        self.0.extend_from_slice(s.as_bytes());
        Ok(())
    }
}

/// Seconds since the first frame with 6 decimals, right-aligned in 12
/// columns; computed in whole nanoseconds (an f64 of epoch seconds keeps
/// only about 0.2 µs).
fn since(line: &mut Vec<u8>, time: Timestamp, start: Timestamp) {
    let ns = (i128::from(time.secs) - i128::from(start.secs)) * 1_000_000_000 + i128::from(time.nanos)
        - i128::from(start.nanos);
    let us = (ns.unsigned_abs() + 500) / 1000;
    let mut n = itoa::Buffer::new();
    let whole = n.format(us / 1_000_000).as_bytes();
    let mut frac = *b".000000";
    let mut left = (us % 1_000_000) as u32;
    for digit in frac[1..].iter_mut().rev() {
        *digit = b'0' + (left % 10) as u8;
        left /= 10;
    }
    let sign = usize::from(ns < 0);
    line.extend_from_slice(&b"            "[(sign + whole.len() + frac.len()).min(12)..]);
    line.extend_from_slice(&b"-"[..sign]);
    line.extend_from_slice(whole);
    line.extend_from_slice(&frac);
}

/// `text` right-aligned in `width` columns.
fn right(line: &mut Vec<u8>, width: usize, text: &[u8]) {
    const SPACES: &[u8] = b"                ";
    line.extend_from_slice(&SPACES[..width.saturating_sub(text.len()).min(SPACES.len())]);
    line.extend_from_slice(text);
}

/// A field's value: codes by name, cursors as wrap:count, lists as [a,b].
fn field(line: &mut Vec<u8>, v: &Field) {
    match v {
        Field::Bool(b) => line.extend_from_slice(if *b { b"true" } else { b"false" }),
        Field::Num(n) => num(line, *n),
        Field::Hex(v) => hex(line, *v),
        Field::Code { name, .. } => line.extend_from_slice(name.as_bytes()),
        Field::Cursor(c) => {
            num(line, c.wrap.into());
            line.push(b':');
            num(line, c.count.into());
        }
        Field::HexList(items) => {
            line.push(b'[');
            for (i, v) in items.iter().enumerate() {
                if i > 0 {
                    line.push(b',');
                }
                hex(line, (*v).into());
            }
            line.push(b']');
        }
        Field::Text(t) => shown(line, t),
        Field::Flags(f) => {
            let _ = f.write_names(&mut Text(line));
        }
        Field::Absent => {}
    }
}

pub(crate) fn num(line: &mut Vec<u8>, n: u64) {
    line.extend_from_slice(itoa::Buffer::new().format(n).as_bytes());
}

/// `{:#x}`: "0x" and lowercase digits, no leading zeros.
fn hex(line: &mut Vec<u8>, v: u64) {
    let digits = (64 - (v | 1).leading_zeros()).div_ceil(4) as usize;
    // Built on the stack, appended once: a push per digit costs a capacity check each.
    let mut buf = *b"0x0000000000000000";
    for (i, d) in buf[2..2 + digits].iter_mut().rev().enumerate() {
        *d = b"0123456789abcdef"[(v >> (4 * i) & 0xf) as usize];
    }
    line.extend_from_slice(&buf[..2 + digits]);
}

fn ipv4(line: &mut Vec<u8>, addr: Ipv4Addr) {
    // Built on the stack, appended once (see hex).
    let mut buf = [0u8; 15];
    let mut n = 0;
    for (i, octet) in addr.octets().into_iter().enumerate() {
        if i > 0 {
            buf[n] = b'.';
            n += 1;
        }
        if octet >= 100 {
            buf[n] = b'0' + octet / 100;
            n += 1;
        }
        if octet >= 10 {
            buf[n] = b'0' + octet / 10 % 10;
            n += 1;
        }
        buf[n] = b'0' + octet % 10;
        n += 1;
    }
    line.extend_from_slice(&buf[..n]);
}

fn ip(line: &mut Vec<u8>, addr: IpAddr) {
    match addr {
        IpAddr::V4(v4) => ipv4(line, v4),
        IpAddr::V6(v6) => shown(line, v6),
    }
}

pub(crate) fn socket(line: &mut Vec<u8>, addr: SocketAddr) {
    match addr {
        SocketAddr::V4(v4) => {
            ipv4(line, *v4.ip());
            line.push(b':');
            num(line, v4.port().into());
        }
        SocketAddr::V6(v6) => shown(line, v6),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(f: impl Fn(&mut Vec<u8>)) -> String {
        let mut line = Vec::new();
        f(&mut line);
        String::from_utf8(line).unwrap()
    }

    #[test]
    fn numbers_and_addresses_print_as_std_prints_them() {
        for v in [0, 1, 0xf, 0x10, 0xabc, u64::from(u32::MAX), u64::MAX] {
            assert_eq!(text(|l| hex(l, v)), format!("{v:#x}"));
            assert_eq!(text(|l| num(l, v)), v.to_string());
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
    }
}
