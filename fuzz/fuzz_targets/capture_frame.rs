#![no_main]
// Link decode of any frame on every supported link type, cut or whole.
libfuzzer_sys::fuzz_target!(|data: &[u8]| dissect::oracle::check_capture_frame(data));
