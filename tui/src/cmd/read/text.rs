//! Summary lines written piece by piece to the (buffered) output. Numbers
//! and IPv4 addresses skip std's formatting machinery, which costs more than
//! decoding the frame; the rest (rare names, IPv6, the time) goes through it.

use super::describe::{Description, Field, Info};
use engine::pipeline::{Endpoints, Event};
use engine::source::Timestamp;
use std::fmt::Display;
use std::io::{Result, Write};
use std::net::{IpAddr, SocketAddr};

/// One event's line, as tshark prints it: frame, time since the first
/// frame, source → destination, protocol, message, then `name=value` fields.
pub fn summary(out: &mut impl Write, event: &Event, d: &Description, start: Timestamp) -> Result<()> {
    right(out, 6, itoa::Buffer::new().format(event.frame).as_bytes())?;
    out.write_all(b" ")?;
    since(out, event.time, start)?;
    out.write_all(b" ")?;
    match &event.at {
        Endpoints::Tcp(flow) => {
            socket(out, flow.src)?;
            out.write_all(" → ".as_bytes())?;
            socket(out, flow.dst)?;
        }
        Endpoints::Qp { src, dst, .. } => {
            ip(out, *src)?;
            out.write_all(" → ".as_bytes())?;
            ip(out, *dst)?;
        }
        Endpoints::Frame => out.write_all("- → -".as_bytes())?,
    }
    out.write_all(b" ")?;
    out.write_all(d.column.as_bytes())?;
    out.write_all(b" ")?;
    info(out, &d.info)?;
    for (k, v) in &d.fields {
        if !matches!(v, Field::Absent) {
            out.write_all(b" ")?;
            out.write_all(k.as_bytes())?;
            out.write_all(b"=")?;
            field(out, v)?;
        }
    }
    out.write_all(b"\n")
}

/// "[SMC-Rv2-Accept]", "[SMC-R] LLC CONFIRM_LINK Response".
fn info(out: &mut impl Write, info: &Info) -> Result<()> {
    match info {
        Info::Fixed(s) => out.write_all(s.as_bytes()),
        Info::Clc { path, v2, kind } => {
            out.write_all(b"[SMC")?;
            out.write_all(path.as_bytes())?;
            out.write_all(if *v2 { b"v2-" } else { b"-" })?;
            named(out, kind.name(), kind)?;
            out.write_all(b"]")
        }
        Info::Llc { kind, response } => {
            out.write_all(b"[SMC-R] LLC ")?;
            named(out, kind.name(), kind)?;
            out.write_all(if *response { b" Response" } else { b"" })
        }
    }
}

/// A named value: its name, or what its Display shows for an unknown one.
fn named(out: &mut impl Write, name: Option<&str>, value: impl Display) -> Result<()> {
    match name {
        Some(name) => out.write_all(name.as_bytes()),
        None => write!(out, "{value}"),
    }
}

/// Seconds since the first frame with 6 decimals, right-aligned in 12
/// columns; computed in whole nanoseconds (an f64 of epoch seconds keeps
/// only about 0.2 µs).
fn since(out: &mut impl Write, time: Timestamp, start: Timestamp) -> Result<()> {
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
    out.write_all(&b"            "[(sign + whole.len() + frac.len()).min(12)..])?;
    out.write_all(&b"-"[..sign])?;
    out.write_all(whole)?;
    out.write_all(&frac)
}

/// `text` right-aligned in `width` columns.
fn right(out: &mut impl Write, width: usize, text: &[u8]) -> Result<()> {
    const SPACES: &[u8] = b"                ";
    out.write_all(&SPACES[..width.saturating_sub(text.len()).min(SPACES.len())])?;
    out.write_all(text)
}

/// A field's value: codes by name, cursors as wrap:count, lists as [a,b].
fn field(out: &mut impl Write, v: &Field) -> Result<()> {
    match v {
        Field::Bool(b) => out.write_all(if *b { b"true" } else { b"false" }),
        Field::Num(n) => num(out, *n),
        Field::Hex(v) => hex(out, *v),
        Field::Code { name, .. } => out.write_all(name.as_bytes()),
        Field::Cursor(c) => {
            num(out, c.wrap.into())?;
            out.write_all(b":")?;
            num(out, c.count.into())
        }
        Field::HexList(items) => {
            out.write_all(b"[")?;
            for (i, v) in items.iter().enumerate() {
                if i > 0 {
                    out.write_all(b",")?;
                }
                hex(out, (*v).into())?;
            }
            out.write_all(b"]")
        }
        Field::Text(t) => write!(out, "{t}"),
        Field::Flags(f) => write!(out, "{f}"),
        Field::Absent => Ok(()),
    }
}

fn num(out: &mut impl Write, n: u64) -> Result<()> {
    out.write_all(itoa::Buffer::new().format(n).as_bytes())
}

/// `{:#x}`: "0x" and lowercase digits, no leading zeros.
fn hex(out: &mut impl Write, v: u64) -> Result<()> {
    let mut buf = [0u8; 18];
    let mut at = buf.len();
    let mut left = v;
    loop {
        at -= 1;
        buf[at] = b"0123456789abcdef"[(left & 0xf) as usize];
        left >>= 4;
        if left == 0 {
            break;
        }
    }
    at -= 2;
    buf[at..at + 2].copy_from_slice(b"0x");
    out.write_all(&buf[at..])
}

fn ip(out: &mut impl Write, addr: IpAddr) -> Result<()> {
    match addr {
        IpAddr::V4(v4) => {
            let [a, b, c, d] = v4.octets();
            num(out, a.into())?;
            for octet in [b, c, d] {
                out.write_all(b".")?;
                num(out, octet.into())?;
            }
            Ok(())
        }
        IpAddr::V6(v6) => write!(out, "{v6}"),
    }
}

fn socket(out: &mut impl Write, addr: SocketAddr) -> Result<()> {
    match addr {
        SocketAddr::V4(v4) => {
            ip(out, IpAddr::V4(*v4.ip()))?;
            out.write_all(b":")?;
            num(out, v4.port().into())
        }
        SocketAddr::V6(v6) => write!(out, "{v6}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shown(f: impl Fn(&mut Vec<u8>) -> Result<()>) -> String {
        let mut out = Vec::new();
        f(&mut out).unwrap();
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn numbers_and_addresses_print_as_std_prints_them() {
        for v in [0, 1, 0xf, 0x10, 0xabc, u64::from(u32::MAX), u64::MAX] {
            assert_eq!(shown(|o| hex(o, v)), format!("{v:#x}"));
            assert_eq!(shown(|o| num(o, v)), v.to_string());
        }
        for a in ["10.0.0.1:5000", "255.255.255.0:0", "[fd00::1]:4791", "[fe80::1%2]:22"] {
            let addr: SocketAddr = a.parse().unwrap();
            assert_eq!(shown(|o| socket(o, addr)), addr.to_string());
            assert_eq!(shown(|o| ip(o, addr.ip())), addr.ip().to_string());
        }
    }
}
