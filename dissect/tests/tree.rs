//! Field trees of the real message vectors (corpora/vectors): the top-level
//! fields tile the message, children sit inside their parent, integer
//! values are the bytes at their offset (a part of a byte, its bits), and
//! each field shows what it means.

use dissect::gen::vectors;
use dissect::tree::{FieldNode, FieldTree};

fn check_node(tree: &FieldTree, node: &FieldNode) {
    assert!(
        node.offset + node.len <= tree.bytes.len(),
        "{}: {node:?}",
        tree.message
    );
    if let (Some(v), Some(mask)) = (node.value, node.mask) {
        // A part of a byte: its bits, shifted down.
        let byte = node.bytes(tree)[0];
        assert_eq!(v, u64::from((byte & mask) >> mask.trailing_zeros()), "{node:?}");
    } else if let Some(v) = node.value {
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

// What each field means, on real messages (corpora/vectors, cut from corpora/real by
// lab/extract-vectors), checked against `tshark -V` where tshark decodes the field and
// against the kernel's structs where it does not (LLC v2, the v2.1 FCE).

/// The real vector whose file name starts with `name`.
fn real(family: &str, name: &str) -> Vec<u8> {
    vectors(family)
        .into_iter()
        .find(|(p, _)| {
            p.file_name()
                .is_some_and(|f| f.to_string_lossy().starts_with(name))
        })
        .unwrap_or_else(|| panic!("no vector {family}/{name}"))
        .1
}

fn all<'a>(nodes: &'a [FieldNode], out: &mut Vec<&'a FieldNode>) {
    for n in nodes {
        out.push(n);
        all(&n.children, out);
    }
}

/// Every field named `name`, children included, in message order.
fn named<'a>(tree: &'a FieldTree, name: &str) -> Vec<&'a FieldNode> {
    let mut nodes = Vec::new();
    all(&tree.fields, &mut nodes);
    nodes.retain(|n| n.name == name);
    nodes
}

/// The meaning shown for the one field named `name`.
fn meaning(tree: &FieldTree, name: &str) -> String {
    match named(tree, name)[..] {
        [n] => n
            .decoded
            .clone()
            .unwrap_or_else(|| panic!("{}: {name} not decoded", tree.message)),
        ref found => panic!("{}: {} fields named {name}", tree.message, found.len()),
    }
}

fn clc_tree(name: &str) -> FieldTree {
    let (parsed, tree) = dissect::tree::clc(&real("clc", name));
    assert!(parsed.is_ok(), "{name}");
    check(&tree);
    tree
}

fn llc_tree(name: &str) -> FieldTree {
    let (parsed, tree) = dissect::tree::smcr_send(&real("llc", name));
    assert!(parsed.is_ok(), "{name}");
    check(&tree);
    tree
}

/// Names of the parts of the byte-7 field, with what each means.
fn header_flags(tree: &FieldTree) -> Vec<(&'static str, String)> {
    let [flags] = named(tree, "header.flags")[..] else {
        panic!("{}: no header.flags", tree.message)
    };
    flags
        .children
        .iter()
        .map(|c| (c.name, c.decoded.clone().unwrap_or_default()))
        .collect()
}

#[test]
fn header_byte_7_reads_as_each_message_type_means_it() {
    // tshark: "SMC Version: 2", "First Contact: True", "SMC Type: SMC-R (0)" (Confirm).
    let accept = clc_tree("smcr-v2-echo-f9-server-accept-v2-fc");
    let expected = [
        ("header.version", "2".to_string()),
        ("header.first_contact", "true".into()),
        ("header.path", "R".into()),
    ];
    assert_eq!(header_flags(&accept), expected);
    assert_eq!(
        header_flags(&clc_tree("smcr-v2-echo-f11-client-confirm-v2-fc")),
        expected
    );
    let later = clc_tree("many-conns-f63-server-accept-v2");
    assert_eq!(header_flags(&later)[1], ("header.first_contact", "false".into()));
    // tshark: "SMC Version: 2", "Out of Sync: False".
    let decline = clc_tree("server-no-ueid-f8-server-decline-v2-03030000");
    let decline_flags = [
        ("header.version", "2".to_string()),
        ("header.out_of_sync", "false".into()),
    ];
    assert_eq!(header_flags(&decline), decline_flags);
    // tshark: "SMC(v2) Type: SMC-R (0)", "SMC(v1) Type: NONE (2)".
    let proposal = clc_tree("smcr-v2-echo-f7-client-proposal-v2");
    let proposal_flags = [
        ("header.version", "2".to_string()),
        ("header.typev2", "R".into()),
        ("header.typev1", "N".into()),
    ];
    assert_eq!(header_flags(&proposal), proposal_flags);
}

#[test]
fn rmbe_size_byte_splits_into_buffer_size_and_qp_mtu() {
    // tshark: "Server RMB Buffers Size (Compressed Notation): 2 (Size: 64k)", "QP MTU Value: 3 (MTU: 1024)".
    let accept = clc_tree("smcr-v2-echo-f9-server-accept-v2-fc");
    assert_eq!(meaning(&accept, "rmbe_size"), "65536 bytes");
    assert_eq!(meaning(&accept, "qp_mtu"), "1024");
    // net.smc.rmem 16384: nibble 0.
    assert_eq!(
        meaning(&clc_tree("small-rmem-f10-server-accept-v2-fc"), "rmbe_size"),
        "16384 bytes"
    );
}

