//! `-V`: a message's field tree as indented text (tshark -V style) or JSON.

use dissect::tree::{FieldNode, FieldTree};
use serde_json::{json, Value};
use std::fmt::Write;

/// The tree as text lines, each field as `[offset+len] name: shown` (see
/// [`FieldNode::shown`]), offsets counted from the message's first byte.
pub fn text(tree: &FieldTree) -> String {
    let mut out = format!(
        "    {} ({} bytes; offsets within the message)\n",
        tree.message,
        tree.bytes.len()
    );
    for field in &tree.fields {
        node_text(tree, field, 2, &mut out);
    }
    out
}

fn node_text(tree: &FieldTree, node: &FieldNode, depth: usize, out: &mut String) {
    let at = format!("[{}+{}]", node.offset, node.len);
    let _ = writeln!(
        out,
        "{:indent$}{at:<9} {}: {}",
        "",
        node.name,
        node.shown(tree),
        indent = depth * 4
    );
    for child in &node.children {
        node_text(tree, child, depth + 1, out);
    }
}

/// The tree as a JSON object (docs/json.md, `tree`).
pub fn json(tree: &FieldTree) -> Value {
    json!({
        "message": tree.message,
        "length": tree.bytes.len(),
        "fields": tree.fields.iter().map(|f| node_json(tree, f)).collect::<Vec<_>>(),
    })
}

fn node_json(tree: &FieldTree, node: &FieldNode) -> Value {
    let mut obj = json!({
        "name": node.name,
        "offset": node.offset,
        "length": node.len,
        "raw": node.bytes(tree).iter().map(|b| format!("{b:02x}")).collect::<String>(),
    });
    if let Value::Object(o) = &mut obj {
        if let Some(v) = node.value {
            o.insert("value".into(), v.into());
        }
        if let Some(m) = node.mask {
            o.insert("mask".into(), format!("{m:#04x}").into());
        }
        if let Some(d) = &node.decoded {
            o.insert("decoded".into(), d.as_str().into());
        }
        if !node.children.is_empty() {
            let children = node
                .children
                .iter()
                .map(|c| node_json(tree, c))
                .collect::<Vec<_>>();
            o.insert("children".into(), children.into());
        }
    }
    obj
}
