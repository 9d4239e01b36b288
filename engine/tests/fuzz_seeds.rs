//! The `session` fuzz target's seeds (corpora/fuzz/session) run through its
//! harness on every test run: a panic the fuzzer once found stays found.

#[test]
fn session_fuzz_seeds_run_clean() {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../corpora/fuzz/session");
    let mut n = 0;
    for entry in std::fs::read_dir(dir).expect("seed directory") {
        let bytes = std::fs::read(entry.expect("entry").path()).expect("seed");
        engine::oracle::check_session(&bytes);
        n += 1;
    }
    assert!(n >= 2, "seeds present");
}
