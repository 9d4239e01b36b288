//! A snapshot for one frame: what the panes show, cloned out of the store
//! under its lock. Bounded by the pane sizes (only visible rows are copied;
//! the lists are filtered by index), so building it stays cheap with
//! millions of frames loaded.

use super::app::{App, Pane};
use super::store::{Kind, Row, Store};
use engine::frame::Timestamp;
use engine::rules::Severity;
use engine::session::{Fallback, Outcome, Session, Side};
use std::collections::VecDeque;

#[derive(Debug, Clone)]
pub struct SessionLine {
    pub id: u32,
    pub outcome: String,
    pub client: String,
    pub server: String,
    pub path: &'static str,
    pub version: String,
    pub bytes: u64,
    pub findings: u32,
}

#[derive(Debug, Clone)]
pub struct EventLine {
    pub frame: u64,
    /// Seconds since the first frame of the capture.
    pub time: f64,
    pub from: Side,
    pub kind: Kind,
    pub label: String,
    pub fields: String,
}

#[derive(Debug, Clone)]
pub struct FieldLine {
    pub depth: usize,
    pub name: String,
    pub offset: usize,
    pub len: usize,
    pub value: String,
}

/// The selected message: its field tree and bytes.
#[derive(Debug, Clone, Default)]
pub struct Detail {
    pub title: String,
    pub bytes: Vec<u8>,
    pub fields: Vec<FieldLine>,
    pub selected: usize,
}

#[derive(Debug, Clone)]
pub struct FindingLine {
    pub severity: Severity,
    pub rule: &'static str,
    pub frames: Vec<u64>,
    pub detail: String,
}

/// A window of a longer list: its lines, where it starts, the selection in it.
#[derive(Debug, Clone)]
pub struct Window<T> {
    pub lines: Vec<T>,
    pub total: usize,
    pub top: usize,
    pub selected: Option<usize>,
}

#[derive(Debug, Clone)]
pub struct View {
    pub sessions: Window<SessionLine>,
    pub events: Window<EventLine>,
    /// The selected session's client and server.
    pub hosts: Option<(String, String)>,
    pub detail: Detail,
    pub findings: Vec<FindingLine>,
    pub findings_total: usize,
    /// The selected session's bytes over its life, and seconds per bucket.
    pub throughput: (Vec<u64>, f64),
    pub frames: u64,
    pub packet_rate: f64,
    pub capture_drops: Option<u64>,
    pub reassembly_drops: u64,
    pub problems: u64,
    pub last_error: Option<String>,
    pub done: bool,
    /// Rows the store let go for its cap, oldest first.
    pub rows_let_go: u64,
    /// Ended sessions the store let go for its cap.
    pub sessions_let_go: u64,
    /// Sessions (one past the highest id) and the next row's number in the
    /// store: what a freeze pins the lists to.
    pub lengths: (usize, u64),
}

/// Rows each list pane shows (without borders and headers).
#[derive(Debug, Clone, Copy)]
pub struct Heights {
    pub sessions: usize,
    pub events: usize,
    pub fields: usize,
    pub findings: usize,
}

