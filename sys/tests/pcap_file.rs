//! Capture files as `read` takes them: how far it is through one (its
//! progress line), a cut file, and the frames, which must be exactly the
//! frames libpcap gives.

use engine::frame::{Frame, FrameSource, Timestamp};
use std::path::{Path, PathBuf};
use sys::source::CaptureFiles;

fn corpus(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../corpora/real")
        .join(name)
}

#[test]
fn position_runs_from_the_start_to_the_file_size() {
    let path = corpus("smcr-v2-echo.pcapng");
    let size = std::fs::metadata(&path).unwrap().len();
    let mut file = CaptureFiles::open(&[&path]).unwrap();
    let mut seen = Vec::new();
    while let Some(frame) = file.next_frame() {
        frame.unwrap();
        let p = file.position().expect("a file's position");
        assert_eq!(p.total, size);
        seen.push(p.bytes);
    }
    assert_eq!(seen.len(), 186);
    assert!(seen.windows(2).all(|w| w[0] < w[1]), "{seen:?}");
    // Through the frame handed over, not the read-ahead: partway after the first frame.
    assert!(seen[0] > 0 && seen[0] < 1000, "{} of {size}", seen[0]);
    assert_eq!(seen.last(), Some(&size));
}

#[test]
fn a_truncated_file_reports_the_frame_and_keeps_what_came_before() {
    let whole = std::fs::read(corpus("smcr-v2-echo.pcapng")).expect("corpus");
    let cut = std::env::temp_dir().join(format!("smc-analyze-cut-{}.pcapng", std::process::id()));
    std::fs::write(&cut, &whole[..whole.len() / 2]).expect("temp file");
    let mut source = CaptureFiles::open(&[&cut]).expect("header intact");
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
    assert!(error.message.contains("cut short"), "{error}");
    assert!(frames > 10, "frames before the cut are read");
}

/// Every frame of `path` as libpcap reads it.
fn libpcap(path: &Path) -> Vec<Frame> {
    let mut capture = pcap::Capture::from_file_with_precision(path, pcap::Precision::Nano).unwrap();
    let link = dissect::capture::LinkType(capture.get_datalink().0 as u32);
    let mut frames = Vec::new();
    while let Ok(p) = capture.next_packet() {
        frames.push(Frame {
            number: frames.len() as u64 + 1,
            time: Timestamp {
                secs: p.header.ts.tv_sec,
                nanos: p.header.ts.tv_usec as u32,
            },
            data: p.data.to_vec(),
            orig_len: p.header.len as usize,
            link,
        });
    }
    frames
}

fn ours(path: &Path) -> Vec<Frame> {
    let mut source = CaptureFiles::open(&[path]).unwrap();
    std::iter::from_fn(|| source.next_frame())
        .map(Result::unwrap)
        .collect()
}

/// The shipped captures, and the derived ones libpcap can read (one link type each).
fn shipped() -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(corpus(""))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "pcapng"))
        .collect();
    files.sort();
    assert!(files.len() >= 11, "{files:?}");
    let derived = Path::new(env!("CARGO_MANIFEST_DIR")).join("../corpora/derived");
    files.extend(["ipv6-rawip.pcapng", "server-no-ueid-s65535.pcapng"].map(|f| derived.join(f)));
    files
}

#[test]
fn every_shipped_capture_gives_the_frames_libpcap_gives() {
    for path in shipped() {
        assert_eq!(ours(&path), libpcap(&path), "{}", path.display());
    }
}

#[test]
fn pcap_files_libpcap_writes_give_the_frames_libpcap_reads_back() {
    for path in shipped() {
        let frames = libpcap(&path);
        for precision in [pcap::Precision::Micro, pcap::Precision::Nano] {
            let out = std::env::temp_dir().join(format!("smc-analyze-libpcap-{}.pcap", std::process::id()));
            let link = pcap::Linktype(frames[0].link.0 as i32);
            let mut file = pcap::Capture::dead_with_precision(link, precision)
                .unwrap()
                .savefile(&out)
                .unwrap();
            for f in &frames {
                let header = pcap::PacketHeader {
                    ts: libc::timeval {
                        tv_sec: f.time.secs,
                        tv_usec: libc::suseconds_t::from(match precision {
                            pcap::Precision::Micro => f.time.nanos / 1000,
                            pcap::Precision::Nano => f.time.nanos,
                        }),
                    },
                    caplen: f.data.len() as u32,
                    len: f.orig_len as u32,
                };
                file.write(&pcap::Packet::new(&header, &f.data));
            }
            file.flush().unwrap();
            drop(file);
            let (a, b) = (ours(&out), libpcap(&out));
            let _ = std::fs::remove_file(&out);
            assert_eq!(a, b, "{} {precision:?}", path.display());
        }
    }
}
