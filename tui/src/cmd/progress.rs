//! A progress line on stderr for long capture files, for a terminal only:
//! frames and bytes done of the file's size, redrawn a few times a second.

use engine::frame::Position;
use std::io::{IsTerminal, Write};
use std::time::{Duration, Instant};

/// Also the delay before the first drawing: short files show nothing.
const REDRAW: Duration = Duration::from_millis(250);

pub struct Progress<W: Write = std::io::Stderr> {
    started: Instant,
    last_draw: Instant,
    /// Something is on the line that must be erased before other output.
    drawn: bool,
    /// Lines on stdout land on the same terminal.
    stdout_shares_it: bool,
    out: W,
}

impl Default for Progress {
    fn default() -> Self {
        Progress {
            stdout_shares_it: std::io::stdout().is_terminal(),
            ..Progress::new(std::io::stderr(), Instant::now())
        }
    }
}

impl<W: Write> Progress<W> {
    fn new(out: W, now: Instant) -> Self {
        Progress {
            started: now,
            last_draw: now,
            drawn: false,
            stdout_shares_it: false,
            out,
        }
    }

    /// Frames up to `number` are done (called per batch of frames, which keeps
    /// the clock off the per-frame path); `position` says how far through the
    /// file that is.
    pub fn frames_done(&mut self, number: u64, position: impl FnOnce() -> Option<Position>) {
        self.tick(number, Instant::now(), position);
    }

    fn tick(&mut self, number: u64, now: Instant, position: impl FnOnce() -> Option<Position>) {
        if now.duration_since(self.last_draw) < REDRAW {
            return;
        }
        self.last_draw = now;
        let secs = now.duration_since(self.started).as_secs_f64();
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
        let _ = write!(self.out, "{line}\x1b[K\r");
        let _ = self.out.flush();
        self.drawn = true;
    }

    /// Before a line on stdout: erases the progress line if both share a terminal.
    pub fn before_stdout(&mut self) {
        if self.stdout_shares_it {
            self.clear();
        }
    }

    /// Erases the line, if drawn.
    pub fn clear(&mut self) {
        if std::mem::take(&mut self.drawn) {
            let _ = write!(self.out, "\x1b[K");
            let _ = self.out.flush();
        }
    }
}

fn megabytes(bytes: u64) -> String {
    format!("{:.1} MB", bytes as f64 / 1e6)
}

#[cfg(test)]
mod tests {
    use super::*;

    const MS: Duration = Duration::from_millis(1);

    fn drawn(p: &mut Progress<Vec<u8>>) -> String {
        String::from_utf8(std::mem::take(&mut p.out)).unwrap()
    }

    #[test]
    fn draws_after_a_quarter_second_then_at_most_four_times_a_second() {
        let t0 = Instant::now();
        let mut p = Progress::new(Vec::new(), t0);
        let at = |bytes| {
            move || {
                Some(Position {
                    bytes,
                    total: 4_000_000,
                })
            }
        };
        p.tick(512, t0 + 100 * MS, at(500_000));
        assert_eq!(drawn(&mut p), "", "a short file shows nothing");
        p.tick(1024, t0 + 250 * MS, at(1_000_000));
        assert_eq!(drawn(&mut p), "1024 frames, 1.0 MB of 4.0 MB (25%), 0 s\x1b[K\r");
        p.tick(1536, t0 + 400 * MS, at(1_500_000));
        assert_eq!(drawn(&mut p), "");
        p.tick(2048, t0 + 2600 * MS, at(2_000_000));
        assert_eq!(drawn(&mut p), "2048 frames, 2.0 MB of 4.0 MB (50%), 3 s\x1b[K\r");
        p.tick(2560, t0 + 2900 * MS, || None);
        assert_eq!(drawn(&mut p), "2560 frames, 3 s\x1b[K\r");
    }

    #[test]
    fn clearing_erases_only_what_was_drawn() {
        let t0 = Instant::now();
        let mut p = Progress::new(Vec::new(), t0);
        p.clear();
        assert_eq!(drawn(&mut p), "");
        p.tick(512, t0 + 300 * MS, || None);
        p.clear();
        p.clear();
        assert_eq!(drawn(&mut p), "512 frames, 0 s\x1b[K\r\x1b[K");
    }
}
