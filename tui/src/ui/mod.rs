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
use sys::source::CaptureFiles;

/// What the UI watches.
pub struct Source {
    /// The files or interface, as errors name them.
    pub name: String,
    /// Capture files (merged by time): `e` exports from them. Empty when live.
    pub files: Vec<PathBuf>,
    pub open: Open,
}

impl Source {
    /// pcap or pcapng files (merged by time), opened here: one that cannot
    /// be opened is an error before the UI takes the terminal, as
    /// `read --no-ui` says it.
    pub fn files(paths: Vec<PathBuf>) -> Result<Self, String> {
        let f = CaptureFiles::open(&paths)?;
        Ok(Source {
            name: crate::cmd::read::name(&paths),
            files: paths,
            open: Box::new(move || Ok(Box::new(Frames(f)) as Box<dyn Feed>)),
        })
    }

    /// A live capture on `name`; `open` runs on the engine thread.
    pub fn live<F: Feed + 'static>(
        name: String,
        open: impl FnOnce() -> Result<F, String> + Send + 'static,
    ) -> Self {
        Source {
            name,
            files: Vec::new(),
            open: Box::new(move || open().map(|f| Box::new(f) as Box<dyn Feed>)),
        }
    }
}

/// The shipped real capture the UI opens with no arguments: four SMC-Rv2
/// connections of one link group (corpora/real/many-conns.pcapng).
const EMBEDDED: &[u8] = include_bytes!("../../../corpora/real/many-conns.pcapng");

