//! A progress line on stderr for long capture files, for a terminal only:
//! frames and bytes done of the file's size, redrawn a few times a second.

use engine::source::Position;
use std::io::Write;
use std::time::{Duration, Instant};

/// Frames between two looks at the clock: keeps the cost off the per-frame path.
const CHECK_EVERY: u64 = 512;
const REDRAW: Duration = Duration::from_millis(250);

pub struct Progress {
    started: Instant,
    last_draw: Instant,
    /// Something is on the line that must be erased before other output.
    drawn: bool,
}

impl Default for Progress {
    fn default() -> Self {
        let now = Instant::now();
        Progress {
            started: now,
            last_draw: now,
            drawn: false,
        }
    }
}

impl Progress {
    /// Frame `number` is done; `position` says how far through the file that is.
    pub fn frame(&mut self, number: u64, position: impl FnOnce() -> Option<Position>) {
        if number % CHECK_EVERY != 0 || self.last_draw.elapsed() < REDRAW {
            return;
        }
        self.last_draw = Instant::now();
        let secs = self.started.elapsed().as_secs_f64();
        let line = match position() {
            Some(p) => format!(
                "{number} frames, {} of {} ({:.0}%), {secs:.0} s",
                megabytes(p.bytes),
                megabytes(p.total),
                p.bytes as f64 * 100.0 / p.total.max(1) as f64
            ),
            None => format!("{number} frames, {secs:.0} s"),
        };
        // The cursor stays at the line's start so that other output overwrites it.
        let mut err = std::io::stderr().lock();
        let _ = write!(err, "{line}\x1b[K\r");
        let _ = err.flush();
        self.drawn = true;
    }

    /// Erases the line, if drawn.
    pub fn clear(&mut self) {
        if std::mem::take(&mut self.drawn) {
            let mut err = std::io::stderr().lock();
            let _ = write!(err, "\x1b[K");
            let _ = err.flush();
        }
    }
}

fn megabytes(bytes: u64) -> String {
    format!("{:.1} MB", bytes as f64 / 1e6)
}
