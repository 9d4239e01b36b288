#![no_main]
// Sequences of frames through the whole pipeline: no panic, reassembly within its caps.
libfuzzer_sys::fuzz_target!(|data: &[u8]| engine::oracle::check_pipeline(data));
