//! smc-analyze: the command line.

use clap::{Parser, Subcommand};
use std::process::ExitCode;

mod cmd {
    pub mod read;
}

#[derive(Parser)]
#[command(name = "smc-analyze", version, about = "Analyze SMC (SMC-R / SMC-D) traffic")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Print every SMC message of a capture file
    Read(cmd::read::Args),
}

fn main() -> ExitCode {
    match Cli::parse().command {
        Command::Read(a) => cmd::read::run(a),
    }
}
