//! Render tests on the real captures (ratatui's TestBackend) and key
//! handling as a state machine.

use super::app::{Action, App, Mode, Pane};
use super::draw::{Panes, HIGHLIGHT};
use super::feed::{Engine, Frames, Shared};
use super::store::{Kind, Store, StoreCaps};
use super::view::Heights;
use engine::frame::{Frame, FrameSource};
use engine::synth::Copies;
use ratatui::backend::TestBackend;
use ratatui::buffer::Buffer;
use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::layout::Rect;
use ratatui::Terminal;
use std::path::Path;
use sys::source::CaptureFiles;

const W: u16 = 200;
const H: u16 = 50;

/// A real capture run through the engine thread's code, to the end.
fn load(name: &str) -> Shared {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../corpora/real")
        .join(name);
    let shared = Shared::default();
    Engine::new(Box::new(Frames(CaptureFiles::open(&[&path]).unwrap()))).run(&shared);
    shared
}

/// Presses `keys` (each followed by a frame, as the event loop does) and
/// returns the last screen.
fn screen(shared: &Shared, app: &mut App, keys: &[KeyCode]) -> Buffer {
    let mut t = Terminal::new(TestBackend::new(W, H)).unwrap();
    let mut view = super::draw_frame(&mut t, app, shared, 0.0).unwrap();
    for &k in keys {
        assert_eq!(
            app.key(KeyEvent::new(k, KeyModifiers::NONE), view.lengths),
            Action::None
        );
        view = super::draw_frame(&mut t, app, shared, 0.0).unwrap();
    }
    t.backend().buffer().clone()
}

/// The text inside `area`, a line each.
fn text(buf: &Buffer, area: Rect) -> Vec<String> {
    (area.y..area.y + area.height)
        .map(|y| {
            (area.x..area.x + area.width)
                .map(|x| buf[(x, y)].symbol())
                .collect()
        })
        .collect()
}

fn panes() -> Panes {
    Panes::new(Rect::new(0, 0, W, H))
}

#[test]
fn sessions_pane_shows_outcome_version_and_peers() {
    let buf = screen(&load("smcr-v2-echo.pcapng"), &mut App::default(), &[]);
    let lines = text(&buf, panes().sessions);
    let row = lines
        .iter()
        .find(|l| l.contains("10.0.0.2:48156"))
        .expect("the session's row");
    assert!(row.contains("SMC-R v2"), "{row}");
    assert!(
        row.contains("10.0.0.1:5000") && row.contains(" R ") && row.contains("v2"),
        "{row}"
    );
    // 61440 bytes each way over RDMA.
    assert!(row.contains("120.0 KiB"), "{row}");
}

#[test]
fn declined_session_shows_fallback_and_diagnosis() {
    let buf = screen(&load("server-no-ueid.pcapng"), &mut App::default(), &[]);
    let lines = text(&buf, panes().sessions);
    let row = lines
        .iter()
        .find(|l| l.contains("10.0.0.2:37456"))
        .expect("the session's row");
    assert!(row.contains("fallback NOSMCDEV by server"), "{row}");
    // The echo after the Decline is fallback data, 4096 bytes each way.
    let events = text(&buf, panes().events);
    assert!(
        events
            .iter()
            .any(|l| l.contains("S→C CLC decline v2 diagnosis=NOSMCDEV")),
        "{events:?}"
    );
    let data = |dir: &str| -> u64 {
        let rows = events.iter().filter(|l| l.contains(&format!("{dir} TCP data ")));
        rows.map(|l| {
            l.split("TCP data ")
                .nth(1)
                .unwrap()
                .split(' ')
                .next()
                .unwrap()
                .parse::<u64>()
                .unwrap()
        })
        .sum()
    };
    assert_eq!((data("C→S"), data("S→C")), (4096, 4096), "{events:?}");
}

