//! Status line, live figures, findings, footer and the help screen.

use super::{block, human};
use crate::ui::app::{App, Mode};
use crate::ui::view::View;
use engine::rules::Severity;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Color, Modifier, Style, Stylize};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Clear, Paragraph, Sparkline, Wrap};
use ratatui::Frame;

pub fn status(frame: &mut Frame, area: Rect, app: &App, view: &View, render_ms: f64) {
    let state = match (app.frozen.is_some(), view.done) {
        (true, _) => Span::styled(" FROZEN ", Style::new().bg(Color::Yellow).fg(Color::Black)),
        (false, true) => Span::styled(" DONE ", Style::new().bg(Color::Green).fg(Color::Black)),
        (false, false) => Span::styled(" RUNNING ", Style::new().bg(Color::Cyan).fg(Color::Black)),
    };
    let mut spans = vec![
        Span::styled(" smc-analyze ", Style::new().add_modifier(Modifier::BOLD)),
        state,
        Span::raw(format!(" frames {}  render {render_ms:.1} ms ", view.frames)),
    ];
    let message = app
        .status
        .clone()
        .or_else(|| view.last_error.clone().map(|e| format!("error: {e}")));
    if let Some(m) = message {
        spans.push(Span::styled(format!(" {m}"), Style::new().fg(Color::Red).bold()));
    }
    frame.render_widget(Paragraph::new(Line::from(spans)), area);
}

pub fn figures(frame: &mut Frame, area: Rect, view: &View) {
    let b = block(" Live ".into(), false);
    let inner = b.inner(area);
    frame.render_widget(b, area);
    let [text, spark] = Layout::vertical([Constraint::Length(5), Constraint::Fill(1)]).areas(inner);
    let drops = match view.capture_drops {
        Some(n) => n.to_string(),
        None => "n/a (file)".into(),
    };
    let (buckets, width) = &view.throughput;
    let total: u64 = buckets.iter().sum();
    let lines = vec![
        Line::from(format!("packet rate  {:.0}/s", view.packet_rate)),
        Line::from(format!("capture drops {drops}")),
        Line::from(format!("reassembly drops {}", view.reassembly_drops)),
        Line::from(format!("bad input {}", view.problems)),
        Line::from(format!("session {}, {:.3}s/bar", human(total), width)),
    ];
    frame.render_widget(Paragraph::new(lines), text);
    let shown = spark.width as usize;
    let data = &buckets[buckets.len().saturating_sub(shown)..];
    frame.render_widget(
        Sparkline::default()
            .data(data)
            .style(Style::new().fg(Color::Green)),
        spark,
    );
}

pub fn findings(frame: &mut Frame, area: Rect, view: &View) {
    let title = format!(
        " Findings {} (all: {}) ",
        view.findings.len(),
        view.findings_total
    );
    let lines: Vec<Line> = if view.findings.is_empty() {
        vec![Line::from("no findings for this session").fg(Color::DarkGray)]
    } else {
        view.findings
            .iter()
            .map(|f| {
                let color = if f.severity == Severity::Error {
                    Color::Red
                } else {
                    Color::Yellow
                };
                let frames: Vec<String> = f.frames.iter().map(u64::to_string).collect();
                Line::from(vec![
                    Span::styled(format!("{} ", f.rule), Style::new().fg(color).bold()),
                    Span::raw(format!("frames {}: {}", frames.join(","), f.detail)),
                ])
            })
            .collect()
    };
    frame.render_widget(
        Paragraph::new(lines)
            .wrap(Wrap { trim: true })
            .block(block(title, false)),
        area,
    );
}

pub fn footer(frame: &mut Frame, area: Rect, app: &App) {
    let line = match &app.mode {
        Mode::Search(text) => Line::from(vec![Span::raw("/"), Span::raw(text.clone()), Span::raw("▏")])
            .style(Style::new().fg(Color::Yellow)),
        _ => Line::from(
            KEYS.iter()
                .take(FOOTER_KEYS)
                .flat_map(|(k, what)| {
                    [
                        Span::styled(format!(" {k} "), Style::new().reversed()),
                        Span::raw(format!(" {what} ")),
                    ]
                })
                .collect::<Vec<_>>(),
        ),
    };
    frame.render_widget(Paragraph::new(line), area);
}

/// Every key, the footer shows the first ones.
const KEYS: [(&str, &str); 16] = [
    ("q", "quit"),
    ("?", "help"),
    ("Tab", "pane"),
    ("↑↓", "move"),
    ("/", "search"),
    ("m", "kind"),
    ("o", "outcome"),
    ("f", "findings"),
    ("space", "freeze"),
    ("e", "export"),
    ("n/N", "next/previous event matching the search"),
    ("c", "clear filters and search"),
    ("PgUp/PgDn", "move by ten"),
    ("g/G Home/End", "first / last"),
    ("Enter ←→ h/l", "next / previous pane"),
    ("mouse", "click selects, wheel moves"),
];
const FOOTER_KEYS: usize = 10;

pub fn help(frame: &mut Frame, screen: Rect) {
    let w = 64.min(screen.width);
    let h = (KEYS.len() as u16 + 8).min(screen.height);
    let area = Rect::new(
        screen.x + (screen.width - w) / 2,
        screen.y + (screen.height - h) / 2,
        w,
        h,
    );
    let mut lines: Vec<Line> = KEYS
        .iter()
        .map(|(k, what)| {
            Line::from(vec![
                Span::styled(format!("{k:>14}  "), Style::new().bold()),
                Span::raw(*what),
            ])
        })
        .collect();
    lines.push(Line::from(""));
    lines.push(Line::from(
        " m: message kind (TCP, CLC, LLC, CDC, RDMA, data); o: outcome;",
    ));
    lines.push(Line::from(
        " e writes the selected session's frames to smc-session-ID.pcapng.",
    ));
    lines.push(Line::from(" Any key closes this help."));
    frame.render_widget(Clear, area);
    frame.render_widget(Paragraph::new(lines).block(block(" Help ".into(), true)), area);
}
