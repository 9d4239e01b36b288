//! `smc-analyze replay CAPTURE --peer HOST` and `smc-analyze replay-agent`:
//! each captured session played again through the kernels' SMC stacks, the
//! replay's own traffic captured and compared with the original session by
//! session (docs/replay.md).

use std::io::Write;
use std::net::{SocketAddr, ToSocketAddrs};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

use engine::replay::{Observed, Observer, Setup, LEFT_OUT};
use serde_json::{json, Value};
use sys::kernel::replay::control::{played_json, DEFAULT_PORT};
use sys::kernel::replay::driver::{self, Options};
use sys::kernel::replay::recording::{interfaces_to, Recording};
use sys::kernel::replay::verdict::{judge_all, Verdict};
use sys::kernel::replay::{agent, observe, MAX_SESSIONS};
use sys::savefile::Savefile;

#[derive(clap::Args)]
pub struct Args {
    /// The capture whose sessions are played again
    capture: PathBuf,
    /// The replay agent (HOST or HOST:PORT, port 7609 by default); a second
    /// --peer of the other address family carries the capture's sessions of that family
    #[arg(long, value_name = "HOST[:PORT]")]
    peer: Vec<String>,
    /// Play only this session (repeatable; ids as `read` shows them)
    #[arg(long = "session", value_name = "ID")]
    sessions: Vec<u32>,
    /// Capture the replay on this interface (repeatable; default: the
    /// interface whose subnet holds the peer, or lo when the peer is this host)
    #[arg(short = 'i', long = "interface", value_name = "IFACE")]
    interfaces: Vec<String>,
    /// Write the replay's own capture to FILE (pcapng if it ends in .pcapng, else pcap)
    #[arg(short = 'w', long, value_name = "FILE")]
    write: Option<PathBuf>,
    /// Seconds to go on capturing after the last session: its closing LLC and CDC
    #[arg(long, default_value_t = 2.0, value_name = "SECONDS")]
    settle: f64,
    /// Print what the two hosts must be like for the replay to match the capture, and replay nothing
    #[arg(long)]
    setup: bool,
    /// JSON Lines (docs/json.md) instead of text
    #[arg(long)]
    json: bool,
}

#[derive(clap::Args)]
pub struct AgentArgs {
    /// Address and port to take replays on
    #[arg(long, default_value = "0.0.0.0:7609", value_name = "ADDR:PORT")]
    listen: SocketAddr,
    /// Serve one replay, then exit
    #[arg(long)]
    once: bool,
}

pub fn agent(a: AgentArgs) -> ExitCode {
    let log = |line: &str| eprintln!("smc-analyze replay-agent: {line}");
    if let Err(e @ sys::kernel::Error::NoSmc { .. }) = sys::kernel::socket::smc_socket(false) {
        log(&e.to_string());
        return ExitCode::FAILURE;
    }
    match agent::serve(a.listen, a.once, &log) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("smc-analyze replay-agent: {e}");
            ExitCode::FAILURE
        }
    }
}

fn usage(text: &str) -> ExitCode {
    eprintln!("smc-analyze replay: {text}");
    ExitCode::from(2)
}