#[test]
fn events_pane_lists_the_clc_handshake_in_order() {
    let buf = screen(&load("smcr-v2-echo.pcapng"), &mut App::default(), &[]);
    let events = text(&buf, panes().events).join("\n");
    let at = |what: &str| events.find(what).unwrap_or_else(|| panic!("{what} in\n{events}"));
    assert!(at("CLC proposal v2") < at("CLC accept v2"));
    assert!(at("CLC accept v2") < at("CLC confirm v2"));
    assert!(at("CLC confirm v2") < at("LLC confirm_link v2"));
}

#[test]
fn ladder_draws_arrows_between_the_two_hosts() {
    let buf = screen(&load("smcr-v2-echo.pcapng"), &mut App::default(), &[]);
    let lines = text(&buf, panes().ladder.inner(ratatui::layout::Margin::new(1, 1)));
    assert!(
        lines[0].trim_start().starts_with("10.0.0.2:48156") && lines[0].trim_end().ends_with("10.0.0.1:5000")
    );
    let arrow = |label: &str| {
        lines
            .iter()
            .find(|l| l.contains(label))
            .unwrap_or_else(|| panic!("{label}"))
    };
    // The client proposes (left to right), the server accepts (right to left).
    let proposal = arrow(" CLC proposal v2 ");
    assert!(proposal.contains("──▶│") && !proposal.contains('◀'), "{proposal}");
    let accept = arrow(" CLC accept v2 ");
    assert!(accept.contains("│◀──") && !accept.contains('▶'), "{accept}");
}

#[test]
fn hex_pane_highlights_the_selected_fields_bytes() {
    use KeyCode::*;
    let shared = load("smcr-v2-echo.pcapng");
    let mut app = App::default();
    // Events pane, third event (the Proposal), detail pane, third field (header.length).
    let buf = screen(&shared, &mut app, &[Tab, Down, Down, Tab, Down, Down]);
    let detail = text(&buf, panes().detail).join("\n");
    assert!(detail.contains("CLC Proposal (156 bytes)"), "{detail}");
    assert!(detail.contains("[5+2] header.length: 156"), "{detail}");
    let hex = panes().hex;
    let (x0, y0) = (hex.x + 1, hex.y + 1);
    let line: String = text(&buf, Rect::new(x0, y0, 54, 1)).concat();
    assert!(line.starts_with("0000  e2 d4 c3 d9 01 00 9c 22"), "{line}");
    // Byte i of the first line sits at column 6 + 3i.
    let cell = |i: u16| &buf[(x0 + 6 + 3 * i, y0)];
    for i in [5, 6] {
        assert_eq!(cell(i).bg, HIGHLIGHT.bg.unwrap(), "byte {i} is the field's");
    }
    for i in [4, 7] {
        assert_ne!(cell(i).bg, HIGHLIGHT.bg.unwrap(), "byte {i} is not");
    }
}

#[test]
fn kind_filter_keeps_only_that_kind() {
    let shared = load("smcr-v2-echo.pcapng");
    let mut app = App::default();
    // m: TCP option, then CLC.
    let buf = screen(&shared, &mut app, &[KeyCode::Char('m'), KeyCode::Char('m')]);
    assert_eq!(app.filters.kind, Some(Kind::Clc));
    let events = text(&buf, panes().events);
    assert!(events[0].contains("Events 3 [Clc]"), "{}", events[0]);
    let listed: Vec<_> = events.iter().filter(|l| l.contains(" CLC ")).collect();
    assert_eq!(listed.len(), 3, "{events:?}");
}

