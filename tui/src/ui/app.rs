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
    /// Typing a search; the text so far.
    Search(String),
    Help,
}

/// Session outcomes the sessions pane can be narrowed to.
pub const OUTCOMES: [&str; 6] = ["smc-r", "smc-d", "fallback", "tcp", "aborted", "pending"];
/// Message kinds the events pane can be narrowed to.
pub const KINDS: [Kind; 6] = [Kind::Tcp, Kind::Clc, Kind::Llc, Kind::Cdc, Kind::Rdma, Kind::Data];

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Filters {
    pub kind: Option<Kind>,
    pub outcome: Option<&'static str>,
    pub findings_only: bool,
    /// Typed in the sessions pane: the sessions whose line contains it.
    /// Typed in another pane: `n`/`N` find it among the events.
    pub search: String,
    pub search_sessions: bool,
}

/// Selection moves waiting for the next view to resolve them.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Moves {
    pub sessions: i64,
    pub events: i64,
    pub field: i64,
    /// Jump to the next (true) or previous event matching the search.
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
    /// The UI's own messages (export written, export failed).
    pub status: Option<String>,
}

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
        }
    }
}

impl App {
    /// Freeze needs the store's lengths now; the caller passes them.
    pub fn key(&mut self, key: KeyEvent, lengths: (usize, u64)) -> Action {
        if key.modifiers.contains(KeyModifiers::CONTROL) && key.code == KeyCode::Char('c') {
            return Action::Quit;
        }
        match &mut self.mode {
            Mode::Help => {
                if matches!(key.code, KeyCode::Char('q')) {
                    return Action::Quit;
                }
                self.mode = Mode::Normal;
                return Action::None;
            }
            Mode::Search(text) => {
                match key.code {
                    KeyCode::Enter => {
                        self.filters.search = std::mem::take(text);
                        self.filters.search_sessions = self.focus == Pane::Sessions;
                        if !self.filters.search_sessions {
                            self.moves.find = Some(true);
                        }
                        self.mode = Mode::Normal;
                    }
                    KeyCode::Esc => self.mode = Mode::Normal,
                    KeyCode::Backspace => {
                        text.pop();
                    }
                    KeyCode::Char(c) => text.push(c),
                    _ => {}
                }
                return Action::None;
            }
            Mode::Normal => {}
        }
        match key.code {
            KeyCode::Char('q') => return Action::Quit,
            KeyCode::Char('?') => self.mode = Mode::Help,
            KeyCode::Char('/') => self.mode = Mode::Search(self.filters.search.clone()),
            KeyCode::Char('n') => self.moves.find = Some(true),
            KeyCode::Char('N') => self.moves.find = Some(false),
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
            KeyCode::Char('c') => {
                self.filters = Filters::default();
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