/// The embedded capture, written to a temporary file to be read (it stays
/// while the UI runs: export reads it again).
pub fn embedded() -> Result<(Source, TempFile), String> {
    let path = std::env::temp_dir().join(format!("smc-analyze-{}-many-conns.pcapng", std::process::id()));
    std::fs::write(&path, EMBEDDED).map_err(|e| format!("writing the embedded capture: {e}"))?;
    let file = TempFile(path.clone());
    Ok((Source::files(vec![path])?, file))
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

/// Runs the UI until `q`; then says on stderr what must outlive the screen:
/// where exports went, what failed. Non-zero if anything failed (the source, an export).
pub fn run(source: Source) -> ExitCode {
    let shared = Arc::new(Shared::default());
    panic_hook();
    if let Err(e) = enter() {
        restore();
        eprintln!("smc-analyze: cannot open the terminal UI: {e}");
        return ExitCode::FAILURE;
    }
    let mut said = Said::default();
    let result = Terminal::new(CrosstermBackend::new(io::stdout()))
        .and_then(|mut t| event_loop(&mut t, &shared, source, &mut said));
    shared.stop.store(true, std::sync::atomic::Ordering::Relaxed);
    restore();
    if let Some(e) = shared.lock().failure.clone() {
        said.error(e);
    }
    if let Err(e) = result {
        said.error(format!("terminal: {e}"));
    }
    for line in &said.lines {
        eprintln!("smc-analyze: {line}");
    }
    if said.failed {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    }
}

/// What the UI says on stderr once the terminal is back (nothing may write
/// there while the UI draws).
#[derive(Default)]
struct Said {
    lines: Vec<String>,
    failed: bool,
}

impl Said {
    fn error(&mut self, line: String) {
        self.lines.push(line);
        self.failed = true;
    }
}

fn event_loop<B: Backend>(
    terminal: &mut Terminal<B>,
    shared: &Arc<Shared>,
    source: Source,
    said: &mut Said,
) -> io::Result<()> {
    let mut app = App::default();
    let files = source.files;
    if let Err(e) = feed::spawn(shared.clone(), source.name, source.open) {
        said.error(format!("cannot start the engine thread: {e}"));
        app.status = said.lines.last().cloned();
    }
    let (done_tx, done_rx) = mpsc::channel::<Result<Exported, String>>();
    let mut render_ms = 0.0;
    loop {
        let started = Instant::now();
        let view = draw_frame(terminal, &mut app, shared, render_ms)?;
        render_ms = started.elapsed().as_secs_f64() * 1e3;
        while let Ok(done) = done_rx.try_recv() {
            let line = match done {
                Ok(line) => {
                    said.lines.push(line.after);
                    line.now
                }
                Err(line) => {
                    said.error(line.clone());
                    line
                }
            };
            app.status = Some(line);
        }
        // Redraw at least ten times a second for the live figures.
        if !event::poll(Duration::from_millis(100))? {
            continue;
        }
        // One event a frame: each key acts on the view the keys before it made
        // (G n finds from the last row, Down e exports the session Down selects).
        match event::read()? {
            Event::Key(k) if k.kind == event::KeyEventKind::Press => match app.key(k, view.lengths) {
                Action::Quit => return Ok(()),
                Action::Export => {
                    if let Err(e) = export(&mut app, &files, done_tx.clone()) {
                        app.status = Some(format!("export: {e}"));
                    }
                }
                Action::None => {}
            },
            Event::Mouse(m) => app.mouse(m),
            _ => {}
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
    let screen = ratatui::layout::Rect::new(0, 0, size.width, size.height);
    let panes = draw::Panes::new(screen, app);
    if let app::Mode::Help { top } = app.mode {
        app.help_more = draw::help_more(screen, top);
    }
    app.areas.sessions = panes.sessions;
    app.areas.events = panes.events;
    app.areas.detail = panes.detail;
    let view = view::build(&mut shared.lock(), app, panes.heights());
    let _drawing = DRAWING.lock().unwrap_or_else(|e| e.into_inner());
    terminal.draw(|f| draw::draw(f, app, &view, render_ms))?;
    Ok(view)
}

/// An export written: the status line's words, and the ones said after
/// the UI exits (the full path: the screen is gone by then).
struct Exported {
    now: String,
    after: String,
}

/// `e`: the selected session's frames to a new file, smc-session-ID.pcapng
/// or, when that exists, smc-session-ID-1.pcapng and so on (an export
/// never writes over a file), on a thread of its own (the files are read
/// twice more: which frames are the session's, then those copied).
fn export(
    app: &mut App,
    files: &[PathBuf],
    done: mpsc::Sender<Result<Exported, String>>,
) -> Result<(), String> {
    let id = app.session.ok_or("no session selected")?;
    if files.is_empty() {
        return Err("only from a capture file".into());
    }
    let input = files.to_vec();
    let out = new_file(Path::new("."), &format!("smc-session-{id}"), "pcapng")?;
    app.status = Some(format!("exporting session {id} to {} ...", out.display()));
    let _ = std::thread::Builder::new()
        .name("smc-export".into())
        .spawn(move || {
            let written = crate::export::select(&input, crate::export::Filter::session(id))
                .and_then(|mut kept| crate::export::frames(&input, &out, &mut kept));
            let result = match written {
                Ok(w) => Ok(Exported {
                    now: format!("session {id} written to {} ({w})", out.display()),
                    after: format!(
                        "session {id} written to {} ({w})",
                        std::path::absolute(&out).unwrap_or(out).display()
                    ),
                }),
                Err(e) => {
                    // The file is ours (new_file made it): an export that failed leaves none.
                    let _ = std::fs::remove_file(&out);
                    Err(format!("export of session {id} failed: {}: {e}", out.display()))
                }
            };
            let _ = done.send(result);
        });
    Ok(())
}

/// Creates `dir/stem.ext`, or `stem-1.ext`, `stem-2.ext`... whichever does
/// not exist yet: made with O_EXCL, so a file that appears meanwhile is
/// never written over. Returns its path (relative as `dir` is).
pub fn new_file(dir: &Path, stem: &str, ext: &str) -> Result<PathBuf, String> {
    /// Past this many, something is wrong with the directory, not the names.
    const TRIES: u32 = 10_000;
    for n in 0..TRIES {
        let name = match n {
            0 => format!("{stem}.{ext}"),
            n => format!("{stem}-{n}.{ext}"),
        };
        let path = if dir == Path::new(".") {
            PathBuf::from(name)
        } else {
            dir.join(name)
        };
        match std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&path)
        {
            Ok(_) => return Ok(path),
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => continue,
            Err(e) => return Err(format!("{}: {e}", path.display())),
        }
    }
    Err(format!(
        "{}: {stem}.{ext} to {stem}-{}.{ext} all exist",
        dir.display(),
        TRIES - 1
    ))
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
