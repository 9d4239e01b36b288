//! The UI's own state and what keys and mouse clicks do to it: a pure state
//! machine (no terminal, no store), so it is tested on its own. Moves are
//! recorded here and resolved against the store's lists when a view is built.

use super::store::Kind;
use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers, MouseButton, MouseEvent, MouseEventKind};
use ratatui::layout::{Position, Rect};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pane {
    Sessions,
    Events,
    Detail,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Mode {
    Normal,
    /// Typing a search: the text so far, and which earlier search Up/Down
    /// recalled (an index into [`App::history`]).
    Search {
        text: String,
        recalled: Option<usize>,
    },
    /// The help screen, scrolled down this many lines.
    Help {
        top: usize,
    },
}

/// Session outcomes the sessions pane can be narrowed to.
pub const OUTCOMES: [&str; 6] = ["smc-r", "smc-d", "fallback", "tcp", "aborted", "pending"];
/// Message kinds the events pane can be narrowed to.
pub const KINDS: [Kind; 7] = [
    Kind::TcpOption,
    Kind::Clc,
    Kind::Llc,
    Kind::Cdc,
    Kind::Rdma,
    Kind::TcpData,
    Kind::TcpEnd,
];

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Filters {
    pub kind: Option<Kind>,
    pub outcome: Option<&'static str>,
    pub findings_only: bool,
}

/// Selection moves waiting for the next view to resolve them.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Moves {
    pub sessions: i64,
    pub events: i64,
    pub field: i64,
    /// Jump to the next (true) or previous row of the focused pane that
    /// matches the search, as less's `n`/`N` do.
    pub find: Option<bool>,
}

/// Where the panes were drawn last, for mouse clicks.
#[derive(Debug, Clone, Copy, Default)]
pub struct Areas {
    pub sessions: Rect,
    pub events: Rect,
    pub detail: Rect,
    /// First list row shown in the sessions and events panes.
    pub sessions_top: usize,
    pub events_top: usize,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    None,
    Quit,
    Export,
}

/// A jump far enough to mean "to the end".
const FAR: i64 = i64::MAX / 4;
const PAGE: i64 = 10;

#[derive(Debug, Clone)]
pub struct App {
    pub focus: Pane,
    pub mode: Mode,
    pub filters: Filters,
    /// Frozen: the lists stop growing at these lengths (sessions, the
    /// next row's number).
    pub frozen: Option<(usize, u64)>,
    pub session: Option<u32>,
    /// The selected row's number ([`super::store::Store::row`]).
    pub row: Option<u64>,
    pub field: usize,
    pub moves: Moves,
    /// Clicked list positions waiting for the view: (pane, position in its list).
    pub click: Option<(Pane, usize)>,
    pub areas: Areas,
    /// The UI's own messages (export written, export failed, pattern not found).
    pub status: Option<String>,
    /// What the last search found (not found, wrapped): shown until the next key.
    pub notice: Option<String>,
    /// The last search (what `n`/`N` look for), case-insensitive.
    pub search: String,
    /// Earlier searches, oldest first (Up in the prompt recalls them).
    pub history: Vec<String>,
    /// Help lines there are below the window, as the last frame drew them.
    pub help_more: usize,
    /// `x`: on a narrow screen, the findings pane in place of the hex pane
    /// (or of the field tree).
    pub findings_pane: bool,
}

/// Searches the prompt's Up recalls.
const HISTORY: usize = 100;

impl Default for App {
    fn default() -> Self {
        App {
            focus: Pane::Sessions,
            mode: Mode::Normal,
            filters: Filters::default(),
            frozen: None,
            session: None,
            row: None,
            field: 0,
            moves: Moves::default(),
            click: None,
            areas: Areas::default(),
            status: None,
            notice: None,
            search: String::new(),
            history: Vec::new(),
            help_more: 0,
            findings_pane: false,
        }
    }
}

