//! Replay through the kernels' own SMC stacks: `smc-analyze replay` plays
//! the client end of each captured session and an agent on the peer host
//! (`smc-analyze replay-agent`) plays the server end. The two talk over a
//! plain TCP control connection ([`control`]): the replay sends the agent
//! the capture itself, both derive the same scripts from it
//! (`engine::replay`), and per session the agent listens when asked, plays
//! its end and reports what it did and what smc_diag says.

pub mod agent;
pub mod control;
pub mod driver;
pub mod play;
pub mod recording;
pub mod verdict;

use std::path::Path;

use engine::frame::FrameSource;
use engine::replay::{Observed, Observer};

use crate::source::CaptureFiles;

/// Sessions one replay plays at most: each has its own thread on both hosts.
pub const MAX_SESSIONS: usize = 1024;
/// The largest capture the replay sends to its agent.
pub const MAX_CAPTURE: u64 = 256 << 20;

/// Every session of capture file `path`; the frames it could not read are
/// counted in `Observed::problems` and the first of them described.
pub fn observe(path: &Path) -> Result<(Observed, Option<String>), String> {
    let mut files = CaptureFiles::open(&[path])?;
    let mut observer = Observer::new();
    let mut first_error = None;
    let mut errors = 0;
    while let Some(r) = files.next_frames_with(4096, &mut |f| observer.frame(&f)) {
        if let Err(e) = r {
            errors += 1;
            first_error
                .get_or_insert_with(|| format!("{}: frame {}: {}", path.display(), e.frame, e.message));
        }
    }
    let mut observed = observer.finish();
    observed.problems += errors;
    Ok((observed, first_error))
}
