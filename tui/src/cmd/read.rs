//! `smc-analyze read FILE [--json] [-V] [--write OUT]`: every SMC event in a
//! capture file, one line each (tshark-like) or JSON Lines (docs/json.md),
//! with `-V` the field tree of each message. Bad input is reported on stderr
//! naming file, frame and field, and reading goes on.

mod describe;
mod text;
mod tree;
mod write;

use describe::{describe, json_fields, Description};
use engine::pipeline::{Endpoints, Event, EventKind, Pipeline};
use engine::source::{PcapFile, Timestamp};
use serde_json::{json, Value};
use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(clap::Args)]
pub struct Args {
    /// Capture file (pcap or pcapng)
    file: PathBuf,
    /// Print JSON Lines instead of summary lines
    #[arg(long)]
    json: bool,
    /// Show each message's field tree with byte offsets (in JSON: a `tree` object)
    #[arg(short = 'V', long)]
    verbose: bool,
    /// Write the frames of SMC sessions to this file (pcap format: libpcap writes no pcapng)
    #[arg(long, value_name = "OUT")]
    write: Option<PathBuf>,
    /// Keep only sessions matching every term: ip=ADDR, port=N, qp=N, proto=tcp|roce (comma-separated)
    #[arg(long, value_name = "TERMS", requires = "write")]
    write_filter: Option<write::Filter>,
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
        verbose: args.verbose,
        interactive: std::io::stdout().is_terminal(),
        start: None,
        // Block-buffered: a summary line per write(2) would cost more than decoding it.
        out: std::io::BufWriter::with_capacity(64 * 1024, std::io::stdout().lock()),
        line: Vec::new(),
    };
    let mut pipeline = if args.verbose {
        Pipeline::default().with_field_trees()
    } else {
        Pipeline::default()
    };
    let mut sessions = write::Sessions::default();
    let mut events = Vec::new();
    let mut code = ExitCode::SUCCESS;
    while let Some(next) = source.next_borrowed() {
        match next {
            Ok(frame) => {
                printer.start.get_or_insert(frame.time);
                pipeline.frame(&frame, &mut events);
            }
            Err(e) => {
                eprintln!("smc-analyze: {name}: {e}");
                code = ExitCode::FAILURE;
            }
        }
        if args.write.is_some() {
            sessions.note(&events);
        }
        if printer.print(events.drain(..)).is_err() {
            // stdout closed (a pager quit): nothing left to do.
            return code;
        }
    }
    pipeline.finish(&mut events);
    if args.write.is_some() {
        sessions.note(&events);
    }
    let _ = printer.print(events.drain(..));
    let _ = printer.out.flush();
    report_drops(&name, pipeline.drops());
    if let Some(out) = &args.write {
        let filter = args.write_filter.unwrap_or_default();
        if let Err(e) = write::frames(&args.file, out, &sessions, &filter) {
            eprintln!("smc-analyze: {}: {e}", out.display());
            code = ExitCode::FAILURE;
        }
    }
    code
}

struct Printer<'a, W: Write> {
    name: &'a str,
    json: bool,
    verbose: bool,
    /// On a terminal, lines show as they come; otherwise they are buffered.
    interactive: bool,
    /// Time of the first frame: summary lines show time relative to it.
    start: Option<Timestamp>,
    out: W,
    /// A summary line being built (reused: no allocation per line).
    line: Vec<u8>,
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
            let tree = event.tree.as_deref().filter(|_| self.verbose);
            if self.json {
                let mut obj = json_line(&event, d);
                if let (Some(t), Value::Object(o)) = (tree, &mut obj) {
                    o.insert("tree".into(), tree::json(t));
                }
                writeln!(self.out, "{obj}")?;
            } else {
                self.line.clear();
                text::summary(&mut self.line, &event, &d, self.start.unwrap_or_default());
                self.out.write_all(&self.line)?;
                if let Some(t) = tree {
                    writeln!(self.out, "{}", tree::text(t))?;
                }
            }
        }
        if self.interactive {
            self.out.flush()?;
        }
        Ok(())
    }
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
        o.extend(json_fields(&d.fields));
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
