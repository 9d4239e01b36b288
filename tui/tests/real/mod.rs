//! The real captures the lab shipped, for the tests that run over all of them.

use std::path::{Path, PathBuf};

fn dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../corpora/real")
}

/// corpora/real/NAME.
#[allow(dead_code)] // each test binary uses what it needs of this module
pub fn real_capture(name: &str) -> PathBuf {
    dir().join(name)
}

/// corpora/real/*.pcapng, sorted.
#[allow(dead_code)]
pub fn real_captures() -> Vec<PathBuf> {
    let dir = dir();
    let mut all: Vec<_> = std::fs::read_dir(dir)
        .expect("corpora/real")
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "pcapng"))
        .collect();
    all.sort();
    assert!(all.len() >= 10, "the real captures are missing");
    all
}
