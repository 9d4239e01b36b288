//! The kernel commands run against this host's kernel: without SMC they
//! must fail with an error that says so; with SMC they must not claim that.

use std::process::Command;

fn smc_analyze(args: &[&str]) -> (bool, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_smc-analyze"))
        .args(args)
        .output()
        .unwrap();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into(),
        String::from_utf8_lossy(&out.stderr).into(),
    )
}

fn kernel_has_smc() -> bool {
    socket2::Socket::new(
        socket2::Domain::IPV4,
        socket2::Type::STREAM,
        Some(socket2::Protocol::from(256)),
    )
    .is_ok()
        || socket2::Socket::new(socket2::Domain::from(43), socket2::Type::STREAM, None).is_ok()
}

#[test]
fn client_without_smc_says_so() {
    // Port 9 on loopback: nothing listens, so with SMC the connect is refused.
    let (ok, stdout, stderr) = smc_analyze(&["client", "127.0.0.1", "9"]);
    assert!(!ok);
    assert!(stdout.is_empty(), "{stdout}");
    if kernel_has_smc() {
        assert!(!stderr.contains("no SMC support"), "{stderr}");
    } else {
        assert!(
            stderr.contains("IPPROTO_SMC") && stderr.contains("no SMC support"),
            "{stderr}"
        );
        assert!(stderr.contains("load the smc module"), "{stderr}");
    }
}

#[test]
fn server_without_smc_says_so() {
    if kernel_has_smc() {
        return; // it would listen; covered in the lab VMs
    }
    let (ok, _, stderr) = smc_analyze(&["server", "--port", "0", "--ipv6"]);
    assert!(!ok);
    assert!(
        stderr.contains("IPPROTO_SMC") && stderr.contains("no SMC support"),
        "{stderr}"
    );
}

#[test]
fn bad_ueid_is_rejected_before_the_kernel_is_asked() {
    let (ok, _, stderr) = smc_analyze(&["ueid", "add", "under_score"]);
    assert!(!ok);
    assert!(stderr.contains("allowed are A-Z"), "{stderr}");
}

#[test]
fn tcp_server_reports_one_line_per_connection() {
    use std::io::{Read, Write};
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let server = std::thread::spawn(move || {
        smc_analyze(&[
            "server",
            "--tcp",
            "--echo",
            "--bind",
            "127.0.0.1",
            "--port",
            &port.to_string(),
        ])
    });
    // Connect only once the server listens (a connect before that can meet
    // the port half set up and come back reset), and again if refused.
    let start = std::time::Instant::now();
    let mut s = loop {
        if listening(port) {
            match std::net::TcpStream::connect(("127.0.0.1", port)) {
                Ok(s) => break s,
                Err(e) => assert!(start.elapsed().as_secs() < 10, "connect: {e}"),
            }
        }
        assert!(
            start.elapsed().as_secs() < 10,
            "the server never listened on {port}"
        );
        std::thread::sleep(std::time::Duration::from_millis(20));
    };
    s.write_all(&[7u8; 3000]).unwrap();
    s.shutdown(std::net::Shutdown::Write).unwrap();
    let mut back = Vec::new();
    s.read_to_end(&mut back).unwrap();
    assert_eq!(back, vec![7u8; 3000]);
    let (ok, stdout, stderr) = server.join().unwrap();
    assert!(ok, "{stderr}");
    let line = stdout.trim();
    assert!(line.starts_with("conn=0 peer=127.0.0.1:"), "{line}");
    assert!(
        line.contains(" mode=tcp sent=3000 received=3000 elapsed_ms="),
        "{line}"
    );
}

/// Whether a TCP socket listens on `port` (state 0A in /proc/net/tcp).
fn listening(port: u16) -> bool {
    let local = format!(":{port:04X} ");
    std::fs::read_to_string("/proc/net/tcp")
        .unwrap_or_default()
        .lines()
        .any(|l| {
            l.split_whitespace()
                .nth(1)
                .is_some_and(|a| format!("{a} ").ends_with(&local))
                && l.split_whitespace().nth(3) == Some("0A")
        })
}
