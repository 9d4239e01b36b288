#![no_main]
// CLC Proposal v1 (legacy and Linux forms) and v2: re-encoding must parse back equal.
libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    dissect::oracle::check_reencode::<dissect::clc::Proposal>(data);
});
