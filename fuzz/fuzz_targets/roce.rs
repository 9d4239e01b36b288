#![no_main]
// RoCEv2 UDP payloads and RoCEv1 packets: re-encoding, and snaplen cuts read as truncated.
libfuzzer_sys::fuzz_target!(|data: &[u8]| dissect::oracle::check_roce(data));
