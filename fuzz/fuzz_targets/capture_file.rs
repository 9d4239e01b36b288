#![no_main]
// The capture file reader (pcap and pcapng) on any bytes.
libfuzzer_sys::fuzz_target!(|data: &[u8]| engine::oracle::check_capture_file(data));
