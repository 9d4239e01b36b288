#![no_main]
// Replay's scripts, digests and setup from any capture file (the agent reads one off the network).
libfuzzer_sys::fuzz_target!(|data: &[u8]| engine::oracle::check_replay(data));
