#![no_main]
// Any LLC message, v1 and v2 in either length byte order: re-encoding must parse back equal.
libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    dissect::oracle::check_reencode::<dissect::llc::LlcMessage>(data);
});
