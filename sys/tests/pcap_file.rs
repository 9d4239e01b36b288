//! Capture files through libpcap: how far `read` is through one (its
//! progress line), a cut file, and the engine tests' own small reader, which
//! must give exactly the frames libpcap gives.

// The reader the engine's tests use, so that the sans-IO core needs no libpcap.
#[path = "../../engine/tests/common/capture_file.rs"]
#[allow(dead_code)]
mod capture_file;

use engine::frame::{Frame, FrameSource};
use std::path::{Path, PathBuf};
use sys::source::PcapFile;

fn corpus(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../corpora/real")
        .join(name)
}

#[test]
fn position_runs_from_the_start_to_the_file_size() {
    let path = corpus("smcr-v2-echo.pcapng");
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

#[test]
fn a_truncated_file_reports_the_frame_and_keeps_what_came_before() {
    let whole = std::fs::read(corpus("smcr-v2-echo.pcapng")).expect("corpus");
    let cut = std::env::temp_dir().join(format!("smc-analyze-cut-{}.pcapng", std::process::id()));
    std::fs::write(&cut, &whole[..whole.len() / 2]).expect("temp file");
    let mut source = PcapFile::open(&cut).expect("header intact");
    let (mut frames, mut error) = (0, None);
    while let Some(frame) = source.next_frame() {
        match frame {
            Ok(_) => frames += 1,
            Err(e) => error = Some(e),
        }
    }
    let _ = std::fs::remove_file(&cut);
    let error = error.expect("the cut is reported");
    assert_eq!(error.frame, frames + 1);
    assert!(frames > 10, "frames before the cut are read");
}

#[test]
fn the_engine_tests_reader_gives_the_frames_libpcap_gives() {
    let mut files: Vec<PathBuf> = std::fs::read_dir(corpus(""))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "pcapng"))
        .collect();
    files.sort();
    assert!(files.len() >= 11, "{files:?}");
    for path in files {
        let mut source = PcapFile::open(&path).unwrap();
        let libpcap: Vec<Frame> = std::iter::from_fn(|| source.next_frame())
            .map(Result::unwrap)
            .collect();
        let ours = capture_file::frames(&std::fs::read(&path).unwrap());
        assert_eq!(ours, libpcap, "{}", path.display());
    }
}
