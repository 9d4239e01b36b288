//! The terminal UI (ratatui + crossterm). The capture and engine run on
//! their own thread ([`feed`]) and publish into a shared [`store`]; this
//! thread only builds a bounded [`view`] of it under a short lock and draws
//! that. The terminal is restored on every exit, panics included.

pub mod app;
mod attribute;
pub mod draw;
pub mod feed;
pub mod store;
pub mod view;

#[cfg(test)]
mod tests;

use app::{Action, App};
use feed::{Feed, Frames, Open, Shared};
use ratatui::backend::{Backend, CrosstermBackend};
use ratatui::crossterm::event::{self, DisableMouseCapture, EnableMouseCapture, Event};
use ratatui::crossterm::execute;
use ratatui::crossterm::terminal::{self, EnterAlternateScreen, LeaveAlternateScreen};
use ratatui::Terminal;
use std::io::{self, IsTerminal};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use sys::source::PcapFile;

/// What the UI watches.
pub struct Source {
    /// A capture file: `e` exports from it.
    pub file: Option<PathBuf>,
    pub open: Open,
}

impl Source {
    /// A pcap or pcapng file.
    pub fn file(path: PathBuf) -> Self {
        let p = path.clone();
        Source {
            file: Some(path),
            open: Box::new(move || {
                let f = PcapFile::open(&p).map_err(|e| format!("{}: {}", p.display(), e.message))?;
                Ok(Box::new(Frames(f)) as Box<dyn Feed>)
            }),
        }
    }

    /// A live capture; `open` runs on the engine thread.
    pub fn live<F: Feed + 'static>(open: impl FnOnce() -> Result<F, String> + Send + 'static) -> Self {
        Source {
            file: None,
            open: Box::new(move || open().map(|f| Box::new(f) as Box<dyn Feed>)),
        }
    }
}

/// The shipped real capture the UI opens with no arguments: four SMC-Rv2
/// connections of one link group (corpora/real/many-conns.pcapng).
const EMBEDDED: &[u8] = include_bytes!("../../../corpora/real/many-conns.pcapng");

/// The embedded capture, written to a temporary file for libpcap (it stays
/// while the UI runs: export reads it again).
pub fn embedded() -> io::Result<(Source, TempFile)> {
    let path = std::env::temp_dir().join(format!("smc-analyze-{}-many-conns.pcapng", std::process::id()));
    std::fs::write(&path, EMBEDDED)?;
    Ok((Source::file(path.clone()), TempFile(path)))
}

/// Removed when dropped.
pub struct TempFile(PathBuf);

impl Drop for TempFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

/// Whether the UI can run here: both ends of the terminal are a terminal.
pub fn available() -> bool {
    io::stdout().is_terminal() && io::stdin().is_terminal()
}

pub fn run(source: Source) -> ExitCode {
    let shared = Arc::new(Shared::default());
    panic_hook();
    if let Err(e) = enter() {
        restore();
        eprintln!("smc-analyze: cannot open the terminal UI: {e}");
        return ExitCode::FAILURE;
    }
    let result = Terminal::new(CrosstermBackend::new(io::stdout()))
        .and_then(|mut t| event_loop(&mut t, &shared, source));
    shared.stop.store(true, std::sync::atomic::Ordering::Relaxed);
    restore();
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("smc-analyze: terminal: {e}");
            ExitCode::FAILURE
        }
    }
}

fn event_loop<B: Backend>(
    terminal: &mut Terminal<B>,
    shared: &Arc<Shared>,
    source: Source,
) -> io::Result<()> {
    let mut app = App::default();
    let file = source.file;
    if let Err(e) = feed::spawn(shared.clone(), source.open) {
        app.status = Some(format!("cannot start the engine thread: {e}"));
    }
    let (done_tx, done_rx) = mpsc::channel();
    let mut render_ms = 0.0;
    loop {
        let started = Instant::now();
        let view = draw_frame(terminal, &mut app, shared, render_ms)?;
        render_ms = started.elapsed().as_secs_f64() * 1e3;
        if let Ok(message) = done_rx.try_recv() {
            app.status = Some(message);
        }
        // Redraw at least ten times a second for the live figures.
        if !event::poll(Duration::from_millis(100))? {
            continue;
        }
        while event::poll(Duration::ZERO)? {
            match event::read()? {
                Event::Key(k) if k.kind == event::KeyEventKind::Press => match app.key(k, view.lengths) {
                    Action::Quit => return Ok(()),
                    Action::Export => export(&mut app, file.as_deref(), done_tx.clone()),
                    Action::None => {}
                },
                Event::Mouse(m) => app.mouse(m),
                _ => {}
            }
        }
    }
}

/// Builds a view under the store's lock, then draws it without the lock.
pub fn draw_frame<B: Backend>(
    terminal: &mut Terminal<B>,
    app: &mut App,
    shared: &Shared,
    render_ms: f64,
) -> io::Result<view::View> {
    let size = terminal.size()?;
    let panes = draw::Panes::new(ratatui::layout::Rect::new(0, 0, size.width, size.height));
    app.areas.sessions = panes.sessions;
    app.areas.events = panes.events;
    app.areas.detail = panes.detail;
    let view = view::build(&mut shared.lock(), app, panes.heights());
    let _drawing = DRAWING.lock().unwrap_or_else(|e| e.into_inner());
    terminal.draw(|f| draw::draw(f, app, &view, render_ms))?;
    Ok(view)
}

/// `e`: the selected session's frames to smc-session-ID.pcapng, on a thread
/// of its own (the file is read twice more: which frames are the session's,
/// then those copied).
fn export(app: &mut App, file: Option<&Path>, done: mpsc::Sender<String>) {
    let Some(id) = app.session else {
        app.status = Some("export: no session selected".into());
        return;
    };
    let Some(input) = file.map(Path::to_path_buf) else {
        app.status = Some("export: only from a capture file".into());
        return;
    };
    let out = PathBuf::from(format!("smc-session-{id}.pcapng"));
    app.status = Some(format!("exporting session {id} to {} ...", out.display()));
    let _ = std::thread::Builder::new()
        .name("smc-export".into())
        .spawn(move || {
            let written = crate::export::select(&input, crate::export::Filter::session(id))
                .and_then(|mut kept| crate::export::frames(&input, &out, &mut kept));
            let message = match written {
                Ok(()) => format!("session {id} written to {}", out.display()),
                Err(e) => format!("export failed: {}: {e}", out.display()),
            };
            let _ = done.send(message);
        });
}

fn enter() -> io::Result<()> {
    terminal::enable_raw_mode()?;
    execute!(io::stdout(), EnterAlternateScreen, EnableMouseCapture)
}

/// Puts the terminal back as it was; safe to call more than once.
fn restore() {
    let _ = terminal::disable_raw_mode();
    let _ = execute!(
        io::stdout(),
        DisableMouseCapture,
        LeaveAlternateScreen,
        ratatui::crossterm::cursor::Show
    );
}

/// Held while a frame is drawn: a panic on another thread waits for the
/// frame in progress and keeps the UI from drawing over the restored screen.
static DRAWING: Mutex<()> = Mutex::new(());

/// A panic on any thread restores the terminal before the message prints;
/// the process then aborts (panic = "abort" in every profile).
fn panic_hook() {
    let previous = std::panic::take_hook();
    let ui = std::thread::current().id();
    std::panic::set_hook(Box::new(move |info| {
        // The UI thread itself cannot be drawing while it panics (and would deadlock).
        let _drawing = (std::thread::current().id() != ui).then(|| DRAWING.lock());
        restore();
        previous(info);
    }));
}
