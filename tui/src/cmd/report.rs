//! Session summaries and conformance findings for `read` (and `live`, which
//! prints through the same hook): a line each, or JSON objects with
//! `proto: "session"` / `proto: "finding"`. Also `smc-analyze rules`.

use crate::present::describe::clc_msg;
use crate::present::text;
use arrayvec::ArrayVec;
use engine::frame::Timestamp;
use engine::pipeline::Event;
use engine::rules;
use engine::session::{Analyzer, Attribution, Fallback, Finding, Outcome, Session, Update};
use serde_json::{json, Value};
use std::fmt::Display;
use std::io::{self, Write};
use std::process::ExitCode;

/// Sees each event with what the engine attributed it to, and the engine
/// (its sessions and link groups as they are then) (`read --write`).
pub type Note<'a> = dyn FnMut(&Event, Option<Attribution>, &Analyzer) + 'a;

#[derive(clap::Args, Debug, Clone, Default)]
pub struct ReportArgs {
    /// Print only conformance findings (no events, no session summaries)
    #[arg(long)]
    pub findings: bool,
    /// Print only this session: its summary and the findings that cite it
    #[arg(long, value_name = "ID")]
    pub session: Option<u32>,
}

/// Feeds events to the session engine and prints what it reports.
pub struct Report {
    analyzer: Analyzer,
    args: ReportArgs,
    json: bool,
    updates: Vec<Update>,
    /// A session summary line being built (reused).
    line: Vec<u8>,
    /// The link group of the `--session` one, while it is known.
    wanted_lgr: Option<u32>,
    /// Sessions whose end was reported, and whether the `--session` one was among them.
    ended: u32,
    wanted_seen: bool,
}

impl Report {
    pub fn new(args: ReportArgs, json: bool) -> Self {
        Report {
            analyzer: Analyzer::default(),
            args,
            json,
            updates: Vec::new(),
            line: Vec::new(),
            wanted_lgr: None,
            ended: 0,
            wanted_seen: false,
        }
    }

    /// Whether the per-message event lines are wanted too.
    pub fn events_shown(&self) -> bool {
        !self.args.findings && self.args.session.is_none()
    }

    /// Takes a batch of events into the session engine. `note` sees each
    /// event with what the engine attributed it to, if anything.
    pub fn feed(&mut self, events: &[Event], mut note: Option<&mut Note<'_>>) {
        for e in events {
            let at = self.analyzer.event(e, &mut self.updates);
            if let Some(note) = note.as_deref_mut() {
                note(e, at, &self.analyzer);
            }
        }
    }

    /// Prints what the batches fed so far raised: findings, and the
    /// summaries of the sessions that ended. Called after the batch's own
    /// lines, so a summary follows the message that ended its session.
    pub fn print(&mut self, out: &mut impl Write) -> io::Result<()> {
        // Most batches change nothing to print (and without --session
        // there is nothing else to keep up to date).
        if self.updates.is_empty() && self.args.session.is_none() {
            return Ok(());
        }
        self.flush(out)
    }

    /// End of input: last findings, then the summaries of the sessions still open.
    pub fn finish(&mut self, out: &mut impl Write) -> io::Result<()> {
        self.analyzer.finish(&mut self.updates);
        self.flush(out)
    }

    /// After [`Report::finish`]: the `--session` asked for that the input
    /// never had, with how many sessions it had.
    pub fn missing_session(&self) -> Option<(u32, u32)> {
        self.args
            .session
            .filter(|_| !self.wanted_seen)
            .map(|id| (id, self.ended))
    }

