//! Inputs for tests, fuzz targets and the peer fuzzer, in one place (feature
//! `proptest`): a proptest strategy for every message and sub-part, each
//! making values that emit to bytes which parse back equal, and the real
//! message vectors of corpora/vectors with a hex reader for inline ones.

pub mod cdc;
pub mod clc;
pub mod llc;
pub mod roce;
pub mod tcp_option;

use crate::wire::ByteOrder;
use proptest::prelude::*;
use std::path::{Path, PathBuf};

/// Either byte order, for fields Linux writes in the sender's host order.
pub fn byte_order() -> impl Strategy<Value = ByteOrder> {
    prop_oneof![Just(ByteOrder::Big), Just(ByteOrder::Little)]
}

/// `Some` of `s` when `on`, else `None`: a part a flag or layout calls for.
pub fn maybe<T: core::fmt::Debug + Clone + 'static>(
    on: bool,
    s: impl Strategy<Value = T> + 'static,
) -> BoxedStrategy<Option<T>> {
    if on {
        s.prop_map(Some).boxed()
    } else {
        Just(None).boxed()
    }
}

/// Bytes from hex digits; whitespace between them is ignored. Panics on
/// anything else: it reads the vectors written into tests.
pub fn hex(text: &str) -> Vec<u8> {
    let digits: Vec<u8> = text.bytes().filter(|b| !b.is_ascii_whitespace()).collect();
    digits
        .chunks(2)
        .map(|pair| {
            let pair = core::str::from_utf8(pair).ok().filter(|p| p.len() == 2);
            pair.and_then(|p| u8::from_str_radix(p, 16).ok())
                .unwrap_or_else(|| panic!("not hex: {text}"))
        })
        .collect()
}

/// Every vector of one family in corpora/vectors (see its INDEX.md), sorted
/// by name. The corpus ships with the repository, so a missing or empty
/// family panics rather than giving nothing to test.
pub fn vectors(family: &str) -> Vec<(PathBuf, Vec<u8>)> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../corpora/vectors")
        .join(family);
    let mut paths: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.expect("directory entry").path())
        .filter(|p| p.extension().is_some_and(|x| x == "bin"))
        .collect();
    paths.sort();
    assert!(!paths.is_empty(), "{} has no vectors", dir.display());
    paths
        .into_iter()
        .map(|p| {
            let bytes = std::fs::read(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()));
            (p, bytes)
        })
        .collect()
}
