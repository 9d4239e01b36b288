//! `smc-analyze read` on real captures and damaged copies of them: --write
//! keeps the SMC sessions, and bad input is reported with file and frame
//! while reading goes on.

mod real;

use engine::frame::{Frame, FrameSource};
use real::real_capture;
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::Command;
use sys::savefile::Savefile;
use sys::source::CaptureFiles;

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
    let mut source = CaptureFiles::open(&[path]).expect("capture opens");
    std::iter::from_fn(|| source.next_frame())
        .map(|f| f.expect("whole file"))
        .collect()
}

fn write(path: &Path, frames: &[Frame]) {
    let mut out = Savefile::create(path, frames[0].link, 0).unwrap();
    frames.iter().for_each(|f| out.write(f, 0).expect("write"));
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
    // pcapng and pcap, each written by smc-analyze and read back.
    for (file, format) in files.iter().flat_map(|f| [(*f, "pcapng"), (*f, "pcap")]) {
        let out = temp(&format!("{file}.out.{format}"));
        let (ok, _, stderr) = read(&["--write", out.to_str().unwrap()], &real_capture(file));
        assert!(ok, "{file}: {stderr}");
        let (kept, all) = (frames(&out).len(), frames(&real_capture(file)).len());
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
            events(&real_capture(file)),
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

/// The JSON lines of `read --json ARGS FILE`.
fn json(args: &[&str], file: &Path) -> Vec<Value> {
    let (ok, stdout, stderr) = read(&[&["--json"], args].concat(), file);
    assert!(ok, "{}: {stderr}", file.display());
    stdout.lines().map(|l| serde_json::from_str(l).unwrap()).collect()
}

/// The session summaries of a capture, without what an export renumbers
/// (session id, frames, link group id).
fn sessions(file: &Path) -> Vec<Value> {
    json(&[], file)
        .into_iter()
        .filter(|v| v["proto"] == "session")
        .map(|mut v| {
            let o = v.as_object_mut().unwrap();
            for key in ["session", "frame", "link_group"] {
                o.remove(key);
            }
            for clc in o["clc"].as_array_mut().unwrap() {
                clc.as_object_mut().unwrap().remove("frame");
            }
            v
        })
        .collect()
}

fn findings(file: &Path) -> Vec<Value> {
    json(&[], file)
        .into_iter()
        .filter(|v| v["proto"] == "finding")
        .collect()
}

/// What a frame of an SMC-R session carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Part {
    /// TCP, between these ends (sorted).
    Tcp(std::net::SocketAddr, std::net::SocketAddr),
    /// A packet of a CDC message (a SEND Only of type 0xFE) or an RDMA WRITE.
    Data,
    /// A packet of another SEND: LLC.
    Llc,
    Ack,
}

fn part(f: &Frame) -> Option<Part> {
    use dissect::capture::Carried;
    use dissect::roce::Opcode;
    let layers = dissect::capture::decode(f.link, &f.data, f.orig_len);
    let bytes = match (layers.carried, layers.ip) {
        (Carried::Tcp(seg), Some(ip)) => {
            let (a, b) = (
                std::net::SocketAddr::new(ip.src, seg.src_port),
                std::net::SocketAddr::new(ip.dst, seg.dst_port),
            );
            return Some(Part::Tcp(a.min(b), a.max(b)));
        }
        (Carried::RoceV2 { bytes, .. }, _) => bytes,
        _ => return None,
    };
    let roce = dissect::roce::parse_v2_lax(bytes, bytes.len()).parsed;
    Some(match roce.bth?.opcode {
        Opcode::RC_ACKNOWLEDGE => Part::Ack,
        Opcode::RC_SEND_ONLY if roce.payload.first() == Some(&0xfe) => Part::Data,
        Opcode::RC_SEND_FIRST | Opcode::RC_SEND_MIDDLE | Opcode::RC_SEND_LAST | Opcode::RC_SEND_ONLY => {
            Part::Llc
        }
        _ => Part::Data,
    })
}

/// The frame numbers in `input` of the frames of `copy` (same time and bytes).
fn numbers_in(input: &[Frame], copy: &Path) -> Vec<u64> {
    let index: std::collections::HashMap<_, _> =
        input.iter().map(|f| ((f.time, &f.data), f.number)).collect();
    frames(copy).iter().map(|f| index[&(f.time, &f.data)]).collect()
}

/// Issue 11 item 2: each session of a link group written alone (`--session
/// ID --write`, and the UI's `e` through the same selection) is that session
/// whole, and nothing of the others but the link group's LLC.
#[test]
fn a_session_of_a_shared_link_group_is_written_alone_and_whole() {
    for file in ["many-conns.pcapng", "late-link.pcapng", "two-links.pcapng"] {
        let input = real_capture(file);
        let all = frames(&input);
        let parts: Vec<_> = all.iter().map(part).collect();
        let full = sessions(&input);
        let summaries: Vec<Value> = json(&[], &input)
            .into_iter()
            .filter(|v| v["proto"] == "session")
            .collect();
        assert!(
            summaries
                .iter()
                .all(|s| s["link_group"] == 0 && s["outcome"] == "smc-r"),
            "{file}: SMC-R sessions of one link group"
        );
        // Per frame, in how many of the written files it is.
        let mut written = vec![0; all.len()];
        for (id, summary) in summaries.iter().enumerate() {
            let session = summary["session"].to_string();
            let out = temp(&format!("alone-{session}-{file}"));
            let (ok, _, stderr) = read(
                &["--no-ui", "--session", &session, "--write", out.to_str().unwrap()],
                &input,
            );
            assert!(ok, "{file} session {session}: {stderr}");
            assert_eq!(sessions(&out), [full[id].clone()], "{file} session {session}");
            assert_eq!(findings(&out), Vec::<Value>::new(), "{file} session {session}");
            let numbers = numbers_in(&all, &out);
            let _ = std::fs::remove_file(out);
            let ends = |s: &Value| -> std::net::SocketAddr { s.as_str().unwrap().parse().unwrap() };
            let (a, b) = (ends(&summary["client"]), ends(&summary["server"]));
            let own = Part::Tcp(a.min(b), a.max(b));
            let of = |p: Part| -> Vec<u64> {
                (1..=all.len() as u64)
                    .filter(|&n| parts[n as usize - 1] == Some(p))
                    .collect()
            };
            let kept = |p: Part| -> Vec<u64> {
                numbers
                    .iter()
                    .copied()
                    .filter(|&n| parts[n as usize - 1] == Some(p))
                    .collect()
            };
            assert_eq!(kept(own), of(own), "{file} session {session}: its TCP connection");
            assert_eq!(
                kept(Part::Llc),
                of(Part::Llc),
                "{file} session {session}: its link group's LLC"
            );
            assert!(
                numbers.iter().all(|&n| matches!(
                    parts[n as usize - 1],
                    Some(Part::Data | Part::Llc | Part::Ack)
                ) || parts[n as usize - 1] == Some(own)),
                "{file} session {session}: another connection's TCP"
            );
            numbers.iter().for_each(|&n| written[n as usize - 1] += 1);
        }
        for (n, p) in parts.iter().enumerate() {
            match p {
                Some(Part::Data) => assert_eq!(written[n], 1, "{file}: frame {} in one session", n + 1),
                Some(Part::Ack) => assert!(written[n] >= 1, "{file}: ACK frame {} written", n + 1),
                _ => {}
            }
        }
    }
}

/// Issue 11 item 3: `--write-filter` terms pick sessions, each written whole.
#[test]
fn write_filter_selects_whole_sessions() {
    let input = real_capture("many-conns.pcapng");
    let full = sessions(&input);
    let out = temp("filtered.pcap");
    for (filter, wanted) in [
        ("port=59950", &[1][..]),
        ("port=5000", &[0, 1, 2, 3]),
        ("ip=10.0.0.1", &[0, 1, 2, 3]),
        ("ip=10.9.9.9", &[]),
        ("qp=0x11", &[0, 1, 2, 3]),
        ("qp=18", &[]),
        ("session=2", &[2]),
        ("session=1,3", &[1, 3]),
        ("session=3,session=0", &[0, 3]),
        ("ends=10.0.0.1:5000-10.0.0.2:59964", &[2]),
        ("ends=10.0.0.2:59964-10.0.0.1:5000", &[2]),
        ("port=59950,session=1,2", &[1]),
    ] {
        let (ok, _, stderr) = read(
            &["--write", out.to_str().unwrap(), "--write-filter", filter],
            &input,
        );
        assert!(ok, "{filter}: {stderr}");
        let expected: Vec<_> = wanted.iter().map(|&i| full[i].clone()).collect();
        assert_eq!(sessions(&out), expected, "{filter}");
        assert_eq!(findings(&out), Vec::<Value>::new(), "{filter}");
    }
    // One session alone in its capture: no filter, and a port filter, give all of it.
    let echo = real_capture("smcr-v2-echo.pcapng");
    for filter in [
        &[][..],
        &["--write-filter", "port=5000"],
        &["--write-filter", "qp=17"],
    ] {
        let (ok, _, stderr) = read(&[&["--write", out.to_str().unwrap()], filter].concat(), &echo);
        assert!(ok, "{filter:?}: {stderr}");
        assert_eq!(events(&out), events(&echo), "{filter:?}");
    }
    let _ = std::fs::remove_file(out);
}

/// An empty or malformed filter is a usage error (exit code 2) naming the term.
#[test]
fn a_bad_write_filter_is_a_usage_error_naming_the_term() {
    let out = temp("never-written.pcap");
    for (filter, named) in [
        ("", "empty filter"),
        (" ", "empty filter"),
        ("proto=tcp", "`proto=tcp`: keys are"),
        ("qp=oops", "`qp=oops`"),
        ("port=65536", "`port=65536`"),
        ("ip=10.0.0", "`ip=10.0.0`"),
        ("session=-1", "`session=-1`"),
        ("session=", "`session=`"),
        ("ends=10.0.0.1:5000", "`ends=10.0.0.1:5000`"),
        ("ends=10.0.0.1-10.0.0.2:5", "`ends=10.0.0.1-10.0.0.2:5`"),
        ("port=5000,,", "``: expected KEY=VALUE"),
        ("5000", "`5000`: expected KEY=VALUE"),
    ] {
        let run = Command::new(env!("CARGO_BIN_EXE_smc-analyze"))
            .args([
                "read",
                "--no-ui",
                "--write",
                out.to_str().unwrap(),
                "--write-filter",
                filter,
            ])
            .arg(real_capture("many-conns.pcapng"))
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&run.stderr);
        assert_eq!(run.status.code(), Some(2), "{filter:?}: {stderr}");
        assert!(stderr.contains(named), "{filter:?}: {stderr}");
        assert!(!out.exists(), "{filter:?}: nothing is written");
    }
}

