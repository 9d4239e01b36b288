//! `smc-analyze read FILE [--json]`: every SMC event in a capture file, one
//! line each (tshark-like) or JSON Lines. Bad input is reported on stderr
//! naming file, frame and field, and reading goes on.

mod describe;

use super::report::{Report, ReportArgs};
use describe::{describe, Description};
use engine::pipeline::{Endpoints, Event, EventKind, Pipeline};
use engine::source::{FrameSource, PcapFile, Timestamp};
use serde_json::{json, Value};
use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(clap::Args)]
pub struct Args {
    /// Capture file (pcap or pcapng)
    file: PathBuf,
    /// Print JSON Lines instead of summary lines
    #[arg(long)]
    json: bool,
    #[command(flatten)]
    report: ReportArgs,
}

pub fn run(args: Args) -> ExitCode {
    let name = args.file.display().to_string();
    let mut source = match PcapFile::open(&args.file) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("smc-analyze: {name}: {}", e.message);
            return ExitCode::FAILURE;
        }
    };
    let mut printer = Printer {
        name: &name,
        json: args.json,
        start: None,
        out: std::io::stdout().lock(),
    };
    let mut report = Report::new(args.report.clone(), args.json);
    let mut pipeline = Pipeline::default();
    let mut events = Vec::new();
    let mut code = ExitCode::SUCCESS;
    while let Some(frame) = source.next_frame() {
        match frame {
            Ok(frame) => {
                printer.start.get_or_insert(frame.time);
                pipeline.frame(&frame, &mut events);
            }
            Err(e) => {
                eprintln!("smc-analyze: {name}: {e}");
                code = ExitCode::FAILURE;
            }
        }
        if show(&mut report, &mut printer, &mut events).is_err() {
            // stdout closed (a pager quit): nothing left to do.
            return code;
        }
    }
    pipeline.finish(&mut events);
    let _ = show(&mut report, &mut printer, &mut events).and_then(|()| report.finish(&mut printer.out));
    report_drops(&name, pipeline.drops());
    code
}

/// Events to the session engine (its findings printed), then as lines.
fn show<W: Write>(report: &mut Report, printer: &mut Printer<W>, events: &mut Vec<Event>) -> std::io::Result<()> {
    report.feed(events, &mut printer.out)?;
    if !report.events_shown() {
        events.retain(|e| matches!(e.kind, EventKind::Problem(_)));
    }
    printer.print(events.drain(..))
}

struct Printer<'a, W: Write> {
    name: &'a str,
    json: bool,
    /// Time of the first frame: summary lines show time relative to it.
    start: Option<Timestamp>,
    out: W,
}

impl<W: Write> Printer<'_, W> {
    fn print(&mut self, events: impl Iterator<Item = Event>) -> std::io::Result<()> {
        for event in events {
            if let EventKind::Problem(p) = &event.kind {
                let what = if p.truncated {
                    "cut by snaplen"
                } else {
                    "bad input"
                };
                eprintln!(
                    "smc-analyze: {}: frame {}: {} {what}: {}",
                    self.name, event.frame, p.proto, p.detail
                );
                continue;
            }
            let Some(d) = describe(&event.kind) else { continue };
            if self.json {
                writeln!(self.out, "{}", json_line(&event, d))?;
            } else {
                let line = summary_line(&event, &d, self.start.unwrap_or_default());
                writeln!(self.out, "{line}")?;
            }
        }
        Ok(())
    }
}

fn summary_line(event: &Event, d: &Description, start: Timestamp) -> String {
    let since = event.time.as_secs_f64() - start.as_secs_f64();
    let (src, dst) = ends(&event.at);
    let mut line = format!(
        "{:>6} {since:>12.6} {src} -> {dst} {} {}",
        event.frame,
        d.proto.to_uppercase(),
        d.msg
    );
    if let Some(v) = d.version {
        line += &format!(" v{v}");
    }
    if d.response == Some(true) {
        line += " rsp";
    }
    for (k, v) in &d.fields {
        match v {
            Value::Null => {}
            Value::String(s) => line += &format!(" {k}={s}"),
            other => line += &format!(" {k}={other}"),
        }
    }
    line
}

fn json_line(event: &Event, d: Description) -> Value {
    let (src, dst) = ends(&event.at);
    let mut obj = json!({
        "frame": event.frame,
        "time": event.time.as_secs_f64(),
        "src": src,
        "dst": dst,
        "proto": d.proto,
        "msg": d.msg,
    });
    if let (Endpoints::Qp { qp, .. }, Value::Object(o)) = (event.at, &mut obj) {
        o.insert("qp".into(), qp.into());
    }
    if let Value::Object(o) = &mut obj {
        o.insert("version".into(), d.version.into());
        if let Some(r) = d.response {
            o.insert("response".into(), r.into());
        }
        o.extend(d.fields);
    }
    obj
}

fn ends(at: &Endpoints) -> (String, String) {
    match at {
        Endpoints::Tcp(flow) => (flow.src.to_string(), flow.dst.to_string()),
        Endpoints::Qp { src, dst, .. } => (src.to_string(), dst.to_string()),
        Endpoints::Frame => ("-".into(), "-".into()),
    }
}

fn report_drops(name: &str, d: dissect::capture::Drops) {
    let lost = [
        ("out-of-order bytes over the reassembly caps", d.pending_bytes),
        ("bytes never captured (gaps)", d.gap_bytes),
        ("segments of connections over the cap", d.untracked_segments),
        ("RoCE packets of QPs over the cap", d.untracked_packets),
        ("SEND fragments that could not be joined", d.send_fragments),
    ];
    for (what, n) in lost.into_iter().filter(|(_, n)| *n > 0) {
        eprintln!("smc-analyze: {name}: dropped {n} {what}");
    }
}
