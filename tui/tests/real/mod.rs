//! The real captures the lab shipped, for the tests that run over all of them.

use std::path::{Path, PathBuf};

/// corpora/real/*.pcapng, sorted.
pub fn real_captures() -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../corpora/real");
    let mut all: Vec<_> = std::fs::read_dir(dir)
        .expect("corpora/real")
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "pcapng"))
        .collect();
    all.sort();
    assert!(all.len() >= 10, "the real captures are missing");
    all
}
