//! `smc-analyze replay` as a user meets it on a host without SMC: what the
//! capture asks of the hosts (`--setup`), usage errors, and a plain refusal
//! where the kernel lacks SMC. The replay itself runs in the lab (lab/replay).

mod real;

use real::{real_capture, real_captures};
use serde_json::Value;
use std::path::Path;
use std::process::{Command, Output};

fn smc_analyze(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_smc-analyze"))
        .args(args)
        .output()
        .unwrap()
}

/// The keys docs/json.md lists for `replay` `setup`.
fn documented_setup_keys() -> Vec<String> {
    let doc = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("../docs/json.md")).unwrap();
    let table = doc
        .split("### `replay` `setup`")
        .nth(1)
        .expect("the setup section");
    let mut keys: Vec<String> = table
        .lines()
        .skip_while(|l| !l.starts_with("| `"))
        .take_while(|l| l.starts_with("| `"))
        .map(|l| l.split('`').nth(1).unwrap().to_string())
        .collect();
    keys.sort();
    keys
}

#[test]
fn every_real_capture_says_what_its_hosts_must_be_like() {
    let documented = documented_setup_keys();
    assert!(documented.len() > 10, "{documented:?}");
    for capture in real_captures() {
        let path = capture.to_str().unwrap();
        let out = smc_analyze(&["replay", path, "--setup", "--json"]);
        assert!(
            out.status.success(),
            "{path}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let v: Value = serde_json::from_slice(&out.stdout).unwrap();
        let mut keys: Vec<String> = v.as_object().unwrap().keys().cloned().collect();
        keys.sort();
        assert_eq!(keys, documented, "{path}");
        assert_eq!(
            (v["proto"].as_str(), v["msg"].as_str()),
            (Some("replay"), Some("setup"))
        );
        // Every part of a setup has its evidence.
        assert!(
            !v["why"].as_array().unwrap().is_empty() || path.contains("plain-tcp"),
            "{path}"
        );
        let text = smc_analyze(&["replay", path, "--setup"]);
        let text = String::from_utf8(text.stdout).unwrap();
        assert!(
            text.starts_with("hosts: ") && text.contains("because:"),
            "{path}: {text}"
        );
    }
}

#[test]
fn usage_errors_exit_2_and_name_what_is_wrong() {
    let capture = real_capture("many-conns.pcapng");
    let capture = capture.to_str().unwrap();
    for (args, says) in [
        (vec!["replay", capture], "--peer"),
        (
            vec!["replay", capture, "--peer", "127.0.0.1", "--session", "4"],
            "no session 4",
        ),
        (
            vec!["replay", capture, "--peer", "127.0.0.1", "--peer", "127.0.0.2"],
            "other address family",
        ),
        (
            vec!["replay", capture, "--peer", "no.such.host.invalid"],
            "no.such.host.invalid",
        ),
        (
            vec!["replay", capture, "--peer", "127.0.0.1", "--settle=-1"],
            "--settle -1",
        ),
    ] {
        let out = smc_analyze(&args);
        let err = String::from_utf8_lossy(&out.stderr);
        // On a kernel with SMC the host check passes and the usage error shows.
        assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
        assert!(err.contains(says), "{args:?}: {err}");
    }
    let out = smc_analyze(&["replay", "/etc/hostname", "--peer", "127.0.0.1"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("/etc/hostname"));
}

/// Without SMC in the kernel (as on the development hosts) both ends refuse
/// at once and say why; with SMC neither says so.
#[test]
fn a_kernel_without_smc_is_said_plainly() {
    let has_smc = socket2::Socket::new(
        socket2::Domain::IPV4,
        socket2::Type::STREAM,
        Some(socket2::Protocol::from(256)),
    )
    .is_ok();
    let capture = real_capture("smcr-v2-echo.pcapng");
    // Port 1 of loopback: nothing listens, so with SMC the replay ends at once too.
    let out = smc_analyze(&["replay", capture.to_str().unwrap(), "--peer", "127.0.0.1:1"]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert_eq!(err.contains("this kernel has no SMC support"), !has_smc, "{err}");
    if !has_smc {
        let out = smc_analyze(&["replay-agent", "--listen", "127.0.0.1:0"]);
        assert_eq!(out.status.code(), Some(1));
        assert!(String::from_utf8_lossy(&out.stderr).contains("this kernel has no SMC support"));
    }
}
