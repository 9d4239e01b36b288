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
    Panes::new(Rect::new(0, 0, W, H), &App::default())
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
    assert!(events[0].contains("Events 3 [kind CLC]"), "{}", events[0]);
    let listed: Vec<_> = events.iter().filter(|l| l.contains(" CLC ")).collect();
    assert_eq!(listed.len(), 3, "{events:?}");
}

#[test]
fn kind_filter_names_tcp_fin_and_rst_apart_from_data() {
    // A fallback session: its echo is TCP data, then both sides FIN.
    let shared = load("server-no-ueid.pcapng");
    let rows = |presses: usize| {
        let mut app = App::default();
        let buf = screen(&shared, &mut app, &vec![KeyCode::Char('m'); presses]);
        let events = text(&buf, panes().events);
        let listed: Vec<String> = events[2..]
            .iter()
            .filter(|l| l.contains('→'))
            .map(|l| {
                l.split('→').nth(1).unwrap()[2..]
                    .trim_end_matches([' ', '│'])
                    .to_string()
            })
            .collect();
        (events[0].clone(), listed)
    };
    let (title, data) = rows(6);
    assert!(title.contains("[kind TCP data]"), "{title}");
    assert!(
        !data.is_empty() && data.iter().all(|l| l.starts_with("TCP data ")),
        "{data:?}"
    );
    let (title, ends) = rows(7);
    assert!(title.contains("[kind TCP FIN/RST]"), "{title}");
    assert_eq!(ends, ["TCP fin", "TCP fin"], "{title}");
}

/// Keys of `text`, as typed.
fn typed(text: &str) -> Vec<KeyCode> {
    text.chars().map(KeyCode::Char).collect()
}

