//! Builds a large capture for the read benchmark (bench/read-vs-tshark): the
//! real captures' frames, session after session, each copy with its own IP
//! addresses and TCP ports ([`engine::synth::copy`]).
//!
//! usage: synth_capture OUT.pcap MEGABYTES CAPTURE...

use engine::frame::{Frame, FrameSource};
use engine::synth::copy;
use std::path::Path;
use sys::savefile::Savefile;
use sys::source::CaptureFiles;

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let [_, out, megabytes, inputs @ ..] = &args[..] else {
        eprintln!("usage: synth_capture OUT.pcap MEGABYTES CAPTURE...");
        std::process::exit(2);
    };
    let target = megabytes.parse::<u64>().expect("MEGABYTES") * 1_000_000;
    let sessions: Vec<Vec<Frame>> = inputs.iter().map(|p| read(Path::new(p))).collect();
    let mut file = Savefile::create(Path::new(out), sessions[0][0].link, 0).expect("create OUT");
    let (mut bytes, mut frames, mut n) = (24u64, 0u64, 0u32);
    while bytes < target {
        for session in &sessions {
            for frame in session {
                let f = copy(frame, n);
                bytes += 16 + f.data.len() as u64;
                frames += 1;
                file.write(&f, 0).expect("write");
            }
            n += 1;
        }
    }
    file.flush().expect("flush");
    println!("{frames} frames, {bytes} bytes, {n} sessions");
}

fn read(path: &Path) -> Vec<Frame> {
    let mut source = CaptureFiles::open(&[path]).expect("capture opens");
    std::iter::from_fn(|| source.next_frame())
        .map(|f| f.expect("whole file"))
        .collect()
}