#[test]
fn a_file_cut_short_names_the_frame_and_keeps_the_events_before() {
    let whole = std::fs::read(real_capture("smcr-v2-echo.pcapng")).unwrap();
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
    let mut bytes = std::fs::read(real_capture("server-no-ueid.pcapng")).unwrap();
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
    let mut cut = frames(&real_capture("smcr-v2-echo.pcapng"));
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
    let mut frames = frames(&real_capture("smcr-v2-echo.pcapng"));
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
    std::fs::copy(real_capture("many-conns.pcapng"), &input).unwrap();
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
    let intact = std::fs::read(&input).unwrap() == std::fs::read(real_capture("many-conns.pcapng")).unwrap();
    for f in [&input, &symlink, &hardlink] {
        let _ = std::fs::remove_file(f);
    }
    assert!(intact, "the input was written over");
}

#[test]
fn write_to_stdout_puts_only_the_capture_there() {
    let out = Command::new(env!("CARGO_BIN_EXE_smc-analyze"))
        .args(["read", "--no-ui", "--write", "-"])
        .arg(real_capture("many-conns.pcapng"))
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    // pcap, nanosecond timestamps, little-endian: nothing but the capture.
    assert_eq!(out.stdout.get(..4), Some(&[0x4d, 0x3c, 0xb2, 0xa1][..]));
    let copy = temp("stdout-copy.pcap");
    std::fs::write(&copy, &out.stdout).unwrap();
    let (same, source) = (events(&copy), events(&real_capture("many-conns.pcapng")));
    let _ = std::fs::remove_file(&copy);
    assert_eq!(
        same, source,
        "the capture on stdout reads back as the input's sessions"
    );
}

