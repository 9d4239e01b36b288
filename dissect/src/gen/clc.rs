//! CLC messages: every Proposal layout, Accept and Confirm of both
//! variants and versions, Decline, and types Linux does not know.

use crate::clc::*;
use proptest::collection::vec;
use proptest::prelude::*;

pub fn eyecatcher() -> impl Strategy<Value = Eyecatcher> {
    prop_oneof![Just(Eyecatcher::SMCR), Just(Eyecatcher::SMCD)]
}

pub fn envelope(version: u8, typev2: Path, typev1: Path) -> impl Strategy<Value = Envelope> {
    (eyecatcher(), eyecatcher()).prop_map(move |(eyecatcher, trailer)| Envelope {
        eyecatcher,
        version,
        typev2,
        typev1,
        trailer,
    })
}

pub fn path() -> impl Strategy<Value = Path> {
    (0u8..4).prop_map(Path)
}

pub fn smcd_area() -> impl Strategy<Value = SmcdArea> {
    (
        any::<u64>(),
        any::<u16>(),
        any::<u16>(),
        any::<[u8; 3]>(),
        any::<[u8; 5]>(),
    )
        .prop_map(
            |(ism_gid, ism_chid, v2_ext_offset, vendor_oui, vendor_options)| SmcdArea {
                ism_gid,
                ism_chid,
                v2_ext_offset,
                vendor_oui,
                vendor_options,
            },
        )
}

pub fn ip_prefix() -> impl Strategy<Value = IpPrefixArea> {
    let v6 =
        (any::<[u8; 16]>(), any::<u8>()).prop_map(|(prefix, prefix_len)| Ipv6Prefix { prefix, prefix_len });
    (any::<[u8; 4]>(), any::<u8>(), vec(v6, 0..=8)).prop_map(
        |(ipv4_subnet, ipv4_prefix_len, ipv6_prefixes)| IpPrefixArea {
            ipv4_subnet,
            ipv4_prefix_len,
            ipv6_prefixes,
        },
    )
}

pub fn v2_ext() -> impl Strategy<Value = V2Extension> {
    (
        (any::<u8>(), 0u8..16, any::<bool>(), any::<u16>()),
        (any::<[u8; 16]>(), any::<u8>(), any::<u8>(), any::<u16>()),
        vec(any::<[u8; 32]>(), 0..=8),
    )
        .prop_map(
            |((ism_gid_count, release, seid, off), (roce_gid, max_conns, max_links, mask), eids)| {
                V2Extension {
                    ism_gid_count,
                    release: Release(release),
                    seid,
                    smcd_v2_ext_offset: off,
                    roce_gid,
                    max_conns,
                    max_links,
                    feature_mask: FeatureMask(mask),
                    eids,
                }
            },
        )
}

pub fn smcd_v2_ext() -> impl Strategy<Value = SmcdV2Extension> {
    // CHIDs from the emulated range included, so GID/GID-ext pairs appear.
    let entry = (any::<u64>(), prop_oneof![any::<u16>(), 0xff00u16..=0xffff])
        .prop_map(|(gid, chid)| IsmEntry { gid, chid });
    (any::<[u8; 32]>(), vec(entry, 0..=8)).prop_map(|(system_eid, ism_entries)| SmcdV2Extension {
        system_eid,
        ism_entries,
    })
}

/// v1 Proposals: legacy (no SMC-D area) and Linux's form, IPv4 or IPv6.
pub fn proposal_v1() -> impl Strategy<Value = Proposal> {
    let typev1 = prop_oneof![Just(Path::R), Just(Path::D), Just(Path::B)];
    (
        typev1,
        path(),
        any::<([u8; 8], [u8; 16], [u8; 6])>(),
        proptest::option::of(smcd_area()),
        ip_prefix(),
    )
        .prop_flat_map(|(typev1, typev2, local, smcd, prefix)| {
            envelope(1, typev2, typev1)
                .prop_map(move |env| proposal(env, local, smcd, Some(prefix.clone()), None, None))
        })
}