#[test]
fn v2_extension_flags_hold_the_release_and_seid() {
    // tshark: "SMC Version Release Number: 1", "SEID Indicator: False".
    let proposal = clc_tree("smcr-v2-echo-f7-client-proposal-v2");
    assert_eq!(meaning(&proposal, "v2_ext.release"), "v2.1");
    assert_eq!(meaning(&proposal, "v2_ext.seid"), "false");
}

#[test]
fn eids_and_host_names_are_text_gids_and_macs_addresses() {
    // tshark: "Negotiated EID: SMC-LAB", "Peer Host Name: lab-server",
    // "Server Preferred GID: ::ffff:10.0.0.1", "Server Preferred MAC Address: ... (52:54:00:00:00:01)".
    let accept = clc_tree("smcr-v2-echo-f9-server-accept-v2-fc");
    assert_eq!(meaning(&accept, "eid"), "\"SMC-LAB\"");
    assert_eq!(meaning(&accept, "fce.hostname"), "\"lab-server\"");
    assert_eq!(meaning(&accept, "gid"), "::ffff:10.0.0.1");
    assert_eq!(meaning(&accept, "mac"), "52:54:00:00:00:01");
    // tshark: "RoCEv2 GID List Entry: ::ffff:10.0.0.2".
    let confirm = clc_tree("smcr-v2-echo-f11-client-confirm-v2-fc");
    assert_eq!(meaning(&confirm, "gid_list.gid"), "::ffff:10.0.0.2");
    // tshark: "EID: SMC-LAB", "RoCEv2 GID IPv4 Address: 10.0.0.2".
    let proposal = clc_tree("smcr-v2-echo-f7-client-proposal-v2");
    assert_eq!(meaning(&proposal, "v2_ext.eid"), "\"SMC-LAB\"");
    assert_eq!(meaning(&proposal, "v2_ext.roce_gid"), "::ffff:10.0.0.2");
    // LLC (kernel struct smc_llc_msg_add_link: sender_mac, sender_gid).
    let add_link = llc_tree("smcr-v2-echo-f16-server-add_link-v2");
    assert_eq!(meaning(&add_link, "sender_mac"), "52:54:00:00:00:01");
    assert_eq!(meaning(&add_link, "sender_gid"), "::ffff:10.0.0.1");
    assert_eq!(meaning(&add_link, "v2_ext.client_target_gid"), "::ffff:10.0.0.1");
    let req = llc_tree("late-link-f241-client-req_add_link-v2");
    let gids: Vec<_> = named(&req, "gids").iter().map(|n| n.decoded.clone()).collect();
    assert_eq!(
        gids,
        [Some("::ffff:10.0.0.2".into()), Some("::ffff:10.0.0.12".into())]
    );
}

#[test]
fn llc_v2_length_is_a_number_in_the_senders_byte_order() {
    // Kernel: smc_llc_hdr's length_v2 is a host-order u16; bytes 28 01 from an x86 peer are 296.
    let add_link = llc_tree("late-link-f243-server-add_link-v2");
    let [length] = named(&add_link, "length")[..] else {
        panic!("one length")
    };
    assert_eq!((length.offset, length.len, length.value), (1, 2, Some(296)));
    assert_eq!(length.decoded.as_deref(), Some("296 bytes, little-endian"));
}

#[test]
fn fce_os_type_byte_holds_the_os_type_and_the_release() {
    // tshark: "OS Type: Linux (2)", "SMC Version Release Number: 1".
    let accept = clc_tree("smcr-v2-echo-f9-server-accept-v2-fc");
    assert_eq!(meaning(&accept, "fce.os_type"), "Linux");
    assert_eq!(meaning(&accept, "fce.release"), "v2.1");
    assert_eq!(meaning(&accept, "fce.v2_direct"), "true");
}

#[test]
fn add_link_rkey_entries_name_each_part() {
    // Kernel: struct smc_llc_msg_add_link_cont_rt { rmb_key, rmb_key_new, rmb_vaddr_new }.
    let add_link = llc_tree("late-link-f243-server-add_link-v2");
    let parts = [
        "v2_ext.rt.rmb_key",
        "v2_ext.rt.rmb_key_new",
        "v2_ext.rt.rmb_vaddr_new",
    ];
    let [body] = named(&add_link, "body")[..] else {
        panic!("one body")
    };
    let rt: Vec<_> = body
        .children
        .iter()
        .filter(|n| n.name.starts_with("v2_ext.rt"))
        .collect();
    assert_eq!(rt.len(), 3 * 14, "14 entries");
    for (i, n) in rt.iter().enumerate() {
        assert_eq!(
            (n.name, n.offset),
            (parts[i % 3], 72 + 16 * (i / 3) + [0, 4, 8][i % 3])
        );
    }
}

#[test]
fn trees_of_cut_and_flipped_messages_show_every_field() {
    // What the decoders read of a broken message: every prefix, and each byte flipped.
    for (_, v) in vectors("clc")
        .into_iter()
        .chain(vectors("llc"))
        .chain(vectors("cdc"))
    {
        let mut inputs: Vec<Vec<u8>> = (0..v.len()).map(|n| v[..n].to_vec()).collect();
        inputs.extend((0..v.len()).map(|i| {
            let mut b = v.clone();
            b[i] ^= 0xff;
            b
        }));
        for input in inputs {
            let (_, clc) = dissect::tree::clc(&input);
            let (_, send) = dissect::tree::smcr_send(&input);
            for tree in [clc, send] {
                let mut nodes = Vec::new();
                all(&tree.fields, &mut nodes);
                for n in nodes {
                    check_node(&tree, n);
                    assert!(!n.shown(&tree).is_empty(), "{}: {}", tree.message, n.name);
                }
            }
        }
    }
}
