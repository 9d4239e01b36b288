//! Replay's sans-IO half on the real captures: the scripts a replay plays,
//! the digests it compares, and the setup it asks of the hosts.

mod common;

use engine::replay::{compare, EndKind, Observed, Observer, Setup};
use engine::session::{Outcome, Side};

fn observed(name: &str) -> Observed {
    let mut o = Observer::new();
    for f in common::real_frames(name) {
        o.frame(&f);
    }
    o.finish()
}

fn every_real_capture() -> Vec<String> {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../corpora/real");
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .filter(|n| n.ends_with(".pcapng"))
        .collect();
    names.sort();
    assert!(names.len() >= 18, "{names:?}");
    names
}

/// The producer steps add up to what the RDMA WRITEs carried (SMC-R), and
/// the TCP segments to the TCP payload after CLC (fallback): two ways of
/// counting the same bytes, from different messages.
#[test]
fn scripts_move_the_bytes_the_capture_moved() {
    for name in every_real_capture() {
        let o = observed(&name);
        assert_eq!(o.problems, 0, "{name}");
        assert!(!o.sessions.is_empty(), "{name}");
        for r in &o.sessions {
            let (s, script) = (&r.session, &r.script);
            for side in [Side::Client, Side::Server] {
                let i = side.index();
                let want = match &s.outcome {
                    Outcome::Smc(n) if n.smcd => 0,
                    Outcome::Smc(_) => s.rdma_bytes[i],
                    _ => s.tcp_bytes[i],
                };
                assert_eq!(script.total(side), want, "{name} session {} {side:?}", s.id);
                // A step waits for no more than the peer sent before it.
                let peer = script.total(side.peer());
                assert!(
                    script.steps_of(side).all(|st| st.after_received <= peer),
                    "{name}"
                );
            }
            assert!(
                script.steps.windows(2).all(|w| w[0].at_ns <= w[1].at_ns),
                "{name}"
            );
            assert_eq!(
                script.data_on_wire,
                !matches!(&s.outcome, Outcome::Smc(n) if n.smcd),
                "{name}"
            );
        }
    }
}

/// The echo workloads: the client sends, stops writing, and the server
/// echoes only what it has received, then closes.
#[test]
fn an_echo_is_scripted_as_the_capture_ordered_it() {
    let o = observed("smcr-v2-echo.pcapng");
    let s = &o.sessions[0].script;
    assert_eq!(s.total(Side::Client), 61440);
    assert_eq!(s.total(Side::Server), 61440);
    // The server's first step came after the client's first.
    let first_server = s.steps_of(Side::Server).next().unwrap();
    assert!(first_server.after_received > 0);
    let client_end = s.end[0].expect("the client's close");
    let server_end = s.end[1].expect("the server's close");
    assert_eq!(client_end.kind, EndKind::Shutdown);
    assert!(client_end.at_ns < server_end.at_ns, "the client closes first");
    assert_eq!(
        server_end.after_received, 61440,
        "the server closes after reading it all"
    );
    assert!(s.abort.is_none() && s.after.is_empty() && s.smc == [true, true]);
}

#[test]
fn sequential_connections_wait_for_the_ones_before_and_parallel_ones_do_not() {
    let o = observed("many-conns.pcapng");
    let after: Vec<Vec<u32>> = o.sessions.iter().map(|r| r.script.after.clone()).collect();
    // Each waits for the one before, which waited for those before it.
    assert_eq!(after, vec![vec![], vec![0], vec![1], vec![2]]);
    let starts: Vec<u64> = o.sessions.iter().map(|r| r.script.start_ns).collect();
    assert!(
        starts.windows(2).all(|w| w[0] < w[1]) && starts[0] == 0,
        "{starts:?}"
    );
    let o = observed("late-link.pcapng");
    assert_eq!(o.sessions.len(), 14);
    assert!(o.sessions.iter().all(|r| r.script.after.is_empty()));
}

