//! The control connection's I/O: lines read with a cap, written whole,
//! and an end's report as the JSON a `done` line carries (the line codec is
//! `engine::replay::control`).

use std::io::{BufRead, Write};
use std::net::SocketAddr;

use engine::session::Side;
use serde_json::{json, Value};

use super::play::Played;
use crate::kernel::report::Mode;

pub use engine::replay::control::{Reply, Request, DEFAULT_PORT, HELLO};

/// The longest control line read: a `done` with its warnings.
const MAX_LINE: u64 = 64 * 1024;

/// One control line, at most 64 KiB; None at the end of the connection.
pub fn read_line(r: &mut impl BufRead) -> std::io::Result<Option<String>> {
    let mut line = String::new();
    let n = std::io::Read::take(&mut *r, MAX_LINE).read_line(&mut line)?;
    if n == 0 {
        return Ok(None);
    }
    if !line.ends_with('\n') {
        return Err(std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            "control line too long or cut short",
        ));
    }
    Ok(Some(line))
}

pub fn send(w: &mut impl Write, line: &str) -> std::io::Result<()> {
    w.write_all(line.as_bytes())?;
    w.flush()
}

/// One end's report as JSON: the agent's `done` line and the replay's own output.
pub fn played_json(p: &Played) -> Value {
    let addr = |a: Option<SocketAddr>| a.map(|a| a.to_string());
    json!({
        "side": p.side.name(),
        "local": addr(p.local),
        "peer": addr(p.peer),
        "sent": p.sent,
        "received": p.received,
        "expected": p.expected,
        "mismatch_at": p.mismatch_at,
        "mode": p.mode.as_str(),
        "fallback_reason": p.fallback_reason,
        "peer_diagnosis": p.peer_diagnosis,
        "warnings": p.warnings,
    })
}

/// The `done` line of `p`.
pub fn done(p: &Played) -> Reply {
    Reply::Done {
        session: p.session,
        report: played_json(p).to_string(),
    }
}

/// The server end's report a `done` line carries.
pub fn played_from_report(session: u32, report: &str) -> Result<Played, String> {
    let v: Value =
        serde_json::from_str(report).map_err(|e| format!("the agent's report of session {session}: {e}"))?;
    played_from_json(session, &v)
        .ok_or_else(|| format!("the agent's report of session {session} lacks a field"))
}

fn played_from_json(session: u32, v: &Value) -> Option<Played> {
    let side = match v.get("side")?.as_str()? {
        "client" => Side::Client,
        "server" => Side::Server,
        _ => return None,
    };
    let addr = |k: &str| v.get(k).and_then(Value::as_str).and_then(|s| s.parse().ok());
    let u64_of = |k: &str| v.get(k).and_then(Value::as_u64);
    let code = |k: &str| u64_of(k).and_then(|c| u32::try_from(c).ok());
    let mut p = Played::new(session, side);
    p.local = addr("local");
    p.peer = addr("peer");
    p.sent = u64_of("sent")?;
    p.received = u64_of("received")?;
    p.expected = u64_of("expected")?;
    p.mismatch_at = u64_of("mismatch_at");
    p.mode = match v.get("mode")?.as_str()? {
        "smcr" => Mode::Smcr,
        "smcd" => Mode::Smcd,
        "tcp" => Mode::Tcp,
        _ => Mode::Unknown,
    };
    p.fallback_reason = code("fallback_reason");
    p.peer_diagnosis = code("peer_diagnosis");
    p.warnings = v
        .get("warnings")?
        .as_array()?
        .iter()
        .filter_map(|w| w.as_str().map(String::from))
        .collect();
    Some(p)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_report_reads_back_as_written() {
        let mut p = Played::new(4, Side::Server);
        p.local = Some("10.0.0.1:5000".parse().unwrap());
        p.peer = Some("[fd00::2]:40000".parse().unwrap());
        (p.sent, p.received, p.expected, p.mismatch_at) = (10, 20, 20, Some(17));
        (p.mode, p.fallback_reason, p.peer_diagnosis) = (Mode::Tcp, Some(0x0303_0000), None);
        p.warnings = vec!["receive: Connection reset by peer\nsecond line".into()];
        let line = done(&p).line();
        let Ok(Reply::Done { session, report }) = Reply::parse(&line) else {
            panic!("{line}");
        };
        assert_eq!(played_from_report(session, &report), Ok(p));
        assert!(played_from_report(1, "{}").is_err());
        assert!(played_from_report(1, "not json").is_err());
    }
}