pub fn build(store: &mut Store, app: &mut App, h: Heights) -> View {
    let text = app.search.to_lowercase();
    let (session_limit, row_limit) = app.frozen.unwrap_or((usize::MAX, u64::MAX));
    let ids = sessions(store, app, session_limit);
    let clicked = app.click;
    let click = |pane| clicked.filter(|c| c.0 == pane).map(|c| c.1);
    let mut pos = ids.iter().position(|&id| Some(id) == app.session);
    if app.focus == Pane::Sessions {
        pos = search(app, ids.len(), pos, |p| {
            store
                .sessions
                .get(&ids[p])
                .is_some_and(|e| searchable(&e.session).contains(&*text))
        });
    }
    let pos = resolve(pos, click(Pane::Sessions), app.moves.sessions, ids.len());
    let session = pos.map(|p| ids[p]);
    if session != app.session {
        app.row = None;
    }
    app.session = session;
    let top = scroll(app.areas.sessions_top, pos, h.sessions, ids.len());
    app.areas.sessions_top = top;
    let sessions = Window {
        lines: ids[top..ids.len().min(top + h.sessions)]
            .iter()
            .map(|&id| session_line(&store.sessions[&id].session))
            .collect(),
        total: ids.len(),
        top,
        selected: pos.map(|p| p - top),
    };

    let rows = session
        .map(|id| events(store, app, id, row_limit))
        .unwrap_or_default();
    let mut pos = rows.binary_search(&app.row.unwrap_or(0)).ok();
    if app.focus == Pane::Events {
        pos = search(app, rows.len(), pos, |p| {
            store.row(rows[p]).is_some_and(|r| {
                let line = format!("{} {}", r.label(), r.fields);
                line.to_lowercase().contains(&*text)
            })
        });
    }
    let pos = resolve(pos, click(Pane::Events), app.moves.events, rows.len());
    let row = pos.map(|p| rows[p]);
    if row != app.row {
        app.field = 0;
    }
    app.row = row;
    let top = scroll(app.areas.events_top, pos, h.events, rows.len());
    app.areas.events_top = top;
    let start = store.first.unwrap_or_default();
    let events = Window {
        lines: rows[top..rows.len().min(top + h.events)]
            .iter()
            .filter_map(|&n| Some(event_line(store.row(n)?, start)))
            .collect(),
        total: rows.len(),
        top,
        selected: pos.map(|p| p - top),
    };

    let mut detail = row.and_then(|n| store.row(n)).map(detail).unwrap_or_default();
    let mut field = Some(app.field);
    if app.focus == Pane::Detail {
        let fields = &detail.fields;
        field = search(app, fields.len(), field, |p| {
            let line = format!("{}: {}", fields[p].name, fields[p].value);
            line.to_lowercase().contains(&*text)
        });
    }
    let field = resolve(field, None, app.moves.field, detail.fields.len());
    app.field = field.unwrap_or(0);
    detail.selected = app.field;
    app.moves = Default::default();
    app.click = None;

    let entry = session.map(|id| &store.sessions[&id]);
    let lgr = entry.and_then(|e| e.session.smcr.as_ref()?.link_group);
    let mine: Vec<_> = store
        .findings
        .iter()
        .filter(|f| {
            session.is_some() && (f.session == session || (f.session.is_none() && f.link_group == lgr))
        })
        .collect();
    View {
        sessions,
        events,
        hosts: entry.map(|e| (e.session.client.to_string(), e.session.server.to_string())),
        detail,
        findings_total: store.findings.len(),
        findings: mine
            .iter()
            .rev()
            .take(h.findings.max(1))
            .map(|f| FindingLine {
                severity: f.rule.severity,
                rule: f.rule.id,
                frames: f.frames.clone(),
                detail: f.detail.clone(),
            })
            .collect(),
        throughput: entry
            .map(|e| (e.rate.buckets.clone(), e.rate.width()))
            .unwrap_or_default(),
        frames: store.frames,
        packet_rate: store.packet_rate(),
        capture_drops: store.drops.capture,
        reassembly_drops: {
            let d = store.drops.reassembly;
            d.pending_bytes + d.gap_bytes + d.untracked_segments + d.untracked_packets + d.send_fragments
        },
        problems: store.problems,
        last_error: store.last_error.clone(),
        done: store.done,
        rows_let_go: store.rows_let_go,
        sessions_let_go: store.sessions_let_go,
        lengths: (store.next_session as usize, store.next_row()),
    }
}

/// Ids of the sessions the filters let through.
fn sessions(store: &Store, app: &App, limit: usize) -> Vec<u32> {
    let f = &app.filters;
    let limit = u32::try_from(limit).unwrap_or(u32::MAX);
    store
        .sessions
        .range(..limit)
        .map(|(_, e)| &e.session)
        .filter(|s| f.outcome.is_none_or(|o| s.outcome.kind() == o))
        .filter(|s| !f.findings_only || s.findings > 0)
        .map(|s| s.id)
        .collect()
}

/// What a search matches in a session: its id, ends, outcome and why.
fn searchable(s: &Session) -> String {
    let l = session_line(s);
    format!("#{} {} {} {}", l.id, l.client, l.server, l.outcome).to_lowercase()
}

/// The numbers of the rows of a session and of its link group (LLC), in order, filtered.
fn events(store: &Store, app: &App, id: u32, limit: u64) -> Vec<u64> {
    let entry = &store.sessions[&id];
    let lgr = entry.session.smcr.as_ref().and_then(|r| r.link_group);
    let none = VecDeque::new();
    let group = lgr.and_then(|g| store.lgr_rows.get(&g)).unwrap_or(&none);
    let (mut a, mut b) = (entry.rows.iter().peekable(), group.iter().peekable());
    let mut out = Vec::with_capacity(entry.rows.len() + group.len());
    loop {
        let next = match (a.peek(), b.peek()) {
            (Some(&&x), Some(&&y)) if x < y => a.next(),
            (Some(_), None) => a.next(),
            (_, Some(_)) => b.next(),
            (None, None) => break,
        };
        let n = *next.unwrap_or(&u64::MAX);
        if n < limit
            && app
                .filters
                .kind
                .is_none_or(|k| store.row(n).is_some_and(|r| r.kind == k))
        {
            out.push(n);
        }
    }
    out
}

