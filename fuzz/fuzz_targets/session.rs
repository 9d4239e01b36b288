#![no_main]
// The session engine over arbitrary message sequences: no panic, consistent findings.
libfuzzer_sys::fuzz_target!(|data: &[u8]| engine::oracle::check_session(data));
