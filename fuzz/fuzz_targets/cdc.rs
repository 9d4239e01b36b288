#![no_main]
// SMC-R and SMC-D CDC: re-encoding must parse back equal.
libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    dissect::oracle::check_reencode::<dissect::cdc::SmcrCdc>(data);
    dissect::oracle::check_reencode::<dissect::cdc::SmcdCdc>(data);
});