    fn flush(&mut self, out: &mut impl Write) -> io::Result<()> {
        if let Some(s) = self.args.session.and_then(|id| self.analyzer.session(id)) {
            self.wanted_lgr = s.smcr.as_ref().and_then(|r| r.link_group);
        }
        for u in self.updates.drain(..) {
            let f = match u {
                Update::Finding(f) => f,
                Update::SessionEnded(s) => {
                    self.ended += 1;
                    if self.args.session == Some(s.id) {
                        self.wanted_lgr = s.smcr.as_ref().and_then(|r| r.link_group);
                        self.wanted_seen = true;
                    }
                    if !self.args.findings && self.args.session.is_none_or(|want| want == s.id) {
                        if self.json {
                            write_stamped(out, &session_json(&s), s.start)?;
                        } else {
                            self.line.clear();
                            session_line(&mut self.line, &s);
                            out.write_all(&self.line)?;
                        }
                    }
                    continue;
                }
                Update::Session(_) => continue,
            };
            if let Some(id) = self.args.session {
                let lgr = self.wanted_lgr;
                if f.session != Some(id) && (f.session.is_some() || f.link_group != lgr || lgr.is_none()) {
                    continue;
                }
            }
            if self.json {
                write_stamped(out, &finding_json(&f), f.time)?;
            } else {
                writeln!(out, "{}", finding_line(&f))?;
            }
        }
        Ok(())
    }
}

fn finding_line(f: &Finding) -> String {
    let frames: Vec<String> = f.frames.iter().map(u64::to_string).collect();
    let mut line = format!(
        "finding {} {} frames {}",
        f.rule.id,
        f.rule.severity,
        frames.join(",")
    );
    if let Some(s) = f.session {
        line += &format!(" session {s}");
    }
    if let Some(g) = f.link_group {
        line += &format!(" lgr {g}");
    }
    line + &format!(": {}: {}", f.rule.summary, f.detail)
}

/// Writes `obj` as one JSON line with `"time"` added in its key order: the
/// capture time as number text with all nine digits of its nanoseconds
/// (serde_json's numbers are f64s, which keep only microseconds of it).
pub fn write_stamped(out: &mut impl Write, obj: &Value, time: Timestamp) -> io::Result<()> {
    let Value::Object(fields) = obj else {
        return writeln!(out, "{obj}");
    };
    let mut time = Some(time);
    let mut sep = "{";
    for (key, value) in fields {
        if key.as_str() > "time" {
            if let Some(t) = time.take() {
                write!(out, "{sep}\"time\":{t}")?;
                sep = ",";
            }
        }
        out.write_all(sep.as_bytes())?;
        serde_json::to_writer(&mut *out, key)?;
        out.write_all(b":")?;
        serde_json::to_writer(&mut *out, value)?;
        sep = ",";
    }
    if let Some(t) = time {
        write!(out, "{sep}\"time\":{t}")?;
    }
    out.write_all(b"}\n")
}

fn finding_json(f: &Finding) -> Value {
    json!({
        "frame": f.frames.first(),
        "proto": "finding",
        "msg": f.rule.id.replace('-', "_"),
        "version": null,
        "rule": f.rule.id,
        "severity": f.rule.severity.to_string(),
        "summary": f.rule.summary,
        "basis": f.rule.basis,
        "frames": f.frames,
        "session": f.session,
        "link_group": f.link_group,
        "detail": f.detail,
    })
}

/// One value of a session summary: a JSON value, or a ` key=value` word.
enum Word<'a> {
    Num(u64),
    Bool(bool),
    Str(&'a str),
    Shown(&'a dyn Display),
    /// A 32-bit code, "0x03030000".
    Code(u32),
    Null,
}

impl Word<'_> {
    fn json(&self) -> Value {
        match self {
            Word::Num(n) => (*n).into(),
            Word::Bool(b) => (*b).into(),
            Word::Str(s) => (*s).into(),
            Word::Shown(d) => d.to_string().into(),
            Word::Code(c) => format!("{c:#010x}").into(),
            Word::Null => Value::Null,
        }
    }

    /// Null is left out; strings go unquoted. Inlined: most keys are then
    /// constants, copied without a memcpy call.
    #[inline(always)]
    fn write(&self, line: &mut Vec<u8>, key: &str) {
        if matches!(self, Word::Null) {
            return;
        }
        line.push(b' ');
        line.extend_from_slice(key.as_bytes());
        line.push(b'=');
        match self {
            Word::Num(n) => text::num(line, *n),
            Word::Bool(b) => line.extend_from_slice(if *b { b"true" } else { b"false" }),
            Word::Str(s) => line.extend_from_slice(s.as_bytes()),
            Word::Shown(d) => text::shown(line, d),
            Word::Code(c) => text::shown(line, format_args!("{c:#010x}")),
            Word::Null => {}
        }
    }
}

