//! `smc-analyze read` on real captures and damaged copies of them: --write
//! keeps the SMC sessions, and bad input is reported with file and frame
//! while reading goes on.

use engine::frame::{Frame, FrameSource};
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::Command;
use sys::savefile::Savefile;
use sys::source::PcapFile;

fn corpus(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../corpora/real")
        .join(name)
}

fn temp(name: &str) -> PathBuf {
    std::env::temp_dir().join(format!("smc-analyze-cli-{}-{name}", std::process::id()))
}

/// (success, stdout, stderr)
fn read(args: &[&str], file: &Path) -> (bool, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_smc-analyze"))
        .arg("read")
        .args(args)
        .arg(file)
        .output()
        .unwrap();
    let text = |b: Vec<u8>| String::from_utf8(b).unwrap();
    (out.status.success(), text(out.stdout), text(out.stderr))
}

/// The JSON events without `frame`, which --write renumbers.
/// The SMC events of a capture, without frame numbers (a written file
/// renumbers them) and without the session summaries, which cite frames too.
fn events(file: &Path) -> Vec<Value> {
    let (ok, stdout, stderr) = read(&["--json"], file);
    assert!(ok, "{}: {stderr}", file.display());
    stdout
        .lines()
        .map(|l| serde_json::from_str::<Value>(l).unwrap())
        .filter(|v| v["proto"] != "session")
        .map(|mut v| {
            v.as_object_mut().unwrap().remove("frame");
            v
        })
        .collect()
}

fn frames(path: &Path) -> Vec<Frame> {
    let mut source = PcapFile::open(path).expect("capture opens");
    std::iter::from_fn(|| source.next_frame())
        .map(|f| f.expect("whole file"))
        .collect()
}

fn write(path: &Path, frames: &[Frame]) {
    let mut out = Savefile::create(path, frames[0].link).unwrap();
    frames.iter().for_each(|f| out.write(f).expect("write"));
    out.flush().unwrap();
}

#[test]
fn write_keeps_exactly_the_frames_of_smc_sessions() {
    let files = [
        "smcr-v2-echo.pcapng",
        "server-no-ueid.pcapng",
        "ipv6.pcapng",
        "client-no-rdma.pcapng",
    ];
    // pcapng (written by smc-analyze) and pcap (written by libpcap), each read back by libpcap.
    for (file, format) in files.iter().flat_map(|f| [(*f, "pcapng"), (*f, "pcap")]) {
        let out = temp(&format!("{file}.out.{format}"));
        let (ok, _, stderr) = read(&["--write", out.to_str().unwrap()], &corpus(file));
        assert!(ok, "{file}: {stderr}");
        let (kept, all) = (frames(&out).len(), frames(&corpus(file)).len());
        assert!(
            kept < all,
            "{file}: ARP, ND and the like are left out ({kept} of {all})"
        );
        assert!(
            stderr.contains(&format!("wrote {kept} of {all} frames")),
            "{stderr}"
        );
        assert_eq!(
            events(&out),
            events(&corpus(file)),
            "{file}: the written {format} file gives the same events"
        );
        let magic = std::fs::read(&out).unwrap()[..4].to_vec();
        let pcapng_magic = magic == [0x0a, 0x0d, 0x0d, 0x0a];
        assert_eq!(
            pcapng_magic,
            format == "pcapng",
            "{file}: {format} file starts {magic:02x?}"
        );
        let _ = std::fs::remove_file(out);
    }
}

