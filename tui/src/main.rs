//! smc-analyze: the command line. Each command lives in `cmd/`.
mod cmd;

fn main() -> std::process::ExitCode {
    cmd::run()
}
