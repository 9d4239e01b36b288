//! End to end: the binary in a real terminal (tmux), on a real capture;
//! keys go in with send-keys and the screen comes back with capture-pane.
//! tmux comes from scripts/setup --test.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_smc-analyze");
const CORPORA: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../corpora/real");

/// A tmux session running a shell command in a directory of its own, on a
/// tmux server of its own (socket in that directory).
struct Tmux(String, PathBuf);

impl Tmux {
    fn start(test: &str, args: &str) -> Tmux {
        Tmux::start_with(test, &[], args, "")
    }

    /// `env` set for the binary; `then` runs in the shell after it exited.
    fn start_with(test: &str, env: &[&str], args: &str, then: &str) -> Tmux {
        let t = Tmux::new(test);
        t.run(env, args, then);
        t
    }

    /// Its directory only: the test puts files there before [`Tmux::run`].
    fn new(test: &str) -> Tmux {
        let name = format!("smc-ui-{}-{test}", std::process::id());
        let dir = std::env::temp_dir().join(&name);
        std::fs::create_dir_all(&dir).unwrap();
        Tmux(name, dir)
    }

    fn run(&self, env: &[&str], args: &str, then: &str) {
        let cmd = format!(
            "cd {} && {} {BIN} {args}; echo exited $?; {then} sleep 5",
            self.1.display(),
            env.join(" ")
        );
        let ok = self
            .tmux()
            .args(["new-session", "-d", "-s", &self.0, "-x", "200", "-y", "50", &cmd])
            .status()
            .expect("tmux (scripts/setup --test installs it)");
        assert!(ok.success());
    }

    fn tmux(&self) -> Command {
        let mut c = Command::new("tmux");
        c.arg("-S").arg(self.1.join("tmux.sock"));
        c
    }

    fn keys(&self, keys: &[&str]) {
        for k in keys {
            let ok = self
                .tmux()
                .args(["send-keys", "-t", &self.0, k])
                .status()
                .unwrap();
            assert!(ok.success());
        }
    }

    fn screen(&self) -> String {
        let out = self
            .tmux()
            .args(["capture-pane", "-p", "-t", &self.0])
            .output()
            .unwrap();
        String::from_utf8_lossy(&out.stdout).into()
    }

