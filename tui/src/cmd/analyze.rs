//! The pipeline over a frame source, printing every SMC event as a summary
//! line (tshark-like) or JSON Lines (docs/json.md), with the session engine's
//! findings and summaries: what `read` and `live` share. Bad input is reported
//! on stderr naming the source, frame and field, and the run goes on.

use super::progress::Progress;
use super::report::{write_stamped, Note, Report, ReportArgs};
use crate::present::describe::{describe, info, json_fields, Description};
use crate::present::text;
use crate::present::tree;
use engine::frame::{Frame, FrameSource, Timestamp};
use engine::pipeline::{Endpoints, Event, EventKind, Pipeline};
use serde_json::{json, Value};
use std::io::{self, IsTerminal, Write};
use std::process::ExitCode;

/// How events are shown.
#[derive(Clone, Default)]
pub struct Options {
    pub json: bool,
    /// Field trees with byte offsets under each message.
    pub verbose: bool,
    pub report: ReportArgs,
    /// Write each event out as soon as it is seen, even into a pipe (live
    /// capture), instead of in blocks.
    pub prompt: bool,
    /// Nothing to stdout: it carries the capture `--write -` writes, as
    /// tshark's `-w -` (messages still go to stderr).
    pub stdout_is_capture: bool,
}

/// Frames taken from the source per call; progress is drawn between batches.
const BATCH: usize = 512;

/// Runs every frame of `source` through the pipeline and the session engine
/// and prints what they find; FAILURE if the source reported an error. `name`
/// (file or interface) prefixes the messages on stderr; `note` sees every
/// event the session engine attributed to a session or link group.
pub fn run(
    name: &str,
    opts: &Options,
    source: &mut dyn FrameSource,
    progress: Option<Progress>,
    mut note: Option<&mut Note<'_>>,
) -> ExitCode {
    let mut printer = Printer {
        name,
        json: opts.json,
        verbose: opts.verbose,
        interactive: opts.prompt || std::io::stdout().is_terminal(),
        start: None,
        out: Out {
            block: Vec::with_capacity(BLOCK + 4096),
            to: if opts.stdout_is_capture {
                Box::new(io::sink()) as Box<dyn Write>
            } else {
                Box::new(io::stdout().lock())
            },
        },
        line: [0; text::LINE],
        progress,
    };
    let mut report = Report::new(opts.report.clone(), opts.json);
    let mut pipeline = if opts.verbose {
        Pipeline::default().with_messages()
    } else {
        Pipeline::default()
    };
    let mut events = Vec::new();
    let mut code = ExitCode::SUCCESS;
    let mut number = 0;
    // Once stdout is closed (a pager quit) the rest of the batch is skipped.
    let mut closed = false;
    loop {
        let next = source.next_frames_with(BATCH, &mut |frame: Frame<&[u8]>| {
            if closed {
                return;
            }
            printer.start.get_or_insert(frame.time);
            pipeline.frame(&frame, &mut events);
            number = frame.number;
            // Most frames (RDMA WRITE data) find nothing: nothing to note or show.
            if events.is_empty() {
                return;
            }
            closed = show(&mut report, &mut printer, &mut events, note.as_deref_mut()).is_err();
        });
        if closed {
            return code;
        }
        let Some(next) = next else { break };
        match next {
            Ok(()) => {
                if let Some(p) = &mut printer.progress {
                    p.frames_done(number, || source.position());
                }
            }
            Err(e) => {
                printer.clear_progress();
                eprintln!("smc-analyze: {name}: {e}");
                code = ExitCode::FAILURE;
            }
        }
    }
    if number == 0 && code == ExitCode::SUCCESS {
        eprintln!("smc-analyze: {name}: no frames");
    }
    pipeline.finish(&mut events);
    let _ = show(&mut report, &mut printer, &mut events, note).and_then(|()| report.finish(&mut printer.out));
    let _ = printer.out.flush();
    printer.clear_progress();
    report_drops(name, pipeline.drops());
    if let Some((id, sessions)) = report.missing_session() {
        let had = match sessions {
            0 => "it has no SMC session".to_string(),
            1 => "it has one, session 0".to_string(),
            n => format!("its sessions are 0 to {}", n - 1),
        };
        eprintln!("smc-analyze: {name}: no session {id}: {had}");
        code = ExitCode::FAILURE;
    }
    code
}

