//! `read --json` on every real capture against the schema in docs/json.md:
//! each object has exactly the keys the document lists for it.

mod real;

use real::real_captures;
use serde_json::{Map, Value};
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// One `###` section of docs/json.md (or the "Every object" table).
struct Section {
    protos: Vec<String>,
    msgs: Vec<String>,
    /// `key=value` the object must have, or `tree` for `-V` output.
    when: Option<String>,
    keys: Vec<String>,
}

impl Section {
    fn applies(&self, obj: &Map<String, Value>, verbose: bool) -> bool {
        let field = |k: &str| obj.get(k).and_then(Value::as_str).unwrap_or_default().to_string();
        let any = |list: &[String], v: String| list.iter().any(|x| x == "*" || *x == v);
        any(&self.protos, field("proto"))
            && any(&self.msgs, field("msg"))
            && match self.when.as_deref() {
                None => true,
                Some("tree") => verbose && ["clc", "llc", "cdc"].contains(&field("proto").as_str()),
                Some(cond) => {
                    let (k, v) = cond.split_once('=').expect("condition is key=value");
                    field(k) == v
                }
            }
    }
}

fn backticked(line: &str) -> Vec<&str> {
    line.split('`').skip(1).step_by(2).collect()
}

/// Sections with their key tables, parsed from the document.
fn schema() -> Vec<Section> {
    let doc = std::fs::read_to_string(repo().join("docs/json.md")).expect("docs/json.md");
    let mut sections = vec![Section {
        protos: vec!["*".into()],
        msgs: vec!["*".into()],
        when: None,
        keys: vec![],
    }];
    for line in doc.lines() {
        if let Some(head) = line.strip_prefix("### ") {
            let t = backticked(head);
            let split = |s: &str| s.split('|').map(String::from).collect();
            sections.push(Section {
                protos: split(t[0]),
                msgs: split(t[1]),
                when: t.get(2).map(|s| s.to_string()),
                keys: vec![],
            });
        } else if line.starts_with("| `") {
            let key = backticked(line)[0].to_string();
            sections.last_mut().unwrap().keys.push(key);
        }
    }
    sections
}

fn read_json(capture: &Path, verbose: bool) -> Vec<Map<String, Value>> {
    let mut args = vec!["read", "--json"];
    if verbose {
        args.push("-V");
    }
    let out = Command::new(env!("CARGO_BIN_EXE_smc-analyze"))
        .args(&args)
        .arg(capture)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}: {}",
        capture.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| match serde_json::from_str(l) {
            Ok(Value::Object(o)) => o,
            other => panic!("{}: not a JSON object: {l}: {other:?}", capture.display()),
        })
        .collect()
}

#[test]
fn every_object_of_every_real_capture_has_exactly_the_documented_keys() {
    let schema = schema();
    assert!(schema.len() > 20, "docs/json.md lost its sections");
    let mut protos = BTreeSet::new();
    for capture in real_captures() {
        for verbose in [false, true] {
            for obj in read_json(&capture, verbose) {
                let expected: BTreeSet<&str> = schema
                    .iter()
                    .filter(|s| s.applies(&obj, verbose))
                    .flat_map(|s| s.keys.iter().map(String::as_str))
                    .collect();
                let got: BTreeSet<&str> = obj.keys().map(String::as_str).collect();
                assert_eq!(got, expected, "{}: {obj:?}", capture.display());
                assert!(obj["frame"].as_u64().is_some_and(|f| f >= 1), "{obj:?}");
                assert!(obj["time"].is_f64(), "{obj:?}");
                let msg = obj["msg"].as_str().unwrap();
                assert!(
                    msg.chars().all(|c| c.is_ascii_lowercase() || c == '_'),
                    "msg {msg}"
                );
                protos.insert(obj["proto"].as_str().unwrap().to_string());
            }
        }
    }
    assert_eq!(
        protos,
        BTreeSet::from(["cdc", "clc", "llc", "rdma", "session", "tcp_option"].map(String::from))
    );
}

#[test]
fn declines_carry_a_named_diagnosis() {
    let declines: Vec<_> = real_captures()
        .iter()
        .flat_map(|c| read_json(c, false))
        .filter(|o| o["msg"] == "decline")
        .collect();
    assert!(
        !declines.is_empty(),
        "the real captures hold Declines (server-no-ueid)"
    );
    for d in declines {
        let code = d["diagnosis"]["code"].as_str().unwrap();
        assert!(code.starts_with("0x") && code.len() == 10, "{code}");
        assert_ne!(d["diagnosis"]["name"], "unknown", "{d:?}");
    }
}
