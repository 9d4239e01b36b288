//! The sessions table, the events list and the ladder diagram.

use super::{block, focused, human, SELECTED};
use crate::ui::app::{App, Pane};
use crate::ui::store::Kind;
use crate::ui::view::{SessionLine, View, Window};
use engine::session::Side;
use ratatui::layout::{Constraint, Rect};
use ratatui::style::{Color, Modifier, Style, Stylize};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Row, Table};
use ratatui::Frame;

pub fn sessions(frame: &mut Frame, area: Rect, app: &App, view: &View) {
    let w = &view.sessions;
    let mut title = format!(" Sessions {} ", w.total);
    if view.sessions_let_go > 0 {
        title += &format!("(+{} ended, let go) ", view.sessions_let_go);
    }
    let f = &app.filters;
    if let Some(o) = f.outcome {
        title += &format!("[outcome {o}] ");
    }
    if f.findings_only {
        title += "[findings only] ";
    }
    if app.frozen.is_some() {
        title += "[frozen] ";
    }
    // Path and version repeat what the outcome says: the first to go when narrow.
    let inner = area.width.saturating_sub(2) as usize;
    let full = inner >= 100;
    let mut names = vec!["#", "outcome", "client", "server"];
    if full {
        names.extend(["path", "ver"]);
    }
    names.extend(["bytes", "find"]);
    let header =
        Row::new(names.clone()).style(Style::new().add_modifier(Modifier::BOLD | Modifier::UNDERLINED));
    let rows = w.lines.iter().enumerate().map(|(i, s)| {
        let color = match s.path {
            "R" | "D" => Color::Green,
            "TCP" => Color::Yellow,
            _ => Color::Red,
        };
        let mut cells = vec![
            Span::raw(s.id.to_string()),
            Span::styled(s.outcome.clone(), Style::new().fg(color)),
            Span::raw(s.client.clone()),
            Span::raw(s.server.clone()),
        ];
        if full {
            cells.extend([Span::raw(s.path), Span::raw(s.version.clone())]);
        }
        cells.extend([
            Span::raw(human(s.bytes)),
            if s.findings > 0 {
                Span::raw(s.findings.to_string()).red().bold()
            } else {
                Span::raw("0")
            },
        ]);
        let row = Row::new(cells);
        if Some(i) == w.selected {
            row.style(SELECTED)
        } else {
            row
        }
    });
    let widths = session_columns(w, inner, names.len());
    let table = Table::new(rows, widths.into_iter().map(Constraint::Length))
        .header(header)
        .block(block(title, focused(app, Pane::Sessions)));
    frame.render_widget(table, area);
}

/// Column widths: number, bytes and findings as wide as they need; the
/// ends as wide as the widest shown (they tell sessions apart), while the
/// outcome keeps 12 columns; the outcome the rest.
fn session_columns(w: &Window<SessionLine>, inner: usize, columns: usize) -> Vec<u16> {
    let widest = |f: &dyn Fn(&SessionLine) -> usize, header: usize| {
        w.lines.iter().map(f).max().unwrap_or(0).max(header)
    };
    let id = widest(&|s| s.id.to_string().len(), 1);
    let (client, server) = (
        widest(&|s| s.client.chars().count(), 6),
        widest(&|s| s.server.chars().count(), 6),
    );
    let mut fixed = vec![id];
    if columns == 8 {
        fixed.extend([4, 3]);
    }
    fixed.extend([
        widest(&|s| human(s.bytes).len(), 5),
        widest(&|s| s.findings.to_string().len(), 4),
    ]);
    let room = inner.saturating_sub(fixed.iter().sum::<usize>() + columns - 1);
    let ends_room = room.saturating_sub(12);
    let (client, server) = if client + server <= ends_room {
        (client, server)
    } else {
        let c = ends_room * client / (client + server);
        (c, ends_room - c)
    };
    let outcome = room - client - server;
    let narrow = |n: usize| u16::try_from(n).unwrap_or(u16::MAX);
    let mut widths: Vec<u16> = [id, outcome, client, server].into_iter().map(narrow).collect();
    widths.extend(fixed[1..].iter().map(|&n| narrow(n)));
    widths
}

fn kind_color(k: Kind) -> Color {
    match k {
        Kind::TcpOption | Kind::TcpData | Kind::TcpEnd => Color::Gray,
        Kind::Clc => Color::Cyan,
        Kind::Llc => Color::Magenta,
        Kind::Cdc => Color::Green,
        Kind::Rdma => Color::Blue,
        Kind::Problem => Color::Red,
    }
}

pub fn events(frame: &mut Frame, area: Rect, app: &App, view: &View) {
    let w = &view.events;
    let mut title = format!(" Events {} ", w.total);
    if let Some(k) = app.filters.kind {
        title += &format!("[kind {}] ", k.name());
    }
    let lines: Vec<Line> = w
        .lines
        .iter()
        .enumerate()
        .map(|(i, e)| {
            let arrow = if e.from == Side::Client { "C→S" } else { "S→C" };
            let line = Line::from(vec![
                Span::raw(format!("{:>6} {:>10.6} {arrow} ", e.frame, e.time)),
                Span::styled(e.label.clone(), Style::new().fg(kind_color(e.kind))),
                Span::raw(format!(" {}", e.fields)),
            ]);
            if Some(i) == w.selected {
                line.style(SELECTED)
            } else {
                line
            }
        })
        .collect();
    let header = Line::from(" frame       time dir message").bold().underlined();
    let text = if lines.is_empty() {
        vec![header, Line::from("no events (select a session)")]
    } else {
        std::iter::once(header).chain(lines).collect()
    };
    frame.render_widget(
        Paragraph::new(text).block(block(title, focused(app, Pane::Events))),
        area,
    );
}

/// The selected session's events as arrows between its two hosts, the
/// same rows as the events pane shows.
pub fn ladder(frame: &mut Frame, area: Rect, view: &View) {
    let b = block(" Ladder ".into(), false);
    let inner = b.inner(area);
    frame.render_widget(b, area);
    let Some((client, server)) = &view.hosts else {
        return;
    };
    let width = inner.width as usize;
    if width < 12 {
        return;
    }
    let mut lines = vec![Line::from(vec![
        Span::styled(format!("{client:<w$}", w = width / 2), Style::new().bold()),
        Span::styled(
            format!("{server:>w$}", w = width - width / 2),
            Style::new().bold(),
        ),
    ])];
    // Lifelines at columns 1 and width-2; the arrow fills what lies between.
    let span = width - 4;
    for (i, e) in view
        .events
        .lines
        .iter()
        .enumerate()
        .take(inner.height.saturating_sub(1) as usize)
    {
        let label: String = e.label.chars().take(span.saturating_sub(4)).collect();
        let dashes = span.saturating_sub(label.chars().count() + 3);
        let (l, r) = (dashes / 2, dashes - dashes / 2);
        let arrow = if e.from == Side::Client {
            format!("{} {label} {}▶", "─".repeat(l), "─".repeat(r))
        } else {
            format!("◀{} {label} {}", "─".repeat(l), "─".repeat(r))
        };
        let style = if Some(i) == view.events.selected {
            SELECTED
        } else {
            Style::new().fg(kind_color(e.kind))
        };
        lines.push(Line::from(vec![
            Span::raw(" │"),
            Span::styled(arrow, style),
            Span::raw("│"),
        ]));
    }
    frame.render_widget(Paragraph::new(lines), inner);
}
