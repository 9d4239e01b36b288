//! Drawing a [`View`]: layout, then one function per pane. Nothing here
//! touches the store; a frame is drawn from the snapshot alone.

mod detail;
mod lists;
mod panels;

use super::app::{App, Mode, Pane};
use super::view::{Heights, View};
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Color, Modifier, Style};
use ratatui::widgets::{Block, BorderType, Borders};
use ratatui::Frame;

/// Where each pane goes on a screen of `area`.
#[derive(Debug, Clone, Copy)]
pub struct Panes {
    pub status: Rect,
    pub sessions: Rect,
    pub figures: Rect,
    pub events: Rect,
    pub ladder: Rect,
    pub detail: Rect,
    pub hex: Rect,
    pub findings: Rect,
    pub footer: Rect,
}

impl Panes {
    pub fn new(area: Rect) -> Self {
        let [status, top, middle, bottom, footer] = Layout::vertical([
            Constraint::Length(1),
            Constraint::Percentage(30),
            Constraint::Percentage(35),
            Constraint::Fill(1),
            Constraint::Length(1),
        ])
        .areas(area);
        let [sessions, figures] =
            Layout::horizontal([Constraint::Fill(1), Constraint::Length(34)]).areas(top);
        let [events, ladder] =
            Layout::horizontal([Constraint::Percentage(55), Constraint::Fill(1)]).areas(middle);
        let [detail, hex, findings] = Layout::horizontal([
            Constraint::Percentage(36),
            Constraint::Length(75),
            Constraint::Fill(1),
        ])
        .areas(bottom);
        Panes {
            status,
            sessions,
            figures,
            events,
            ladder,
            detail,
            hex,
            findings,
            footer,
        }
    }

    /// List rows inside the panes: borders and header lines off.
    pub fn heights(&self) -> Heights {
        Heights {
            sessions: self.sessions.height.saturating_sub(3) as usize,
            events: self.events.height.saturating_sub(3) as usize,
            fields: self.detail.height.saturating_sub(2) as usize,
        }
    }
}

pub fn draw(frame: &mut Frame, app: &App, view: &View, render_ms: f64) {
    let p = Panes::new(frame.area());
    panels::status(frame, p.status, app, view, render_ms);
    lists::sessions(frame, p.sessions, app, view);
    panels::figures(frame, p.figures, view);
    lists::events(frame, p.events, app, view);
    lists::ladder(frame, p.ladder, view);
    detail::tree(frame, p.detail, app, view);
    detail::hex(frame, p.hex, view);
    panels::findings(frame, p.findings, view);
    panels::footer(frame, p.footer, app);
    if app.mode == Mode::Help {
        panels::help(frame, frame.area());
    }
}

/// A pane's frame; the focused one stands out.
fn block(title: String, focused: bool) -> Block<'static> {
    let style = if focused {
        Style::new().fg(Color::Cyan).add_modifier(Modifier::BOLD)
    } else {
        Style::new().fg(Color::DarkGray)
    };
    Block::new()
        .borders(Borders::ALL)
        .border_type(if focused {
            BorderType::Thick
        } else {
            BorderType::Plain
        })
        .border_style(style)
        .title(title)
}

fn focused(app: &App, pane: Pane) -> bool {
    app.focus == pane && app.mode != Mode::Help
}

/// The selected row of a list.
const SELECTED: Style = Style::new()
    .bg(Color::Blue)
    .fg(Color::White)
    .add_modifier(Modifier::BOLD);
/// Bytes of the selected field in the hex pane.
pub const HIGHLIGHT: Style = Style::new().bg(Color::Yellow).fg(Color::Black);

/// 1.5 KiB, 61.4 KiB, 3.2 MiB.
fn human(bytes: u64) -> String {
    const UNITS: [&str; 5] = ["B", "KiB", "MiB", "GiB", "TiB"];
    let mut v = bytes as f64;
    let mut u = 0;
    while v >= 1024.0 && u + 1 < UNITS.len() {
        v /= 1024.0;
        u += 1;
    }
    if u == 0 {
        format!("{bytes} B")
    } else {
        format!("{v:.1} {}", UNITS[u])
    }
}
