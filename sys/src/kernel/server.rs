//! The server endpoint: listen over SMC (or plain TCP, to play a peer
//! without SMC), read each connection to EOF, optionally echo it back.

use std::io::{Read, Write};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::thread;
use std::time::Instant;

use socket2::Socket;

use super::client::{add_diag, Outcome};
use super::report::ConnReport;
use super::socket::{self, Flavor};
use super::Error;

#[derive(Debug, Clone)]
pub struct ServerOptions {
    pub bind: Option<IpAddr>,
    pub port: u16,
    pub ipv6: bool,
    /// Plain TCP instead of SMC.
    pub tcp: bool,
    /// Connections to serve; 0 serves forever.
    pub count: u64,
    pub echo: bool,
}

/// Listens, then serves connections on their own threads, calling `done`
/// with each finished one. Returns once `count` connections are done.
pub fn serve(opts: &ServerOptions, done: &(dyn Fn(Result<Outcome, Error>) + Sync)) -> Result<(), Error> {
    let ipv6 = opts.ipv6 || opts.bind.is_some_and(|a| a.is_ipv6());
    let (listener, flavor) = if opts.tcp {
        (socket::tcp_socket(ipv6)?, Flavor::Tcp)
    } else {
        socket::smc_socket(ipv6)?
    };
    let any = if ipv6 {
        IpAddr::V6(Ipv6Addr::UNSPECIFIED)
    } else {
        IpAddr::V4(Ipv4Addr::UNSPECIFIED)
    };
    let addr = SocketAddr::new(opts.bind.unwrap_or(any), opts.port);
    listener
        .set_reuse_address(true)
        .map_err(|e| Error::io("SO_REUSEADDR".into(), e))?;
    listener
        .bind(&addr.into())
        .map_err(|e| Error::io(format!("bind {addr}"), e))?;
    listener
        .listen(128)
        .map_err(|e| Error::io(format!("listen on {addr}"), e))?;
    thread::scope(|s| {
        let mut conn = 0u64;
        while opts.count == 0 || conn < opts.count {
            let (sock, peer) = match listener.accept() {
                Ok(x) => x,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(Error::io(format!("accept on {addr}"), e)),
            };
            let peer = peer.as_socket().unwrap_or(addr);
            let i = conn;
            s.spawn(move || done(serve_one(i, sock, peer, flavor, opts.echo)));
            conn += 1;
        }
        Ok(())
    })
}

fn serve_one(
    conn: u64,
    sock: Socket,
    peer: SocketAddr,
    flavor: Flavor,
    echo: bool,
) -> Result<Outcome, Error> {
    let start = Instant::now();
    let mut out = Outcome {
        report: ConnReport::new(conn, peer),
        warnings: Vec::new(),
    };
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        let n = match (&sock).read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => {
                // A peer reset is an outcome to report, not a server failure.
                out.warnings.push(format!("receive from {peer}: {e}"));
                break;
            }
        };
        out.report.received += n as u64;
        if echo {
            if let Err(e) = (&sock).write_all(&buf[..n]) {
                out.warnings.push(format!("echo to {peer}: {e}"));
                break;
            }
            out.report.sent += n as u64;
        }
    }
    out.report.elapsed_ms = start.elapsed().as_millis() as u64;
    add_diag(&sock, flavor, &mut out);
    Ok(out)
}
