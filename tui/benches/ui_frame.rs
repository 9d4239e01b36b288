//! Frame time of the terminal UI with a million frames loaded.
//!
//! The real smcr-v2-echo capture is repeated with both hosts' addresses
//! rewritten (10.0.0.x -> 10.h.l.x, in IP headers and GIDs alike) so every
//! copy is a session and link group of its own, one second apart; the engine
//! thread's code loads it all, then frames are drawn into a 200x50
//! TestBackend while the selection moves, as the UI thread does (snapshot
//! under the lock, then draw).
//!   cargo bench -p smc-analyze --bench ui_frame [-- FRAMES]

use engine::frame::{Frame, FrameSource, SourceError};

use ratatui::backend::TestBackend;
use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::Terminal;
use smc_tui::ui::app::App;
use smc_tui::ui::feed::{Engine, Feed, Shared};
use std::path::Path;
use std::time::Instant;
use sys::source::CaptureFiles;

struct Repeat {
    frames: Vec<Frame>,
    next: u64,
    limit: u64,
}

impl Feed for Repeat {
    fn next(&mut self) -> Option<Result<Frame, SourceError>> {
        if self.next >= self.limit {
            return None;
        }
        let n = self.frames.len() as u64;
        let (copy, i) = (self.next / n, (self.next % n) as usize);
        let mut f = self.frames[i].clone();
        // Both hosts get addresses of their own, so copies share no QP end.
        for host in [1, 2] {
            let real = [0x0a, 0, 0, host];
            let ours = [0x0a, 1 + (copy >> 8) as u8, copy as u8, host];
            for at in 0..f.data.len().saturating_sub(3) {
                if f.data[at..at + 4] == real {
                    f.data[at..at + 4].copy_from_slice(&ours);
                }
            }
        }
        f.time.secs += copy as i64;
        self.next += 1;
        f.number = self.next;
        Some(Ok(f))
    }
}

fn rss() -> String {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .filter(|l| l.starts_with("VmRSS") || l.starts_with("VmHWM"))
        .map(|l| l.split_whitespace().collect::<Vec<_>>().join(" "))
        .collect::<Vec<_>>()
        .join(", ")
}

fn main() {
    let limit: u64 = std::env::args()
        .skip(1)
        .find_map(|a| a.parse().ok())
        .unwrap_or(1_000_000);
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../corpora/real/smcr-v2-echo.pcapng");
    let mut file = CaptureFiles::open(&[&path]).expect("the real capture");
    let mut frames = Vec::new();
    while let Some(Ok(f)) = file.next_frame() {
        frames.push(f);
    }
    println!("before loading: {}", rss());
    let shared = Shared::default();
    let started = Instant::now();
    Engine::new(Box::new(Repeat {
        frames,
        next: 0,
        limit,
    }))
    .run(&shared);
    let load = started.elapsed();
    {
        let store = shared.lock();
        let smcr = store
            .sessions
            .values()
            .filter(|e| e.session.outcome.kind() == "smc-r")
            .count();
        println!(
            "loaded {} frames in {load:.2?}: {} sessions ({smcr} SMC-R), {} rows, {} findings; {}",
            store.frames,
            store.sessions.len(),
            store.rows.len(),
            store.findings.len(),
            rss()
        );
        let mut rules: Vec<_> = store.findings.iter().map(|f| f.rule.id).collect();
        rules.dedup();
        println!("finding rules: {rules:?}");
    }
    let mut terminal = Terminal::new(TestBackend::new(200, 50)).unwrap();
    let mut app = App::default();
    let mut times = Vec::new();
    // Walk sessions (jumping to the end and back), events and fields.
    let keys = [
        KeyCode::Down,
        KeyCode::End,
        KeyCode::Tab,
        KeyCode::Down,
        KeyCode::Tab,
        KeyCode::Down,
        KeyCode::Tab,
    ];
    for i in 0..300 {
        let t = Instant::now();
        let view = smc_tui::ui::draw_frame(&mut terminal, &mut app, &shared, 0.0).unwrap();
        times.push(t.elapsed().as_secs_f64() * 1e3);
        app.key(
            KeyEvent::new(keys[i % keys.len()], KeyModifiers::NONE),
            view.lengths,
        );
        if i == 150 {
            // The second half with a filter narrowing the sessions.
            app.filters.outcome = Some("smc-r");
        }
    }
    times.sort_by(|a, b| a.total_cmp(b));
    let mean = times.iter().sum::<f64>() / times.len() as f64;
    println!(
        "frame (snapshot + draw, 200x50): mean {mean:.2} ms, median {:.2} ms, p99 {:.2} ms, max {:.2} ms; {}",
        times[times.len() / 2],
        times[times.len() * 99 / 100],
        times[times.len() - 1],
        rss()
    );
}
