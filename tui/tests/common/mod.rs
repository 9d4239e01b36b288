//! Helpers for the tests that need a network of their own.

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// Set in the copy of a test that runs inside the new namespaces.
const IN_NAMESPACE: &str = "SMC_TEST_IN_NETNS";

/// True inside the namespaces: the caller goes on with its test. Outside,
/// runs test `name` again under `unshare --user --map-root-user --net` and
/// checks it passed there, then returns false. A user namespace gives
/// CAP_NET_RAW and CAP_NET_ADMIN over a network namespace of our own, root
/// or not; both vanish with the process, veth pairs included.
pub fn in_own_netns(name: &str) -> bool {
    if std::env::var_os(IN_NAMESPACE).is_some() {
        return true;
    }
    let mut child = Command::new("unshare")
        .args(["--user", "--map-root-user", "--net", "--"])
        .arg(std::env::current_exe().unwrap())
        .args([name, "--exact", "--nocapture", "--test-threads=1"])
        .env(IN_NAMESPACE, "1")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run unshare (util-linux)");
    let deadline = Instant::now() + Duration::from_secs(120);
    while child.try_wait().unwrap().is_none() {
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("{name} in the network namespace did not end within 120 s");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let out = child.wait_with_output().unwrap();
    let (stdout, stderr) = (
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr),
    );
    eprintln!("{stdout}{stderr}");
    assert!(
        out.status.success(),
        "in a user and network namespace (`unshare --user --map-root-user --net`; \
         needs unprivileged user namespaces or root)"
    );
    // The inner run really ran the test (not filtered out, not skipped).
    assert!(stdout.contains("1 passed"), "{stdout}");
    false
}

pub fn ip(args: &str) {
    let out = Command::new("ip")
        .args(args.split(' '))
        .output()
        .expect("run ip (iproute2; scripts/setup --test installs it)");
    assert!(
        out.status.success(),
        "ip {args}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A veth pair smc0 (where captures listen) and smc1 (where frames go in).
pub fn veth_pair() {
    ip("link add name smc0 type veth peer name smc1");
    for end in ["smc0", "smc1"] {
        // The lab's frames were captured with segmentation offload: up to 2962 bytes.
        ip(&format!("link set {end} mtu 9000 up"));
    }
}
