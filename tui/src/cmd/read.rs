//! `smc-analyze read FILE... [--json] [-V] [--write OUT]`: every SMC event in
//! capture files (several merged by time), one line each (tshark-like) or JSON Lines (docs/json.md),
//! with `-V` the field tree of each message, then the sessions and findings.
//! Bad input is reported on stderr naming file, frame and field, and reading
//! goes on.

use super::analyze::{self, Options};
use super::progress::Progress;
use super::report::ReportArgs;
use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use sys::source::CaptureFiles;

#[derive(clap::Args)]
pub struct Args {
    /// Capture files (pcap or pcapng, gzip-compressed or not); several are merged by time
    #[arg(required = true, value_name = "FILE")]
    files: Vec<PathBuf>,
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

/// Summary lines, sessions and findings of capture files, as `read` prints them.
pub fn lines(files: Vec<PathBuf>) -> ExitCode {
    run(Args {
        files,
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
        return match crate::ui::Source::files(args.files) {
            Ok(source) => crate::ui::run(source),
            Err(e) => {
                eprintln!("smc-analyze: {e}");
                ExitCode::FAILURE
            }
        };
    }
    let name = name(&args.files);
    let to_stdout = args.write.as_deref() == Some(Path::new("-"));
    if let Some(out) = args.write.as_deref().filter(|_| !to_stdout) {
        if let Some(input) = args.files.iter().find(|f| crate::export::same_file(f, out)) {
            eprintln!(
                "smc-analyze: {}: is the input {}; not writing over it",
                out.display(),
                input.display()
            );
            return ExitCode::FAILURE;
        }
    }
    let mut source = match CaptureFiles::open(&args.files) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("smc-analyze: {e}");
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
        match crate::export::frames(&args.files, out, &mut kept) {
            Ok(w) => eprintln!("smc-analyze: {}: {w}", out.display()),
            Err(e) => {
                eprintln!("smc-analyze: {}: {e}", out.display());
                code = ExitCode::FAILURE;
            }
        }
    }
    code
}

/// What messages call the input: the file, or the files merged.
pub fn name(files: &[PathBuf]) -> String {
    let names: Vec<String> = files.iter().map(|f| f.display().to_string()).collect();
    names.join(" + ")
}