/// A Proposal from its parts, with the offsets Linux writes (iparea_offset
/// stays 0 where there is no prefix area: Linux sends 0 there).
fn proposal(
    env: Envelope,
    (peer_id, gid, mac): ([u8; 8], [u8; 16], [u8; 6]),
    smcd: Option<SmcdArea>,
    ip_prefix: Option<IpPrefixArea>,
    v2_ext: Option<V2Extension>,
    smcd_v2_ext: Option<SmcdV2Extension>,
) -> Proposal {
    let mut p = Proposal {
        env,
        peer_id,
        gid,
        mac,
        iparea_offset: 0,
        smcd,
        ip_prefix,
        v2_ext,
        smcd_v2_ext,
    };
    p.set_canonical_offsets();
    p
}

/// v2 Proposals with every combination of typev1 and typev2.
pub fn proposal_v2() -> impl Strategy<Value = Proposal> {
    (
        path(),
        path(),
        2u8..16,
        any::<([u8; 8], [u8; 16], [u8; 6])>(),
        smcd_area(),
        ip_prefix(),
        v2_ext(),
        smcd_v2_ext(),
    )
        .prop_flat_map(|(typev1, typev2, version, local, smcd, prefix, v2, d)| {
            envelope(version, typev2, typev1).prop_map(move |env| {
                let mut smcd = smcd;
                if typev1.is_none() {
                    // Linux checks the byte where the prefix count would be (47)
                    // even without a prefix area; its own GID there is zero.
                    smcd.ism_gid &= !0xff;
                }
                proposal(
                    env,
                    local,
                    Some(smcd),
                    (!typev1.is_none()).then(|| prefix.clone()),
                    (!typev2.is_none()).then(|| v2.clone()),
                    typev2.has_d().then(|| d.clone()),
                )
            })
        })
}

pub fn fce(long: bool) -> impl Strategy<Value = FirstContactExt> {
    let v2x = (any::<u8>(), any::<u8>(), any::<u16>(), any::<u32>()).prop_map(|(c, l, m, v)| FceV2x {
        max_conns: c,
        max_links: l,
        feature_mask: FeatureMask(m),
        vendor_options: v,
    });
    let v2x = if long {
        proptest::option::of(v2x)
            .prop_filter("long form", Option::is_some)
            .boxed()
    } else {
        Just(None).boxed()
    };
    (any::<bool>(), 0u8..16, 0u8..16, any::<[u8; 32]>(), v2x).prop_map(
        |(v2_direct, os, rel, hostname, v2x)| FirstContactExt {
            v2_direct,
            os_type: OsType(os),
            release: Release(rel),
            hostname,
            v2x,
        },
    )
}

pub fn any_fce() -> impl Strategy<Value = FirstContactExt> {
    prop_oneof![fce(false), fce(true)]
}

pub fn smcr_base() -> impl Strategy<Value = SmcrAcceptConfirm> {
    (
        any::<([u8; 8], [u8; 16], [u8; 6])>(),
        (0u32..1 << 24, any::<u32>(), any::<u8>(), any::<u32>()),
        (0u8..16, 0u8..16, any::<u64>(), 0u32..1 << 24),
    )
        .prop_map(
            |(l, (qpn, rkey, idx, token), (size, mtu, dma, psn))| SmcrAcceptConfirm {
                peer_id: l.0,
                gid: l.1,
                mac: l.2,
                qpn,
                rmb_rkey: rkey,
                rmbe_idx: idx,
                rmbe_alert_token: token,
                rmbe_size: size,
                qp_mtu: mtu,
                rmb_dma_addr: dma,
                psn,
                v2: None,
            },
        )
}