#[test]
fn search_narrows_sessions_and_finds_events() {
    use KeyCode::*;
    let shared = load("many-conns.pcapng");
    let mut app = App::default();
    let keys = [
        Char('/'),
        Char('5'),
        Char('9'),
        Char('9'),
        Char('5'),
        Char('0'),
        Enter,
    ];
    let buf = screen(&shared, &mut app, &keys);
    let sessions = text(&buf, panes().sessions).join("\n");
    assert!(sessions.contains("Sessions 1 [/59950]"), "{sessions}");
    assert!(sessions.contains("reused link group"), "{sessions}");
    // In the events pane a search finds events: Enter goes to the first
    // match, n to the next; the sessions stay as they were.
    let mut app = App::default();
    let buf = screen(
        &shared,
        &mut app,
        &[Tab, Char('/'), Char('c'), Char('d'), Char('c'), Enter],
    );
    assert!(text(&buf, panes().sessions).join("\n").contains("Sessions 4 "));
    let first = app.row.unwrap();
    screen(&shared, &mut app, &[Char('n')]);
    let next = app.row.unwrap();
    assert!(next > first);
    let store = shared.lock();
    assert!([first, next]
        .iter()
        .all(|&r| store.row(r).unwrap().kind == Kind::Cdc));
    let skipped = store.sessions[&0]
        .rows
        .iter()
        .copied()
        .filter(|&r| r > first && r < next);
    assert!(
        skipped.clone().all(|r| store.row(r).unwrap().kind != Kind::Cdc),
        "n skipped a CDC"
    );
}

#[test]
fn freeze_pins_the_lists() {
    let shared = load("smcr-v2-echo.pcapng");
    let mut app = App::default();
    screen(&shared, &mut app, &[KeyCode::Char(' ')]);
    assert_eq!(app.frozen, Some((1, shared.lock().next_row())));
    // Frozen at no rows: nothing shows even though the store has them.
    app.frozen = Some((1, 0));
    let buf = screen(&shared, &mut app, &[]);
    assert!(text(&buf, panes().events)[0].contains("Events 0"));
    screen(&shared, &mut app, &[KeyCode::Char(' ')]);
    assert_eq!(app.frozen, None);
}

fn press(app: &mut App, code: KeyCode) -> Action {
    app.key(KeyEvent::new(code, KeyModifiers::NONE), (7, 70))
}

#[test]
fn keys_move_focus_and_selection_moves_wait_for_the_view() {
    let mut app = App::default();
    assert_eq!(app.focus, Pane::Sessions);
    press(&mut app, KeyCode::Down);
    press(&mut app, KeyCode::Char('j'));
    assert_eq!(app.moves.sessions, 2);
    press(&mut app, KeyCode::Tab);
    assert_eq!(app.focus, Pane::Events);
    press(&mut app, KeyCode::PageUp);
    assert_eq!(app.moves.events, -10);
    press(&mut app, KeyCode::Tab);
    press(&mut app, KeyCode::Up);
    assert_eq!((app.focus, app.moves.field), (Pane::Detail, -1));
    press(&mut app, KeyCode::Tab);
    assert_eq!(app.focus, Pane::Sessions);
    press(&mut app, KeyCode::BackTab);
    assert_eq!(app.focus, Pane::Detail);
    press(&mut app, KeyCode::Left);
    assert_eq!(app.focus, Pane::Events);
}

#[test]
fn search_mode_takes_text_until_enter_or_esc() {
    let mut app = App::default();
    press(&mut app, KeyCode::Char('/'));
    for c in "q?x".chars() {
        // Keys that mean something elsewhere are text here.
        assert_eq!(press(&mut app, KeyCode::Char(c)), Action::None);
    }
    press(&mut app, KeyCode::Backspace);
    assert_eq!(app.mode, Mode::Search("q?".into()));
    press(&mut app, KeyCode::Enter);
    assert_eq!(
        (app.mode.clone(), app.filters.search.as_str()),
        (Mode::Normal, "q?")
    );
    press(&mut app, KeyCode::Char('/'));
    press(&mut app, KeyCode::Char('z'));
    press(&mut app, KeyCode::Esc);
    assert_eq!(app.filters.search, "q?");
}

