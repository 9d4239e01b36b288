//! `smc-analyze server`

use std::net::IpAddr;
use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, Ordering};

use sys::kernel::server::{serve, ServerOptions};
use sys::kernel::Error;

#[derive(clap::Args)]
pub struct Args {
    /// TCP port to listen on
    #[arg(long)]
    port: u16,
    /// Local address to bind (default: all addresses)
    #[arg(long)]
    bind: Option<IpAddr>,
    /// Listen with plain TCP, acting as a peer without SMC
    #[arg(long)]
    tcp: bool,
    /// Connections to serve before exiting; 0 serves forever
    #[arg(long, default_value_t = 1)]
    count: u64,
    /// Send every byte received back to the client
    #[arg(long)]
    echo: bool,
    /// Listen on IPv6 (implied by an IPv6 --bind)
    #[arg(long)]
    ipv6: bool,
    /// One JSON object per connection instead of key=value lines
    #[arg(long)]
    json: bool,
}

pub fn run(a: Args) -> Result<ExitCode, Error> {
    let opts = ServerOptions {
        bind: a.bind,
        port: a.port,
        ipv6: a.ipv6,
        tcp: a.tcp,
        count: a.count,
        echo: a.echo,
    };
    let failed = AtomicBool::new(false);
    serve(&opts, &|r| {
        if !super::print_outcome(r, a.json) {
            failed.store(true, Ordering::Relaxed);
        }
    })?;
    Ok(if failed.load(Ordering::Relaxed) {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    })
}
