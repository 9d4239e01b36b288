//! Field trees of the real message vectors (corpora/vectors): the top-level
//! fields tile the message, children sit inside their parent, and integer
//! values are the bytes at their offset.

use dissect::gen::vectors;
use dissect::tree::{FieldNode, FieldTree};

fn check_node(tree: &FieldTree, node: &FieldNode) {
    assert!(
        node.offset + node.len <= tree.bytes.len(),
        "{}: {node:?}",
        tree.message
    );
    if let Some(v) = node.value {
        let be = node
            .bytes(tree)
            .iter()
            .fold(0u64, |acc, b| acc << 8 | u64::from(*b));
        // LLC v2 counts are in the sender's host order (little-endian here).
        let le = node
            .bytes(tree)
            .iter()
            .rev()
            .fold(0u64, |acc, b| acc << 8 | u64::from(*b));
        assert!(
            v == be || v == le,
            "{}: {} value {v} from {be:#x}",
            tree.message,
            node.name
        );
    }
    for c in &node.children {
        assert!(
            c.offset >= node.offset && c.offset + c.len <= node.offset + node.len,
            "{c:?} in {node:?}"
        );
        check_node(tree, c);
    }
}

fn check(tree: &FieldTree) {
    let mut at = 0;
    for f in &tree.fields {
        assert_eq!(f.offset, at, "{}: gap or overlap before {}", tree.message, f.name);
        at += f.len;
        check_node(tree, f);
    }
    assert_eq!(
        at,
        tree.bytes.len(),
        "{}: fields do not reach the end",
        tree.message
    );
}

#[test]
fn clc_trees_tile_the_message() {
    for (_, v) in vectors("clc") {
        let (parsed, tree) = dissect::tree::clc(&v);
        assert!(parsed.is_ok());
        check(&tree);
        assert!(tree
            .fields
            .iter()
            .any(|f| f.name == "header.type" && f.decoded.is_some()));
    }
}

#[test]
fn llc_and_cdc_trees_tile_the_message() {
    for (_, v) in vectors("llc").into_iter().chain(vectors("cdc")) {
        let (parsed, tree) = dissect::tree::smcr_send(&v);
        assert!(parsed.is_ok(), "{}", tree.message);
        check(&tree);
        let flags = tree
            .fields
            .iter()
            .find(|f| f.name.ends_with("flags"))
            .expect("a flags field");
        assert!(flags.decoded.is_some(), "{}: flags named", tree.message);
    }
}

#[test]
fn readers_record_nothing_outside_traced() {
    let (_, v) = &vectors("clc")[0];
    assert!(<dissect::clc::ClcMessage as dissect::Wire>::parse(v).is_ok());
    let (_, spans) = dissect::traced(&[], |_| ());
    assert!(spans.is_empty(), "an untraced parse left {spans:?}");
}
