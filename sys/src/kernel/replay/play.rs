//! One end of one replayed session over a kernel socket: its sends at their
//! time and after what the peer sent before them, every received byte
//! checked, its close as the capture shows it, and smc_diag's view.

use std::io::{Read, Write};
use std::net::{Shutdown, SocketAddr};
use std::os::fd::AsFd;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Mutex;
use std::thread;
use std::time::{Duration, Instant};

use engine::replay::{EndKind, Script};
use engine::session::Side;
use nix::poll::{poll, PollFd, PollFlags, PollTimeout};
use socket2::Socket;

use super::super::client::{add_diag, Outcome};
use super::super::pattern::{Pattern, DEFAULT_SEED};
use super::super::report::{ConnReport, Mode};
use super::super::socket::Flavor;

/// How long an end waits for bytes the script says the peer sends first,
/// past the step's own time, before it gives up on them and goes on.
pub const PEER_WAIT: Duration = Duration::from_secs(30);
const CHUNK: usize = 64 * 1024;
/// The reader looks at the stop flag this often.
const POLL_MS: u8 = 100;

/// The payload `from` sends in `session`: its own stream, so bytes that
/// land in the wrong connection or direction show as a mismatch.
pub fn payload(session: u32, from: Side) -> Pattern {
    Pattern::Random {
        seed: DEFAULT_SEED ^ (u64::from(session) << 1 | from.index() as u64),
    }
}

/// What one end did and what its kernel says of the connection.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Played {
    pub session: u32,
    pub side: Side,
    pub local: Option<SocketAddr>,
    pub peer: Option<SocketAddr>,
    pub sent: u64,
    pub received: u64,
    /// Bytes the script says the peer sends.
    pub expected: u64,
    /// The first received byte that was not the peer's payload.
    pub mismatch_at: Option<u64>,
    pub mode: Mode,
    pub fallback_reason: Option<u32>,
    pub peer_diagnosis: Option<u32>,
    pub warnings: Vec<String>,
}

impl Played {
    pub fn new(session: u32, side: Side) -> Self {
        Played {
            session,
            side,
            local: None,
            peer: None,
            sent: 0,
            received: 0,
            expected: 0,
            mismatch_at: None,
            mode: Mode::Unknown,
            fallback_reason: None,
            peer_diagnosis: None,
            warnings: Vec::new(),
        }
    }

    /// An end that could not be played, and why.
    pub fn unplayed(session: u32, side: Side, why: String) -> Self {
        let mut p = Played::new(session, side);
        p.warnings.push(why);
        p
    }

    pub(super) fn take_diag(&mut self, sock: &Socket, flavor: Flavor) {
        let mut out = Outcome {
            report: ConnReport::new(0, self.peer.unwrap_or(SocketAddr::from(([0, 0, 0, 0], 0)))),
            warnings: Vec::new(),
        };
        add_diag(sock, flavor, &mut out);
        self.mode = out.report.mode;
        self.fallback_reason = out.report.fallback_reason;
        self.peer_diagnosis = out.report.peer_diagnosis;
        self.warnings.extend(out.warnings);
    }
}

/// What the reader has seen so far.
struct Received {
    bytes: AtomicU64,
    mismatch_at: Mutex<Option<u64>>,
    eof: AtomicBool,
    error: Mutex<Option<String>>,
}

