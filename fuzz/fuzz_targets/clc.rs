#![no_main]
// Bytes at the start of a CLC stream: framing, lax and strict parses agree; messages re-encode.
libfuzzer_sys::fuzz_target!(|data: &[u8]| dissect::oracle::check_clc_stream(data));
