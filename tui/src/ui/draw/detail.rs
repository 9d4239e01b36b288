//! The selected message's field tree (with byte offsets) and its bytes in
//! hex, the selected field's bytes highlighted.

use super::{block, focused, HIGHLIGHT, SELECTED};
use crate::ui::app::{App, Pane};
use crate::ui::view::View;
use ratatui::layout::Rect;
use ratatui::style::{Color, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Wrap};
use ratatui::Frame;

pub fn tree(frame: &mut Frame, area: Rect, app: &App, view: &View) {
    let d = &view.detail;
    let title = if d.title.is_empty() {
        " Detail ".into()
    } else {
        format!(" {} ", d.title)
    };
    let height = area.height.saturating_sub(2) as usize;
    // Keep the selected field in sight.
    let top = d.selected.saturating_sub(height.saturating_sub(1));
    let lines: Vec<Line> = d
        .fields
        .iter()
        .enumerate()
        .skip(top)
        .take(height)
        .map(|(i, f)| {
            let at = if d.bytes.is_empty() {
                String::new()
            } else {
                format!("[{}+{}] ", f.offset, f.len)
            };
            let line = Line::from(vec![
                Span::raw("  ".repeat(f.depth)),
                Span::styled(at, Style::new().fg(Color::DarkGray)),
                Span::styled(f.name.clone(), Style::new().fg(Color::Cyan)),
                Span::raw(format!(": {}", f.value)),
            ]);
            if i == d.selected && focused(app, Pane::Detail) {
                line.style(SELECTED)
            } else if i == d.selected {
                line.style(Style::new().bg(Color::DarkGray))
            } else {
                line
            }
        })
        .collect();
    frame.render_widget(
        Paragraph::new(lines).block(block(title, focused(app, Pane::Detail))),
        area,
    );
}

/// `row` (16 or 8) bytes a line: offset, hex, ASCII.
pub fn hex(frame: &mut Frame, area: Rect, view: &View, row: usize, hint: bool) {
    let d = &view.detail;
    let title = if hint { " Hex [x: findings] " } else { " Hex " };
    let b = block(title.into(), false);
    let inner = b.inner(area);
    frame.render_widget(b, area);
    if d.bytes.is_empty() {
        let why = if d.title.is_empty() {
            ""
        } else {
            "no message bytes (RDMA payload and TCP are not kept)"
        };
        frame.render_widget(
            Paragraph::new(why)
                .wrap(Wrap { trim: true })
                .style(Style::new().fg(Color::DarkGray)),
            inner,
        );
        return;
    }
    let (from, to) = d
        .fields
        .get(d.selected)
        .map_or((0, 0), |f| (f.offset, f.offset + f.len));
    let height = inner.height as usize;
    // Scroll so the selected field's first line shows.
    let top = (from / row).saturating_sub(height.saturating_sub(1));
    // Columns the hex of `n` bytes takes (16 a line: two halves, one more space between).
    let hex_width = |n: usize| n * 3 + usize::from(row == 16 && n >= 8);
    let lines: Vec<Line> = d
        .bytes
        .chunks(row)
        .enumerate()
        .skip(top)
        .take(height)
        .map(|(n, chunk)| {
            let base = n * row;
            let mut spans = vec![Span::styled(
                format!("{base:04x}  "),
                Style::new().fg(Color::DarkGray),
            )];
            for (i, byte) in chunk.iter().enumerate() {
                let at = base + i;
                let style = if (from..to).contains(&at) {
                    HIGHLIGHT
                } else {
                    Style::new()
                };
                spans.push(Span::styled(format!("{byte:02x}"), style));
                // The gap belongs to the field when both neighbours do.
                let gap_style = if (from..to).contains(&at) && (from..to).contains(&(at + 1)) && i != row - 1
                {
                    HIGHLIGHT
                } else {
                    Style::new()
                };
                let gap = if row == 16 && i == 7 { "  " } else { " " };
                spans.push(Span::styled(gap, gap_style));
            }
            let ascii: String = chunk
                .iter()
                .map(|&c| {
                    if c.is_ascii_graphic() || c == b' ' {
                        c as char
                    } else {
                        '.'
                    }
                })
                .collect();
            let pad = hex_width(row) - hex_width(chunk.len()) + 1;
            spans.push(Span::raw(format!("{:pad$}{ascii}", "")));
            Line::from(spans)
        })
        .collect();
    frame.render_widget(Paragraph::new(lines), inner);
}