pub fn smcd_base() -> impl Strategy<Value = SmcdAcceptConfirm> {
    (any::<u64>(), any::<u64>(), any::<u8>(), 0u8..16, any::<u32>()).prop_map(
        |(gid, token, idx, size, link)| SmcdAcceptConfirm {
            gid,
            dmb_token: token,
            dmbe_idx: idx,
            dmbe_size: size,
            link_id: link,
            v2: None,
        },
    )
}

/// Accept and Confirm, SMC-R and SMC-D, v1 and v2, with and without first contact.
pub fn accept_confirm() -> impl Strategy<Value = AcceptConfirm> {
    let kind = prop_oneof![Just(ClcType::ACCEPT), Just(ClcType::CONFIRM)];
    (kind, any::<bool>(), any::<bool>(), any::<bool>(), 0u8..2).prop_flat_map(
        |(kind, smcd, v2, first_contact, other_bit)| {
            let version = if v2 { 2 } else { 1 };
            let typev2 = Path(if first_contact { 0b10 } else { 0 } | other_bit);
            let typev1 = if smcd { Path::D } else { Path::R };
            let gids = vec(any::<[u8; 16]>(), 0..4);
            (
                envelope(version, typev2, typev1),
                smcr_base(),
                smcd_base(),
                any::<[u8; 32]>(),
                any_fce(),
                gids,
                any::<(u16, u64)>(),
            )
                .prop_map(move |(env, mut r, mut d, eid, fce, gids, (chid, gid_ext))| {
                    let fce = first_contact.then_some(fce);
                    let body = if smcd {
                        d.v2 = v2.then_some(SmcdV2 {
                            chid,
                            eid,
                            gid_ext,
                            fce,
                        });
                        AcceptConfirmBody::SmcD(d)
                    } else {
                        let gid_list = (first_contact && kind == ClcType::CONFIRM).then(|| gids.clone());
                        r.v2 = v2.then_some(SmcrV2 { eid, fce, gid_list });
                        AcceptConfirmBody::SmcR(r)
                    };
                    AcceptConfirm { kind, env, body }
                })
        },
    )
}

pub fn decline() -> impl Strategy<Value = Decline> {
    (
        any::<bool>(),
        any::<bool>(),
        any::<[u8; 8]>(),
        any::<u32>(),
        0u8..16,
        any::<[u32; 4]>(),
    )
        .prop_flat_map(|(v2, sync, peer_id, diag, os, more)| {
            let typev2 = Path(if sync { 0b10 } else { 0 });
            // Linux does not check a Decline's trailer: any value is kept.
            (envelope(if v2 { 2 } else { 1 }, typev2, Path::R), any::<u32>()).prop_map(
                move |(mut env, trl)| {
                    env.trailer = Eyecatcher(trl);
                    Decline {
                        env,
                        peer_id,
                        diagnosis: DeclineDiagnosis(diag),
                        os_type: OsType(os),
                        more_diagnoses: v2.then(|| more.map(DeclineDiagnosis)),
                    }
                },
            )
        })
}

/// A message of a type Linux does not know, kept raw.
pub fn unknown() -> impl Strategy<Value = Unknown> {
    (5u8..=255, vec(any::<u8>(), 0..64), envelope(2, Path::N, Path::R)).prop_map(|(kind, body, env)| {
        Unknown {
            kind: ClcType(kind),
            env,
            body,
        }
    })
}

/// Any CLC message.
pub fn clc_message() -> impl Strategy<Value = ClcMessage> {
    prop_oneof![
        proposal_v1().prop_map(ClcMessage::Proposal),
        proposal_v2().prop_map(ClcMessage::Proposal),
        accept_confirm().prop_map(|m| match m.kind {
            ClcType::ACCEPT => ClcMessage::Accept(m),
            _ => ClcMessage::Confirm(m),
        }),
        decline().prop_map(ClcMessage::Decline),
        unknown().prop_map(ClcMessage::Unknown),
    ]
}
