//! One line per connection, in a stable `key=value` form the lab parses,
//! or as one JSON object with the same keys.

use std::fmt::Write as _;
use std::net::SocketAddr;

use super::diag::{DiagMode, DmbInfo, SmcDiagMsg};
use super::reasons::decline_name;

/// `enum smc_state` in net/smc/smc.h: the CLC handshake is still running.
pub const SMC_INIT: u8 = 2;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    Smcr,
    Smcd,
    Tcp,
    /// smc_diag gave no answer for the socket.
    Unknown,
}

impl Mode {
    pub fn as_str(self) -> &'static str {
        match self {
            Mode::Smcr => "smcr",
            Mode::Smcd => "smcd",
            Mode::Tcp => "tcp",
            Mode::Unknown => "unknown",
        }
    }
}

/// How the echo compared with what was sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Echo {
    Ok,
    /// The first differing byte, counted from the start of the stream.
    MismatchAt(u64),
    /// Fewer bytes came back than were sent.
    Short,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConnReport {
    pub conn: u64,
    pub peer: SocketAddr,
    pub mode: Mode,
    /// SMC version of the link group (1 or 2), when known.
    pub version: Option<u8>,
    pub fallback_reason: Option<u32>,
    pub peer_diagnosis: Option<u32>,
    pub sent: u64,
    pub received: u64,
    pub elapsed_ms: u64,
    pub echo: Option<Echo>,
    /// The connection was reset on purpose during the handshake.
    pub aborted: bool,
    /// SMC-D: link group, GIDs and DMB tokens, as smc_diag gives them.
    pub smcd: Option<DmbInfo>,
}

impl ConnReport {
    pub fn new(conn: u64, peer: SocketAddr) -> Self {
        ConnReport {
            conn,
            peer,
            mode: Mode::Unknown,
            version: None,
            fallback_reason: None,
            peer_diagnosis: None,
            sent: 0,
            received: 0,
            elapsed_ms: 0,
            echo: None,
            aborted: false,
            smcd: None,
        }
    }

    /// Takes mode and reasons from the socket's smc_diag entry.
    pub fn set_diag(&mut self, d: &SmcDiagMsg) {
        self.mode = match d.mode {
            // diag_mode reads SMCR until the handshake decides otherwise.
            DiagMode::SMCR if d.state == SMC_INIT => Mode::Unknown,
            DiagMode::SMCR => Mode::Smcr,
            DiagMode::SMCD => Mode::Smcd,
            DiagMode::FALLBACK_TCP => Mode::Tcp,
            _ => Mode::Unknown,
        };
        self.smcd = d.dmb.filter(|_| self.mode == Mode::Smcd);
        if let Some((reason, peer)) = d.fallback {
            self.fallback_reason = (reason != 0 || self.mode == Mode::Tcp).then_some(reason);
            self.peer_diagnosis = (peer != 0).then_some(peer);
        }
    }

    fn fields(&self) -> Vec<(&'static str, Value)> {
        let mut f = vec![
            ("conn", Value::Num(self.conn)),
            ("peer", Value::Text(self.peer.to_string())),
        ];
        f.push(("mode", Value::Text(self.mode.as_str().into())));
        if let Some(v) = self.version {
            f.push(("version", Value::Text(format!("v{v}"))));
        }
        if let Some(r) = self.fallback_reason {
            f.push(("fallback_reason", Value::Code(r)));
        }
        if let Some(r) = self.peer_diagnosis {
            f.push(("peer_diagnosis", Value::Code(r)));
        }
        if let Some(d) = &self.smcd {
            let hex = |v: u64| Value::Text(format!("{v:#018x}"));
            f.push(("link_id", Value::Text(format!("{:#010x}", d.link_id))));
            f.push(("gid", hex(d.gid)));
            f.extend(d.gid_ext.map(|v| ("gid_ext", hex(v))));
            f.push(("peer_gid", hex(d.peer_gid)));
            f.extend(d.peer_gid_ext.map(|v| ("peer_gid_ext", hex(v))));
            f.push(("dmb_token", hex(d.token)));
            f.push(("peer_dmb_token", hex(d.peer_token)));
        }
        f.push(("sent", Value::Num(self.sent)));
        f.push(("received", Value::Num(self.received)));
        f.push(("elapsed_ms", Value::Num(self.elapsed_ms)));
        match self.echo {
            Some(Echo::Ok) => f.push(("echo", Value::Text("ok".into()))),
            Some(Echo::Short) => f.push(("echo", Value::Text("short".into()))),
            Some(Echo::MismatchAt(at)) => f.push(("echo", Value::Text(format!("mismatch@{at}")))),
            None => {}
        }
        if self.aborted {
            f.push(("aborted", Value::Text("rst".into())));
        }
        f
    }