#[test]
fn filters_cycle_and_clear() {
    let mut app = App::default();
    press(&mut app, KeyCode::Char('o'));
    assert_eq!(app.filters.outcome, Some("smc-r"));
    for _ in 0..6 {
        press(&mut app, KeyCode::Char('o'));
    }
    assert_eq!(app.filters.outcome, None, "after the last outcome: all again");
    press(&mut app, KeyCode::Char('f'));
    press(&mut app, KeyCode::Char('m'));
    assert!(app.filters.findings_only && app.filters.kind == Some(Kind::Tcp));
    press(&mut app, KeyCode::Char('c'));
    assert_eq!(app.filters, Default::default());
}

#[test]
fn help_freeze_export_and_quit() {
    let mut app = App::default();
    press(&mut app, KeyCode::Char('?'));
    assert_eq!(app.mode, Mode::Help);
    // Any key closes the help, and does nothing else.
    assert_eq!(press(&mut app, KeyCode::Char('e')), Action::None);
    assert_eq!(app.mode, Mode::Normal);
    press(&mut app, KeyCode::Char(' '));
    assert_eq!(app.frozen, Some((7, 70)));
    assert_eq!(press(&mut app, KeyCode::Char('e')), Action::Export);
    assert_eq!(press(&mut app, KeyCode::Char('q')), Action::Quit);
    let ctrl_c = KeyEvent::new(KeyCode::Char('c'), KeyModifiers::CONTROL);
    assert_eq!(app.key(ctrl_c, (0, 0)), Action::Quit);
}

#[test]
fn mouse_click_selects_the_row_under_it() {
    use ratatui::crossterm::event::{MouseButton, MouseEvent, MouseEventKind};
    let shared = load("many-conns.pcapng");
    let mut app = App::default();
    screen(&shared, &mut app, &[]);
    let s = app.areas.sessions;
    // Border, header, then sessions 0, 1, 2: click the third.
    let click = MouseEvent {
        kind: MouseEventKind::Down(MouseButton::Left),
        column: s.x + 3,
        row: s.y + 4,
        modifiers: KeyModifiers::NONE,
    };
    app.mouse(click);
    screen(&shared, &mut app, &[]);
    assert_eq!(app.session, Some(2));
}

#[test]
fn bad_file_shows_the_error_in_the_status_line() {
    let shared = Shared::default();
    let open = super::Source::files(vec!["/nonexistent/x.pcapng".into()]).open;
    match open() {
        Ok(_) => panic!("opened a missing file"),
        Err(e) => shared.lock().error(e),
    }
    let buf = screen(&shared, &mut App::default(), &[]);
    let status = text(&buf, panes().status).concat();
    assert!(status.contains("error: /nonexistent/x.pcapng:"), "{status}");
}

/// The frames of a real capture.
fn frames(name: &str) -> Vec<Frame> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../corpora/real")
        .join(name);
    let mut source = CaptureFiles::open(&[&path]).unwrap();
    std::iter::from_fn(|| source.next_frame())
        .map(Result::unwrap)
        .collect()
}