pub fn run(a: Args) -> ExitCode {
    let name = a.capture.display().to_string();
    let (observed, bad) = match observe(&a.capture) {
        Ok(o) => o,
        Err(e) => {
            eprintln!("smc-analyze: {e}");
            return ExitCode::FAILURE;
        }
    };
    if let Some(e) = bad {
        eprintln!("smc-analyze: {e} (and {} bad frame(s) in all)", observed.problems);
    }
    if observed.sessions.is_empty() {
        eprintln!("smc-analyze: {name}: no SMC session to replay");
        return ExitCode::FAILURE;
    }
    if a.setup {
        print_setup(&Setup::infer(&observed.sessions), a.json);
        return ExitCode::SUCCESS;
    }
    if a.peer.is_empty() || a.peer.len() > 2 {
        return usage("give --peer HOST[:PORT] (the replay agent), and at most one more of the other family");
    }
    if let Some(id) = a
        .sessions
        .iter()
        .find(|id| !observed.sessions.iter().any(|r| r.session.id == **id))
    {
        return usage(&format!("{name} has no session {id}"));
    }
    let originals: Vec<_> = observed
        .sessions
        .iter()
        .filter(|r| a.sessions.is_empty() || a.sessions.contains(&r.session.id))
        .collect();
    if originals.len() > MAX_SESSIONS {
        return usage(&format!(
            "{name} has {} sessions; a replay plays at most {MAX_SESSIONS} (choose with --session)",
            originals.len()
        ));
    }
    let settle = match Duration::try_from_secs_f64(a.settle) {
        Ok(d) => d,
        Err(_) => return usage(&format!("--settle {}: not a number of seconds", a.settle)),
    };
    let peers = match a.peer.iter().map(|p| resolve(p)).collect::<Result<Vec<_>, _>>() {
        Ok(p) => p,
        Err(e) => return usage(&e),
    };
    if peers.len() == 2 && peers[0].is_ipv6() == peers[1].is_ipv6() {
        return usage("the second --peer must be of the other address family");
    }
    if let Some(out) = &a.write {
        if crate::export::same_file(&a.capture, out) {
            eprintln!(
                "smc-analyze: {}: is the input; not writing over it",
                out.display()
            );
            return ExitCode::FAILURE;
        }
        // Said now, not after the replay: a file that cannot be written.
        if let Err(e) = std::fs::OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(true)
            .open(out)
        {
            eprintln!("smc-analyze: {}: {e}", out.display());
            return ExitCode::FAILURE;
        }
    }
    // Fail early and plainly when this kernel has no SMC at all.
    let ipv6 = originals.iter().any(|r| r.script.ipv6);
    if let Err(e @ sys::kernel::Error::NoSmc { .. }) = sys::kernel::socket::smc_socket(ipv6) {
        eprintln!("smc-analyze: {e}");
        return ExitCode::FAILURE;
    }
    let interfaces = if a.interfaces.is_empty() {
        let mut found = Vec::new();
        for p in &peers {
            match interfaces_to(p.ip()) {
                Ok(list) => {
                    for i in list {
                        if !found.contains(&i) {
                            found.push(i);
                        }
                    }
                }
                Err(e) => {
                    eprintln!("smc-analyze: {e}");
                    return ExitCode::FAILURE;
                }
            }
        }
        if found.is_empty() {
            eprintln!(
                "smc-analyze: no interface has an address in the subnet of {}; name one with -i",
                peers[0].ip()
            );
            return ExitCode::FAILURE;
        }
        found
    } else {
        a.interfaces.clone()
    };
    let recording = match Recording::start(&interfaces, peers[0].port()) {
        Ok(r) => r,
        Err(e) => {
            eprintln!("smc-analyze: {e}");
            return ExitCode::FAILURE;
        }
    };
    eprintln!(
        "smc-analyze: replaying {} session(s) of {name} against {} (capturing on {})",
        originals.len(),
        peers[0],
        interfaces.join(", ")
    );
    let scripts: Vec<_> = originals.iter().map(|r| r.script.clone()).collect();
    let opts = Options {
        agent: peers[0],
        other_family: peers.get(1).map(SocketAddr::ip),
    };
    let played = driver::run(&a.capture, &scripts, &opts);
    std::thread::sleep(settle);
    let recorded = recording.finish();
    let pairs = match played {
        Ok(p) => p,
        Err(e) => {
            eprintln!("smc-analyze: {e}");
            return ExitCode::FAILURE;
        }
    };
    for e in &recorded.errors {
        eprintln!("smc-analyze: capture on {e}");
    }
    if recorded.lost > 0 {
        eprintln!(
            "smc-analyze: {} frame(s) of the replay not kept (over {} MiB)",
            recorded.lost,
            sys::kernel::replay::recording::MAX_BYTES >> 20
        );
    }
    let mut code = ExitCode::SUCCESS;
    if let Some(out) = &a.write {
        if let Err(e) = write_capture(out, &recorded.frames) {
            eprintln!("smc-analyze: {}: {e}", out.display());
            code = ExitCode::FAILURE;
        }
    }
    let mut observer = Observer::new();
    for f in &recorded.frames {
        observer.frame(f);
    }
    let replay: Observed = observer.finish();
    let verdicts: Vec<Verdict> = judge_all(&originals, pairs, &replay.sessions);
    for v in &verdicts {
        for end in std::iter::once(&v.pair.client).chain(&v.pair.server) {
            for w in &end.warnings {
                eprintln!("smc-analyze: session {} {}: {w}", v.session, end.side.name());
            }
        }
    }
    let same = verdicts.iter().filter(|v| v.same()).count();
    let mut out = std::io::stdout().lock();
    let written = if a.json {
        let summary = json!({
            "proto": "replay",
            "msg": "summary",
            "capture": name,
            "sessions": verdicts.len(),
            "same": same,
            "differs": verdicts.len() - same,
            "left_out": LEFT_OUT,
            "new_capture": a.write.as_ref().map(|p| p.display().to_string()),
            "frames": recorded.frames.len(),
        });
        verdicts
            .iter()
            .map(verdict_json)
            .chain(std::iter::once(summary))
            .try_for_each(|v| writeln!(out, "{v}"))
    } else {
        print_text(&mut out, &verdicts, same, recorded.frames.len())
    };
    if written.is_err() {
        return ExitCode::FAILURE;
    }
    if same < verdicts.len() {
        code = ExitCode::FAILURE;
    }
    code
}