#[test]
fn resets_aborts_and_plain_servers_are_in_the_script() {
    let reset = observed("handshake-reset.pcapng");
    let s = &reset.sessions[0].script;
    let abort = s.abort.expect("an aborted handshake");
    assert_eq!((abort.by, abort.reset), (Side::Client, true));
    assert_eq!(s.end[0].map(|e| e.kind), Some(EndKind::Reset));
    assert!(s.steps.is_empty());
    let plain = observed("plain-tcp-server.pcapng");
    let s = &plain.sessions[0].script;
    assert_eq!(s.smc, [true, false], "the server answered without the SMC option");
    // Fallback data goes by TCP segment (as captured: the sender's own
    // capture shows segmentation-offload frames of two MSS).
    let sizes: Vec<u64> = s.steps.iter().map(|st| st.bytes).collect();
    assert_eq!(sizes, [1448, 1448, 1200, 2896, 1200]);
    let smcd = observed("smcd-v2-echo.pcapng");
    let s = &smcd.sessions[0].script;
    assert!(s.steps.is_empty() && !s.data_on_wire);
    assert!(s.end.iter().any(Option::is_some), "SMC-D closes by FIN");
}

/// A capture's digests compared with themselves differ in nothing; a
/// change in a compared value is named, within the slack it has.
#[test]
fn digests_differ_exactly_where_values_do() {
    for name in every_real_capture() {
        for r in &observed(&name).sessions {
            assert_eq!(compare(&r.digest, &r.digest), vec![], "{name}");
        }
    }
    let o = observed("test-link.pcapng");
    let d = &o.sessions[0].digest;
    let fields =
        |b: &engine::replay::Digest| -> Vec<String> { compare(d, b).into_iter().map(|x| x.field).collect() };
    let mut b = d.clone();
    b.outcome = "fallback";
    b.negotiated = None;
    assert!(
        fields(&b).starts_with(&["outcome".to_string(), "version".into()]),
        "{:?}",
        fields(&b)
    );
    // One TEST_LINK exchange more is within the slack, two are not.
    let test = *d
        .llc
        .iter()
        .find(|m| m.kind == "TEST_LINK" && !m.response)
        .unwrap();
    let mut b = d.clone();
    b.llc.push(test);
    assert_eq!(fields(&b), Vec::<String>::new());
    b.llc.push(test);
    assert_eq!(fields(&b), vec!["llc.test_link"]);
    // Consumer cursor updates: one more per producer step of the peer is slack.
    let mut b = d.clone();
    b.cdc[1].updates += d.cdc[0].data;
    assert_eq!(fields(&b), Vec::<String>::new());
    b.cdc[1].updates += 1;
    assert_eq!(fields(&b), vec!["cdc_updates.server"]);
    // Data CDCs: a third of the steps more or less (at least one) is slack.
    let mut b = d.clone();
    b.cdc[0].data += (d.cdc[0].data / 3).max(1);
    b.rdma_bytes[0] -= 1;
    assert_eq!(fields(&b), vec!["rdma_bytes.client"]);
    b.cdc[0].data += 1;
    assert_eq!(fields(&b), vec!["cdc_data.client", "rdma_bytes.client"]);
    let mut b = d.clone();
    b.llc.retain(|m| m.kind != "ADD_LINK");
    assert_eq!(fields(&b), vec!["llc"]);
    // Crossing DELETE_LINK requests delete the same links as a request and
    // its response; another link deleted is a difference.
    let o = observed("two-links.pcapng");
    let d = &o.sessions[0].digest;
    let fields =
        |b: &engine::replay::Digest| -> Vec<String> { compare(d, b).into_iter().map(|x| x.field).collect() };
    let mut b = d.clone();
    let answer = b
        .llc
        .iter_mut()
        .find(|m| m.kind == "DELETE_LINK" && m.response)
        .unwrap();
    (answer.response, answer.from) = (false, answer.from.peer());
    assert_eq!(fields(&b), Vec::<String>::new());
    let mut other = *b.llc.iter().find(|m| m.kind == "DELETE_LINK").unwrap();
    other.link = Some(9);
    b.llc.push(other);
    assert_eq!(fields(&b), vec!["llc.links_deleted"]);
}