#[test]
fn a_session_the_capture_does_not_have_is_an_error() {
    let (ok, stdout, stderr) = read(&["--no-ui", "--session", "9"], &real_capture("many-conns.pcapng"));
    assert!(!ok && stdout.is_empty(), "{stdout}");
    assert!(
        stderr.contains("no session 9: its sessions are 0 to 3"),
        "{stderr}"
    );
    let (ok, stdout, _) = read(&["--no-ui", "--session", "3"], &real_capture("many-conns.pcapng"));
    assert!(ok && stdout.starts_with("session 3 "), "{stdout}");
}

fn derived(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../corpora/derived")
        .join(name)
}

/// `smc-analyze read --no-ui ARGS...`: (success, stdout, stderr).
fn read_files(args: &[&Path]) -> (bool, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_smc-analyze"))
        .args(["read", "--no-ui"])
        .args(args)
        .output()
        .unwrap();
    let text = |b: Vec<u8>| String::from_utf8(b).unwrap();
    (out.status.success(), text(out.stdout), text(out.stderr))
}

/// (offset, length) of each pcapng block of `bytes` (little-endian, as the shipped captures are).
fn blocks(bytes: &[u8]) -> Vec<(usize, usize)> {
    let mut at = 0;
    std::iter::from_fn(|| {
        let len = u32::from_le_bytes(bytes.get(at + 4..at + 8)?.try_into().unwrap()) as usize;
        at += len;
        Some((at - len, len))
    })
    .collect()
}