/// `HOST`, `HOST:PORT`, `[V6]:PORT` or a bare IPv6 address; the port defaults to the agent's.
fn resolve(peer: &str) -> Result<SocketAddr, String> {
    if let Ok(ip) = peer.parse::<std::net::IpAddr>() {
        return Ok(SocketAddr::new(ip, DEFAULT_PORT));
    }
    let with_port = if peer
        .rsplit_once(':')
        .is_some_and(|(_, p)| p.parse::<u16>().is_ok())
    {
        peer.to_owned()
    } else {
        format!("{peer}:{DEFAULT_PORT}")
    };
    with_port
        .to_socket_addrs()
        .map_err(|e| format!("--peer {peer}: {e}"))?
        .next()
        .ok_or_else(|| format!("--peer {peer}: no address"))
}

fn write_capture(out: &Path, frames: &[engine::frame::Frame]) -> Result<(), String> {
    let link = frames.first().map_or(dissect::capture::LinkType(1), |f| f.link);
    let mut file = Savefile::create(out, link, 0).map_err(|e| e.message)?;
    for f in frames {
        file.write(f, 0).map_err(|e| e.message)?;
    }
    file.flush().map_err(|e| e.message)
}

fn print_setup(s: &Setup, as_json: bool) {
    let sides = |f: &dyn Fn(usize) -> Value| json!({"client": f(0), "server": f(1)});
    if as_json {
        let v = json!({
            "proto": "replay",
            "msg": "setup",
            "one_host": s.one_host,
            "ipv6": s.ipv6,
            "ism": s.ism,
            "rdma": sides(&|i| json!(s.rdma[i])),
            "ueids": sides(&|i| json!(s.ueids[i])),
            "rmem": sides(&|i| json!(s.rmem[i])),
            "testlink_secs": s.testlink_secs,
            "second_link": s.second_link,
            "second_device_ns": s.second_device_ns,
            "link_down_ns": s.link_down_ns,
            "delay_ms": s.delay_ms,
            "why": s.why,
        });
        println!("{v}");
        return;
    }
    println!(
        "hosts: {}",
        if s.one_host {
            "one (both ends on it)"
        } else {
            "two"
        }
    );
    println!("sessions over IPv6: {}", yes(s.ipv6));
    println!("ISM device (loopback-ism): {}", yes(s.ism));
    for (i, side) in ["client", "server"].iter().enumerate() {
        println!(
            "{side}: RoCE device {}, UEIDs [{}], net.smc.rmem/wmem {}",
            yes(s.rdma[i]),
            s.ueids[i].join(", "),
            s.rmem[i].map_or("default".into(), |r| r.to_string())
        );
    }
    if let Some(t) = s.testlink_secs {
        println!("net.smc.smcr_testlink_time: {t}");
    }
    if s.second_link {
        println!("second NIC with a RoCE device: yes");
    }
    if let Some(ns) = s.second_device_ns {
        println!(
            "the client's second RoCE device appears {:.1} s in",
            ns as f64 / 1e9
        );
    }
    if let Some(ns) = s.link_down_ns {
        println!("the client's first NIC goes down {:.1} s in", ns as f64 / 1e9);
    }
    if let Some(ms) = s.delay_ms {
        println!("delay on every packet: {ms} ms");
    }
    println!("because:");
    for w in &s.why {
        println!("  {w}");
    }
}

fn yes(b: bool) -> &'static str {
    if b {
        "yes"
    } else {
        "no"
    }
}

fn verdict_json(v: &Verdict) -> Value {
    json!({
        "proto": "replay",
        "msg": "session",
        "session": v.session,
        "verdict": if v.same() { "same" } else { "differs" },
        "replayed_session": v.replayed,
        "differences": v.differences.iter().map(|d| json!({
            "field": d.field,
            "capture": d.original,
            "replay": d.replayed,
        })).collect::<Vec<_>>(),
        "findings": v.findings,
        "notes": v.notes,
        "client": played_json(&v.pair.client),
        "server": v.pair.server.as_ref().map(played_json),
    })
}

fn print_text(out: &mut impl Write, verdicts: &[Verdict], same: usize, frames: usize) -> std::io::Result<()> {
    for v in verdicts {
        let c = &v.pair.client;
        let server = v.pair.server.as_ref();
        writeln!(
            out,
            "session {}: {}  (client {} sent {} received {}; server {} sent {} received {})",
            v.session,
            if v.same() { "same" } else { "differs" },
            c.mode.as_str(),
            c.sent,
            c.received,
            server.map_or("-", |s| s.mode.as_str()),
            server.map_or(0, |s| s.sent),
            server.map_or(0, |s| s.received),
        )?;
        for d in &v.differences {
            writeln!(
                out,
                "    {}: capture {}, replay {}",
                d.field, d.original, d.replayed
            )?;
        }
        for f in &v.findings {
            writeln!(out, "    {f}")?;
        }
        for n in &v.notes {
            writeln!(out, "    note: {n}")?;
        }
    }
    writeln!(
        out,
        "replay: {} session(s), {same} same, {} differ; {frames} frame(s) captured; not compared (they must differ): {}",
        verdicts.len(),
        verdicts.len() - same,
        LEFT_OUT.join(", ")
    )
}