fn opt<T>(v: Option<T>, word: impl FnOnce(T) -> Word<'static>) -> Word<'static> {
    v.map_or(Word::Null, word)
}

/// What the outcome says, after its kind; sorted by key, the order of the
/// words (serde_json's objects keep keys sorted too). Typed, not JSON: a
/// summary line is written without building a JSON object first.
fn outcome_fields(o: &Outcome) -> ArrayVec<(&'static str, Word<'_>), 7> {
    let mut f = ArrayVec::new();
    match o {
        Outcome::Pending => {}
        Outcome::Smc(n) => f.extend([
            ("client_buffer", Word::Num(n.buffer_size[0].into())),
            ("eid", n.eid.as_deref().map_or(Word::Null, Word::Str)),
            ("first_contact", Word::Bool(n.first_contact)),
            ("max_conns", opt(n.max_conns, |v| Word::Num(v.into()))),
            ("max_links", opt(n.max_links, |v| Word::Num(v.into()))),
            (
                "release",
                n.release.as_ref().map_or(Word::Null, |r| Word::Shown(r)),
            ),
            ("server_buffer", Word::Num(n.buffer_size[1].into())),
        ]),
        Outcome::Fallback(Fallback::NoOption { lacking }) => {
            f.push(("no_option_from", Word::Str(lacking.name())))
        }
        Outcome::Fallback(Fallback::Declined {
            by,
            version,
            diagnosis,
        }) => f.extend([
            ("decline_version", Word::Num((*version).into())),
            ("declined_by", Word::Str(by.name())),
            ("diagnosis", Word::Code(diagnosis.0)),
            ("diagnosis_name", diagnosis.name().map_or(Word::Null, Word::Str)),
        ]),
        Outcome::Fallback(Fallback::Aborted { by, reset, after }) => f.extend([
            ("aborted_by", Word::Str(by.name())),
            ("after", after.as_ref().map_or(Word::Null, |t| Word::Shown(t))),
            ("reset", Word::Bool(*reset)),
        ]),
    }
    f
}

fn session_json(s: &Session) -> Value {
    let version = match &s.outcome {
        Outcome::Smc(n) => Some(n.version),
        _ => None,
    };
    let mut v = json!({
        "frame": s.first_frame,
        "proto": "session",
        "msg": "summary",
        "version": version,
        "session": s.id,
        "client": s.client.to_string(),
        "server": s.server.to_string(),
        "outcome": s.outcome.kind(),
        "syn_option": s.syn_option,
        "synack_option": s.synack_option,
        "clc": s.clc.iter().map(|(f, side, t)| json!({"frame": f, "by": side.name(), "msg": clc_msg(*t)})).collect::<Vec<_>>(),
        "tcp_handshake_ms": s.tcp_handshake_micros.map(|m| m as f64 / 1000.0),
        "handshake_ms": s.handshake_micros.map(|m| m as f64 / 1000.0),
        "tcp_bytes": s.tcp_bytes,
        "rdma_bytes": s.rdma_bytes,
        "reset": s.reset,
        "findings": s.findings,
    });
    let Value::Object(o) = &mut v else { return v };
    o.extend(
        outcome_fields(&s.outcome)
            .iter()
            .map(|(k, w)| (k.to_string(), w.json())),
    );
    if let Some(r) = &s.smcr {
        o.insert("link_group".into(), r.link_group.into());
        o.insert("qpn".into(), json!(r.qp.map(|q| q.map(|q| q.qpn))));
        o.insert("gid".into(), json!(r.qp.map(|q| q.map(|q| q.ip.to_string()))));
        let rmb = |i: usize| {
            r.rmb[i].map(|b| json!({"rkey": format!("{:#x}", b.rkey), "dma_addr": format!("{:#x}", b.dma_addr), "size": b.size, "alert_token": format!("{:#x}", b.alert_token)}))
        };
        o.insert("rmb".into(), json!([rmb(0), rmb(1)]));
        o.insert("cdc".into(), json!(r.cdc));
    }
    if let Some(d) = &s.smcd {
        o.insert("smcd_gid".into(), json!(d.gid.map(|g| format!("{g:#x}"))));
        o.insert("dmb_token".into(), json!(d.dmb_token.map(|t| format!("{t:#x}"))));
        o.insert("smcd_link_id".into(), json!(format!("{:#x}", d.link_id)));
        o.insert("chid".into(), json!(d.chid));
    }
    v
}

/// A session's summary line, appended to `line` (a reused buffer: std's
/// formatting per word cost more than the rest of the line).
fn session_line(line: &mut Vec<u8>, s: &Session) {
    line.extend_from_slice(b"session ");
    text::num(line, s.id.into());
    line.push(b' ');
    text::socket(line, s.client);
    line.extend_from_slice(b" -> ");
    text::socket(line, s.server);
    line.push(b' ');
    line.extend_from_slice(s.outcome.kind().as_bytes());
    if let Outcome::Smc(n) = &s.outcome {
        line.extend_from_slice(b" v");
        text::num(line, n.version.into());
    }
    for (k, w) in &outcome_fields(&s.outcome) {
        w.write(line, k);
    }
    if let Some(r) = &s.smcr {
        pair(line, "cdc", r.cdc[0], r.cdc[1]);
        opt(r.link_group, |g| Word::Num(g.into())).write(line, "lgr");
        line.extend_from_slice(b" qpn=");
        qpn(line, r.qp[0]);
        line.push(b'/');
        qpn(line, r.qp[1]);
    }
    millis(line, "tcp_handshake", s.tcp_handshake_micros);
    millis(line, "handshake", s.handshake_micros);
    pair(line, "rdma", s.rdma_bytes[0], s.rdma_bytes[1]);
    pair(line, "tcp", s.tcp_bytes[0], s.tcp_bytes[1]);
    Word::Num(s.findings.into()).write(line, "findings");
    line.push(b'\n');
}

/// ` key=a/b`.
#[inline(always)]
/// ` key=1.234ms` (milliseconds with 3 decimals: whole microseconds, no
/// float formatting), or nothing when not measured.
fn millis(line: &mut Vec<u8>, key: &str, us: Option<u64>) {
    let Some(us) = us else { return };
    line.push(b' ');
    line.extend_from_slice(key.as_bytes());
    line.push(b'=');
    text::num(line, us / 1000);
    line.extend_from_slice(&[b'.', b'0' + (us / 100 % 10) as u8, b'0' + (us / 10 % 10) as u8]);
    line.push(b'0' + (us % 10) as u8);
    line.extend_from_slice(b"ms");
}

fn pair(line: &mut Vec<u8>, key: &str, a: u64, b: u64) {
    Word::Num(a).write(line, key);
    line.push(b'/');
    text::num(line, b);
}

/// A QP number, or "-" when not seen.
fn qpn(line: &mut Vec<u8>, q: Option<engine::session::QpEnd>) {
    match q {
        Some(q) => text::num(line, q.qpn.into()),
        None => line.push(b'-'),
    }
}

#[derive(clap::Args)]
pub struct RulesArgs {
    /// Print the catalogue as a Markdown table (docs/rules.md)
    #[arg(long)]
    markdown: bool,
    /// Print JSON Lines
    #[arg(long, conflicts_with = "markdown")]
    json: bool,
}

/// `smc-analyze rules`: the conformance rule catalogue.
pub fn rules(args: RulesArgs) -> ExitCode {
    let mut out = io::stdout().lock();
    let text = if args.markdown {
        rules::markdown()
    } else if args.json {
        rules::ALL
            .iter()
            .map(|r| json!({"rule": r.id, "severity": r.severity.to_string(), "summary": r.summary, "basis": r.basis}).to_string() + "\n")
            .collect()
    } else {
        rules::ALL
            .iter()
            .map(|r| format!("{:<32} {:<7} {}\n", r.id, r.severity, r.summary))
            .collect()
    };
    match out.write_all(text.as_bytes()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(_) => ExitCode::FAILURE,
    }
}