#[test]
fn write_filter_selects_sessions() {
    let input = corpus("smcr-v2-echo.pcapng");
    let all = events(&input);
    let out = temp("filtered.pcap");
    for (filter, protos) in [
        ("proto=tcp", &["clc", "tcp_option"][..]),
        ("proto=roce", &["cdc", "llc", "rdma"][..]),
        ("port=5000", &["clc", "tcp_option"][..]),
        ("qp=0x11,ip=10.0.0.1", &["cdc", "llc", "rdma"][..]),
    ] {
        let (ok, _, stderr) = read(
            &["--write", out.to_str().unwrap(), "--write-filter", filter],
            &input,
        );
        assert!(ok, "{filter}: {stderr}");
        let expected: Vec<_> = all
            .iter()
            .filter(|e| protos.contains(&e["proto"].as_str().unwrap()))
            .collect();
        let got = events(&out);
        assert!(!got.is_empty(), "{filter}");
        assert_eq!(got.iter().collect::<Vec<_>>(), expected, "{filter}");
    }
    let (ok, _, stderr) = read(
        &["--write", out.to_str().unwrap(), "--write-filter", "qp=oops"],
        &input,
    );
    assert!(!ok && stderr.contains("qp=oops"), "{stderr}");
    let _ = std::fs::remove_file(out);
}

#[test]
fn a_file_cut_short_names_the_frame_and_keeps_the_events_before() {
    let whole = std::fs::read(corpus("smcr-v2-echo.pcapng")).unwrap();
    let cut = temp("cut.pcapng");
    std::fs::write(&cut, &whole[..whole.len() * 2 / 3]).unwrap();
    let (ok, stdout, stderr) = read(&[], &cut);
    assert!(!ok, "a damaged file is a failure");
    assert!(stderr.contains(&format!("{}: frame ", cut.display())), "{stderr}");
    assert!(
        stdout.contains("[SMC-Rv2-Confirm]") && stdout.contains("CDC Message"),
        "{stdout}"
    );
    let _ = std::fs::remove_file(cut);
}

#[test]
fn a_corrupt_record_names_the_frame() {
    let mut bytes = std::fs::read(corpus("server-no-ueid.pcapng")).unwrap();
    // Walk the pcapng blocks to the 10th packet block and break its length.
    let (mut at, mut packets) = (0, 0);
    while packets < 10 {
        let kind = u32::from_le_bytes(bytes[at..at + 4].try_into().unwrap());
        let len = u32::from_le_bytes(bytes[at + 4..at + 8].try_into().unwrap()) as usize;
        packets += usize::from(kind == 6);
        if packets < 10 {
            at += len;
        }
    }
    bytes[at + 4..at + 8].copy_from_slice(&0xfff0_0000u32.to_le_bytes());
    let bad = temp("corrupt.pcapng");
    std::fs::write(&bad, bytes).unwrap();
    let (ok, stdout, stderr) = read(&[], &bad);
    assert!(!ok);
    assert!(
        stderr.contains(&format!("{}: frame 10: ", bad.display())),
        "{stderr}"
    );
    assert!(
        stdout.contains("[SMCv2-Decline]"),
        "frames 1-9 are still read: {stdout}"
    );
    let _ = std::fs::remove_file(bad);
}

#[test]
fn frames_cut_by_snaplen_are_reported_and_reading_goes_on() {
    let mut cut = frames(&corpus("smcr-v2-echo.pcapng"));
    for f in &mut cut {
        f.data.truncate(98);
    }
    let path = temp("snaplen.pcap");
    write(&path, &cut);
    let (ok, stdout, stderr) = read(&[], &path);
    assert!(ok, "cut frames are expected input: {stderr}");
    // Frame 7 carries the 156-byte Proposal: its stream has a gap now.
    assert!(stderr.contains("cut by snaplen"), "{stderr}");
    assert!(
        stderr
            .lines()
            .all(|l| l.starts_with(&format!("smc-analyze: {}: ", path.display()))),
        "{stderr}"
    );
    assert!(
        stdout.contains("[SYN, ACK]"),
        "what fits is still decoded: {stdout}"
    );
    // An LLC SEND is 102 bytes with its 4-byte ICRC: at 98 only the ICRC is cut.
    assert!(stdout.contains("LLC CONFIRM_LINK_V2"), "{stdout}");
    let _ = std::fs::remove_file(path);
}