#[test]
fn interfaces_of_different_link_types_and_snaplens_are_all_read() {
    // mergecap of a raw-IP capture and an Ethernet one with a 65535-byte snaplen (corpora/derived/README.md).
    let mixed = derived("mixed-links.pcapng");
    let (ok, stdout, stderr) = read_files(&[&mixed]);
    assert!(ok && stderr.is_empty(), "{stderr}");
    // Frame numbers as tshark gives them for this file.
    for line in [
        "     7     0.040204 [fd00::2]:52628 → [fd00::1]:5000 SMC [SMC-Decline]",
        "    26     0.131021 10.0.0.2:37456 → 10.0.0.1:5000 SMCv2 [SMC-Rv2-Proposal]",
        "    28     0.137481 10.0.0.1:5000 → 10.0.0.2:37456 SMCv2 [SMCv2-Decline]",
    ] {
        assert!(stdout.contains(line), "{line:?} in {stdout}");
    }
    // Its events are those of the two captures merged, each read on its own, in time order.
    let mut apart = events(&derived("ipv6-rawip.pcapng"));
    apart.extend(events(&derived("server-no-ueid-s65535.pcapng")));
    apart.sort_by(|a, b| a["time"].as_f64().partial_cmp(&b["time"].as_f64()).unwrap());
    let together = events(&mixed);
    assert_eq!(together, apart);
    // The interface of each frame, as `tshark -T fields -e frame.interface_id` lists them.
    let tshark = "0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1 0 0 0 1 1 0 0 1 1 1 0 0 0 1";
    let links: Vec<&str> = frames(&mixed)
        .iter()
        .map(|f| {
            if f.link == dissect::capture::LinkType::RAW {
                "0"
            } else {
                "1"
            }
        })
        .collect();
    assert_eq!(links.join(" "), tshark);
}

