//! Parse speed per message family, on the real message bytes in
//! corpora/vectors (captured from Linux kernels in the lab).
//!
//! `cargo bench -p smc-dissect` measures; run without `--bench` (as
//! `cargo test --all-targets` does) it parses each vector once as a smoke check.

use dissect::wire::Wire;
use std::hint::black_box;
use std::time::{Duration, Instant};

struct Family {
    name: &'static str,
    dir: &'static str,
    parse: fn(&[u8]) -> bool,
}

fn ok<T: Wire>(bytes: &[u8]) -> bool {
    black_box(T::parse(black_box(bytes))).is_ok()
}

fn tcp_options(block: &[u8]) -> bool {
    dissect::tcp_option::find_smc_option(black_box(block)).is_ok()
}

/// The vectors are whole Ethernet frames; RoCEv2 starts after Ethernet, IPv4 and UDP.
fn roce_v2(frame: &[u8]) -> bool {
    frame.get(42..).is_some_and(ok::<dissect::roce::RoceV2>)
}

const FAMILIES: &[Family] = &[
    Family {
        name: "tcp_option",
        dir: "tcp_option",
        parse: tcp_options,
    },
    Family {
        name: "clc",
        dir: "clc",
        parse: ok::<dissect::clc::ClcMessage>,
    },
    Family {
        name: "llc",
        dir: "llc",
        parse: ok::<dissect::llc::LlcMessage>,
    },
    Family {
        name: "cdc",
        dir: "cdc",
        parse: ok::<dissect::cdc::SmcrCdc>,
    },
    Family {
        name: "roce",
        dir: "roce",
        parse: roce_v2,
    },
];

fn main() {
    let measure = std::env::args().any(|a| a == "--bench");
    for family in FAMILIES {
        let messages: Vec<Vec<u8>> = dissect::gen::vectors(family.dir)
            .into_iter()
            .map(|(_, m)| m)
            .collect();
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
