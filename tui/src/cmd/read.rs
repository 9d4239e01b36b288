//! `smc-analyze read FILE [--json] [-V] [--write OUT]`: every SMC event in a
//! capture file, one line each (tshark-like) or JSON Lines (docs/json.md),
//! with `-V` the field tree of each message, then the sessions and findings.
//! Bad input is reported on stderr naming file, frame and field, and reading
//! goes on.

use super::analyze::{self, Options};
use super::progress::Progress;
use super::report::ReportArgs;
use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use sys::source::PcapFile;

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
    /// Write the frames of SMC sessions to this file (pcapng if it ends in .pcapng, else pcap;
    /// `-`: pcap to stdout, and no lines there)
    #[arg(long, value_name = "OUT")]
    write: Option<PathBuf>,
    /// Write only the sessions matching the terms (comma-separated; a key again, or more values
    /// after one, are alternatives): session=ID (as the session lines number them),
    /// ends=IP:PORT-IP:PORT (its TCP ends, either order), ip=ADDR (a TCP end or QP GID),
    /// port=N, qp=N (a QP its CLC named). Each written session is whole: its TCP
    /// connection, its CDCs and RDMA WRITEs with their ACKs, and its link group's LLC.
    /// With --session ID, that session of them
    #[arg(long, value_name = "TERMS", requires = "write")]
    write_filter: Option<crate::export::Filter>,
    #[command(flatten)]
    report: ReportArgs,
    /// Print lines even on a terminal (no terminal UI)
    #[arg(long)]
    no_ui: bool,
}

/// Summary lines, sessions and findings of a capture file, as `read` prints them.
pub fn lines(file: &std::path::Path) -> ExitCode {
    run(Args {
        file: file.to_path_buf(),
        json: false,
        verbose: false,
        write: None,
        write_filter: None,
        report: ReportArgs::default(),
        no_ui: true,
    })
}

pub fn run(args: Args) -> ExitCode {
    let lines = args.json || args.no_ui || args.verbose || args.write.is_some();
    if !lines && !args.report.findings && args.report.session.is_none() && crate::ui::available() {
        return crate::ui::run(crate::ui::Source::file(args.file));
    }
    let name = args.file.display().to_string();
    let to_stdout = args.write.as_deref() == Some(Path::new("-"));
    if let Some(out) = args.write.as_deref().filter(|_| !to_stdout) {
        if crate::export::same_file(&args.file, out) {
            eprintln!(
                "smc-analyze: {}: is the input {name}; not writing over it",
                out.display()
            );
            return ExitCode::FAILURE;
        }
    }
    let mut source = match PcapFile::open(&args.file) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("smc-analyze: {name}: {}", e.message);
            return ExitCode::FAILURE;
        }
    };
    let opts = Options {
        json: args.json,
        verbose: args.verbose,
        report: args.report,
        prompt: false,
        stdout_is_capture: to_stdout,
    };
    let progress = std::io::stderr().is_terminal().then(Progress::default);
    let filter = args.write_filter.unwrap_or_default();
    let filter = match opts.report.session {
        Some(id) => filter.within(id),
        None => filter,
    };
    let mut kept = crate::export::Kept::new(filter);
    let mut note = |e: &_, at, engine: &_| kept.note(e, at, engine);
    let note = args
        .write
        .is_some()
        .then_some(&mut note as &mut super::report::Note<'_>);
    let mut code = analyze::run(&name, &opts, &mut source, progress, note);
    if let Some(out) = &args.write {
        if let Err(e) = crate::export::frames(&args.file, out, &mut kept) {
            eprintln!("smc-analyze: {}: {e}", out.display());
            code = ExitCode::FAILURE;
        }
    }
    code
}