#[test]
fn a_long_live_feed_keeps_the_store_within_its_caps() {
    let frames = frames("smcr-v2-echo.pcapng");
    let copies = 400;
    let caps = StoreCaps {
        rows: 1_000_000,
        findings: 1_000,
        ended_sessions: 50,
        link_groups: 10,
    };
    let shared = Shared::default();
    shared.lock().caps = caps;
    // Copies of a real SMC-R session, one after another, each with its own
    // addresses: a long live capture in short.
    let mut engine = Engine::new(Box::new(Frames(Copies::new(frames, copies))));
    let mut most = (0, 0, 0);
    while engine.batch(&shared) {
        let store = shared.lock();
        let live = store.sessions.values().filter(|e| !e.ended).count();
        most = (
            most.0.max(store.sessions.len()),
            most.1.max(store.lgr_rows.len()),
            most.2.max(live),
        );
    }
    engine.finish(&shared);
    let store = shared.lock();
    // A copy's session ends before the next one starts.
    assert!(most.2 <= 2, "{most:?}");
    assert!(most.0 <= caps.ended_sessions + most.2, "{most:?}");
    assert!(most.1 <= caps.link_groups, "{most:?}");
    assert_eq!(store.next_session, copies, "one session per copy");
    // The newest ones stay; the others were let go and counted.
    let kept: Vec<u32> = store.sessions.keys().copied().collect();
    assert_eq!(
        kept,
        (copies - caps.ended_sessions as u32..copies).collect::<Vec<_>>()
    );
    assert_eq!(
        store.sessions_let_go,
        u64::from(copies) - caps.ended_sessions as u64
    );
    assert_eq!(
        store.link_groups_let_go,
        u64::from(copies) - caps.link_groups as u64
    );
    // Every kept session still has its rows, and the link group rows its LLC.
    assert!(store.sessions.values().all(|e| !e.rows.is_empty()));
    assert!(store
        .lgr_rows
        .values()
        .all(|rows| rows.iter().all(|&r| store.row(r).unwrap().kind == Kind::Llc)));
    drop(store);
    // The sessions pane says how many it let go.
    let buf = screen(&shared, &mut App::default(), &[]);
    let title = text(&buf, panes().sessions).join("\n");
    assert!(title.contains("Sessions 50 (+350 ended, let go)"), "{title}");
}

/// The events pane's labels (direction and kind too) for session `id`, all of them.
fn event_labels(shared: &Shared, id: u32) -> Vec<String> {
    let mut app = App {
        session: Some(id),
        ..App::default()
    };
    let h = Heights {
        sessions: 1,
        events: 1 << 20,
        fields: 1,
    };
    let view = super::view::build(&mut shared.lock(), &mut app, h);
    assert_eq!(app.session, Some(id), "session {id} is listed");
    view.events
        .lines
        .iter()
        .map(|l| format!("{:?} {:?} {}", l.from, l.kind, l.label))
        .collect()
}

#[test]
fn a_long_live_feed_keeps_the_newest_rows() {
    // One copy of a real SMC-R session alone: the events its session shows.
    let one = load("smcr-v2-echo.pcapng");
    let per_copy = one.lock().rows.len();
    let labels = event_labels(&one, 0);
    assert!(labels.iter().any(|l| l.contains("CLC proposal")) && labels.iter().any(|l| l.contains("LLC")));
    // Rows for three and a half copies: the ring wraps inside a copy.
    let copies = 100;
    let caps = StoreCaps {
        rows: per_copy * 7 / 2,
        findings: 1_000,
        ended_sessions: 50,
        link_groups: 10,
    };
    let shared = Shared::default();
    shared.lock().caps = caps;
    let mut engine = Engine::new(Box::new(Frames(Copies::new(
        frames("smcr-v2-echo.pcapng"),
        copies,
    ))));
    let check = |store: &Store| {
        assert!(store.rows.len() <= caps.rows, "{} rows", store.rows.len());
        // Every row a list names is still kept, and is that list's.
        for (&id, e) in &store.sessions {
            assert!(
                e.rows
                    .iter()
                    .all(|&n| store.row(n).is_some_and(|r| r.session == Some(id))),
                "session {id}"
            );
        }
        for (&g, rows) in &store.lgr_rows {
            assert!(
                rows.iter()
                    .all(|&n| store.row(n).is_some_and(|r| r.lgr == Some(g))),
                "link group {g}"
            );
        }
    };
    while engine.batch(&shared) {
        check(&shared.lock());
    }
    engine.finish(&shared);
    let store = shared.lock();
    check(&store);
    let total = per_copy as u64 * u64::from(copies);
    assert_eq!((store.next_row(), store.rows.len()), (total, caps.rows));
    assert_eq!(store.rows_let_go, total - caps.rows as u64);
    // An older session still listed has had its rows let go.
    assert!(store.sessions[&(copies - 10)].rows.is_empty());
    drop(store);
    // The last session shows all its events, as the one copy alone does.
    assert_eq!(event_labels(&shared, copies - 1), labels);
}
