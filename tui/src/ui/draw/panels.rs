//! Status line, live figures, findings, footer and the help screen.

use super::{block, human};
use crate::ui::app::{App, Mode, KINDS, OUTCOMES};
use crate::ui::view::View;
use engine::rules::Severity;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Color, Modifier, Style, Stylize};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Clear, Paragraph, Sparkline, Wrap};
use ratatui::Frame;

/// State, figures and the UI's message on one line. The message always
/// shows (a notice before the UI's status before the last error); figures
/// fill what room is left, the most telling first. `live`: the live
/// figures too (their pane is not drawn).
pub fn status(frame: &mut Frame, area: Rect, app: &App, view: &View, render_ms: f64, live: bool) {
    let state = match (app.frozen.is_some(), view.done) {
        (true, _) => Span::styled(" FROZEN ", Style::new().bg(Color::Yellow).fg(Color::Black)),
        (false, true) => Span::styled(" DONE ", Style::new().bg(Color::Green).fg(Color::Black)),
        (false, false) => Span::styled(" RUNNING ", Style::new().bg(Color::Cyan).fg(Color::Black)),
    };
    let message = app.notice.clone().or_else(|| app.status.clone()).map_or_else(
        || view.last_error.clone().map(|e| format!(" error: {e}")),
        |m| Some(format!(" {m}")),
    );
    // In the order they show; `rank` says which go first for room.
    let mut figures = vec![(1, format!(" frames {} ", view.frames))];
    if live {
        figures.push((3, format!(" {:.0}/s ", view.packet_rate)));
        if let Some(n) = view.capture_drops.filter(|&n| n > 0) {
            figures.push((2, format!(" capture drops {n} ")));
        }
        if view.reassembly_drops > 0 {
            figures.push((2, format!(" reassembly drops {} ", view.reassembly_drops)));
        }
        if view.problems > 0 {
            figures.push((2, format!(" bad input {} ", view.problems)));
        }
    }
    figures.push((4, format!(" render {render_ms:.1} ms ")));
    let name = " smc-analyze ";
    let width = |s: &str| s.chars().count();
    let mut room =
        (area.width as usize).saturating_sub(width(&state.content) + message.as_deref().map_or(0, width) + 1);
    let mut shown = vec![false; figures.len()];
    let mut name_shown = false;
    for rank in 1..=4 {
        for (i, (r, text)) in figures.iter().enumerate() {
            if *r == rank && width(text) <= room {
                shown[i] = true;
                room -= width(text);
            }
        }
        if rank == 1 && width(name) <= room {
            name_shown = true;
            room -= width(name);
        }
    }
    let mut spans = Vec::new();
    if name_shown {
        spans.push(Span::styled(name, Style::new().add_modifier(Modifier::BOLD)));
    }
    spans.push(state);
    for ((_, text), _) in figures.into_iter().zip(&shown).filter(|(_, &s)| s) {
        spans.push(Span::raw(text));
    }
    if let Some(m) = message {
        spans.push(Span::styled(m, Style::new().fg(Color::Red).bold()));
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

/// `hint`: the pane stands in for another one (`x` brings that back).
pub fn findings(frame: &mut Frame, area: Rect, view: &View, hint: bool) {
    let mut title = format!(
        " Findings {} (all: {}) ",
        view.findings.len(),
        view.findings_total
    );
    if hint {
        title += "[x: back] ";
    }
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

/// The keys that fit, whole, in the order of [`KEYS`]; the search prompt while typing one.
pub fn footer(frame: &mut Frame, area: Rect, app: &App) {
    let line = match &app.mode {
        Mode::Search { text, .. } => {
            let hint = match app.history.last() {
                Some(last) if text.is_empty() => format!("   Enter: find, Esc: cancel, ↑: {last}"),
                _ => "   Enter: find, Esc: cancel".into(),
            };
            Line::from(vec![
                Span::styled(format!("/{text}▏"), Style::new().fg(Color::Yellow)),
                Span::styled(hint, Style::new().fg(Color::DarkGray)),
            ])
        }
        _ => {
            let mut room = area.width as usize;
            let mut spans = Vec::new();
            for (k, what) in KEYS.iter().take(FOOTER_KEYS) {
                let (key, what) = (format!(" {k} "), format!(" {what} "));
                let need = key.chars().count() + what.chars().count();
                if need > room {
                    break;
                }
                room -= need;
                spans.push(Span::styled(key, Style::new().reversed()));
                spans.push(Span::raw(what));
            }
            Line::from(spans)
        }
    };
    frame.render_widget(Paragraph::new(line), area);
}

/// Every key, the footer shows the first ones.
const KEYS: [(&str, &str); 18] = [
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
    (
        "/ n N",
        "search the focused pane (sessions: number, ends, outcome; events: message and fields; \
         detail: field names and values); next / previous match, round the end with a notice",
    ),
    (
        "in /",
        "Enter finds (empty: the last search), Esc or Backspace on an empty line cancels, \
         Ctrl-U clears, Ctrl-W deletes a word, ↑↓ earlier searches",
    ),
    ("c", "clear filters and search"),
    (
        "x",
        "findings in place of the hex pane (or of the field tree) when the screen is narrow",
    ),
    ("PgUp/PgDn", "move by ten"),
    ("g/G Home/End", "first / last"),
    ("Enter ←→ h/l", "next / previous pane"),
    ("mouse", "click selects, wheel moves"),
];
const FOOTER_KEYS: usize = 10;

/// The help screen's lines at `width`, wrapped: never cut.
fn help_lines(width: usize) -> Vec<Line<'static>> {
    const KEY: usize = 14;
    let kinds: Vec<&str> = KINDS.iter().map(|k| k.name()).collect();
    let notes = [
        format!(
            "m: message kind ({}); o: outcome ({}).",
            kinds.join(", "),
            OUTCOMES.join(", ")
        ),
        "e writes the selected session's frames to smc-session-ID.pcapng, or -1, -2... \
         when that exists (never over a file)."
            .into(),
        "↑↓ PgUp PgDn scroll this help, any other key closes it.".into(),
    ];
    let mut lines = Vec::new();
    // Narrow: keys on a line of their own.
    let (key, indent) = if width >= KEY + 2 + 20 {
        (KEY, KEY + 2)
    } else {
        (0, 2)
    };
    for (k, what) in KEYS {
        let wrapped = wrap(what, width.saturating_sub(indent).max(1));
        let first = Span::styled(format!("{k:>key$}  "), Style::new().bold());
        if key == 0 {
            lines.push(Line::from(first.clone()));
        }
        for (i, part) in wrapped.into_iter().enumerate() {
            let lead = if i == 0 && key > 0 {
                first.clone()
            } else {
                Span::raw(" ".repeat(indent))
            };
            lines.push(Line::from(vec![lead, Span::raw(part)]));
        }
    }
    lines.push(Line::from(""));
    for note in notes {
        lines.extend(wrap(&note, width.max(1)).into_iter().map(Line::from));
    }
    lines
}

/// Words to lines of at most `width` characters (a longer word is split).
fn wrap(text: &str, width: usize) -> Vec<String> {
    let mut lines = vec![String::new()];
    for word in text.split_whitespace() {
        let mut word: Vec<char> = word.chars().collect();
        loop {
            let line = lines.last_mut().expect("lines start with one");
            let used = line.chars().count();
            let gap = usize::from(used > 0);
            if used + gap + word.len() <= width {
                if gap == 1 {
                    line.push(' ');
                }
                line.extend(word);
                break;
            }
            if used > 0 {
                lines.push(String::new());
                continue;
            }
            let rest = word.split_off(width.min(word.len()));
            line.extend(word);
            lines.push(String::new());
            word = rest;
            if word.is_empty() {
                break;
            }
        }
    }
    lines.retain(|l| !l.is_empty());
    lines
}

/// Where the help goes on `screen`, and the width of its text.
fn help_area(screen: Rect) -> (Rect, usize) {
    let w = 76.min(screen.width);
    let text = w.saturating_sub(2) as usize;
    let h = (help_lines(text).len() as u16 + 2).min(screen.height);
    let area = Rect::new(
        screen.x + (screen.width - w) / 2,
        screen.y + (screen.height - h) / 2,
        w,
        h,
    );
    (area, text)
}

/// Help lines below the window when scrolled to `top`.
pub fn help_more(screen: Rect, top: usize) -> usize {
    let (area, text) = help_area(screen);
    let shown = area.height.saturating_sub(2) as usize;
    help_lines(text).len().saturating_sub(top + shown)
}

pub fn help(frame: &mut Frame, screen: Rect, top: usize) {
    let (area, text) = help_area(screen);
    let lines = help_lines(text);
    let shown = area.height.saturating_sub(2) as usize;
    let top = top.min(lines.len().saturating_sub(shown));
    let below = lines.len().saturating_sub(top + shown);
    let mut b = block(" Help ".into(), true);
    if top > 0 || below > 0 {
        b = b.title_bottom(format!(" ↑↓ {top} above, {below} below "));
    }
    frame.render_widget(Clear, area);
    frame.render_widget(
        Paragraph::new(lines)
            .scroll((top.min(u16::MAX as usize) as u16, 0))
            .block(b),
        area,
    );
}
