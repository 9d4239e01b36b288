//! The agent: plays the server end of each session a replay asks for.

use std::collections::HashMap;
use std::io::{BufReader, ErrorKind, Read, Write};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, TcpListener, TcpStream};
use std::os::fd::AsFd;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::Instant;

use engine::replay::Script;
use engine::session::Side;
use nix::poll::{poll, PollFd, PollFlags};
use socket2::Socket;

use super::control::{self, Reply, Request};
use super::play::{self, Played};
use super::{observe, MAX_CAPTURE};
use crate::kernel::socket::{self, Flavor};
use crate::kernel::Error;

/// Serves replays on `listen`, one at a time; with `once`, just the first.
/// `log` gets a line per replay and per problem.
pub fn serve(listen: SocketAddr, once: bool, log: &(dyn Fn(&str) + Sync)) -> Result<(), Error> {
    let listener = TcpListener::bind(listen).map_err(|e| Error::io(format!("bind {listen}"), e))?;
    log(&format!("listening for replays on {listen}"));
    loop {
        let (conn, from) = match listener.accept() {
            Ok(x) => x,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(Error::io(format!("accept on {listen}"), e)),
        };
        log(&format!("replay from {from}"));
        match one_replay(conn, log) {
            Ok(n) => log(&format!("replay from {from} done: {n} session(s) played")),
            Err(e) => log(&format!("replay from {from} failed: {e}")),
        }
        if once {
            return Ok(());
        }
    }
}

fn one_replay(conn: TcpStream, log: &(dyn Fn(&str) + Sync)) -> Result<usize, String> {
    let mut reader = BufReader::new(conn.try_clone().map_err(|e| e.to_string())?);
    let writer = Mutex::new(conn);
    let reply = |r: Reply| {
        let mut w = writer.lock().unwrap_or_else(|e| e.into_inner());
        let _ = control::send(&mut *w, &r.line());
    };
    let first = control::read_line(&mut reader)
        .map_err(|e| e.to_string())?
        .unwrap_or_default();
    let size = match Request::parse(&first) {
        Ok(Request::Capture(n)) if n <= MAX_CAPTURE => n,
        Ok(Request::Capture(n)) => {
            let text = format!("a capture of {n} bytes is over the agent's limit of {MAX_CAPTURE}");
            reply(Reply::Error {
                session: None,
                text: text.clone(),
            });
            return Err(text);
        }
        Ok(_) | Err(_) => {
            let text = format!("expected \"{} BYTES\", got {first:?}", control::HELLO);
            reply(Reply::Error {
                session: None,
                text: text.clone(),
            });
            return Err(text);
        }
    };
    let scripts = match receive_capture(&mut reader, size) {
        Ok(s) => s,
        Err(text) => {
            reply(Reply::Error {
                session: None,
                text: text.clone(),
            });
            return Err(text);
        }
    };
    reply(Reply::Ready(scripts.len()));
    let local = writer
        .lock()
        .map_err(|e| e.to_string())?
        .local_addr()
        .map_err(|e| e.to_string())?;
    // Per session: set once the replay says its client end is done.
    let mut waiting: HashMap<u32, Arc<AtomicBool>> = HashMap::new();
    let mut played = 0;
    thread::scope(|s| {
        loop {
            let line = match control::read_line(&mut reader) {
                Ok(Some(l)) => l,
                Ok(None) => break,
                Err(e) => {
                    log(&format!("control connection: {e}"));
                    break;
                }
            };
            match Request::parse(&line) {
                Ok(Request::Listen { session, ipv6 }) => {
                    let Some(script) = scripts.get(&session) else {
                        reply(Reply::Error {
                            session: Some(session),
                            text: format!("the capture has no session {session}"),
                        });
                        continue;
                    };
                    let ended = Arc::new(AtomicBool::new(false));
                    waiting.insert(session, ended.clone());
                    match listen(script, ipv6, local.ip()) {
                        Ok((listener, flavor, port)) => {
                            reply(Reply::Port { session, port });
                            played += 1;
                            let reply = &reply;
                            s.spawn(move || {
                                let p = serve_session(listener, flavor, script, &ended);
                                reply(control::done(&p));
                            });
                        }
                        Err(e) => reply(Reply::Error {
                            session: Some(session),
                            text: e.to_string(),
                        }),
                    }
                }
                Ok(Request::End(session)) => {
                    if let Some(ended) = waiting.remove(&session) {
                        ended.store(true, Ordering::Relaxed);
                    }
                }
                Ok(Request::Bye) => break,
                Ok(Request::Capture(_)) | Err(_) => {
                    log(&format!("ignored control line {line:?}"));
                }
            }
        }
        // The replay is gone: no session waits for a client any more.
        for ended in waiting.values() {
            ended.store(true, Ordering::Relaxed);
        }
    });
    Ok(played)
}