#[test]
fn garbage_in_a_tcp_stream_is_named_and_later_messages_still_decode() {
    let mut frames = frames(&corpus("smcr-v2-echo.pcapng"));
    // Frame 9's TCP payload is the Accept (the last 160 bytes): break its eyecatcher.
    let accept = &mut frames[8].data;
    let at = accept.len() - 160;
    accept[at..at + 4].copy_from_slice(b"JUNK");
    let path = temp("garbage.pcap");
    write(&path, &frames);
    let (_, stdout, stderr) = read(&[], &path);
    assert!(
        stderr.contains("frame 9: clc") && stderr.contains("not CLC"),
        "{stderr}"
    );
    assert!(!stdout.contains("[SMC-Rv2-Accept]"), "{stdout}");
    assert!(
        stdout.contains("[SMC-Rv2-Confirm]"),
        "the other direction goes on: {stdout}"
    );
    assert!(stdout.contains("LLC DELETE_RKEY_V2"), "{stdout}");
    let _ = std::fs::remove_file(path);
}

#[test]
fn write_over_the_input_is_refused_whatever_names_it() {
    let input = temp("own-input.pcapng");
    std::fs::copy(corpus("many-conns.pcapng"), &input).unwrap();
    let (symlink, hardlink) = (temp("own-symlink.pcapng"), temp("own-hardlink.pcapng"));
    let _ = std::fs::remove_file(&symlink);
    let _ = std::fs::remove_file(&hardlink);
    std::os::unix::fs::symlink(&input, &symlink).unwrap();
    std::fs::hard_link(&input, &hardlink).unwrap();
    let dotted = input.parent().unwrap().join(".").join(input.file_name().unwrap());
    for out in [&input, &symlink, &hardlink, &dotted] {
        let (ok, _, stderr) = read(&["--no-ui", "--write", out.to_str().unwrap()], &input);
        assert!(!ok, "{}: {stderr}", out.display());
        assert!(stderr.contains("not writing over it"), "{stderr}");
    }
    let intact = std::fs::read(&input).unwrap() == std::fs::read(corpus("many-conns.pcapng")).unwrap();
    for f in [&input, &symlink, &hardlink] {
        let _ = std::fs::remove_file(f);
    }
    assert!(intact, "the input was written over");
}

#[test]
fn write_to_stdout_puts_only_the_capture_there() {
    let out = Command::new(env!("CARGO_BIN_EXE_smc-analyze"))
        .args(["read", "--no-ui", "--write", "-"])
        .arg(corpus("many-conns.pcapng"))
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    // pcap, nanosecond timestamps, little-endian: nothing but the capture.
    assert_eq!(out.stdout.get(..4), Some(&[0x4d, 0x3c, 0xb2, 0xa1][..]));
    let copy = temp("stdout-copy.pcap");
    std::fs::write(&copy, &out.stdout).unwrap();
    let (same, source) = (events(&copy), events(&corpus("many-conns.pcapng")));
    let _ = std::fs::remove_file(&copy);
    assert_eq!(
        same, source,
        "the capture on stdout reads back as the input's sessions"
    );
}

#[test]
fn a_session_the_capture_does_not_have_is_an_error() {
    let (ok, stdout, stderr) = read(&["--no-ui", "--session", "9"], &corpus("many-conns.pcapng"));
    assert!(!ok && stdout.is_empty(), "{stdout}");
    assert!(
        stderr.contains("no session 9: its sessions are 0 to 3"),
        "{stderr}"
    );
    let (ok, stdout, _) = read(&["--no-ui", "--session", "3"], &corpus("many-conns.pcapng"));
    assert!(ok && stdout.starts_with("session 3 "), "{stdout}");
}