    /// `conn=0 peer=10.0.0.2:5000 mode=tcp fallback_reason=0x03010000 (PEERNOSMC) sent=..`
    pub fn line(&self) -> String {
        let mut out = String::new();
        for (i, (k, v)) in self.fields().into_iter().enumerate() {
            if i > 0 {
                out.push(' ');
            }
            match v {
                Value::Num(n) => write!(out, "{k}={n}"),
                Value::Text(t) => write!(out, "{k}={t}"),
                Value::Code(c) => write!(out, "{k}={c:#010x} ({})", decline_name(c)),
            }
            .ok();
        }
        out
    }

    /// The same keys as [`line`](Self::line); a code becomes `"0x…"` plus `<key>_name`.
    pub fn json(&self) -> String {
        let mut out = String::from("{");
        for (i, (k, v)) in self.fields().into_iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            match v {
                Value::Num(n) => write!(out, "\"{k}\":{n}"),
                Value::Text(t) => write!(out, "\"{k}\":{}", json_string(&t)),
                Value::Code(c) => write!(out, "\"{k}\":\"{c:#010x}\",\"{k}_name\":\"{}\"", decline_name(c)),
            }
            .ok();
        }
        out.push('}');
        out
    }
}

enum Value {
    Num(u64),
    Text(String),
    Code(u32),
}

pub fn json_string(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if (c as u32) < 0x20 => {
                write!(out, "\\u{:04x}", c as u32).ok();
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fallback() -> ConnReport {
        let mut r = ConnReport::new(3, "10.0.0.2:5000".parse().unwrap());
        r.mode = Mode::Tcp;
        r.fallback_reason = Some(0x0301_0000);
        r.sent = 1000;
        r.received = 1000;
        r.elapsed_ms = 12;
        r.echo = Some(Echo::Ok);
        r
    }

    #[test]
    fn text_line_format() {
        assert_eq!(
            fallback().line(),
            "conn=3 peer=10.0.0.2:5000 mode=tcp fallback_reason=0x03010000 (PEERNOSMC) \
             sent=1000 received=1000 elapsed_ms=12 echo=ok"
        );
        let mut r = ConnReport::new(0, "[fd00::1]:80".parse().unwrap());
        r.mode = Mode::Smcr;
        r.version = Some(2);
        r.peer_diagnosis = Some(0x0303_0008);
        r.aborted = true;
        assert_eq!(
            r.line(),
            "conn=0 peer=[fd00::1]:80 mode=smcr version=v2 peer_diagnosis=0x03030008 (NOUEID) \
             sent=0 received=0 elapsed_ms=0 aborted=rst"
        );
    }

    #[test]
    fn json_has_the_same_keys() {
        assert_eq!(
            fallback().json(),
            "{\"conn\":3,\"peer\":\"10.0.0.2:5000\",\"mode\":\"tcp\",\"fallback_reason\":\"0x03010000\",\
             \"fallback_reason_name\":\"PEERNOSMC\",\"sent\":1000,\"received\":1000,\"elapsed_ms\":12,\"echo\":\"ok\"}"
        );
        assert_eq!(json_string("a\"b\\\n"), "\"a\\\"b\\\\\\u000a\"");
    }

    #[test]
    fn diag_sets_mode_and_reasons() {
        use crate::kernel::diag::SockId;
        let mut d = SmcDiagMsg {
            family: 2,
            state: 1,
            mode: DiagMode::SMCR,
            shutdown: 0,
            id: SockId::default(),
            uid: 0,
            inode: 1,
            fallback: Some((0, 0)),
            token: Some(1),
            lgr: None,
            dmb: None,
        };
        let mut r = ConnReport::new(0, "1.2.3.4:5".parse().unwrap());
        r.set_diag(&d);
        assert_eq!(
            (r.mode, r.fallback_reason, r.peer_diagnosis),
            (Mode::Smcr, None, None)
        );
        d.state = SMC_INIT;
        r.set_diag(&d);
        assert_eq!(r.mode, Mode::Unknown, "undecided while the handshake runs");
        d.mode = DiagMode::FALLBACK_TCP;
        d.fallback = Some((0x0500_0000, 0x0303_0000));
        r.set_diag(&d);
        assert_eq!(
            (r.mode, r.fallback_reason, r.peer_diagnosis),
            (Mode::Tcp, Some(0x0500_0000), Some(0x0303_0000))
        );
    }
}
