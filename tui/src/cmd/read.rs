//! `smc-analyze read FILE [--json]`: every SMC event in a capture file, one
//! line each (tshark-like) or JSON Lines. Bad input is reported on stderr
//! naming file, frame and field, and reading goes on.

pub(super) mod describe;

use super::{analyze, progress::Progress};
use engine::source::PcapFile;
use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(clap::Args)]
pub struct Args {
    /// Capture file (pcap or pcapng)
    file: PathBuf,
    /// Print JSON Lines instead of summary lines
    #[arg(long)]
    json: bool,
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
    let progress = std::io::stderr().is_terminal().then(Progress::default);
    analyze::run(&name, args.json, &mut source, progress)
}
