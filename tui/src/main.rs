//! smc-analyze: the command line. Each command lives in `cmd/`.

fn main() -> std::process::ExitCode {
    smc_tui::cmd::run()
}