#[test]
fn several_files_read_as_their_mergecap_merge() {
    let parts = [
        derived("ipv6-rawip.pcapng"),
        derived("server-no-ueid-s65535.pcapng"),
    ];
    let merged = derived("mixed-links.pcapng");
    for flag in ["--no-ui", "--json"] {
        let run = |files: &[&Path]| {
            let out = Command::new(env!("CARGO_BIN_EXE_smc-analyze"))
                .args(["read", flag])
                .args(files)
                .output()
                .unwrap();
            assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
            String::from_utf8(out.stdout).unwrap()
        };
        let together = run(&[&parts[0], &parts[1]]);
        assert!(
            together.contains("session 1") || together.contains("\"session\":1"),
            "{together}"
        );
        assert_eq!(together, run(&[&merged]), "{flag}");
    }
    // --write takes the frames of both, as from the merged file.
    let (from_parts, from_merged) = (temp("parts.pcapng"), temp("merged.pcapng"));
    let write = |out: &Path, inputs: &[&Path]| {
        let (ok, _, stderr) = read_files(&[&[Path::new("--write"), out][..], inputs].concat());
        assert!(ok, "{stderr}");
        stderr
    };
    let said = write(&from_parts, &[&parts[0], &parts[1]]);
    assert!(said.contains("wrote 34 of 53 frames"), "{said}");
    write(&from_merged, &[&merged]);
    assert_eq!(
        std::fs::read(&from_parts).unwrap(),
        std::fs::read(&from_merged).unwrap()
    );
    // A damaged file among several is named, with its frame there.
    let cut = temp("cut-part.pcapng");
    let whole = std::fs::read(&parts[1]).unwrap();
    std::fs::write(&cut, &whole[..whole.len() - 100]).unwrap();
    let (ok, stdout, stderr) = read_files(&[&parts[0], &cut]);
    assert!(!ok && stdout.contains("[SMC-Decline]"), "{stdout}");
    let named = format!("{} frame 25: file cut short", cut.display());
    assert!(stderr.contains(&named), "{named:?} in {stderr}");
    for f in [from_parts, from_merged, cut] {
        let _ = std::fs::remove_file(f);
    }
}

#[test]
fn a_gzip_compressed_capture_reads_as_the_plain_one() {
    // gzip -9 -n of corpora/real/many-conns.pcapng.
    let gz = derived("many-conns.pcapng.gz");
    for flag in ["--no-ui", "--json"] {
        let (ok, stdout, stderr) = read(&[flag], &gz);
        assert!(ok && stderr.is_empty(), "{stderr}");
        let (_, plain, _) = read(&[flag], &real_capture("many-conns.pcapng"));
        assert!(stdout.to_lowercase().contains("confirm_rkey"), "{stdout}");
        assert_eq!(stdout, plain, "{flag}");
    }
    // --write reads it a second time.
    let out = temp("from-gz.pcapng");
    let (ok, _, stderr) = read(&["--write", out.to_str().unwrap()], &gz);
    assert!(ok, "{stderr}");
    assert_eq!(events(&out), events(&real_capture("many-conns.pcapng")));
    let _ = std::fs::remove_file(&out);
    // Cut short: the frames before are read, the frame where it broke is named.
    let bytes = std::fs::read(&gz).unwrap();
    let cut = temp("cut.pcapng.gz");
    std::fs::write(&cut, &bytes[..bytes.len() / 2]).unwrap();
    let (ok, stdout, stderr) = read(&[], &cut);
    let _ = std::fs::remove_file(&cut);
    assert!(!ok && stdout.contains("[SMC-Rv2-Accept]"), "{stdout}");
    assert!(stderr.contains(&format!("{}: frame ", cut.display())), "{stderr}");
}

