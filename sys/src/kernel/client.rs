//! The client endpoint: connect over SMC, send a pattern, half-close, read
//! what comes back, and ask smc_diag how the connection ran.

use std::io::{Read, Write};
use std::net::SocketAddr;
use std::thread;
use std::time::{Duration, Instant};

use socket2::Socket;

use super::diag;
use super::pattern::Pattern;
use super::report::{ConnReport, Echo, Mode};
use super::socket::{self, Flavor};
use super::Error;

const CHUNK: usize = 64 * 1024;
/// How long --abort-handshake waits for the TCP connection under the socket.
const ESTABLISH_WAIT: Duration = Duration::from_secs(10);

#[derive(Debug, Clone)]
pub struct ClientOptions {
    pub peer: SocketAddr,
    pub size: u64,
    pub pattern: Pattern,
    pub expect_echo: bool,
    pub abort_handshake: bool,
    /// Idle time after connect, before sending: lets link-level flows
    /// (TEST_LINK, failover) happen on an open connection.
    pub hold: Duration,
}

/// A report plus what could not be found out (shown as warnings).
#[derive(Debug)]
pub struct Outcome {
    pub report: ConnReport,
    pub warnings: Vec<String>,
}

/// Runs connection number `conn` to completion.
pub fn run_connection(conn: u64, opts: &ClientOptions) -> Result<Outcome, Error> {
    let (sock, flavor) = socket::smc_socket(opts.peer.is_ipv6())?;
    let mut out = Outcome {
        report: ConnReport::new(conn, opts.peer),
        warnings: Vec::new(),
    };
    let start = Instant::now();
    if opts.abort_handshake {
        abort_during_handshake(&sock, opts.peer, &mut out)?;
        add_diag(&sock, flavor, &mut out);
        // Over loopback-ism the CLC handshake can end before the reset: then
        // the close is SMC's own (a FIN), and nothing was aborted.
        out.report.aborted = !matches!(out.report.mode, Mode::Smcr | Mode::Smcd);
        if !out.report.aborted {
            out.warnings.push(format!(
                "the CLC handshake had finished ({}) before the reset: the connection closes normally",
                out.report.mode.as_str()
            ));
        }
        out.report.elapsed_ms = start.elapsed().as_millis() as u64;
        drop(sock); // linger 0: the kernel resets the TCP connection under it
        return Ok(out);
    }
    sock.connect(&opts.peer.into())
        .map_err(|e| Error::io(format!("connect to {}", opts.peer), e))?;
    thread::sleep(opts.hold);
    let (sent, back) = thread::scope(|s| {
        let reader = s.spawn(|| read_back(&sock, opts));
        let sent = send_pattern(&sock, opts);
        let _ = sock.shutdown(std::net::Shutdown::Write);
        let back = reader
            .join()
            .unwrap_or_else(|_| Err(Error::Invalid("reader thread panicked".into())));
        (sent, back)
    });
    out.report.sent = sent?;
    let (received, echo) = back?;
    out.report.received = received;
    if opts.expect_echo {
        out.report.echo = Some(match echo {
            Some(at) => Echo::MismatchAt(at),
            None if received < out.report.sent => Echo::Short,
            None => Echo::Ok,
        });
    }
    out.report.elapsed_ms = start.elapsed().as_millis() as u64;
    add_diag(&sock, flavor, &mut out);
    Ok(out)
}

fn send_pattern(sock: &Socket, opts: &ClientOptions) -> Result<u64, Error> {
    let mut buf = vec![0u8; CHUNK];
    let mut at = 0u64;
    while at < opts.size {
        let n = (opts.size - at).min(CHUNK as u64) as usize;
        opts.pattern.fill(at, &mut buf[..n]);
        (&*sock)
            .write_all(&buf[..n])
            .map_err(|e| Error::io(format!("send to {}", opts.peer), e))?;
        at += n as u64;
    }
    Ok(at)
}