/// Plays `side` of `script` on a connected socket; `t0` is when the session
/// began on this end (the connect, or the accept).
pub fn play(sock: Socket, flavor: Flavor, script: &Script, side: Side, t0: Instant) -> Played {
    let mut played = Played::new(script.session, side);
    played.local = sock.local_addr().ok().and_then(|a| a.as_socket());
    played.peer = sock.peer_addr().ok().and_then(|a| a.as_socket());
    played.expected = script.total(side.peer());
    let peer_pattern = payload(script.session, side.peer());
    let got = Received {
        bytes: AtomicU64::new(0),
        mismatch_at: Mutex::new(None),
        eof: AtomicBool::new(false),
        error: Mutex::new(None),
    };
    let stop = AtomicBool::new(false);
    let mut end = script.end[side.index()];
    // Neither end's close is in the capture (SMC-D): the client stops
    // writing after its last step, and the server closes on the EOF.
    if script.end.iter().all(Option::is_none) && side == Side::Client {
        end = Some(engine::replay::End {
            kind: EndKind::Shutdown,
            at_ns: 0,
            after_received: played.expected,
        });
    }
    thread::scope(|s| {
        let reader = s.spawn(|| read_all(&sock, &peer_pattern, &got, &stop));
        let mut buf = vec![0u8; CHUNK];
        let own = payload(script.session, side);
        for step in script.steps_of(side) {
            wait(&mut played, &got, t0, step.at_ns, step.after_received);
            let mut left = step.bytes;
            while left > 0 {
                let n = left.min(CHUNK as u64) as usize;
                own.fill(played.sent, &mut buf[..n]);
                if let Err(e) = (&sock).write_all(&buf[..n]) {
                    played.warnings.push(format!("send: {e}"));
                    left = 0;
                    continue;
                }
                played.sent += n as u64;
                left -= n as u64;
            }
        }
        let stop_reader = |played: &mut Played| {
            stop.store(true, Ordering::Relaxed);
            played.take_diag(&sock, flavor);
        };
        match end {
            Some(e) => {
                wait(&mut played, &got, t0, e.at_ns, e.after_received);
                match e.kind {
                    EndKind::Shutdown => {
                        if let Err(err) = sock.shutdown(Shutdown::Write) {
                            played.warnings.push(format!("shutdown: {err}"));
                        }
                        wait_eof(&mut played, &got);
                        stop_reader(&mut played);
                    }
                    EndKind::Close => stop_reader(&mut played),
                    EndKind::Reset => {
                        stop_reader(&mut played);
                        let _ = sock.set_linger(Some(Duration::ZERO));
                    }
                }
            }
            None => {
                wait_eof(&mut played, &got);
                stop_reader(&mut played);
            }
        }
        let _ = reader.join();
    });
    // The socket closes here: after a Shutdown or the peer's EOF, a close.
    drop(sock);
    played.received = got.bytes.load(Ordering::Relaxed);
    played.mismatch_at = *got.mismatch_at.lock().unwrap_or_else(|e| e.into_inner());
    if let Some(e) = got.error.lock().unwrap_or_else(|e| e.into_inner()).take() {
        played.warnings.push(e);
    }
    played
}

/// Until `at_ns` from `t0` and `after` bytes received (or [`PEER_WAIT`] past `at_ns`).
fn wait(played: &mut Played, got: &Received, t0: Instant, at_ns: u64, after: u64) {
    let due = t0 + Duration::from_nanos(at_ns);
    let give_up = due.max(Instant::now()) + PEER_WAIT;
    loop {
        let now = Instant::now();
        let have = got.bytes.load(Ordering::Relaxed);
        if now >= due && (have >= after || got.eof.load(Ordering::Relaxed)) {
            return;
        }
        if now >= give_up {
            played.warnings.push(format!(
                "waited {PEER_WAIT:?} for {after} bytes of the peer, had {have}; going on"
            ));
            return;
        }
        thread::sleep(
            (due.saturating_duration_since(now)).clamp(Duration::from_micros(200), Duration::from_millis(5)),
        );
    }
}

fn wait_eof(played: &mut Played, got: &Received) {
    let give_up = Instant::now() + PEER_WAIT;
    while !got.eof.load(Ordering::Relaxed) {
        if Instant::now() >= give_up {
            played
                .warnings
                .push(format!("no end of stream from the peer within {PEER_WAIT:?}"));
            return;
        }
        thread::sleep(Duration::from_millis(1));
    }
}