impl App {
    /// Freeze needs the store's lengths now; the caller passes them.
    pub fn key(&mut self, key: KeyEvent, lengths: (usize, u64)) -> Action {
        self.notice = None;
        if key.modifiers.contains(KeyModifiers::CONTROL) && key.code == KeyCode::Char('c') {
            return Action::Quit;
        }
        match &mut self.mode {
            Mode::Help { top } => {
                match key.code {
                    KeyCode::Char('q') => return Action::Quit,
                    KeyCode::Down | KeyCode::Char('j') => *top += usize::from(self.help_more > 0),
                    KeyCode::Up | KeyCode::Char('k') => *top = top.saturating_sub(1),
                    KeyCode::PageDown | KeyCode::Char(' ') => *top += self.help_more.min(PAGE as usize),
                    KeyCode::PageUp => *top = top.saturating_sub(PAGE as usize),
                    _ => self.mode = Mode::Normal,
                }
                return Action::None;
            }
            Mode::Search { .. } => {
                if let Mode::Search { text, recalled } = std::mem::replace(&mut self.mode, Mode::Normal) {
                    self.mode = self.prompt(key, text, recalled);
                }
                return Action::None;
            }
            Mode::Normal => {}
        }
        match key.code {
            KeyCode::Char('q') => return Action::Quit,
            KeyCode::Char('?') => self.mode = Mode::Help { top: 0 },
            KeyCode::Char('/') => {
                self.mode = Mode::Search {
                    text: String::new(),
                    recalled: None,
                }
            }
            KeyCode::Char('n') => self.find(true),
            KeyCode::Char('N') => self.find(false),
            KeyCode::Char(' ') => {
                self.frozen = match self.frozen {
                    Some(_) => None,
                    None => Some(lengths),
                }
            }
            KeyCode::Char('e') => return Action::Export,
            KeyCode::Char('m') => self.filters.kind = next(&KINDS, self.filters.kind),
            KeyCode::Char('o') => self.filters.outcome = next(&OUTCOMES, self.filters.outcome),
            KeyCode::Char('f') => self.filters.findings_only = !self.filters.findings_only,
            KeyCode::Char('x') => self.findings_pane = !self.findings_pane,
            KeyCode::Char('c') => {
                self.filters = Filters::default();
                self.search.clear();
                self.status = None;
            }
            KeyCode::Esc => self.status = None,
            KeyCode::Tab => self.focus = self.next_pane(true),
            KeyCode::BackTab => self.focus = self.next_pane(false),
            KeyCode::Enter | KeyCode::Right | KeyCode::Char('l') if self.focus != Pane::Detail => {
                self.focus = self.next_pane(true)
            }
            KeyCode::Left | KeyCode::Char('h') if self.focus != Pane::Sessions => {
                self.focus = self.next_pane(false)
            }
            KeyCode::Down | KeyCode::Char('j') => self.step(1),
            KeyCode::Up | KeyCode::Char('k') => self.step(-1),
            KeyCode::PageDown => self.step(PAGE),
            KeyCode::PageUp => self.step(-PAGE),
            KeyCode::End | KeyCode::Char('G') => self.step(FAR),
            KeyCode::Home | KeyCode::Char('g') => self.step(-FAR),
            _ => {}
        }
        Action::None
    }

