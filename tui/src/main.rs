//! smc-analyze: the command line. Each command lives in `cmd/`.

#![forbid(unsafe_code)]

fn main() -> std::process::ExitCode {
    smc_tui::cmd::run()
}