/// The `-V` lines of the message at `frame`: each field as `name: shown`, offsets dropped.
fn tree_lines(stdout: &str, frame: u64) -> Vec<String> {
    let mut lines = stdout
        .lines()
        .skip_while(|l| l.split_whitespace().next() != Some(&frame.to_string()))
        .skip(2);
    std::iter::from_fn(|| lines.next().filter(|l| !l.is_empty()))
        .map(|l| {
            l.trim_start()
                .split_once(' ')
                .map_or("", |(_, f)| f)
                .trim_start()
                .to_string()
        })
        .collect()
}

#[test]
fn verbose_trees_show_what_the_fields_mean() {
    let (ok, stdout, stderr) = read(&["-V"], &corpus("smcr-v2-echo.pcapng"));
    assert!(ok, "{stderr}");
    // Each as tshark -V shows the same frame (4.0; the FCE's v2.1 part and LLC v2 from the kernel's structs).
    let expect = [
        (7, "header.typev2: R (raw .... 00..)"),
        (7, "v2_ext.release: v2.1 (raw 0001 ....)"),
        (7, "v2_ext.seid: false (raw .... ...0)"),
        (
            7,
            "v2_ext.eid: \"SMC-LAB\" (raw 534d432d4c4142202020202020202020...)",
        ),
        (
            7,
            "v2_ext.roce_gid: ::ffff:10.0.0.2 (raw 00000000000000000000ffff0a000002)",
        ),
        (9, "header.first_contact: true (raw .... 1...)"),
        (9, "header.path: R (raw .... ..00)"),
        (9, "gid: ::ffff:10.0.0.1 (raw 00000000000000000000ffff0a000001)"),
        (9, "mac: 52:54:00:00:00:01 (raw 525400000001)"),
        (9, "qpn: 0x000011 (17)"),
        (9, "rmbe_size: 65536 bytes (raw 0010 ....)"),
        (9, "qp_mtu: 1024 (raw .... 0011)"),
        (9, "psn: 0x377e44 (3636804)"),
        (9, "eid: \"SMC-LAB\" (raw 534d432d4c4142202020202020202020...)"),
        (9, "fce.os_type: Linux (raw 0010 ....)"),
        (9, "fce.release: v2.1 (raw .... 0001)"),
        (
            9,
            "fce.hostname: \"lab-server\" (raw 6c61622d736572766572202020202020...)",
        ),
        (16, "length: 88 bytes, little-endian (raw 0x5800)"),
        (16, "sender_qpn: 0x000012 (18)"),
        (16, "initial_psn: 0xd864ef (14181615)"),
        (16, "v2_ext.rt.rmb_key: 0x000003c8 (968)"),
        (16, "v2_ext.rt.rmb_key_new: 0x000005a0 (1440)"),
        (
            16,
            "v2_ext.rt.rmb_vaddr_new: 0xff207aaa43450000 (18383828550617989120)",
        ),
    ];
    for (frame, line) in expect {
        let lines = tree_lines(&stdout, frame);
        assert!(
            lines.iter().any(|l| l == line),
            "frame {frame}: no `{line}` in\n{}",
            lines.join("\n")
        );
    }
}

#[test]
fn json_trees_give_the_parts_of_a_byte_with_their_bits() {
    let (ok, stdout, stderr) = read(&["--json", "-V"], &corpus("smcr-v2-echo.pcapng"));
    assert!(ok, "{stderr}");
    let accept: Value = stdout
        .lines()
        .map(|l| serde_json::from_str::<Value>(l).unwrap())
        .find(|v| v["frame"] == 9 && v["proto"] == "clc")
        .expect("the Accept");
    let flags = &accept["tree"]["fields"][3];
    assert_eq!(
        (&flags["name"], &flags["raw"], &flags["value"]),
        (&"header.flags".into(), &"28".into(), &40.into())
    );
    let first_contact = &flags["children"][1];
    assert_eq!(first_contact["name"], "header.first_contact");
    assert_eq!(
        (&first_contact["mask"], &first_contact["value"]),
        (&"0x08".into(), &1.into())
    );
    assert_eq!(first_contact["decoded"], "true");
}
