#![no_main]
// CLC Confirm (seeded with Confirms: GID list, FCE forms): re-encoding must parse back equal.
libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    dissect::oracle::check_reencode::<dissect::clc::AcceptConfirm>(data);
});
