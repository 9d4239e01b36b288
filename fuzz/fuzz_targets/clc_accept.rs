#![no_main]
// CLC Accept (SMC-R/SMC-D, v1/v2, first contact): re-encoding must parse back equal.
libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    dissect::oracle::check_reencode::<dissect::clc::AcceptConfirm>(data);
});
