//! The replay's own side: sends the agent the capture, then plays the
//! client end of each session at its time, in the capture's order.

use std::collections::{HashMap, HashSet};
use std::io::{BufReader, Write};
use std::net::{IpAddr, SocketAddr, TcpStream};
use std::path::Path;
use std::sync::{Condvar, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use engine::replay::Script;
use engine::session::Side;
use socket2::Socket;

use super::control::{self, Reply, Request};
use super::play::{self, Played, PEER_WAIT};
use super::MAX_CAPTURE;
use crate::kernel::client::{abort_during_handshake, Outcome};
use crate::kernel::report::ConnReport;
use crate::kernel::socket::{self, Flavor};
use crate::kernel::Error;

#[derive(Debug, Clone)]
pub struct Options {
    /// The agent's control address.
    pub agent: SocketAddr,
    /// The peer's address of the other family, for the capture's sessions
    /// of that family (else they run over the agent's family).
    pub other_family: Option<IpAddr>,
}

/// Both ends of one replayed session.
#[derive(Debug, Clone)]
pub struct PlayedPair {
    pub session: u32,
    pub client: Played,
    pub server: Option<Played>,
    /// Why the session could not be played (as far as it got).
    pub error: Option<String>,
}

/// What the control connection's reader has for each session.
#[derive(Default)]
struct Inbox {
    replies: HashMap<u32, Vec<Reply>>,
    closed: Option<String>,
    finished: HashSet<u32>,
}

struct Shared {
    inbox: Mutex<Inbox>,
    changed: Condvar,
}

impl Shared {
    /// Waits for a reply to `session` that `pick` takes, until `limit`.
    fn wait_reply<T>(
        &self,
        session: u32,
        limit: Duration,
        pick: impl Fn(&Reply) -> Option<T>,
    ) -> Result<T, String> {
        let give_up = Instant::now() + limit;
        let mut inbox = self.inbox.lock().unwrap_or_else(|e| e.into_inner());
        loop {
            if let Some(list) = inbox.replies.get_mut(&session) {
                if let Some((i, got)) = list.iter().enumerate().find_map(|(i, r)| pick(r).map(|t| (i, t))) {
                    list.remove(i);
                    return Ok(got);
                }
            }
            if let Some(why) = &inbox.closed {
                return Err(format!("the agent's control connection ended: {why}"));
            }
            let now = Instant::now();
            if now >= give_up {
                return Err(format!(
                    "no answer from the agent for session {session} within {limit:?}"
                ));
            }
            inbox = self
                .changed
                .wait_timeout(inbox, give_up - now)
                .unwrap_or_else(|e| e.into_inner())
                .0;
        }
    }
}

/// Plays `scripts` (those of the capture at `path` to replay) against the agent.
pub fn run(path: &Path, scripts: &[Script], opts: &Options) -> Result<Vec<PlayedPair>, Error> {
    let bytes = std::fs::read(path).map_err(|e| Error::io(path.display().to_string(), e))?;
    if bytes.len() as u64 > MAX_CAPTURE {
        return Err(Error::Invalid(format!(
            "{}: {} bytes, over the replay's limit of {MAX_CAPTURE}",
            path.display(),
            bytes.len()
        )));
    }
    let mut conn = TcpStream::connect_timeout(&opts.agent, Duration::from_secs(10))
        .map_err(|e| Error::io(format!("connect to the replay agent at {}", opts.agent), e))?;
    let _ = conn.set_nodelay(true);
    let sent = control::send(&mut conn, &Request::Capture(bytes.len() as u64).line())
        .and_then(|()| conn.write_all(&bytes))
        .and_then(|()| conn.flush());
    sent.map_err(|e| Error::io(format!("sending the capture to {}", opts.agent), e))?;
    let mut reader = BufReader::new(
        conn.try_clone()
            .map_err(|e| Error::io("control socket".into(), e))?,
    );
    match control::read_line(&mut reader).map(|l| l.map(|l| Reply::parse(&l))) {
        Ok(Some(Ok(Reply::Ready(_)))) => {}
        Ok(Some(Ok(Reply::Error { text, .. }))) => {
            return Err(Error::Invalid(format!(
                "the replay agent at {}: {text}",
                opts.agent
            )))
        }
        Ok(Some(Ok(other))) => {
            return Err(Error::Malformed(format!("agent said {other:?} instead of ready")))
        }
        Ok(Some(Err(e))) => return Err(Error::Malformed(e)),
        Ok(None) => {
            return Err(Error::Invalid(format!(
                "the replay agent at {} hung up before it was ready",
                opts.agent
            )))
        }
        Err(e) => {
            return Err(Error::io(
                format!("reading from the replay agent at {}", opts.agent),
                e,
            ))
        }
    }
    let shared = Shared {
        inbox: Mutex::new(Inbox::default()),
        changed: Condvar::new(),
    };
    let writer = Mutex::new(conn);
    let request = |r: Request| {
        let mut w = writer.lock().unwrap_or_else(|e| e.into_inner());
        control::send(&mut *w, &r.line()).map_err(|e| format!("control connection: {e}"))
    };
    let played: HashSet<u32> = scripts.iter().map(|s| s.session).collect();
    let t0 = Instant::now();
    let pairs = thread::scope(|s| {
        s.spawn(|| read_replies(&mut reader, &shared));
        let handles: Vec<_> = scripts
            .iter()
            .map(|script| {
                let (shared, request, played) = (&shared, &request, &played);
                s.spawn(move || {
                    let pair = play_session(script, opts, t0, shared, request, played);
                    let mut inbox = shared.inbox.lock().unwrap_or_else(|e| e.into_inner());
                    inbox.finished.insert(script.session);
                    shared.changed.notify_all();
                    pair
                })
            })
            .collect();
        let pairs: Vec<PlayedPair> = handles
            .into_iter()
            .zip(scripts)
            .map(|(h, script)| {
                h.join().unwrap_or_else(|_| PlayedPair {
                    session: script.session,
                    client: Played::new(script.session, Side::Client),
                    server: None,
                    error: Some("the session's thread panicked".into()),
                })
            })
            .collect();
        let _ = request(Request::Bye);
        // The reader ends when the agent closes its side after the bye.
        let _ = writer.lock().map(|w| w.shutdown(std::net::Shutdown::Both));
        pairs
    });
    Ok(pairs)
}

fn read_replies(reader: &mut BufReader<TcpStream>, shared: &Shared) {
    let why = loop {
        match control::read_line(reader) {
            Ok(Some(line)) => match Reply::parse(&line) {
                Ok(reply) => {
                    let session = match &reply {
                        Reply::Port { session, .. } => Some(*session),
                        Reply::Done { session, .. } => Some(*session),
                        Reply::Error { session, .. } => *session,
                        Reply::Ready(_) => None,
                    };
                    let mut inbox = shared.inbox.lock().unwrap_or_else(|e| e.into_inner());
                    match session {
                        Some(s) => inbox.replies.entry(s).or_default().push(reply),
                        None => {
                            if let Reply::Error { text, .. } = reply {
                                inbox.closed = Some(text);
                            }
                        }
                    }
                    shared.changed.notify_all();
                }
                Err(e) => break e,
            },
            Ok(None) => break "closed".into(),
            Err(e) => break e.to_string(),
        }
    };
    let mut inbox = shared.inbox.lock().unwrap_or_else(|e| e.into_inner());
    inbox.closed.get_or_insert(why);
    shared.changed.notify_all();
}

/// Waits for the session's time and for the sessions that ended before it
/// began in the capture, then plays its client end.
fn play_session(
    script: &Script,
    opts: &Options,
    t0: Instant,
    shared: &Shared,
    request: &(dyn Fn(Request) -> Result<(), String> + Sync),
    played: &HashSet<u32>,
) -> PlayedPair {
    let mut pair = PlayedPair {
        session: script.session,
        client: Played::new(script.session, Side::Client),
        server: None,
        error: None,
    };
    if script.abort.is_some_and(|a| a.by == Side::Server) {
        pair.error = Some(
            "the capture's server aborted the handshake, which a kernel socket cannot play \
             (accept returns only finished handshakes)"
                .into(),
        );
        return pair;
    }
    {
        let mut inbox = shared.inbox.lock().unwrap_or_else(|e| e.into_inner());
        while !script
            .after
            .iter()
            .all(|a| !played.contains(a) || inbox.finished.contains(a))
        {
            inbox = shared.changed.wait(inbox).unwrap_or_else(|e| e.into_inner());
        }
    }
    let due = t0 + Duration::from_nanos(script.start_ns);
    thread::sleep(due.saturating_duration_since(Instant::now()));
    let peer_ip = match (opts.other_family, opts.agent.ip().is_ipv6() == script.ipv6) {
        (Some(other), false) if other.is_ipv6() == script.ipv6 => other,
        _ => opts.agent.ip(),
    };
    if let Err(e) = request(Request::Listen {
        session: script.session,
        ipv6: peer_ip.is_ipv6(),
    }) {
        pair.error = Some(e);
        return pair;
    }
    let listening = shared.wait_reply(script.session, PEER_WAIT, |r| match r {
        Reply::Port { port, .. } => Some(Ok(*port)),
        Reply::Error { text, .. } => Some(Err(format!("the agent could not listen: {text}"))),
        Reply::Ready(_) | Reply::Done { .. } => None,
    });
    let port = match listening.and_then(|r| r) {
        Ok(port) => port,
        Err(e) => {
            pair.error = Some(e);
            return pair;
        }
    };
    let peer = SocketAddr::new(peer_ip, port);
    if peer_ip.is_ipv6() != script.ipv6 {
        pair.client.warnings.push(format!(
            "the capture's session is IPv{}, played over IPv{} (give --peer an address of that family)",
            if script.ipv6 { 6 } else { 4 },
            if peer_ip.is_ipv6() { 6 } else { 4 }
        ));
    }
    match client_end(script, peer) {
        Ok(p) => {
            let warnings = std::mem::take(&mut pair.client.warnings);
            pair.client = p;
            pair.client.warnings.splice(0..0, warnings);
        }
        Err(e) => pair.error = Some(e.to_string()),
    }
    let _ = request(Request::End(script.session));
    let limit = PEER_WAIT * 2;
    let done = shared.wait_reply(script.session, limit, |r| match r {
        Reply::Done { session, report } => Some(control::played_from_report(*session, report)),
        _ => None,
    });
    match done.and_then(|r| r) {
        Ok(p) => pair.server = Some(p),
        Err(e) => {
            pair.error.get_or_insert(e);
        }
    }
    pair
}

fn client_end(script: &Script, peer: SocketAddr) -> Result<Played, Error> {
    let (sock, flavor): (Socket, Flavor) = if script.smc[Side::Client.index()] {
        socket::smc_socket(peer.is_ipv6())?
    } else {
        (socket::tcp_socket(peer.is_ipv6())?, Flavor::Tcp)
    };
    let t0 = Instant::now();
    if script.abort.is_some_and(|a| a.by == Side::Client) {
        let mut out = Outcome {
            report: ConnReport::new(0, peer),
            warnings: Vec::new(),
        };
        abort_during_handshake(&sock, peer, &mut out)?;
        let mut p = Played::new(script.session, Side::Client);
        p.local = sock.local_addr().ok().and_then(|a| a.as_socket());
        p.peer = Some(peer);
        p.warnings = out.warnings;
        p.take_diag(&sock, flavor);
        drop(sock); // linger 0: a reset
        return Ok(p);
    }
    sock.connect(&peer.into())
        .map_err(|e| Error::io(format!("connect to {peer}"), e))?;
    Ok(play::play(sock, flavor, script, Side::Client, t0))
}
