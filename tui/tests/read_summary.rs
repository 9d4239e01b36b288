//! `read --json` on the real captures: each session summary agrees with the
//! messages it summarises (their names, their times, the order they are
//! printed in), and times keep every digit the capture has.

mod real;

use engine::frame::{Frame, FrameSource};
use real::{real_capture, real_captures};
use serde_json::Value;
use std::collections::HashMap;
use std::path::Path;
use std::process::Command;
use sys::savefile::Savefile;
use sys::source::CaptureFiles;

/// The JSON objects `read --json` prints, in order, with the text of each
/// `time` as printed (a JSON number read into an f64 would round it).
fn json_lines(file: &Path) -> Vec<(Value, String)> {
    let out = Command::new(env!("CARGO_BIN_EXE_smc-analyze"))
        .args(["read", "--json"])
        .arg(file)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| {
            // No nested object has a `time` (no -V trees here): the first is the line's.
            let (_, rest) = l.split_once("\"time\":").expect("every object has a time");
            let time = rest.split([',', '}']).next().unwrap().to_string();
            (serde_json::from_str(l).unwrap(), time)
        })
        .collect()
}

/// Seconds between two printed times, exactly (nanoseconds).
fn nanos(time: &str) -> i128 {
    let (s, frac) = time.split_once('.').unwrap_or((time, ""));
    let frac = format!("{frac:0<9}");
    s.parse::<i128>().unwrap() * 1_000_000_000 + frac[..9].parse::<i128>().unwrap()
}

fn ms_between(a: &str, b: &str) -> f64 {
    // Whole microseconds, as the summary measures.
    ((nanos(b) - nanos(a)) / 1000) as f64 / 1000.0
}

#[test]
fn the_summarys_clc_list_names_messages_as_their_own_lines_do() {
    let mut checked = 0;
    for file in real_captures() {
        let lines = json_lines(&file);
        let msg_at: HashMap<u64, &Value> = lines
            .iter()
            .filter(|(v, _)| v["proto"] == "clc")
            .map(|(v, _)| (v["frame"].as_u64().unwrap(), &v["msg"]))
            .collect();
        for (s, _) in lines.iter().filter(|(v, _)| v["proto"] == "session") {
            for c in s["clc"].as_array().unwrap() {
                let frame = c["frame"].as_u64().unwrap();
                assert_eq!(&c["msg"], msg_at[&frame], "{}: frame {frame}", file.display());
                checked += 1;
            }
        }
    }
    assert!(checked > 30, "only {checked} CLC messages in summaries");
}

#[test]
fn handshake_times_run_from_the_proposal_and_from_the_syn() {
    let (mut clc, mut tcp) = (0, 0);
    for file in real_captures() {
        let lines = json_lines(&file);
        let time_at: HashMap<u64, &str> = lines
            .iter()
            .filter(|(v, _)| v["proto"] != "session" && v["proto"] != "finding")
            .filter_map(|(v, t)| Some((v["frame"].as_u64()?, t.as_str())))
            .collect();
        for (s, _) in lines.iter().filter(|(v, _)| v["proto"] == "session") {
            let what = format!("{}: session {}", file.display(), s["session"]);
            let list = s["clc"].as_array().unwrap();
            let at = |msg: &str| {
                list.iter()
                    .find(|c| c["msg"] == msg)
                    .map(|c| time_at[&c["frame"].as_u64().unwrap()])
            };
            let settled = match s["outcome"].as_str().unwrap() {
                "smc-r" | "smc-d" => at("confirm"),
                "fallback" => at("decline"),
                _ => None,
            };
            match (at("proposal"), settled) {
                (Some(p), Some(end)) => {
                    assert_eq!(s["handshake_ms"].as_f64(), Some(ms_between(p, end)), "{what}");
                    clc += 1;
                }
                _ => assert!(s["handshake_ms"].is_null(), "{what}: no CLC handshake, yet {s}"),
            }
            // The first SYN and SYN-ACK between the session's ends.
            let syn = |msg: &str, from: &Value, to: &Value| {
                lines.iter().find(|(v, _)| {
                    v["proto"] == "tcp_option" && v["msg"] == msg && v["src"] == *from && v["dst"] == *to
                })
            };
            let (client, server) = (&s["client"], &s["server"]);
            match (syn("syn", client, server), syn("syn_ack", server, client)) {
                (Some((_, a)), Some((_, b))) => {
                    assert_eq!(s["tcp_handshake_ms"].as_f64(), Some(ms_between(a, b)), "{what}");
                    tcp += 1;
                }
                _ => assert!(s["tcp_handshake_ms"].is_null(), "{what}"),
            }
        }
    }
    assert!(
        clc > 10 && tcp > 10,
        "{clc} CLC and {tcp} TCP handshakes measured"
    );
}

#[test]
fn a_summary_follows_every_cdc_message_it_counts() {
    let mut checked = 0;
    for file in real_captures() {
        let lines = json_lines(&file);
        for (i, (s, _)) in lines.iter().enumerate() {
            if s["proto"] != "session" || s["outcome"] != "smc-r" {
                continue;
            }
            // The alert tokens of the connection's RMBs: its CDC messages carry one.
            let tokens: Vec<&Value> = s["rmb"]
                .as_array()
                .unwrap()
                .iter()
                .map(|r| &r["alert_token"])
                .collect();
            let first = s["frame"].as_u64().unwrap();
            // Its link group may have several links: the CDC's addresses need not be the summary's gids.
            let before = lines[..i]
                .iter()
                .filter(|(v, _)| {
                    v["proto"] == "cdc"
                        && v["frame"].as_u64().unwrap() >= first
                        && tokens.contains(&&v["token"])
                })
                .count() as u64;
            let counted = s["cdc"][0].as_u64().unwrap() + s["cdc"][1].as_u64().unwrap();
            assert!(
                before >= counted,
                "{}: session {} counts {counted} CDC messages, {before} printed before it",
                file.display(),
                s["session"],
            );
            checked += counted;
        }
    }
    assert!(checked > 50, "only {checked} CDC messages checked");
}

#[test]
fn json_times_keep_the_nanoseconds_of_a_nanosecond_capture() {
    let echo = real_capture("smcr-v2-echo.pcapng");
    let mut source = CaptureFiles::open(&[echo]).unwrap();
    let frames: Vec<Frame> = std::iter::from_fn(|| source.next_frame())
        .map(|f| f.unwrap())
        .collect();
    // The lab captures count microseconds: give every frame nanoseconds of its own.
    let file = std::env::temp_dir().join(format!("smc-analyze-ns-{}.pcapng", std::process::id()));
    let mut out = Savefile::create(&file, frames[0].link, 0).unwrap();
    let mut want = HashMap::new();
    for f in &frames {
        let mut f = f.clone();
        f.time.nanos = f.time.nanos / 1000 * 1000 + (f.number % 997) as u32 + 1;
        want.insert(f.number, format!("{}.{:09}", f.time.secs, f.time.nanos));
        out.write(&f, 0).unwrap();
    }
    out.flush().unwrap();
    drop(out);
    let lines = json_lines(&file);
    std::fs::remove_file(&file).unwrap();
    let events: Vec<_> = lines.iter().filter(|(v, _)| v["proto"] != "session").collect();
    assert!(events.len() > 10);
    for (v, time) in events {
        let frame = v["frame"].as_u64().unwrap();
        assert_eq!(time, &want[&frame], "frame {frame}");
    }
}
