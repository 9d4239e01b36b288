//! LLC messages, every type in v1 and v2, the v2 length in either byte order.

use super::byte_order;
use crate::llc::*;
use crate::wire::ByteOrder;
use proptest::collection::vec;
use proptest::prelude::*;

/// A header for `kind` in v1 or v2; the v2 length may be in either order.
pub fn header(kind: LlcType) -> impl Strategy<Value = LlcHeader> {
    (any::<bool>(), byte_order(), 0u8..16, any::<u8>()).prop_map(move |(v2, order, reason, flags)| {
        LlcHeader {
            llc_type: kind.with_version(if v2 { 2 } else { 0 }),
            length_order: if v2 { order } else { ByteOrder::Big },
            reject_reason: AddLinkRejectReason(if v2 { 0 } else { reason }),
            flags: LlcFlags(flags),
        }
    })
}

pub fn v2_header(kind: LlcType) -> impl Strategy<Value = LlcHeader> {
    header(kind).prop_filter("v2", |h| h.version() == 2)
}

pub fn rkey_pair() -> impl Strategy<Value = RkeyPair> {
    (any::<u32>(), any::<u32>(), any::<u64>()).prop_map(|(rkey, new_rkey, new_vaddr)| RkeyPair {
        rkey,
        new_rkey,
        new_vaddr,
    })
}

pub fn link_rtoken() -> impl Strategy<Value = LinkRtoken> {
    (any::<u8>(), any::<u32>(), any::<u64>()).prop_map(|(link_id, rkey, vaddr)| LinkRtoken {
        link_id,
        rtoken: Rtoken { rkey, vaddr },
    })
}

pub fn confirm_link() -> impl Strategy<Value = Llc<ConfirmLink>> {
    let body = (
        any::<[u8; 6]>(),
        any::<[u8; 16]>(),
        0u32..1 << 24,
        any::<[u8; 4]>(),
        any::<[u8; 3]>(),
    )
        .prop_map(
            |(sender_mac, sender_gid, sender_qpn, link_uid, [link_id, max_links, max_conns])| ConfirmLink {
                sender_mac,
                sender_gid,
                sender_qpn,
                link_id,
                link_uid,
                max_links,
                max_conns,
            },
        );
    (header(LlcType::CONFIRM_LINK), body).prop_map(|(header, body)| Llc { header, body })
}

pub fn add_link_ext() -> impl Strategy<Value = AddLinkV2Ext> {
    (
        any::<bool>(),
        any::<[u8; 16]>(),
        any::<u16>(),
        vec(rkey_pair(), 0..20),
    )
        .prop_map(|(direct, client_target_gid, rkey_count, rkeys)| AddLinkV2Ext {
            direct,
            client_target_gid,
            rkey_count,
            rkeys,
        })
}

pub fn add_link() -> impl Strategy<Value = Llc<AddLink>> {
    let fields = (
        any::<[u8; 6]>(),
        any::<[u8; 16]>(),
        0u32..1 << 24,
        any::<u8>(),
        0u8..16,
        0u32..1 << 24,
    );
    (
        header(LlcType::ADD_LINK),
        fields,
        proptest::option::of(add_link_ext()),
    )
        .prop_map(
            |(header, (sender_mac, sender_gid, sender_qpn, link_id, mtu, initial_psn), ext)| Llc {
                header,
                body: AddLink {
                    sender_mac,
                    sender_gid,
                    sender_qpn,
                    link_id,
                    qp_mtu: QpMtu(mtu),
                    initial_psn,
                    v2_ext: ext.filter(|_| header.version() == 2),
                },
            },
        )
}

pub fn add_link_cont() -> impl Strategy<Value = Llc<AddLinkCont>> {
    (
        header(LlcType::ADD_LINK_CONT),
        any::<[u8; 2]>(),
        rkey_pair(),
        rkey_pair(),
    )
        .prop_map(|(header, [link_id, rkeys_remaining], a, b)| Llc {
            header,
            body: AddLinkCont {
                link_id,
                rkeys_remaining,
                rkeys: [a, b],
            },
        })
}

pub fn delete_link() -> impl Strategy<Value = Llc<DeleteLink>> {
    (header(LlcType::DELETE_LINK), any::<u8>(), any::<u32>()).prop_map(|(header, link_id, reason)| Llc {
        header,
        body: DeleteLink {
            link_id,
            reason: DeleteLinkReason(reason),
        },
    })
}

