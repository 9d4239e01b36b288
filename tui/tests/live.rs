//! `smc-analyze live` for real: on a veth pair in a network namespace of its
//! own with the real captures replayed onto the peer end (the events must be
//! those `read` finds in the files), without CAP_NET_RAW, and under sudo.

mod common;
mod real;

use serde_json::Value;
use std::io::{BufRead, BufReader, Read};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc::{self, Receiver};
use std::time::{Duration, Instant, SystemTime};

use real::real_captures;
use sys::source::DEFAULT_FILTER;

const BIN: &str = env!("CARGO_BIN_EXE_smc-analyze");
const READY: &str = "capturing on";
const NOBODY: u32 = 65534;

/// A running `smc-analyze live` with its stderr lines arriving on a channel.
struct Live {
    child: Child,
    stderr: Receiver<String>,
    seen: Vec<String>,
    stdout: std::thread::JoinHandle<String>,
}

impl Live {
    fn start(cmd: &mut Command) -> Live {
        let mut child = cmd
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start smc-analyze");
        let (tx, stderr) = mpsc::channel();
        let err = child.stderr.take().unwrap();
        std::thread::spawn(move || {
            for line in BufReader::new(err).lines().map_while(Result::ok) {
                let _ = tx.send(line);
            }
        });
        let mut out = child.stdout.take().unwrap();
        let stdout = std::thread::spawn(move || {
            let mut s = String::new();
            let _ = out.read_to_string(&mut s);
            s
        });
        Live {
            child,
            stderr,
            seen: Vec::new(),
            stdout,
        }
    }

    /// Waits (bounded) for a stderr line containing `what`.
    fn wait_for(&mut self, what: &str, limit: Duration) -> String {
        let deadline = Instant::now() + limit;
        while let Some(left) = deadline.checked_duration_since(Instant::now()) {
            match self.stderr.recv_timeout(left) {
                Ok(line) => {
                    self.seen.push(line.clone());
                    if line.contains(what) {
                        return line;
                    }
                }
                Err(_) => break,
            }
        }
        let _ = self.child.kill();
        panic!(
            "no \"{what}\" from smc-analyze live within {limit:?}; stderr: {:#?}",
            self.seen
        );
    }

    /// Waits (bounded) for the exit; success flag, stdout and all of stderr.
    fn finish(mut self, limit: Duration) -> (bool, String, Vec<String>) {
        let deadline = Instant::now() + limit;
        let status = loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                break status;
            }
            if Instant::now() > deadline {
                let _ = self.child.kill();
                panic!(
                    "smc-analyze live still running after {limit:?}; stderr: {:#?}",
                    self.seen
                );
            }
            std::thread::sleep(Duration::from_millis(20));
        };
        let stdout = self.stdout.join().unwrap();
        // The reader thread ends with the pipe.
        self.seen.extend(self.stderr.iter());
        (status.success(), stdout, self.seen)
    }
}

fn json_lines(s: &str) -> Vec<Value> {
    s.lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect()
}

fn read_json(file: &Path) -> Vec<Value> {
    let out = Command::new(BIN)
        .arg("read")
        .arg("--json")
        .arg(file)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    json_lines(&String::from_utf8(out.stdout).unwrap())
}

#[test]
fn live_on_veth_decodes_what_read_decodes() {
    if !common::in_own_netns("live_on_veth_decodes_what_read_decodes") {
        return;
    }
    common::veth_pair();
    for file in real_captures() {
        replay_and_compare(&file);
    }
}

/// Frames of `file` in order, and for each whether the default filter keeps it.
fn frames_and_filter(file: &Path) -> Vec<(Vec<u8>, bool)> {
    let mut cap = pcap::Capture::from_file(file).unwrap();
    assert_eq!(cap.get_datalink(), pcap::Linktype::ETHERNET, "{}", file.display());
    let program = pcap::Capture::dead(pcap::Linktype::ETHERNET)
        .unwrap()
        .compile(DEFAULT_FILTER, true)
        .unwrap();
    let mut frames = Vec::new();
    while let Ok(p) = cap.next_packet() {
        frames.push((p.data.to_vec(), program.filter(p.data)));
    }
    frames
}