    /// The screen once it shows `what` (the UI draws ten times a second).
    fn wait_for(&self, what: &str) -> String {
        let start = Instant::now();
        loop {
            let screen = self.screen();
            if screen.contains(what) {
                return screen;
            }
            assert!(
                start.elapsed() < Duration::from_secs(10),
                "no `{what}` on\n{screen}"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    fn alive(&self) -> bool {
        self.tmux()
            .args(["has-session", "-t", &self.0])
            .status()
            .is_ok_and(|s| s.success())
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        let _ = self.tmux().arg("kill-server").status();
        let _ = std::fs::remove_dir_all(&self.1);
    }
}

#[test]
fn read_opens_the_ui_keys_drive_it_and_q_restores_the_shell() {
    let t = Tmux::start("read", &format!("read {CORPORA}/server-no-ueid.pcapng"));
    t.wait_for(" DONE ");
    // A screen caught while tmux redraws can lack a pane's lines: each is waited for.
    for shown in ["fallback NOSMCDEV by server", "CLC proposal v2", "CLC decline v2"] {
        t.wait_for(shown);
    }
    // Events pane, fourth event (the Decline), then its field tree.
    t.keys(&["Tab", "Down", "Down", "Down"]);
    t.wait_for("CLC Decline (44 bytes)");
    t.wait_for("diagnosis: NOSMCDEV (raw 0x03030000)");
    // The help screen opens and closes.
    t.keys(&["?"]);
    t.wait_for("any other key closes it.");
    t.keys(&["x"]);
    // Freeze shows in the status line.
    t.keys(&["Space"]);
    t.wait_for(" FROZEN ");
    t.keys(&["q"]);
    let screen = t.wait_for("exited 0");
    assert!(
        !screen.contains("Sessions"),
        "the alternate screen is gone:\n{screen}"
    );
    assert!(t.alive());
}

#[test]
fn an_engine_thread_panic_restores_the_terminal() {
    // The test binary is built with panic = "abort", as the shipped one.
    let t = Tmux::start_with(
        "panic",
        &["SMC_ANALYZE_TEST_PANIC=engine"],
        &format!("read {CORPORA}/server-no-ueid.pcapng"),
        "stty -a | tr ' ;' '\\n\\n' | grep -x -e icanon -e -icanon -e echo -e -echo; echo modes shown;",
    );
    t.wait_for("exited 134");
    let screen = t.wait_for("modes shown");
    assert!(
        screen.contains("thread 'smc-engine'") && screen.contains("panics on purpose"),
        "the panic message shows:\n{screen}"
    );
    assert!(
        !screen.contains("Sessions"),
        "the alternate screen is gone:\n{screen}"
    );
    let modes: Vec<&str> = screen
        .lines()
        .map(str::trim)
        .filter(|l| l.ends_with("icanon") || l.ends_with("echo"))
        .collect();
    assert_eq!(modes, ["icanon", "echo"], "raw mode is off again:\n{screen}");
}

#[test]
fn no_arguments_open_the_shipped_capture() {
    let t = Tmux::start("embedded", "");
    t.wait_for(" DONE ");
    t.wait_for("Sessions 4 ");
    t.wait_for("reused link group");
    // e exports the selected session (the first, then the last, which shares
    // its link group); each file reads back as that session alone, no finding.
    t.keys(&["e"]);
    t.wait_for("session 0 written to smc-session-0.pcapng");
    t.keys(&["G", "e"]);
    t.wait_for("session 3 written to smc-session-3.pcapng");
    t.keys(&["q"]);
    t.wait_for("exited 0");
    for (id, first_contact) in [(0, true), (3, false)] {
        let out = Command::new(BIN)
            .args(["read", "--no-ui"])
            .arg(t.1.join(format!("smc-session-{id}.pcapng")))
            .output()
            .unwrap();
        let text = String::from_utf8_lossy(&out.stdout);
        let sessions: Vec<_> = text.lines().filter(|l| l.starts_with("session ")).collect();
        assert_eq!(sessions.len(), 1, "{text}");
        assert!(
            sessions[0].contains("smc-r")
                && sessions[0].contains(&format!("first_contact={first_contact}"))
                && sessions[0].ends_with("findings=0"),
            "{text}"
        );
        assert!(!text.contains("finding "), "{text}");
    }
}

#[test]
fn live_opens_the_ui_and_shows_a_session_replayed_onto_a_veth() {
    if !common::in_own_netns("live_opens_the_ui_and_shows_a_session_replayed_onto_a_veth") {
        return;
    }
    common::veth_pair();
    let t = Tmux::start("live", "live smc0");
    t.wait_for(" RUNNING ");
    let capture = Path::new(CORPORA).join("smcr-v2-echo.pcapng");
    // The capture opens on the engine thread: replay until the session shows.
    let start = Instant::now();
    let screen = loop {
        replay(&capture, "smc1");
        std::thread::sleep(Duration::from_millis(300));
        let screen = t.screen();
        if screen.contains("SMC-R v2") {
            break screen;
        }
        assert!(
            start.elapsed() < Duration::from_secs(30),
            "no SMC-R session on\n{screen}"
        );
    };
    assert!(
        screen.contains("10.0.0.2:48156") && screen.contains("10.0.0.1:5000"),
        "{screen}"
    );
    assert!(
        screen.contains("CLC proposal v2"),
        "the session's events show:\n{screen}"
    );
    assert!(screen.contains("capture drops 0"), "{screen}");
    t.keys(&["q"]);
    t.wait_for("exited 0");
}

#[test]
fn a_second_export_takes_a_new_name_and_nothing_writes_over_the_ui() {
    let t = Tmux::new("export");
    // A file of the user's where session 1's export would go stays as it is.
    std::fs::write(t.1.join("smc-session-1.pcapng"), "mine").unwrap();
    t.run(&[], "", "");
    t.wait_for(" DONE ");
    t.wait_for("Sessions 4 ");
    t.keys(&["e"]);
    let screen = t.wait_for("session 0 written to smc-session-0.pcapng");
    // Nothing but the UI writes on the screen it owns (an export's own
    // message on stderr would land on it).
    assert!(
        !screen.contains("smc-analyze:"),
        "stray text on the UI:\n{screen}"
    );
    assert!(screen.contains("smc-session-0.pcapng (wrote "), "{screen}");
    t.keys(&["e"]);
    let screen = t.wait_for("session 0 written to smc-session-0-1.pcapng (wrote ");
    assert!(
        !screen.contains("smc-analyze:"),
        "stray text on the UI:\n{screen}"
    );
    t.keys(&["Down", "e"]);
    let screen = t.wait_for("session 1 written to smc-session-1-1.pcapng (wrote ");
    assert!(
        !screen.contains("smc-analyze:"),
        "stray text on the UI:\n{screen}"
    );
    t.keys(&["q"]);
    let screen = t.wait_for("exited ");
    assert_eq!(std::fs::read(t.1.join("smc-session-1.pcapng")).unwrap(), b"mine");
    let files = |f: &str| std::fs::read(t.1.join(f)).unwrap();
    assert_eq!(files("smc-session-0.pcapng"), files("smc-session-0-1.pcapng"));
    // Once the terminal is back, stderr says where each export went.
    let dir = t.1.canonicalize().unwrap();
    for name in [
        "smc-session-0.pcapng",
        "smc-session-0-1.pcapng",
        "smc-session-1-1.pcapng",
    ] {
        let said = format!("{}/{name} (wrote ", dir.display());
        assert!(screen.contains(&said), "{said} in\n{screen}");
    }
    assert!(screen.contains("exited 0"), "{screen}");
}

#[test]
fn a_file_that_is_not_a_capture_is_an_error_before_the_ui() {
    let t = Tmux::new("notcap");
    std::fs::write(t.1.join("notcap.pcap"), "not a capture\n").unwrap();
    t.run(&[], "read notcap.pcap", "");
    let screen = t.wait_for("exited ");
    assert!(
        screen.contains("smc-analyze: notcap.pcap: ") && screen.contains("exited 1"),
        "{screen}"
    );
    assert!(
        !screen.contains("Sessions"),
        "no UI for a file it cannot read:\n{screen}"
    );
}

#[test]
fn a_capture_cut_short_shows_the_error_and_exits_non_zero() {
    let cut = &std::fs::read(format!("{CORPORA}/many-conns.pcapng")).unwrap()[..20_000];
    let t = Tmux::new("cut");
    std::fs::write(t.1.join("cut.pcapng"), cut).unwrap();
    t.run(&[], "read cut.pcapng", "");
    t.wait_for(" DONE ");
    t.wait_for("error: cut.pcapng: frame 73: ");
    t.keys(&["q"]);
    let screen = t.wait_for("exited ");
    assert!(
        screen.contains("smc-analyze: cut.pcapng: frame 73: ") && screen.contains("exited 1"),
        "the error outlives the UI on stderr, and the exit status says it:\n{screen}"
    );
}

/// Sends every frame of a capture file out of `device`.
pub fn replay(file: &Path, device: &str) {
    let mut cap = pcap::Capture::from_file(file).unwrap();
    let mut inject = pcap::Capture::from_device(device).unwrap().open().unwrap();
    while let Ok(p) = cap.next_packet() {
        inject.sendpacket(p.data).unwrap();
    }
}