/// `n`/`N` (or Enter in the prompt) in the focused pane: the next or
/// previous of its `len` rows after `from` that is a `hit`, wrapping
/// around the end with a notice as less does; `from` where nothing matches.
fn search(app: &mut App, len: usize, from: Option<usize>, hit: impl Fn(usize) -> bool) -> Option<usize> {
    let Some(forward) = app.moves.find.take() else {
        return from;
    };
    let after: Box<dyn Iterator<Item = usize>> = match (forward, from) {
        (true, Some(p)) => Box::new(p + 1..len),
        (false, Some(p)) => Box::new((0..p).rev()),
        (true, None) => Box::new(0..len),
        (false, None) => Box::new((0..len).rev()),
    };
    if let Some(p) = after.into_iter().find(|&p| hit(p)) {
        return Some(p);
    }
    // Round the end to where the search started (a lone match finds itself).
    let wrapped = match (forward, from) {
        (true, Some(p)) => (0..=p).find(|&p| hit(p)),
        (false, Some(p)) => (p..len).rev().find(|&p| hit(p)),
        (_, None) => None,
    };
    app.notice = Some(match wrapped {
        Some(_) if forward => "search hit BOTTOM, continuing at TOP".into(),
        Some(_) => "search hit TOP, continuing at BOTTOM".into(),
        None => format!("Pattern not found: {}", app.search),
    });
    wrapped.or(from)
}

/// The selected position after a click or a move, inside `0..len`.
fn resolve(pos: Option<usize>, click: Option<usize>, step: i64, len: usize) -> Option<usize> {
    if len == 0 {
        return None;
    }
    let base = click.filter(|&c| c < len).or(pos).unwrap_or(0) as i64;
    Some(base.saturating_add(step).clamp(0, len as i64 - 1) as usize)
}

/// The first row to show so the selection stays in sight, moving as little as possible.
fn scroll(top: usize, selected: Option<usize>, height: usize, len: usize) -> usize {
    let height = height.max(1);
    let top = top.min(len.saturating_sub(height));
    match selected {
        Some(s) if s < top => s,
        Some(s) if s >= top + height => s + 1 - height,
        _ => top,
    }
}

pub fn session_line(s: &Session) -> SessionLine {
    let (outcome, path, version) = match &s.outcome {
        Outcome::Smc(n) => {
            let path = if n.smcd { "SMC-D" } else { "SMC-R" };
            let contact = if n.first_contact {
                "first contact"
            } else {
                "reused link group"
            };
            (
                format!("{path} v{} ({contact})", n.version),
                if n.smcd { "D" } else { "R" },
                format!("v{}", n.version),
            )
        }
        Outcome::Fallback(Fallback::Declined {
            by,
            version,
            diagnosis,
        }) => (
            format!(
                "fallback {} by {}",
                diagnosis.name().unwrap_or("unknown"),
                by.name()
            ),
            "TCP",
            format!("v{version}"),
        ),
        Outcome::Fallback(Fallback::NoOption { lacking }) => (
            format!("TCP (no SMC option from the {})", lacking.name()),
            "TCP",
            "-".into(),
        ),
        Outcome::Fallback(Fallback::Aborted { by, reset, .. }) => (
            format!(
                "aborted by the {} ({})",
                by.name(),
                if *reset { "RST" } else { "FIN" }
            ),
            "-",
            "-".into(),
        ),
        Outcome::Pending => ("pending".into(), "-", "-".into()),
    };
    SessionLine {
        id: s.id,
        outcome,
        client: s.client.to_string(),
        server: s.server.to_string(),
        path,
        version,
        bytes: super::store::Entry::bytes(s),
        findings: s.findings,
    }
}

fn event_line(r: &Row, start: Timestamp) -> EventLine {
    EventLine {
        frame: r.frame,
        time: r.time.as_secs_f64() - start.as_secs_f64(),
        from: r.from,
        kind: r.kind,
        label: r.label(),
        fields: r.fields.to_string(),
    }
}

/// The field tree of a row's message, or its fields without offsets when
/// the event carries no message bytes (RDMA WRITE, TCP).
fn detail(r: &Row) -> Detail {
    let Some(message) = &r.message else {
        let fields = r
            .fields
            .split(' ')
            .filter(|f| !f.is_empty())
            .map(|f| {
                let (name, value) = f.split_once('=').unwrap_or((f, ""));
                FieldLine {
                    depth: 0,
                    name: name.into(),
                    offset: 0,
                    len: 0,
                    value: value.into(),
                }
            })
            .collect();
        return Detail {
            title: format!("frame {}: {}", r.frame, r.label()),
            bytes: Vec::new(),
            fields,
            selected: 0,
        };
    };
    let tree = message.tree();
    let mut fields = Vec::new();
    flatten(&tree, &tree.fields, 0, &mut fields);
    Detail {
        title: format!("frame {}: {} ({} bytes)", r.frame, tree.message, tree.bytes.len()),
        bytes: tree.bytes,
        fields,
        selected: 0,
    }
}

fn flatten(
    tree: &dissect::tree::FieldTree,
    nodes: &[dissect::tree::FieldNode],
    depth: usize,
    out: &mut Vec<FieldLine>,
) {
    for n in nodes {
        out.push(FieldLine {
            depth,
            name: n.name.into(),
            offset: n.offset,
            len: n.len,
            value: n.shown(tree),
        });
        flatten(tree, &n.children, depth + 1, out);
    }
}
