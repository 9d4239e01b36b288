//! The control connection between `replay` and its agent: lines of text,
//! one request or reply each, and once the capture's bytes.
//!
//! ```text
//! replay -> agent   smc-analyze-replay 1 BYTES\n  then BYTES of the capture file
//! agent  -> replay  ready SESSIONS\n               (or: error TEXT\n, and the agent hangs up)
//! replay -> agent   listen SESSION 4|6\n
//! agent  -> replay  port SESSION PORT\n           (or: error SESSION TEXT\n)
//! replay -> agent   end SESSION\n                 its client end is done
//! agent  -> replay  done SESSION JSON\n           the server end: see `Played` (docs/json.md)
//! replay -> agent   bye\n
//! ```

use std::io::{BufRead, Write};
use std::net::SocketAddr;

use engine::session::Side;
use serde_json::{json, Value};

use super::play::Played;
use crate::kernel::report::Mode;

pub const HELLO: &str = "smc-analyze-replay 1";
/// The agent's port unless told otherwise.
pub const DEFAULT_PORT: u16 = 7609;
/// The longest control line read: a `done` with its warnings.
const MAX_LINE: u64 = 64 * 1024;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Request {
    Capture(u64),
    Listen { session: u32, ipv6: bool },
    End(u32),
    Bye,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Reply {
    Ready(usize),
    Port { session: u32, port: u16 },
    Done(Box<Played>),
    Error { session: Option<u32>, text: String },
}

impl Request {
    pub fn line(&self) -> String {
        match self {
            Request::Capture(n) => format!("{HELLO} {n}\n"),
            Request::Listen { session, ipv6 } => format!("listen {session} {}\n", if *ipv6 { 6 } else { 4 }),
            Request::End(s) => format!("end {s}\n"),
            Request::Bye => "bye\n".into(),
        }
    }

    pub fn parse(line: &str) -> Result<Request, String> {
        let words: Vec<&str> = line.split_whitespace().collect();
        let num = |i: usize| -> Result<u64, String> {
            words
                .get(i)
                .and_then(|w| w.parse().ok())
                .ok_or_else(|| format!("bad control request {line:?}"))
        };
        match words.first().copied() {
            Some("smc-analyze-replay") if words.get(1) == Some(&"1") => Ok(Request::Capture(num(2)?)),
            Some("smc-analyze-replay") => Err(format!("replay protocol {line:?}: this agent speaks {HELLO}")),
            Some("listen") => Ok(Request::Listen {
                session: num(1)? as u32,
                ipv6: num(2)? == 6,
            }),
            Some("end") => Ok(Request::End(num(1)? as u32)),
            Some("bye") => Ok(Request::Bye),
            _ => Err(format!("bad control request {line:?}")),
        }
    }
}

impl Reply {
    pub fn line(&self) -> String {
        match self {
            Reply::Ready(n) => format!("ready {n}\n"),
            Reply::Port { session, port } => format!("port {session} {port}\n"),
            Reply::Done(p) => format!("done {} {}\n", p.session, played_json(p)),
            // One line: the text's own line breaks become spaces.
            Reply::Error { session, text } => {
                let text = text.replace('\n', " ");
                match session {
                    Some(s) => format!("error {s} {text}\n"),
                    None => format!("error {text}\n"),
                }
            }
        }
    }

    pub fn parse(line: &str) -> Result<Reply, String> {
        let bad = || format!("bad control reply {line:?}");
        let line = line.trim_end();
        let (word, rest) = line.split_once(' ').unwrap_or((line, ""));
        let num = |w: Option<&str>| w.and_then(|w| w.parse::<u64>().ok()).ok_or_else(bad);
        match word {
            "ready" => Ok(Reply::Ready(num(Some(rest))? as usize)),
            "port" => {
                let mut w = rest.split(' ');
                let session = num(w.next())? as u32;
                let port = u16::try_from(num(w.next())?).map_err(|_| bad())?;
                Ok(Reply::Port { session, port })
            }
            "done" => {
                let (s, j) = rest.split_once(' ').ok_or_else(bad)?;
                let v: Value = serde_json::from_str(j).map_err(|e| format!("{}: {e}", bad()))?;
                let played = played_from_json(num(Some(s))? as u32, &v).ok_or_else(bad)?;
                Ok(Reply::Done(Box::new(played)))
            }
            "error" => {
                let (s, text) = rest.split_once(' ').unwrap_or((rest, ""));
                Ok(match s.parse::<u32>() {
                    Ok(session) => Reply::Error {
                        session: Some(session),
                        text: text.into(),
                    },
                    Err(_) => Reply::Error {
                        session: None,
                        text: rest.into(),
                    },
                })
            }
            _ => Err(bad()),
        }
    }
}

/// One control line, at most [`MAX_LINE`] bytes; None at the end of the connection.
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
    fn requests_read_back_as_written() {
        for r in [
            Request::Capture(123_456),
            Request::Listen {
                session: 7,
                ipv6: true,
            },
            Request::Listen {
                session: 0,
                ipv6: false,
            },
            Request::End(3),
            Request::Bye,
        ] {
            assert_eq!(Request::parse(&r.line()), Ok(r));
        }
        assert!(Request::parse("smc-analyze-replay 2 10\n")
            .unwrap_err()
            .contains("speaks"));
        assert!(Request::parse("listen x 4\n").is_err());
    }

    #[test]
    fn replies_read_back_as_written() {
        let mut p = Played::new(4, Side::Server);
        p.local = Some("10.0.0.1:5000".parse().unwrap());
        p.peer = Some("[fd00::2]:40000".parse().unwrap());
        (p.sent, p.received, p.expected, p.mismatch_at) = (10, 20, 20, Some(17));
        (p.mode, p.fallback_reason, p.peer_diagnosis) = (Mode::Tcp, Some(0x0303_0000), None);
        p.warnings = vec!["receive: Connection reset by peer\nsecond line".into()];
        for r in [
            Reply::Ready(12),
            Reply::Port {
                session: 1,
                port: 40001,
            },
            Reply::Done(Box::new(p)),
            Reply::Error {
                session: Some(2),
                text: "bind: Address in use".into(),
            },
            Reply::Error {
                session: None,
                text: "not a capture".into(),
            },
        ] {
            assert_eq!(Reply::parse(&r.line()), Ok(r.clone()), "{}", r.line());
        }
        assert!(Reply::parse("port 1 70000\n").is_err());
    }
}
