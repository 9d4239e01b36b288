#![no_main]
// CLC Decline v1 and v2: re-encoding must parse back equal.
libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    dissect::oracle::check_reencode::<dissect::clc::Decline>(data);
});