/// What each capture's hosts must be like: the lab scenario that made it
/// (lab/scenarios) is the truth the inference is checked against.
#[test]
fn the_setup_follows_from_the_capture() {
    let setup = |name: &str| Setup::infer(&observed(name).sessions);
    let s = setup("smcr-v2-echo.pcapng");
    assert!(!s.one_host && !s.ism && s.rdma == [true, true] && !s.second_link);
    assert_eq!(
        s.ueids,
        [vec!["SMC-LAB".to_string()], vec!["SMC-LAB".to_string()]]
    );
    assert_eq!((s.rmem, s.testlink_secs, s.delay_ms), ([None, None], None, None));
    assert_eq!(setup("small-rmem.pcapng").rmem, [Some(16384), Some(16384)]);
    assert_eq!(setup("test-link.pcapng").testlink_secs, Some(5));
    assert_eq!(setup("server-no-ueid.pcapng").ueids[1], Vec::<String>::new());
    assert_eq!(setup("client-no-rdma.pcapng").rdma, [false, true]);
    let s = setup("two-links.pcapng");
    assert!(s.second_link && s.second_device_ns.is_none());
    // The scenario took eth0 down 7 s after boot; the capture shows it 3.9 s after the SYN.
    assert!(s
        .link_down_ns
        .is_some_and(|ns| (3_000_000_000..5_000_000_000).contains(&ns)));
    let s = setup("late-link.pcapng");
    assert!(
        s.second_link && s.link_down_ns.is_none(),
        "link 3 was never confirmed: no NIC failed"
    );
    assert!(s
        .second_device_ns
        .is_some_and(|ns| (8_000_000_000..10_000_000_000).contains(&ns)));
    for name in [
        "smcd-v2-echo.pcapng",
        "smcd-many-conns.pcapng",
        "smcd-ipv6.pcapng",
        "smcd-no-ueid.pcapng",
    ] {
        let s = setup(name);
        assert!(s.one_host && s.ism && !s.rdma[0], "{name}");
    }
    assert!(setup("smcd-ipv6.pcapng").ipv6);
    assert!(setup("smcd-no-ueid.pcapng").ueids.iter().all(Vec::is_empty));
    let s = setup("smcd-two-vms.pcapng");
    assert!(!s.one_host && s.ism);
    let s = setup("smcd-or-smcr.pcapng");
    assert!(!s.one_host && s.ism && s.rdma == [true, true]);
    assert!(setup("smcd-handshake-reset.pcapng")
        .delay_ms
        .is_some_and(|ms| ms >= 20));
    assert!(
        setup("handshake-reset.pcapng").delay_ms.is_none(),
        "two hosts: no delay is set"
    );
}

/// Fourteen connections opened together: when the replay's first contact
/// goes to another of them, the two trade what first contact decides and
/// compare the same; a winner outside the group is not traded.
#[test]
fn a_first_contact_race_is_settled_within_its_group() {
    let o = observed("late-link.pcapng");
    let won = |d: &engine::replay::Digest| d.negotiated.as_ref().is_some_and(|n| n.first_contact);
    let a = o.sessions.iter().position(|r| won(&r.digest)).unwrap();
    let b = (a + 1) % o.sessions.len();
    let originals: Vec<_> = o.sessions.iter().map(|r| (&r.script, &r.digest)).collect();
    let mut replayed: Vec<_> = o.sessions.iter().map(|r| Some(r.digest.clone())).collect();
    let (x, y) = (replayed[a].take().unwrap(), replayed[b].take().unwrap());
    (replayed[a], replayed[b]) = (Some(y), Some(x));
    assert!(!compare(originals[a].1, replayed[a].as_ref().unwrap()).is_empty());
    let traded = engine::replay::settle_first_contact_races(&originals, &mut replayed);
    let ids = (o.sessions[a].session.id, o.sessions[b].session.id);
    assert_eq!(traded, vec![ids]);
    for (i, (_, d)) in originals.iter().enumerate() {
        assert_eq!(compare(d, replayed[i].as_ref().unwrap()), vec![], "session {i}");
    }
    // Sequential sessions are no race: a moved first contact stays a difference.
    let o = observed("many-conns.pcapng");
    let originals: Vec<_> = o.sessions.iter().map(|r| (&r.script, &r.digest)).collect();
    let mut replayed: Vec<_> = o.sessions.iter().map(|r| Some(r.digest.clone())).collect();
    replayed.swap(0, 1);
    assert_eq!(
        engine::replay::settle_first_contact_races(&originals, &mut replayed),
        vec![]
    );
    assert!(!compare(originals[0].1, replayed[0].as_ref().unwrap()).is_empty());
}
