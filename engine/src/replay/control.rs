//! The control connection between `smc-analyze replay` and its agent, as
//! text: one request or reply a line, and once the capture's bytes. The
//! codec only; sockets are the caller's.
//!
//! ```text
//! replay -> agent   smc-analyze-replay 1 BYTES\n  then BYTES of the capture file
//! agent  -> replay  ready SESSIONS\n               (or: error - TEXT\n, and the agent hangs up)
//! replay -> agent   listen SESSION 4|6\n
//! agent  -> replay  port SESSION PORT\n           (or: error SESSION TEXT\n)
//! replay -> agent   end SESSION\n                 its client end is done
//! agent  -> replay  done SESSION JSON\n           the server end's report (one line of JSON)
//! replay -> agent   bye\n
//! ```

pub const HELLO: &str = "smc-analyze-replay 1";
/// The agent's port unless told otherwise.
pub const DEFAULT_PORT: u16 = 7609;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Request {
    Capture(u64),
    Listen { session: u32, ipv6: bool },
    End(u32),
    Bye,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reply {
    Ready(usize),
    Port {
        session: u32,
        port: u16,
    },
    /// The server end's report, one line of JSON.
    Done {
        session: u32,
        report: String,
    },
    Error {
        session: Option<u32>,
        text: String,
    },
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
        let session =
            |i: usize| num(i).and_then(|n| u32::try_from(n).map_err(|_| format!("bad session in {line:?}")));
        match words.first().copied() {
            Some("smc-analyze-replay") if words.get(1) == Some(&"1") => Ok(Request::Capture(num(2)?)),
            Some("smc-analyze-replay") => Err(format!("replay protocol {line:?}: this agent speaks {HELLO}")),
            Some("listen") => Ok(Request::Listen {
                session: session(1)?,
                ipv6: num(2)? == 6,
            }),
            Some("end") => Ok(Request::End(session(1)?)),
            Some("bye") => Ok(Request::Bye),
            _ => Err(format!("bad control request {line:?}")),
        }
    }
}

impl Reply {
    pub fn line(&self) -> String {
        // One line each: line breaks in a text become spaces.
        let flat = |t: &str| t.replace(['\n', '\r'], " ");
        match self {
            Reply::Ready(n) => format!("ready {n}\n"),
            Reply::Port { session, port } => format!("port {session} {port}\n"),
            Reply::Done { session, report } => format!("done {session} {}\n", flat(report)),
            // No session is `-`: a text that starts with digits stays text.
            Reply::Error { session, text } => match session {
                Some(s) => format!("error {s} {}\n", flat(text)),
                None => format!("error - {}\n", flat(text)),
            },
        }
    }

    pub fn parse(line: &str) -> Result<Reply, String> {
        let bad = || format!("bad control reply {line:?}");
        let line = line.trim_end();
        let (word, rest) = line.split_once(' ').unwrap_or((line, ""));
        let num = |w: Option<&str>| w.and_then(|w| w.parse::<u64>().ok()).ok_or_else(bad);
        let session = |w: Option<&str>| num(w).and_then(|n| u32::try_from(n).map_err(|_| bad()));
        match word {
            "ready" => Ok(Reply::Ready(
                usize::try_from(num(Some(rest))?).map_err(|_| bad())?,
            )),
            "port" => {
                let mut w = rest.split(' ');
                let session = session(w.next())?;
                let port = u16::try_from(num(w.next())?).map_err(|_| bad())?;
                Ok(Reply::Port { session, port })
            }
            "done" => {
                let (s, report) = rest.split_once(' ').ok_or_else(bad)?;
                Ok(Reply::Done {
                    session: session(Some(s))?,
                    report: report.into(),
                })
            }
            "error" => {
                let (s, text) = rest.split_once(' ').unwrap_or((rest, ""));
                Ok(match (s, s.parse::<u32>()) {
                    (_, Ok(session)) => Reply::Error {
                        session: Some(session),
                        text: text.into(),
                    },
                    ("-", _) => Reply::Error {
                        session: None,
                        text: text.into(),
                    },
                    _ => Reply::Error {
                        session: None,
                        text: rest.into(),
                    },
                })
            }
            _ => Err(bad()),
        }
    }
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
        assert!(Request::parse("end 4294967296\n").is_err());
    }

    #[test]
    fn replies_read_back_as_written() {
        for r in [
            Reply::Ready(12),
            Reply::Port {
                session: 1,
                port: 40001,
            },
            Reply::Done {
                session: 4,
                report: r#"{"side":"server","warnings":["a"]}"#.into(),
            },
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
        // A text's own line break does not end the line early.
        let r = Reply::Error {
            session: Some(1),
            text: "two\nlines".into(),
        };
        assert_eq!(r.line().matches('\n').count(), 1);
        // A text without a session that starts with digits (found by fuzzing).
        let r = Reply::Error {
            session: None,
            text: "060 bytes".into(),
        };
        assert_eq!(r.line(), "error - 060 bytes\n");
        assert_eq!(Reply::parse(&r.line()), Ok(r));
    }
}
