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

/// Where each pane goes on a screen of `area`; a pane with no room is an
/// empty Rect and is not drawn.
#[derive(Debug, Clone, Copy, Default)]
pub struct Panes {
    pub status: Rect,
    pub sessions: Rect,
    pub figures: Rect,
    pub events: Rect,
    pub ladder: Rect,
    pub detail: Rect,
    pub hex: Rect,
    /// Bytes a line of the hex pane shows.
    pub hex_row: usize,
    pub findings: Rect,
    pub footer: Rect,
}

/// From this width every pane has room: live figures, ladder, tree, hex and findings.
pub const WIDE: u16 = 120;
/// From this width the field tree has the hex (or findings) pane beside it.
const MEDIUM: u16 = 72;
/// Below this many rows between status and footer, only the focused pane shows.
const TALL: u16 = 15;
/// The hex pane's width at 16 and 8 bytes a line: offset, hex, gap, ASCII, borders.
const HEX_16: u16 = 6 + 16 * 3 + 1 + 1 + 16 + 2;
const HEX_8: u16 = 6 + 8 * 3 + 1 + 8 + 2;
/// Under 100 columns the hex pane leaves its ASCII column out (it is cut at
/// the pane's edge): the field tree's lines, with their raw values, need the room.
const HEX_8_BARE: u16 = 6 + 8 * 3 + 2;
const HEX_ASCII: u16 = 100;

impl Panes {
    /// At 120 columns and more every pane shows; narrower, the live figures
    /// go to the status line, the ladder goes, and the field tree shares its
    /// row with the hex or (`x`) the findings pane, or below 72 columns shows
    /// alone (`x`: the findings instead). Short of rows, the focused pane
    /// alone fills the screen.
    pub fn new(area: Rect, app: &App) -> Self {
        let [status, body, footer] =
            Layout::vertical([Constraint::Length(1), Constraint::Fill(1), Constraint::Length(1)]).areas(area);
        let mut p = Panes {
            status,
            footer,
            hex_row: 16,
            ..Panes::default()
        };
        if body.height < TALL {
            match app.focus {
                Pane::Sessions => p.sessions = body,
                Pane::Events => p.events = body,
                Pane::Detail if app.findings_pane => p.findings = body,
                Pane::Detail => p.detail = body,
            }
            return p;
        }
        let [top, middle, bottom] = Layout::vertical([
            Constraint::Percentage(30),
            Constraint::Percentage(35),
            Constraint::Fill(1),
        ])
        .areas(body);
        if area.width >= WIDE {
            [p.sessions, p.figures] =
                Layout::horizontal([Constraint::Fill(1), Constraint::Length(34)]).areas(top);
            [p.events, p.ladder] =
                Layout::horizontal([Constraint::Percentage(55), Constraint::Fill(1)]).areas(middle);
            // The tree keeps at least 40 columns; hex goes to 8 bytes a line before it gets less.
            let hex = if area.width >= 40 + HEX_16 + 40 {
                HEX_16
            } else {
                HEX_8
            };
            p.hex_row = if hex == HEX_16 { 16 } else { 8 };
            [p.detail, p.hex, p.findings] = Layout::horizontal([
                Constraint::Fill(1),
                Constraint::Length(hex),
                Constraint::Percentage(25),
            ])
            .areas(bottom);
            return p;
        }
        p.sessions = top;
        p.events = middle;
        if area.width >= MEDIUM {
            let side;
            let hex = if area.width >= HEX_ASCII {
                HEX_8
            } else {
                HEX_8_BARE
            };
            [p.detail, side] =
                Layout::horizontal([Constraint::Fill(1), Constraint::Length(hex)]).areas(bottom);
            p.hex_row = 8;
            if app.findings_pane {
                p.findings = side;
            } else {
                p.hex = side;
            }
        } else if app.findings_pane {
            p.findings = bottom;
        } else {
            p.detail = bottom;
        }
        p
    }

    /// List rows inside the panes: borders and header lines off.
    pub fn heights(&self) -> Heights {
        Heights {
            sessions: self.sessions.height.saturating_sub(3) as usize,
            events: self.events.height.saturating_sub(3) as usize,
            fields: self.detail.height.saturating_sub(2) as usize,
            findings: self.findings.height.saturating_sub(2) as usize,
        }
    }
}

pub fn draw(frame: &mut Frame, app: &App, view: &View, render_ms: f64) {
    let p = Panes::new(frame.area(), app);
    let wide = frame.area().width >= WIDE;
    panels::status(frame, p.status, app, view, render_ms, !wide);
    let drawn = |r: Rect| !r.is_empty();
    if drawn(p.sessions) {
        lists::sessions(frame, p.sessions, app, view);
    }
    if drawn(p.figures) {
        panels::figures(frame, p.figures, view);
    }
    if drawn(p.events) {
        lists::events(frame, p.events, app, view);
    }
    if drawn(p.ladder) {
        lists::ladder(frame, p.ladder, view);
    }
    if drawn(p.detail) {
        detail::tree(frame, p.detail, app, view);
    }
    if drawn(p.hex) {
        detail::hex(frame, p.hex, view, p.hex_row, !wide);
    }
    if drawn(p.findings) {
        panels::findings(frame, p.findings, view, !wide);
    }
    panels::footer(frame, p.footer, app);
    if let Mode::Help { top } = app.mode {
        panels::help(frame, frame.area(), top);
    }
}

/// Help lines below the window on a screen of `screen` scrolled to `top`.
pub fn help_more(screen: Rect, top: usize) -> usize {
    panels::help_more(screen, top)
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
    app.focus == pane && !matches!(app.mode, Mode::Help { .. })
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
