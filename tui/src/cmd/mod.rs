//! Command-line parsing (clap derive) and dispatch.

use std::process::ExitCode;

use clap::{Parser, Subcommand};

mod analyze;
mod client;
mod info;
mod live;
mod progress;
pub(crate) mod read;
mod replay;
mod report;
mod server;
mod ueid;

#[derive(Parser)]
#[command(
    name = "smc-analyze",
    version,
    about = "Analyze and drive SMC (SMC-R / SMC-D) connections"
)]
struct Cli {
    /// Without a command: the terminal UI on a shipped real capture
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Listen over SMC (or plain TCP) and report each connection
    Server(server::Args),
    /// Connect over SMC, send a pattern, report each connection
    Client(client::Args),
    /// Manage the kernel's user-defined EID table (needs CAP_NET_ADMIN)
    Ueid(ueid::Args),
    /// Show the kernel's SMC system information
    Info(info::Args),
    /// Print every SMC message of capture files, their sessions and findings
    Read(read::Args),
    /// Print every SMC message seen on a network interface (needs CAP_NET_RAW)
    Live(live::Args),
    /// List the conformance rules the session engine checks
    Rules(report::RulesArgs),
    /// Play a capture's sessions again against a replay agent and compare (needs CAP_NET_RAW)
    Replay(replay::Args),
    /// Play the server end of the sessions a replay asks for
    ReplayAgent(replay::AgentArgs),
}

pub fn run() -> ExitCode {
    let cli = Cli::parse();
    let Some(command) = cli.command else {
        return embedded_ui();
    };
    let result = match command {
        Command::Server(a) => server::run(a),
        Command::Client(a) => client::run(a),
        Command::Ueid(a) => ueid::run(a),
        Command::Info(a) => info::run(a),
        Command::Read(a) => return read::run(a),
        Command::Live(a) => return live::run(a),
        Command::Rules(a) => return report::rules(a),
        Command::Replay(a) => return replay::run(a),
        Command::ReplayAgent(a) => return replay::agent(a),
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("smc-analyze: {e}");
            ExitCode::FAILURE
        }
    }
}

/// The UI on the capture built into the binary; without a terminal, its
/// lines as `read` prints them.
fn embedded_ui() -> ExitCode {
    match crate::ui::embedded() {
        Ok((source, _file)) if crate::ui::available() => crate::ui::run(source),
        Ok((source, _file)) => {
            eprintln!(
                "smc-analyze: no terminal for the UI: the built-in capture as lines (see smc-analyze --help)"
            );
            read::lines(source.files)
        }
        Err(e) => {
            eprintln!("smc-analyze: {e}");
            ExitCode::FAILURE
        }
    }
}

/// Prints one finished connection (line or JSON) and its warnings; false on error.
fn print_outcome(r: Result<sys::kernel::client::Outcome, sys::kernel::Error>, json: bool) -> bool {
    match r {
        Ok(o) => {
            for w in &o.warnings {
                eprintln!("smc-analyze: conn {}: {w}", o.report.conn);
            }
            println!("{}", if json { o.report.json() } else { o.report.line() });
            true
        }
        Err(e) => {
            eprintln!("smc-analyze: {e}");
            false
        }
    }
}
