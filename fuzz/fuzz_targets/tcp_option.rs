#![no_main]
// TCP options blocks: the walk and the SMC option finder agree; the option re-encodes.
libfuzzer_sys::fuzz_target!(|data: &[u8]| dissect::oracle::check_tcp_options(data));
