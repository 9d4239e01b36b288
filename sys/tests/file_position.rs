//! How far `read` is through a real capture, as its progress line shows it.

use engine::frame::FrameSource;

use std::path::Path;
use sys::source::PcapFile;

#[test]
fn position_runs_from_the_start_to_the_file_size() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../corpora/real/smcr-v2-echo.pcapng");
    let size = std::fs::metadata(&path).unwrap().len();
    let mut file = PcapFile::open(&path).unwrap();
    let mut seen = Vec::new();
    while let Some(frame) = file.next_frame() {
        frame.unwrap();
        let p = file
            .position()
            .expect("offset of libpcap's descriptor in /proc/self/fdinfo");
        assert_eq!(p.total, size);
        seen.push(p.bytes);
    }
    assert_eq!(seen.len(), 186);
    assert!(seen.windows(2).all(|w| w[0] <= w[1]), "{seen:?}");
    // libpcap reads in blocks: partway after the first frame, all of it at the end.
    assert!(seen[0] > 0 && seen[0] < size, "{} of {size}", seen[0]);
    assert_eq!(seen.last(), Some(&size));
}