#[test]
fn search_moves_to_the_next_match_in_the_focused_pane_and_never_filters() {
    use KeyCode::*;
    let shared = load("many-conns.pcapng");
    // Sessions pane: / finds the session whose ends, number or outcome say
    // it, from the selected one on; all four sessions stay listed.
    let mut app = App::default();
    let keys = [vec![Char('/')], typed("59964"), vec![Enter]].concat();
    let buf = screen(&shared, &mut app, &keys);
    assert_eq!(app.session, Some(2));
    assert!(text(&buf, panes().sessions)[0].contains("Sessions 4 "));
    // The events of the session found show (not "no events").
    let events = text(&buf, panes().events).join("\n");
    assert!(
        events.contains("Events ") && !events.contains("no events"),
        "{events}"
    );
    // n goes on to the next match, and round the end with a notice.
    let buf = screen(
        &shared,
        &mut app,
        &[Char('/'), Char('r'), Char(' '), Char('v'), Enter],
    );
    assert_eq!(app.session, Some(3), "the next SMC-R v2 after session 2");
    assert!(app.notice.is_none());
    let buf2 = screen(&shared, &mut app, &[Char('n')]);
    assert_eq!(app.session, Some(0));
    let status = text(&buf2, panes().status).concat();
    assert!(
        status.contains("search hit BOTTOM, continuing at TOP"),
        "{status}"
    );
    drop(buf);
    // Nothing matches: the selection stays, the status line says so.
    let buf = screen(&shared, &mut app, &[Char('/'), Char('z'), Char('q'), Enter]);
    assert_eq!(app.session, Some(0));
    let status = text(&buf, panes().status).concat();
    assert!(status.contains("Pattern not found: zq"), "{status}");
    // The next key clears the notice, as in less.
    let buf = screen(&shared, &mut app, &[Down]);
    assert!(!text(&buf, panes().status).concat().contains("Pattern not found"));

    // Events pane: Enter goes to the first CDC, n to the next, N back.
    let mut app = App::default();
    screen(
        &shared,
        &mut app,
        &[[Tab, Char('/')].as_slice(), &typed("cdc"), &[Enter]].concat(),
    );
    let first = app.row.unwrap();
    screen(&shared, &mut app, &[Char('n')]);
    let next = app.row.unwrap();
    assert!(next > first);
    {
        let store = shared.lock();
        assert!([first, next]
            .iter()
            .all(|&r| store.row(r).unwrap().kind == Kind::Cdc));
        let skipped = store.sessions[&0].rows.iter().filter(|&&r| r > first && r < next);
        assert!(
            skipped.clone().all(|&r| store.row(r).unwrap().kind != Kind::Cdc),
            "n skipped a CDC"
        );
    }
    screen(&shared, &mut app, &[Char('N')]);
    assert_eq!(app.row, Some(first));

    // Detail pane: the field whose name or value says it.
    let keys = [[Tab, Char('/')].as_slice(), &typed("producer_flags"), &[Enter]].concat();
    let buf = screen(&shared, &mut app, &keys);
    let area = panes().detail;
    let selected = (area.y + 1..area.y + area.height - 1)
        .find(|&y| buf[(area.x + 1, y)].bg == ratatui::style::Color::Blue)
        .map(|y| text(&buf, Rect::new(area.x, y, area.width, 1)).concat());
    assert!(
        selected.as_deref().is_some_and(|l| l.contains("producer_flags")),
        "{selected:?} in {:?}",
        text(&buf, area)
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

fn press_with(app: &mut App, code: KeyCode, modifiers: KeyModifiers) -> Action {
    app.key(KeyEvent::new(code, modifiers), (7, 70))
}

fn prompt(app: &App) -> Option<&str> {
    match &app.mode {
        Mode::Search { text, .. } => Some(text),
        _ => None,
    }
}

#[test]
fn search_prompt_edits_as_less_does() {
    let ctrl = KeyModifiers::CONTROL;
    let mut app = App::default();
    press(&mut app, KeyCode::Char('/'));
    for c in "q?x".chars() {
        // Keys that mean something elsewhere are text here.
        assert_eq!(press(&mut app, KeyCode::Char(c)), Action::None);
    }
    press(&mut app, KeyCode::Backspace);
    assert_eq!(prompt(&app), Some("q?"));
    // Ctrl-U clears the line (it typed a 'u'), Ctrl-W deletes a word.
    press_with(&mut app, KeyCode::Char('u'), ctrl);
    assert_eq!(prompt(&app), Some(""));
    for c in "llc confirm".chars() {
        press(&mut app, KeyCode::Char(c));
    }
    press_with(&mut app, KeyCode::Char('w'), ctrl);
    assert_eq!(prompt(&app), Some("llc "));
    press_with(&mut app, KeyCode::Char('w'), ctrl);
    assert_eq!(prompt(&app), Some(""));
    // Other control keys type nothing.
    press_with(&mut app, KeyCode::Char('x'), ctrl);
    assert_eq!(prompt(&app), Some(""));
    press(&mut app, KeyCode::Char('a'));
    press(&mut app, KeyCode::Enter);
    assert_eq!((&app.mode, app.search.as_str()), (&Mode::Normal, "a"));
    assert_eq!(app.moves.find, Some(true));
    // A second / opens a fresh prompt (it appended to the old query);
    // Up recalls earlier searches, newest first; Down goes back.
    press(&mut app, KeyCode::Char('/'));
    assert_eq!(prompt(&app), Some(""));
    press(&mut app, KeyCode::Char('b'));
    press(&mut app, KeyCode::Enter);
    press(&mut app, KeyCode::Char('/'));
    press(&mut app, KeyCode::Up);
    assert_eq!(prompt(&app), Some("b"));
    press(&mut app, KeyCode::Up);
    assert_eq!(prompt(&app), Some("a"));
    press(&mut app, KeyCode::Down);
    assert_eq!(prompt(&app), Some("b"));
    // Esc cancels and keeps the last search.
    press(&mut app, KeyCode::Esc);
    assert_eq!((&app.mode, app.search.as_str()), (&Mode::Normal, "b"));
    // Backspace on an empty line cancels too.
    press(&mut app, KeyCode::Char('/'));
    press(&mut app, KeyCode::Char('z'));
    press(&mut app, KeyCode::Backspace);
    press(&mut app, KeyCode::Backspace);
    assert_eq!((&app.mode, app.search.as_str()), (&Mode::Normal, "b"));
    // An empty Enter repeats the last search.
    app.moves.find = None;
    press(&mut app, KeyCode::Char('/'));
    press(&mut app, KeyCode::Enter);
    assert_eq!((app.search.as_str(), app.moves.find), ("b", Some(true)));
    // n with no search yet says so instead of doing nothing.
    let mut app = App::default();
    press(&mut app, KeyCode::Char('n'));
    assert!(app
        .notice
        .as_deref()
        .is_some_and(|n| n.starts_with("no search yet")));
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
    assert!(app.filters.findings_only && app.filters.kind == Some(Kind::TcpOption));
    press(&mut app, KeyCode::Char('c'));
    assert_eq!(app.filters, Default::default());
}

#[test]
fn help_freeze_export_and_quit() {
    let mut app = App::default();
    press(&mut app, KeyCode::Char('?'));
    assert_eq!(app.mode, Mode::Help { top: 0 });
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
fn a_source_that_fails_shows_the_error_and_keeps_it_for_the_exit() {
    // A file that cannot be opened is an error before the UI starts.
    let e = super::Source::files(vec!["/nonexistent/x.pcapng".into()]).err();
    assert!(e.is_some_and(|e| e.starts_with("/nonexistent/x.pcapng: ")));
    // One that fails on the way (a live interface that cannot open, a file
    // cut short) shows in the status line and is kept for stderr.
    let shared = std::sync::Arc::new(Shared::default());
    let open: super::feed::Open = Box::new(|| Err("smc9: no such device".into()));
    super::feed::spawn(shared.clone(), "smc9".into(), open)
        .unwrap()
        .join()
        .unwrap();
    assert_eq!(shared.lock().failure.as_deref(), Some("smc9: no such device"));
    let buf = screen(&shared, &mut App::default(), &[]);
    let status = text(&buf, panes().status).concat();
    assert!(status.contains("error: smc9: no such device"), "{status}");
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
        findings: 1,
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

#[test]
fn new_file_never_takes_a_name_that_exists() {
    let dir = std::env::temp_dir().join(format!("smc-ui-new-file-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("s.pcapng"), "mine").unwrap();
    // A dangling link is a name taken too (O_EXCL does not follow it).
    std::os::unix::fs::symlink(dir.join("nowhere"), dir.join("s-2.pcapng")).unwrap();
    let made: Vec<_> = (0..3)
        .map(|_| super::new_file(&dir, "s", "pcapng").unwrap())
        .collect();
    let names: Vec<_> = made.iter().map(|p| p.file_name().unwrap().to_owned()).collect();
    assert_eq!(names, ["s-1.pcapng", "s-3.pcapng", "s-4.pcapng"]);
    assert_eq!(std::fs::read(dir.join("s.pcapng")).unwrap(), b"mine");
    assert!(!dir.join("nowhere").exists());
    let e = super::new_file(&dir.join("missing"), "s", "pcapng").unwrap_err();
    assert!(e.contains("missing/s.pcapng: "), "{e}");
    std::fs::remove_dir_all(&dir).unwrap();
}

/// Presses `keys` on a `width` x `height` screen; its text, a line each.
fn screen_at(shared: &Shared, app: &mut App, keys: &[KeyCode], width: u16, height: u16) -> Vec<String> {
    let mut t = Terminal::new(TestBackend::new(width, height)).unwrap();
    let mut view = super::draw_frame(&mut t, app, shared, 0.0).unwrap();
    for &k in keys {
        app.key(KeyEvent::new(k, KeyModifiers::NONE), view.lengths);
        view = super::draw_frame(&mut t, app, shared, 0.0).unwrap();
    }
    text(t.backend().buffer(), Rect::new(0, 0, width, height))
}

/// smcr-v2-echo without the frames of the client's first RDMA WRITE (22-37):
/// the engine finds the CDC that announces it (cdc-producer-without-write).
fn with_a_finding() -> Shared {
    let frames: Vec<Frame> = frames("smcr-v2-echo.pcapng")
        .into_iter()
        .filter(|f| !(22..=37).contains(&f.number))
        .collect();
    let shared = Shared::default();
    Engine::new(Box::new(Frames(Copies::new(frames, 1)))).run(&shared);
    assert_eq!(shared.lock().findings.len(), 1);
    shared
}

/// The text inside the pane whose top border holds `title`, its lines joined
/// by spaces and whitespace folded: what the pane says, however wrapped.
fn pane_text(lines: &[String], title: &str) -> String {
    let rows: Vec<Vec<char>> = lines.iter().map(|l| l.chars().collect()).collect();
    let (y, at) = lines
        .iter()
        .enumerate()
        .find_map(|(y, l)| Some((y, l[..l.find(title)?].chars().count())))
        .unwrap_or_else(|| panic!("no {title} in {lines:#?}"));
    let row = &rows[y];
    let x0 = (0..at).rev().find(|&x| "┌┏".contains(row[x])).unwrap();
    let x1 = (at..row.len()).find(|&x| "┐┓".contains(row[x])).unwrap();
    let inside: Vec<String> = rows[y + 1..]
        .iter()
        .take_while(|r| !"└┗".contains(r[x0]))
        .map(|r| r[x0 + 1..x1].iter().collect())
        .collect();
    inside.join(" ").split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Whether some line has all of `parts`, in order.
fn shown(lines: &[String], parts: &[&str]) -> bool {
    lines.iter().any(|l| {
        let mut rest = l.as_str();
        parts
            .iter()
            .all(|p| rest.find(p).map(|i| rest = &rest[i + p.len()..]).is_some())
    })
}

#[test]
fn at_80x24_and_60x20_sessions_tree_hex_and_findings_are_usable() {
    use KeyCode::*;
    let shared = with_a_finding();
    for (w, h) in [(80, 24), (60, 20)] {
        let mut app = App::default();
        // The session line: its outcome and both ends, whole.
        let lines = screen_at(&shared, &mut app, &[], w, h);
        assert!(
            shown(&lines, &["SMC-R v2", "10.0.0.2:48156 ", "10.0.0.1:5000 "]),
            "{w}x{h}: {lines:#?}"
        );
        // Events pane, third event (the Proposal), field tree: its lines whole.
        let lines = screen_at(&shared, &mut app, &[Tab, Down, Down, Tab, Down, Down], w, h);
        assert!(
            shown(&lines, &["CLC Proposal (156 bytes)"]),
            "{w}x{h}: {lines:#?}"
        );
        assert!(
            shown(&lines, &["[5+2] header.length: 156 (0x009c)"]),
            "{w}x{h}: {lines:#?}"
        );
        assert!(
            shown(&lines, &["[4+1] header.type: Proposal (raw 0x01)"]),
            "{w}x{h}: {lines:#?}"
        );
        // The longest of them, a part of a byte with its bits beside, where the pane has the rows.
        if h >= 24 {
            assert!(
                shown(&lines, &["  [7+1] header.version: 2 (raw 0010 ....)"]),
                "{w}x{h}: {lines:#?}"
            );
        }
        if w >= 72 {
            // The hex pane beside it, 8 bytes a line (under 100 columns without ASCII).
            assert!(
                shown(&lines, &["0000  e2 d4 c3 d9 01 00 9c 22 "]),
                "{w}x{h}: {lines:#?}"
            );
        }
        // x: the findings, wrapped, never cut.
        let lines = screen_at(&shared, &mut app, &[Char('x')], w, h);
        let all = pane_text(&lines, "Findings 1 (all: 1)");
        for part in [
            "cdc-producer-without-write",
            "client: 16384 bytes announced, 0 written",
        ] {
            assert!(all.contains(part), "{w}x{h}: {part} in {lines:#?}");
        }
        // x again: back.
        let lines = screen_at(&shared, &mut app, &[Char('x')], w, h);
        assert!(!shown(&lines, &["Findings 1"]), "{w}x{h}: {lines:#?}");
    }
}

#[test]
fn at_200x60_every_pane_shows_at_once() {
    let shared = with_a_finding();
    let lines = screen_at(
        &shared,
        &mut App::default(),
        &[KeyCode::Tab, KeyCode::Down],
        200,
        60,
    );
    for title in [
        "Sessions 1 ",
        " Live ",
        " Events ",
        " Ladder ",
        "TCP_OPTION syn_ack",
        " Hex ",
        "Findings 1 (all: 1)",
        "cdc-producer-without-write",
    ] {
        assert!(shown(&lines, &[title]), "{title} in {lines:#?}");
    }
    assert!(
        shown(
            &lines,
            &[
                "SMC-R v2 (first contact)",
                "10.0.0.2:48156",
                "10.0.0.1:5000",
                "R",
                "v2"
            ]
        ),
        "{lines:#?}"
    );
}

#[test]
fn short_terminals_show_the_focused_pane_and_tiny_ones_do_not_panic() {
    use KeyCode::*;
    let shared = with_a_finding();
    // 12 rows: one pane at a time, Tab goes through them.
    let mut app = App::default();
    let lines = screen_at(&shared, &mut app, &[], 80, 12);
    assert!(
        shown(&lines, &["Sessions 1"]) && shown(&lines, &["10.0.0.2:48156"]),
        "{lines:#?}"
    );
    let lines = screen_at(&shared, &mut app, &[Tab], 80, 12);
    assert!(
        shown(&lines, &["Events "]) && !shown(&lines, &["Sessions"]),
        "{lines:#?}"
    );
    let lines = screen_at(&shared, &mut app, &[Tab], 80, 12);
    assert!(shown(&lines, &["┏ frame 4: TCP_OPTION syn "]), "{lines:#?}");
    let lines = screen_at(&shared, &mut app, &[Char('x')], 80, 12);
    assert!(shown(&lines, &["Findings 1"]), "{lines:#?}");
    // Every key on every small size draws (TestBackend panics on a cell outside it).
    let keys = [
        Tab,
        Down,
        Char('x'),
        Char('?'),
        Down,
        Esc,
        Char('/'),
        Char('a'),
        Enter,
        Tab,
        Char('n'),
    ];
    for w in [0, 1, 2, 5, 12, 20, 40, 71, 72, 119, 120] {
        for h in [0, 1, 2, 3, 5, 8, 16, 17, 24] {
            screen_at(&shared, &mut App::default(), &keys, w, h);
        }
    }
}

#[test]
fn help_fits_80x24_wrapped_and_scrolls_to_every_line() {
    use KeyCode::*;
    let shared = load("smcr-v2-echo.pcapng");
    let mut app = App::default();
    let mut seen = Vec::new();
    let mut lines = screen_at(&shared, &mut app, &[Char('?')], 80, 24);
    // Scroll down a line at a time until nothing moves; gather the help's text.
    for _ in 0..100 {
        let help: Vec<String> = lines
            .iter()
            .filter(|l| l.contains('┃'))
            .map(|l| l.split('┃').nth(1).unwrap_or("").to_string())
            .collect();
        seen.extend(help);
        let next = screen_at(&shared, &mut app, &[Down], 80, 24);
        if next == lines {
            break;
        }
        lines = next;
    }
    assert!(
        matches!(app.mode, Mode::Help { .. }),
        "Down scrolls, it does not close"
    );
    let words = seen.join(" ").split_whitespace().collect::<Vec<_>>().join(" ");
    for sentence in [
        "e writes the selected session's frames to smc-session-ID.pcapng",
        "Ctrl-U clears, Ctrl-W deletes a word",
        "m: message kind (TCP option, CLC, LLC, CDC, RDMA, TCP data, TCP FIN/RST)",
        "click selects, wheel moves",
    ] {
        assert!(words.contains(sentence), "{sentence} in {words}");
    }
    // Any other key closes it.
    screen_at(&shared, &mut app, &[Char('z')], 80, 24);
    assert_eq!(app.mode, Mode::Normal);
}
