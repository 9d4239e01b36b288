//! Parse speed per message family, on the real message bytes in
//! corpora/vectors (captured from Linux kernels in the lab).
//!
//! `cargo bench -p smc-dissect` measures; run without `--bench` (as
//! `cargo test --all-targets` does) it parses each vector once as a smoke check.

use dissect::wire::Wire;
use std::hint::black_box;
use std::path::Path;
use std::time::{Duration, Instant};

struct Family {
    name: &'static str,
    dir: &'static str,
    parse: fn(&[u8]) -> bool,
}

fn ok<T: Wire>(bytes: &[u8]) -> bool {
    black_box(T::parse(black_box(bytes))).is_ok()
}

const FAMILIES: &[Family] = &[
    Family { name: "llc", dir: "llc", parse: ok::<dissect::llc::LlcMessage> },
    Family { name: "cdc", dir: "cdc", parse: ok::<dissect::cdc::SmcrCdc> },
];

fn vectors(dir: &str) -> Vec<Vec<u8>> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../corpora/vectors").join(dir);
    let mut files: Vec<_> = std::fs::read_dir(&root)
        .unwrap_or_else(|e| panic!("{}: {e}", root.display()))
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "bin"))
        .collect();
    files.sort();
    files.iter().map(|p| std::fs::read(p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))).collect()
}

fn main() {
    let measure = std::env::args().any(|a| a == "--bench");
    for family in FAMILIES {
        let messages = vectors(family.dir);
        assert!(!messages.is_empty(), "no vectors for {}", family.name);
        for m in &messages {
            assert!((family.parse)(m), "{}: a real vector does not parse", family.name);
        }
        if !measure {
            continue;
        }
        let bytes: usize = messages.iter().map(Vec::len).sum();
        let (mut rounds, start) = (0u64, Instant::now());
        while start.elapsed() < Duration::from_secs(2) {
            for m in &messages {
                (family.parse)(m);
            }
            rounds += 1;
        }
        let secs = start.elapsed().as_secs_f64();
        let msgs = rounds as f64 * messages.len() as f64;
        println!(
            "{:<14} {:>4} vectors  {:>8.1} ns/msg  {:>7.2} M msg/s  {:>8.1} MB/s",
            family.name,
            messages.len(),
            secs * 1e9 / msgs,
            msgs / secs / 1e6,
            rounds as f64 * bytes as f64 / secs / 1e6,
        );
    }
}