/// Events to the session engine, then as lines, then the findings and
/// session summaries they raised.
/// Not inlined into the run loop: it is big, and most frames skip it.
#[inline(never)]
fn show<W: Write>(
    report: &mut Report,
    printer: &mut Printer<W>,
    events: &mut Vec<Event>,
    note: Option<&mut Note<'_>>,
) -> std::io::Result<()> {
    printer.before_stdout();
    report.feed(events, note);
    if !report.events_shown() {
        events.retain(|e| matches!(e.kind, EventKind::Problem(_)));
    }
    let printed = printer.print(events);
    events.clear();
    printed?;
    report.print(&mut printer.out)
}

struct Printer<'a, W: Write> {
    name: &'a str,
    json: bool,
    verbose: bool,
    /// On a terminal, lines show as they come; otherwise they are buffered.
    interactive: bool,
    /// Time of the first frame: summary lines show time relative to it.
    start: Option<Timestamp>,
    out: Out<W>,
    /// A summary line being built (reused: no allocation per line).
    line: [u8; text::LINE],
    /// Drawn on stderr; cleared before anything else is written to its terminal.
    progress: Option<Progress>,
}

impl<W: Write> Printer<'_, W> {
    fn clear_progress(&mut self) {
        if let Some(p) = &mut self.progress {
            p.clear();
        }
    }

    fn before_stdout(&mut self) {
        if let Some(p) = &mut self.progress {
            p.before_stdout();
        }
    }

    // Inlined into show: one call less per batch of events.
    #[inline(always)]
    fn print(&mut self, events: &[Event]) -> std::io::Result<()> {
        for event in events {
            if let EventKind::Problem(p) = &event.kind {
                self.clear_progress();
                let what = if p.truncated() {
                    "cut by snaplen"
                } else {
                    "bad input"
                };
                eprintln!(
                    "smc-analyze: {}: frame {}: {} {what}: {}",
                    self.name,
                    event.frame,
                    p.layer(),
                    p
                );
                continue;
            }
            // Built here, for the message shown, from the bytes the event carries.
            let tree = || event.message.as_ref().filter(|_| self.verbose).map(|m| m.tree());
            if self.json {
                let Some(d) = describe(&event.kind) else { continue };
                let mut obj = json_line(event, d);
                if let (Some(t), Value::Object(o)) = (tree(), &mut obj) {
                    o.insert("tree".into(), tree::json(&t));
                }
                write_stamped(&mut self.out, &obj, event.time)?;
            } else {
                let Some(info) = info(&event.kind) else { continue };
                let line = text::Line::new(&mut self.line, &mut self.out.block);
                text::summary(line, event, &info, self.start.unwrap_or_default());
                self.out.filled()?;
                if let Some(t) = tree() {
                    writeln!(self.out, "{}", tree::text(&t))?;
                }
            }
        }
        if self.interactive {
            self.out.flush()?;
        }
        Ok(())
    }
}

/// Standard output, written in blocks: a summary line per write(2) would
/// cost more than decoding it. A Vec rather than a BufWriter: a summary
/// [`text::Line`] goes into it whole, with nothing to fail.
struct Out<W: Write> {
    block: Vec<u8>,
    to: W,
}

const BLOCK: usize = 64 * 1024;

impl<W: Write> Out<W> {
    /// Writes the block out once it is full.
    fn filled(&mut self) -> io::Result<()> {
        if self.block.len() >= BLOCK {
            self.to.write_all(&self.block)?;
            self.block.clear();
        }
        Ok(())
    }
}

impl<W: Write> Write for Out<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.block.extend_from_slice(buf);
        self.filled()?;
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        self.to.write_all(&self.block)?;
        self.block.clear();
        self.to.flush()
    }
}

fn json_line(event: &Event, d: Description) -> Value {
    let (src, dst) = ends(&event.at);
    let mut obj = json!({
        "frame": event.frame,
        "src": src,
        "dst": dst,
        "proto": d.proto.name(),
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
        Endpoints::Undecoded => ("-".into(), "-".into()),
    }
}

fn report_drops(name: &str, d: engine::pipeline::reassembly::Drops) {
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
