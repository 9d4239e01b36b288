#![no_main]
// The replay's control lines (read off the network by the agent and the replay).
libfuzzer_sys::fuzz_target!(|data: &[u8]| engine::oracle::check_replay_control(data));
