//! `smc-analyze client`

use std::net::{IpAddr, SocketAddr};
use std::process::ExitCode;
use std::thread;

use sys::kernel::client::{run_connection, ClientOptions};
use sys::kernel::pattern::Pattern;
use sys::kernel::report::Echo;
use sys::kernel::Error;

#[derive(clap::Args)]
pub struct Args {
    /// Server address (IPv4 or IPv6)
    addr: IpAddr,
    /// Server port
    port: u16,
    /// Bytes to send on each connection
    #[arg(long, default_value_t = 1024)]
    size: u64,
    /// Payload: zero, seq (byte i = i mod 256) or random (fixed seed)
    #[arg(long, default_value = "seq")]
    pattern: Pattern,
    /// Number of connections
    #[arg(long, default_value_t = 1)]
    connections: u64,
    /// Open the connections at the same time instead of one after another
    #[arg(long)]
    parallel: bool,
    /// Check that the server echoes back exactly what was sent
    #[arg(long)]
    expect_echo: bool,
    /// Reset the connection (RST) while the kernel runs the CLC handshake
    #[arg(long)]
    abort_handshake: bool,
    /// Seconds to keep each connection idle after connect, before sending
    #[arg(long, default_value_t = 0.0)]
    hold: f64,
    /// One JSON object per connection instead of key=value lines
    #[arg(long)]
    json: bool,
}

pub fn run(a: Args) -> Result<ExitCode, Error> {
    let opts = ClientOptions {
        peer: SocketAddr::new(a.addr, a.port),
        size: a.size,
        pattern: a.pattern,
        expect_echo: a.expect_echo,
        abort_handshake: a.abort_handshake,
        hold: std::time::Duration::try_from_secs_f64(a.hold)
            .map_err(|_| Error::Invalid(format!("--hold {}: not a number of seconds", a.hold)))?,
    };
    // Fail early and plainly when the kernel has no SMC at all.
    if let Err(e @ Error::NoSmc { .. }) = sys::kernel::socket::smc_socket(a.addr.is_ipv6()) {
        return Err(e);
    }
    let ok = |r: Result<sys::kernel::client::Outcome, Error>| {
        let echo_bad =
            matches!(&r, Ok(o) if matches!(o.report.echo, Some(Echo::Short | Echo::MismatchAt(_))));
        super::print_outcome(r, a.json) && !echo_bad
    };
    // Every connection runs and prints, even after one has failed.
    let failures = if a.parallel {
        let opts = &opts;
        thread::scope(|s| {
            let handles: Vec<_> = (0..a.connections)
                .map(|i| s.spawn(move || run_connection(i, opts)))
                .collect();
            let panicked = || Err(Error::Invalid("connection thread panicked".into()));
            handles
                .into_iter()
                .map(|h| ok(h.join().unwrap_or_else(|_| panicked())))
                .filter(|good| !good)
                .count()
        })
    } else {
        (0..a.connections)
            .map(|i| ok(run_connection(i, &opts)))
            .filter(|good| !good)
            .count()
    };
    Ok(if failures == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}
