//! Every rule of the catalogue has a test of its own that makes it fire.

#[test]
fn every_rule_is_triggered_by_a_test() {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests");
    let tests: String = ["rules_clc.rs", "rules_llc.rs", "rules_cdc.rs"]
        .iter()
        .map(|f| std::fs::read_to_string(format!("{dir}/{f}")).expect("test file"))
        .collect();
    for rule in engine::rules::ALL {
        let call = format!("assert_fires(&events, &changed, \"{}\")", rule.id);
        assert!(tests.contains(&call), "no test fires {}", rule.id);
    }
}