    /// A key in the search prompt, edited as less's: Enter searches (an
    /// empty line: the last search again), Esc or Backspace on an empty line
    /// cancel, Ctrl-U clears, Ctrl-W deletes a word, Up/Down recall.
    fn prompt(&mut self, key: KeyEvent, mut text: String, mut recalled: Option<usize>) -> Mode {
        let ctrl = key.modifiers.contains(KeyModifiers::CONTROL);
        let erase = key.code == KeyCode::Backspace || (ctrl && key.code == KeyCode::Char('h'));
        match key.code {
            KeyCode::Enter => {
                if !text.is_empty() {
                    self.history.retain(|h| *h != text);
                    self.history.push(text.clone());
                    if self.history.len() > HISTORY {
                        self.history.remove(0);
                    }
                    self.search = text;
                }
                self.find(true);
                return Mode::Normal;
            }
            KeyCode::Esc => return Mode::Normal,
            // Backspace (or Ctrl-H) on an empty line leaves the prompt.
            _ if erase && text.is_empty() => return Mode::Normal,
            _ if erase => {
                text.pop();
            }
            KeyCode::Char('u') if ctrl => text.clear(),
            KeyCode::Char('w') if ctrl => {
                let kept = text.trim_end().rfind(' ').map_or(0, |i| i + 1);
                text.truncate(kept);
            }
            KeyCode::Up | KeyCode::Down => {
                let n = self.history.len();
                recalled = match (key.code, recalled) {
                    (KeyCode::Up, None) => n.checked_sub(1),
                    (KeyCode::Up, Some(i)) => Some(i.saturating_sub(1)),
                    (_, Some(i)) if i + 1 < n => Some(i + 1),
                    _ => None,
                };
                text = recalled.map(|i| self.history[i].clone()).unwrap_or_default();
            }
            // Other control keys are not text.
            KeyCode::Char(c) if !ctrl && !key.modifiers.contains(KeyModifiers::ALT) => text.push(c),
            _ => {}
        }
        Mode::Search { text, recalled }
    }

    /// `n`/`N`: the next or previous match in the focused pane, once the view resolves it.
    fn find(&mut self, forward: bool) {
        if self.search.is_empty() {
            self.notice = Some("no search yet: / searches the focused pane".into());
        } else {
            self.moves.find = Some(forward);
        }
    }

    /// Clicks select a row of the sessions or events pane, or focus the
    /// detail pane; the wheel moves the selection of the pane under it.
    pub fn mouse(&mut self, m: MouseEvent) {
        let at = Position::new(m.column, m.row);
        let a = self.areas;
        let pane = if a.sessions.contains(at) {
            Pane::Sessions
        } else if a.events.contains(at) {
            Pane::Events
        } else if a.detail.contains(at) {
            Pane::Detail
        } else {
            return;
        };
        match m.kind {
            MouseEventKind::Down(MouseButton::Left) => {
                self.focus = pane;
                // Border and header rows come before the first list row.
                let (area, top, header) = match pane {
                    Pane::Sessions => (a.sessions, a.sessions_top, 2),
                    Pane::Events => (a.events, a.events_top, 2),
                    Pane::Detail => return,
                };
                if let Some(line) = m.row.checked_sub(area.y + header) {
                    self.click = Some((pane, top + line as usize));
                }
            }
            MouseEventKind::ScrollDown => {
                self.focus = pane;
                self.step(1)
            }
            MouseEventKind::ScrollUp => {
                self.focus = pane;
                self.step(-1)
            }
            _ => {}
        }
    }

    fn step(&mut self, n: i64) {
        let m = &mut self.moves;
        let slot = match self.focus {
            Pane::Sessions => &mut m.sessions,
            Pane::Events => &mut m.events,
            Pane::Detail => &mut m.field,
        };
        *slot = slot.saturating_add(n);
    }

    fn next_pane(&self, forward: bool) -> Pane {
        match (self.focus, forward) {
            (Pane::Sessions, true) | (Pane::Detail, false) => Pane::Events,
            (Pane::Events, true) | (Pane::Sessions, false) => Pane::Detail,
            (Pane::Detail, true) | (Pane::Events, false) => Pane::Sessions,
        }
    }
}

/// The next filter value in `all` after `now`; after the last, none.
fn next<T: Copy + PartialEq>(all: &[T], now: Option<T>) -> Option<T> {
    match now {
        None => all.first().copied(),
        Some(v) => all
            .iter()
            .position(|&x| x == v)
            .and_then(|i| all.get(i + 1))
            .copied(),
    }
}