/// Reads to EOF (or until stopped), checking each byte against the peer's payload.
fn read_all(sock: &Socket, pattern: &Pattern, got: &Received, stop: &AtomicBool) {
    let mut buf = vec![0u8; CHUNK];
    let mut at = 0u64;
    while !stop.load(Ordering::Relaxed) {
        let mut fds = [PollFd::new(sock.as_fd(), PollFlags::POLLIN)];
        match poll(&mut fds, PollTimeout::from(POLL_MS)) {
            Ok(0) => continue,
            Ok(_) => {}
            Err(nix::errno::Errno::EINTR) => continue,
            Err(e) => {
                *got.error.lock().unwrap_or_else(|e| e.into_inner()) = Some(format!("poll: {e}"));
                break;
            }
        }
        let n = match (&*sock).read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => continue,
            Err(e) => {
                *got.error.lock().unwrap_or_else(|e| e.into_inner()) = Some(format!("receive: {e}"));
                break;
            }
        };
        let mut mismatch = got.mismatch_at.lock().unwrap_or_else(|e| e.into_inner());
        if mismatch.is_none() {
            *mismatch = pattern.first_mismatch(at, &buf[..n]).map(|i| at + i as u64);
        }
        at += n as u64;
        got.bytes.store(at, Ordering::Relaxed);
    }
    got.eof.store(true, Ordering::Relaxed);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kernel::socket::tcp_socket;
    use std::net::TcpListener;
    use std::path::Path;

    fn script(capture: &str) -> Script {
        let path = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../corpora/real")
            .join(capture);
        let (observed, bad) = super::super::observe(&path).unwrap();
        assert_eq!(bad, None);
        observed.sessions[0].script.clone()
    }

    /// Both ends of a real session's script over loopback TCP: every byte
    /// arrives, checked, and each end closes as the capture shows.
    fn both_ends(script: &Script) -> (Played, Played) {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        thread::scope(|s| {
            let server = s.spawn(|| {
                let (conn, _) = listener.accept().unwrap();
                play(
                    Socket::from(conn),
                    Flavor::Tcp,
                    script,
                    Side::Server,
                    Instant::now(),
                )
            });
            let sock = tcp_socket(false).unwrap();
            sock.connect(&addr.into()).unwrap();
            let client = play(sock, Flavor::Tcp, script, Side::Client, Instant::now());
            (client, server.join().unwrap())
        })
    }

    #[test]
    fn an_echo_plays_through_with_every_byte_checked() {
        let script = script("many-conns.pcapng");
        let (client, server) = both_ends(&script);
        for (end, side) in [(&client, Side::Client), (&server, Side::Server)] {
            assert_eq!(end.warnings, Vec::<String>::new(), "{side:?}");
            assert_eq!(end.sent, script.total(side));
            assert_eq!(end.received, script.total(side.peer()));
            assert_eq!(end.received, end.expected);
            assert_eq!(end.mismatch_at, None);
            assert_eq!(end.mode, Mode::Tcp);
        }
        assert_eq!(client.sent, 4096);
    }

    #[test]
    fn a_fallback_session_plays_segment_by_segment() {
        let script = script("plain-tcp-server.pcapng");
        assert!(script.steps.len() >= 5);
        let (client, server) = both_ends(&script);
        assert_eq!(
            (client.sent, client.received, client.mismatch_at),
            (4096, 4096, None)
        );
        assert_eq!(
            (server.sent, server.received, server.mismatch_at),
            (4096, 4096, None)
        );
    }

    /// Bytes that are not the peer's payload are caught at their offset.
    #[test]
    fn a_wrong_byte_is_named_by_its_offset() {
        let script = script("many-conns.pcapng");
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let mut sent = vec![0u8; 4096];
        payload(script.session, Side::Client).fill(0, &mut sent);
        sent[1000] ^= 0xff;
        let writer = thread::spawn(move || {
            let mut c = std::net::TcpStream::connect(addr).unwrap();
            c.write_all(&sent).unwrap();
            c.shutdown(Shutdown::Write).unwrap();
            let mut back = Vec::new();
            c.read_to_end(&mut back).unwrap();
            back.len()
        });
        let (conn, _) = listener.accept().unwrap();
        let server = play(
            Socket::from(conn),
            Flavor::Tcp,
            &script,
            Side::Server,
            Instant::now(),
        );
        assert_eq!(writer.join().unwrap(), 4096);
        assert_eq!((server.received, server.mismatch_at), (4096, Some(1000)));
    }

    /// The two directions of a session, and two sessions, carry different bytes.
    #[test]
    fn payloads_differ_by_session_and_direction() {
        let first = |p: Pattern| {
            let mut b = [0u8; 16];
            p.fill(0, &mut b);
            b
        };
        let a = first(payload(0, Side::Client));
        assert_ne!(a, first(payload(0, Side::Server)));
        assert_ne!(a, first(payload(1, Side::Client)));
    }
}