/// Reads the capture's bytes into a file of its own and derives the scripts.
fn receive_capture(reader: &mut impl Read, size: u64) -> Result<HashMap<u32, Script>, String> {
    let stamp = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    let name = format!("smc-analyze-replay-{}-{stamp}.capture", std::process::id());
    let path = std::env::temp_dir().join(name);
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&path)
        .map_err(|e| format!("{}: {e}", path.display()))?;
    let copied = std::io::copy(&mut reader.take(size), &mut file)
        .and_then(|n| file.flush().map(|()| n))
        .map_err(|e| format!("receiving the capture: {e}"));
    drop(file);
    let observed = match copied {
        Ok(n) if n == size => observe(&path),
        Ok(n) => Err(format!("the capture was cut short: {n} of {size} bytes")),
        Err(e) => Err(e),
    };
    let _ = std::fs::remove_file(&path);
    let (observed, _) = observed?;
    Ok(observed
        .sessions
        .into_iter()
        .map(|r| (r.script.session, r.script))
        .collect())
}

/// A listener for one session, on the address the control connection came to.
fn listen(script: &Script, ipv6: bool, control: IpAddr) -> Result<(Socket, Flavor, u16), Error> {
    let (sock, flavor) = if script.smc[Side::Server.index()] {
        socket::smc_socket(ipv6)?
    } else {
        (socket::tcp_socket(ipv6)?, Flavor::Tcp)
    };
    let ip = match (control, ipv6) {
        (IpAddr::V4(_), false) | (IpAddr::V6(_), true) => control,
        (_, true) => IpAddr::V6(Ipv6Addr::UNSPECIFIED),
        (_, false) => IpAddr::V4(Ipv4Addr::UNSPECIFIED),
    };
    let addr = SocketAddr::new(ip, 0);
    sock.bind(&addr.into())
        .map_err(|e| Error::io(format!("bind {addr}"), e))?;
    sock.listen(1)
        .map_err(|e| Error::io(format!("listen on {addr}"), e))?;
    let port = sock
        .local_addr()
        .ok()
        .and_then(|a| a.as_socket())
        .map_or(0, |a| a.port());
    Ok((sock, flavor, port))
}

/// Accepts the session's one connection (unless the replay ends it first:
/// a handshake the client aborted never reaches accept) and plays it.
fn serve_session(listener: Socket, flavor: Flavor, script: &Script, ended: &AtomicBool) -> Played {
    // SMC's listen socket can poll readable for a connection whose handshake
    // then fails: accept must not block on it.
    if let Err(e) = listener.set_nonblocking(true) {
        return Played::unplayed(
            script.session,
            Side::Server,
            format!("O_NONBLOCK on the listener: {e}"),
        );
    }
    loop {
        let mut fds = [PollFd::new(listener.as_fd(), PollFlags::POLLIN)];
        let ready = poll(&mut fds, 100u16).map(|n| n > 0).unwrap_or(false);
        if ready {
            match listener.accept() {
                Ok((sock, _)) => {
                    drop(listener);
                    if let Err(e) = sock.set_nonblocking(false) {
                        return Played::unplayed(
                            script.session,
                            Side::Server,
                            format!("blocking mode on the accepted socket: {e}"),
                        );
                    }
                    return play::play(sock, flavor, script, Side::Server, Instant::now());
                }
                Err(e) if matches!(e.kind(), ErrorKind::Interrupted | ErrorKind::WouldBlock) => {}
                Err(e) => {
                    return Played::unplayed(script.session, Side::Server, format!("accept: {e}"));
                }
            }
        }
        if ended.load(Ordering::Relaxed) {
            let why = "no connection reached accept(): the client's end is over";
            return Played::unplayed(script.session, Side::Server, why.into());
        }
    }
}