#[test]
fn a_link_type_not_decoded_is_said_once_and_fails() {
    let mut bytes = std::fs::read(real_capture("client-no-rdma.pcapng")).unwrap();
    // The Interface Description Block's link type: LINKTYPE_NULL (BSD loopback).
    let (idb, _) = blocks(&bytes)[1];
    bytes[idb + 8..idb + 10].copy_from_slice(&0u16.to_le_bytes());
    let path = temp("null.pcapng");
    std::fs::write(&path, bytes).unwrap();
    let (ok, stdout, stderr) = read_files(&[&path]);
    let _ = std::fs::remove_file(&path);
    assert!(!ok, "nothing could be decoded");
    assert_eq!(
        stderr,
        format!(
            "smc-analyze: {}: frame 1: link type 0 (NULL) is not decoded (smc-analyze decodes \
             Ethernet, Linux cooked (SLL, SLL2), raw IP and InfiniBand): its frames are skipped\n",
            path.display()
        )
    );
    assert!(stdout.is_empty(), "{stdout}");
}

#[test]
fn an_empty_file_and_a_file_of_headers_only_say_so() {
    let empty = temp("empty.pcapng");
    std::fs::write(&empty, b"").unwrap();
    let (ok, stdout, stderr) = read_files(&[&empty]);
    assert!(!ok && stdout.is_empty());
    assert_eq!(
        stderr,
        format!(
            "smc-analyze: {}: empty file (no capture header)\n",
            empty.display()
        )
    );
    // The section and interface blocks of a real capture, without its frames.
    let bytes = std::fs::read(real_capture("client-no-rdma.pcapng")).unwrap();
    let (epb, _) = blocks(&bytes)[2];
    let headers = temp("headers.pcapng");
    std::fs::write(&headers, &bytes[..epb]).unwrap();
    let (ok, stdout, stderr) = read_files(&[&headers]);
    assert!(ok, "a capture of nothing, as tshark takes it: {stderr}");
    assert!(stdout.is_empty(), "{stdout}");
    assert_eq!(stderr, format!("smc-analyze: {}: no frames\n", headers.display()));
    for f in [empty, headers] {
        let _ = std::fs::remove_file(f);
    }
}

#[test]
fn write_keeps_each_interface_link_type_and_snaplen() {
    use engine::capture_file::Reader;
    let interfaces = |path: &Path| {
        let mut r = Reader::open(std::fs::File::open(path).unwrap()).unwrap();
        while r.advance().unwrap() {}
        let seen: Vec<_> = r.interfaces().iter().map(|i| (i.link, i.snaplen)).collect();
        seen
    };
    use dissect::capture::LinkType;
    for (input, expected) in [
        ("server-no-ueid-s65535.pcapng", &[(LinkType::ETHERNET, 65535)][..]),
        (
            "mixed-links.pcapng",
            &[(LinkType::RAW, 262144), (LinkType::ETHERNET, 65535)][..],
        ),
    ] {
        let out = temp(&format!("snaplen-{input}"));
        let (ok, _, stderr) = read(&["--write", out.to_str().unwrap()], &derived(input));
        assert!(ok, "{stderr}");
        assert_eq!(interfaces(&out), expected, "{input}");
        assert_eq!(events(&out), events(&derived(input)), "{input}");
        let _ = std::fs::remove_file(out);
    }
    // pcap: the snaplen in its header; one link type only, as editcap says.
    let out = temp("snaplen.pcap");
    let (ok, _, stderr) = read(
        &["--write", out.to_str().unwrap()],
        &derived("server-no-ueid-s65535.pcapng"),
    );
    assert!(ok, "{stderr}");
    assert_eq!(std::fs::read(&out).unwrap()[16..20], 65535u32.to_le_bytes());
    let (ok, _, stderr) = read(
        &["--write", out.to_str().unwrap()],
        &derived("mixed-links.pcapng"),
    );
    assert!(!ok, "{stderr}");
    assert!(
        stderr.contains("a pcap file holds one link type; write a .pcapng file"),
        "{stderr}"
    );
    let _ = std::fs::remove_file(out);
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
    let (ok, stdout, stderr) = read(&["-V"], &real_capture("smcr-v2-echo.pcapng"));
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
    let (ok, stdout, stderr) = read(&["--json", "-V"], &real_capture("smcr-v2-echo.pcapng"));
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