pub fn request_add_link() -> impl Strategy<Value = Llc<RequestAddLink>> {
    // 44 bytes hold one GID: only v2 carries more.
    (header(LlcType::REQ_ADD_LINK), vec(any::<[u8; 16]>(), 0..10)).prop_map(|(header, mut gids)| {
        if header.version() == 0 {
            gids.truncate(1);
        }
        Llc {
            header,
            body: RequestAddLink { gids },
        }
    })
}

pub fn confirm_rkey() -> impl Strategy<Value = Llc<ConfirmRkey>> {
    (
        header(LlcType::CONFIRM_RKEY),
        any::<u8>(),
        any::<u32>(),
        any::<u64>(),
        link_rtoken(),
        link_rtoken(),
    )
        .prop_map(|(header, other_count, rkey, vaddr, a, b)| Llc {
            header,
            body: ConfirmRkey {
                other_count,
                rtoken: Rtoken { rkey, vaddr },
                others: [a, b],
            },
        })
}

pub fn confirm_rkey_cont() -> impl Strategy<Value = Llc<ConfirmRkeyCont>> {
    (
        header(LlcType::CONFIRM_RKEY_CONT),
        any::<u8>(),
        link_rtoken(),
        link_rtoken(),
        link_rtoken(),
    )
        .prop_map(|(header, count, a, b, c)| Llc {
            header,
            body: ConfirmRkeyCont {
                count,
                tokens: [a, b, c],
            },
        })
}

pub fn test_link() -> impl Strategy<Value = Llc<TestLink>> {
    (header(LlcType::TEST_LINK), any::<[u8; 16]>()).prop_map(|(header, user_data)| Llc {
        header,
        body: TestLink { user_data },
    })
}

/// 44 bytes hold exactly 8 rkey slots; only a v2 message can hold 10 or more.
pub fn delete_rkey() -> impl Strategy<Value = Llc<DeleteRkey>> {
    let short = (header(LlcType::DELETE_RKEY), vec(any::<u32>(), 8));
    let long = (v2_header(LlcType::DELETE_RKEY), vec(any::<u32>(), 10..40));
    (prop_oneof![short, long], any::<[u8; 2]>()).prop_map(|((header, rkeys), [count, error_mask])| Llc {
        header,
        body: DeleteRkey {
            count,
            error_mask,
            rkeys,
        },
    })
}

/// An LLC type no message has. Never 0xFE: in a SEND that byte makes the
/// message CDC, so no peer can send it as LLC.
pub fn unknown() -> impl Strategy<Value = Llc<RawBody>> {
    let known_version = (
        prop_oneof![Just(0u8), Just(2u8)],
        prop_oneof![Just(0u8), 0x0au8..=0x0f],
    );
    let odd_version = (prop_oneof![Just(1u8), 3u8..=15], 0u8..=15)
        .prop_filter("0xFE is CDC", |&(v, k)| (v << 4) | k != 0xFE);
    (
        prop_oneof![known_version, odd_version],
        byte_order(),
        any::<u8>(),
        0u8..16,
        vec(any::<u8>(), 40..200),
    )
        .prop_map(|((version, kind), order, flags, reason, mut bytes)| {
            let llc_type = LlcType((version << 4) | kind);
            let v2 = llc_type.is_v2_framing();
            if !v2 {
                bytes.truncate(40);
            }
            let header = LlcHeader {
                llc_type,
                length_order: if v2 { order } else { ByteOrder::Big },
                reject_reason: AddLinkRejectReason(if v2 { 0 } else { reason }),
                flags: LlcFlags(flags),
            };
            Llc {
                header,
                body: RawBody { bytes },
            }
        })
}

/// Any LLC message, of every type the dispatch knows and of unknown ones.
pub fn llc_message() -> impl Strategy<Value = LlcMessage> {
    prop_oneof![
        confirm_link().prop_map(LlcMessage::ConfirmLink),
        add_link().prop_map(LlcMessage::AddLink),
        add_link_cont().prop_map(LlcMessage::AddLinkCont),
        delete_link().prop_map(LlcMessage::DeleteLink),
        request_add_link().prop_map(LlcMessage::RequestAddLink),
        confirm_rkey().prop_map(LlcMessage::ConfirmRkey),
        test_link().prop_map(LlcMessage::TestLink),
        confirm_rkey_cont().prop_map(LlcMessage::ConfirmRkeyCont),
        delete_rkey().prop_map(LlcMessage::DeleteRkey),
        unknown().prop_map(LlcMessage::Unknown),
    ]
}