/// Reads to EOF; returns the byte count and, with --expect-echo, the offset
/// of the first byte that differs from what was sent (or lies beyond it).
fn read_back(sock: &Socket, opts: &ClientOptions) -> Result<(u64, Option<u64>), Error> {
    let mut buf = vec![0u8; CHUNK];
    let (mut total, mut mismatch) = (0u64, None);
    loop {
        let n = match (&*sock).read(&mut buf) {
            Ok(0) => return Ok((total, mismatch)),
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(Error::io(format!("receive from {}", opts.peer), e)),
        };
        if opts.expect_echo && mismatch.is_none() {
            let within = (opts.size.saturating_sub(total)).min(n as u64) as usize;
            mismatch = opts
                .pattern
                .first_mismatch(total, &buf[..within])
                .map(|i| total + i as u64);
            if mismatch.is_none() && within < n {
                mismatch = Some(total + within as u64);
            }
        }
        total += n as u64;
    }
}

/// Kernel SMC runs the whole CLC handshake inside a blocking connect(), so
/// a reset after it returns is too late. Instead connect without blocking:
/// the kernel queues its CLC work and sends the Proposal as soon as TCP is
/// up. Once inet_diag shows the underlying TCP socket established, closing
/// resets it (smc_release aborts a dangling non-blocking connect with
/// tcp_abort), so the peer sees RST right around its Proposal/Accept.
pub(crate) fn abort_during_handshake(
    sock: &Socket,
    peer: SocketAddr,
    out: &mut Outcome,
) -> Result<(), Error> {
    sock.set_linger(Some(Duration::ZERO))
        .map_err(|e| Error::io("SO_LINGER".into(), e))?;
    sock.set_nonblocking(true)
        .map_err(|e| Error::io("O_NONBLOCK".into(), e))?;
    match sock.connect(&peer.into()) {
        Ok(()) => {}
        Err(e) if e.raw_os_error() == Some(115) => {} // EINPROGRESS
        Err(e) => return Err(Error::io(format!("connect to {peer}"), e)),
    }
    let local = sock.local_addr().ok().and_then(|a| a.as_socket());
    let family = if peer.is_ipv6() { 10 } else { 2 };
    let deadline = Instant::now() + ESTABLISH_WAIT;
    while Instant::now() < deadline {
        match diag::dump_tcp(family, 1 << diag::TCP_ESTABLISHED) {
            Ok(socks) => {
                if socks
                    .iter()
                    .any(|t| Some(t.id.sport) == local.map(|l| l.port()) && t.id.dport == peer.port())
                {
                    return Ok(());
                }
            }
            Err(e) => {
                out.warnings.push(format!(
                    "inet_diag unavailable ({e}); resetting after 100 ms instead"
                ));
                thread::sleep(Duration::from_millis(100));
                return Ok(());
            }
        }
        thread::sleep(Duration::from_millis(1));
    }
    out.warnings.push(format!(
        "TCP to {peer} not established after {ESTABLISH_WAIT:?}; resetting anyway"
    ));
    Ok(())
}

/// Fills mode and reasons from smc_diag while the socket is still open.
pub fn add_diag(sock: &Socket, flavor: Flavor, out: &mut Outcome) {
    if flavor == Flavor::Tcp {
        out.report.mode = Mode::Tcp;
        return;
    }
    let found = socket::inode(sock)
        .map_err(|e| Error::io("fstat".into(), e))
        .and_then(diag::smc_by_inode);
    match found {
        Ok(Some(d)) => {
            out.report.set_diag(&d);
            if let (Mode::Smcr, Some(link)) = (out.report.mode, &d.lgr) {
                match super::version::smcr(link) {
                    Ok(v) => out.report.version = v,
                    Err(e) => out.warnings.push(format!("SMC version unknown: {e}")),
                }
            }
        }
        Ok(None) => out.warnings.push("smc_diag does not list this socket".into()),
        Err(e) => out.warnings.push(e.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The reset path on a plain TCP socket (the host has no SMC): wait for
    /// ESTABLISHED through inet_diag, close with linger 0, peer sees a reset.
    #[test]
    fn abort_waits_for_tcp_then_resets() {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let peer = l.local_addr().unwrap();
        let sock = socket::tcp_socket(false).unwrap();
        let mut out = Outcome {
            report: ConnReport::new(0, peer),
            warnings: Vec::new(),
        };
        abort_during_handshake(&sock, peer, &mut out).unwrap();
        assert!(out.warnings.is_empty(), "{:?}", out.warnings);
        drop(sock);
        let (mut accepted, _) = l.accept().unwrap();
        let mut buf = [0u8; 8];
        let err = accepted.read(&mut buf).unwrap_err();
        assert_eq!(err.kind(), std::io::ErrorKind::ConnectionReset);
    }
}