fn replay_and_compare(file: &Path) {
    let frames = frames_and_filter(file);
    let kept = frames.iter().filter(|(_, k)| *k).count();
    // Frame n of the file is frame kept_upto[n] of the live capture, which
    // sees only what the filter keeps (end-of-input events name the last frame).
    let kept_upto: Vec<u64> = std::iter::once(0)
        .chain(frames.iter().scan(0, |n, (_, k)| {
            *n += u64::from(*k);
            Some(*n)
        }))
        .collect();
    let started = SystemTime::now();
    let t0 = Instant::now();
    let mut live = Live::start(
        Command::new(BIN)
            .args([
                "live",
                "smc0",
                "--json",
                "--count",
                &kept.to_string(),
                "--duration",
                "30",
            ])
            // A sudo user id from outside has no meaning in this namespace.
            .env_remove("SUDO_UID")
            .env_remove("SUDO_GID"),
    );
    live.wait_for(READY, Duration::from_secs(20));
    let ready = t0.elapsed();
    let mut inject = pcap::Capture::from_device("smc1").unwrap().open().unwrap();
    for (data, _) in &frames {
        inject.sendpacket(data.as_slice()).unwrap();
    }
    let sent = t0.elapsed();
    let (ok, stdout, stderr) = live.finish(Duration::from_secs(45));
    let done = t0.elapsed();
    let name = file.file_name().unwrap().to_string_lossy();
    assert!(ok, "{name}: {stderr:#?}");
    let stats = stderr.last().unwrap();
    eprintln!(
        "{name}: {} frames sent, {kept} through the filter; capture ready after {ready:?}, \
         all sent after {sent:?}, done after {done:?}; {stats}",
        frames.len()
    );
    assert!(
        stats.contains(&format!(
            "{kept} frames received by the filter, 0 dropped by the kernel"
        )),
        "{name}: {stats}"
    );

    // Session summaries carry timings (replay runs at another pace than the
    // capture): compare what they concluded; every message exactly.
    let (expected_sessions, mut expected): (Vec<Value>, Vec<Value>) =
        read_json(file).into_iter().partition(|v| v["proto"] == "session");
    assert!(!expected.is_empty(), "{name}: read found nothing");
    let (got_sessions, got): (Vec<Value>, Vec<Value>) = json_lines(&stdout)
        .into_iter()
        .partition(|v| v["proto"] == "session");
    let concluded = |sessions: &[Value]| -> Vec<Value> {
        sessions
            .iter()
            .map(|s| serde_json::json!([s["client"], s["server"], s["outcome"]]))
            .collect()
    };
    assert_eq!(
        concluded(&got_sessions),
        concluded(&expected_sessions),
        "{name}: sessions differ"
    );
    let now = SystemTime::now();
    for (e, g) in expected.iter_mut().zip(&got) {
        let at = |v: &Value| SystemTime::UNIX_EPOCH + Duration::from_secs_f64(v["time"].as_f64().unwrap());
        assert!(
            started <= at(g) && at(g) <= now,
            "{name}: live time {} outside the run",
            g["time"]
        );
        let frame = e["frame"].as_u64().unwrap();
        e["frame"] = kept_upto[frame as usize].into();
        e["time"] = g["time"].clone();
    }
    assert_eq!(got, expected, "{name}: live events differ from read's");
}

/// Whether this process runs as root in the initial user namespace.
fn is_root() -> bool {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    status
        .lines()
        .any(|l| l.starts_with("Uid:") && l.split_whitespace().nth(2) == Some("0"))
}

#[test]
fn live_without_cap_net_raw_says_how_to_get_it() {
    let mut cmd = if is_root() {
        // Root has every capability: run as nobody, which has none.
        let mut c = Command::new("setpriv");
        c.args(["--reuid", "65534", "--regid", "65534", "--clear-groups", BIN]);
        c
    } else {
        Command::new(BIN)
    };
    let out = cmd
        .args(["live", "lo"])
        .output()
        .expect("run setpriv (util-linux)");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(out.stdout.is_empty());
    for needed in [
        "needs CAP_NET_RAW",
        "sudo smc-analyze live",
        "setcap cap_net_raw,cap_net_admin=eip",
    ] {
        assert!(stderr.contains(needed), "{needed:?} missing from: {stderr}");
    }
}

fn proc_status_field(pid: u32, field: &str) -> String {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    let line = status.lines().find(|l| l.starts_with(field)).unwrap();
    line[field.len()..]
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

#[test]
fn under_sudo_live_runs_as_the_invoking_user_once_open() {
    assert!(
        is_root(),
        "this test gives root up the way `sudo smc-analyze live` does, so it must run as root \
         (CI does): sudo -E cargo test --workspace"
    );
    let mut live = Live::start(
        Command::new(BIN)
            .args([
                "live",
                "lo",
                "--filter",
                "tcp and host 127.0.0.1",
                "--duration",
                "60",
            ])
            .env("SUDO_UID", NOBODY.to_string())
            .env("SUDO_GID", NOBODY.to_string()),
    );
    live.wait_for(READY, Duration::from_secs(20));
    let pid = live.child.id();
    let nobody = format!("{NOBODY} {NOBODY} {NOBODY} {NOBODY}");
    assert_eq!(proc_status_field(pid, "Uid:"), nobody);
    assert_eq!(proc_status_field(pid, "Gid:"), nobody);
    assert_eq!(proc_status_field(pid, "Groups:"), NOBODY.to_string());
    for caps in ["CapEff:", "CapPrm:", "CapAmb:"] {
        assert_eq!(proc_status_field(pid, caps), "0000000000000000", "{caps}");
    }
    // The capture opened as root still delivers: a connection on loopback.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let client = std::net::TcpStream::connect(listener.local_addr().unwrap()).unwrap();
    drop((listener.accept().unwrap(), client));
    std::thread::sleep(Duration::from_millis(300));
    // Interrupted like a user's ^C: the run ends cleanly with the counters.
    let kill = Command::new("kill")
        .args(["-INT", &pid.to_string()])
        .status()
        .unwrap();
    assert!(kill.success());
    let (ok, _, stderr) = live.finish(Duration::from_secs(10));
    assert!(ok, "{stderr:#?}");
    assert!(
        stderr
            .iter()
            .any(|l| l.contains("running as nobody (uid 65534, gid 65534)")),
        "{stderr:#?}"
    );
    let stats = stderr.last().unwrap();
    let received: u32 = stats
        .split(": ")
        .nth(2)
        .and_then(|s| s.split(' ').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no counters in {stats}"));
    // SYN, SYN-ACK, ACK, and the closing FINs/ACKs or RST: at least the handshake.
    assert!(received >= 3, "{stats}");
}
