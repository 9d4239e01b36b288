//! The SMC version of a connection's link group. smc_diag does not carry it,
//! so the SMC-R link named by smc_diag's LGRINFO is looked up in the
//! SMC_NETLINK_GET_LINK_SMCR dump, where each link group record (with an
//! SMC_NLA_LGR_R_V2_COMMON nest only for SMCv2) precedes its links.

use super::diag::LgrInfo;
use super::genl::Genl;
use super::netlink::{self, Attr, NLM_F_DUMP};
use super::Error;

pub const SMC_NETLINK_GET_LGR_SMCR: u8 = 2;
pub const SMC_NETLINK_GET_LINK_SMCR: u8 = 3;
pub const SMC_GEN_LGR_SMCR: u16 = 2;
pub const SMC_GEN_LINK_SMCR: u16 = 3;
pub const SMC_NLA_LGR_R_ROLE: u16 = 2;
pub const SMC_NLA_LGR_R_V2_COMMON: u16 = 7;
/// SMC_NLA_LGR_V2_VER is the first entry of its enum, so it is attribute 0.
pub const SMC_NLA_LGR_V2_VER: u16 = 0;
pub const SMC_NLA_LINK_IB_DEV: u16 = 2;
pub const SMC_NLA_LINK_GID: u16 = 4;
pub const SMC_NLA_LINK_PEER_GID: u16 = 5;

fn nest<'a>(attrs: &[Attr<'a>], kind: u16) -> Result<Vec<Attr<'a>>, Error> {
    match attrs.iter().find(|a| a.kind == kind) {
        Some(a) => a.nested(),
        None => Ok(Vec::new()),
    }
}

fn find<'a>(attrs: &[Attr<'a>], kind: u16) -> Option<Attr<'a>> {
    attrs.iter().find(|a| a.kind == kind).copied()
}

/// Version of the link group owning `link`, from the dump's genl payloads.
/// None when no link matches, or matching links disagree.
pub fn from_link_dump<'a>(
    payloads: impl IntoIterator<Item = &'a [u8]>,
    link: &LgrInfo,
) -> Result<Option<u8>, Error> {
    let mut current: Option<(u8, u8)> = None; // (role, version) of the last group
    let mut found: Option<u8> = None;
    for p in payloads {
        let (cmd, attrs) = netlink::parse_genl(p)?;
        if cmd == SMC_NETLINK_GET_LGR_SMCR {
            let lgr = nest(&attrs, SMC_GEN_LGR_SMCR)?;
            let role = find(&lgr, SMC_NLA_LGR_R_ROLE)
                .and_then(|a| a.u8())
                .unwrap_or(u8::MAX);
            let v2 = nest(&lgr, SMC_NLA_LGR_R_V2_COMMON)?;
            let version = find(&v2, SMC_NLA_LGR_V2_VER).and_then(|a| a.u8()).unwrap_or(1);
            current = Some((role, version));
        } else if cmd == SMC_NETLINK_GET_LINK_SMCR {
            let l = nest(&attrs, SMC_GEN_LINK_SMCR)?;
            let text = |k| find(&l, k).map(|a| a.string()).unwrap_or_default();
            let same = text(SMC_NLA_LINK_IB_DEV) == link.ibname
                && text(SMC_NLA_LINK_GID) == link.gid
                && text(SMC_NLA_LINK_PEER_GID) == link.peer_gid;
            if let (true, Some((role, version))) = (same, current) {
                if role == link.role {
                    if found.is_some_and(|f| f != version) {
                        return Ok(None);
                    }
                    found = Some(version);
                }
            }
        }
    }
    Ok(found)
}

/// Asks the kernel for the version of the SMC-R link group behind `link`.
pub fn smcr(link: &LgrInfo) -> Result<Option<u8>, Error> {
    let mut g = Genl::smc()?;
    let replies = g.call(SMC_NETLINK_GET_LINK_SMCR, NLM_F_DUMP, &[])?;
    from_link_dump(replies.iter().map(|m| m.payload.as_slice()), link)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kernel::netlink::{genl_header, put_attr};

    const GID: &str = "0000:0000:0000:0000:0000:ffff:0a00:0001";
    const PEER: &str = "0000:0000:0000:0000:0000:ffff:0a00:0002";

    fn z(s: &str) -> Vec<u8> {
        let mut v = s.as_bytes().to_vec();
        v.push(0);
        v
    }

    /// A GET_LGR_SMCR record as smc_nl_fill_lgr writes it.
    fn lgr(role: u8, v2: bool) -> Vec<u8> {
        let mut inner = Vec::new();
        put_attr(&mut inner, 1, &7u32.to_ne_bytes()); // SMC_NLA_LGR_R_ID
        put_attr(&mut inner, 6, &1u32.to_ne_bytes()); // CONNS_NUM
        put_attr(&mut inner, SMC_NLA_LGR_R_ROLE, &[role]);
        put_attr(&mut inner, 3, &[0]); // TYPE
        if v2 {
            let mut common = Vec::new();
            put_attr(&mut common, SMC_NLA_LGR_V2_VER, &[2]);
            put_attr(&mut common, 1, &[1]); // REL
            put_attr(&mut common, 4, &z("PEERHOST")); // PEER_HOST
            put_attr(&mut inner, SMC_NLA_LGR_R_V2_COMMON | 0x8000, &common);
        }
        let mut p = genl_header(SMC_NETLINK_GET_LGR_SMCR, 1);
        put_attr(&mut p, SMC_GEN_LGR_SMCR | 0x8000, &inner);
        p
    }

    fn link(ib: &str, gid: &str) -> Vec<u8> {
        let mut inner = Vec::new();
        put_attr(&mut inner, 1, &[1]); // LINK_ID
        put_attr(&mut inner, 10, &0u32.to_ne_bytes()); // STATE
        put_attr(&mut inner, SMC_NLA_LINK_IB_DEV, &z(ib));
        put_attr(&mut inner, SMC_NLA_LINK_GID, &z(gid));
        put_attr(&mut inner, SMC_NLA_LINK_PEER_GID, &z(PEER));
        let mut p = genl_header(SMC_NETLINK_GET_LINK_SMCR, 1);
        put_attr(&mut p, SMC_GEN_LINK_SMCR | 0x8000, &inner);
        p
    }

    fn diag_link(role: u8) -> LgrInfo {
        LgrInfo {
            link_id: 1,
            ibname: "rxe0".into(),
            ibport: 1,
            gid: GID.into(),
            peer_gid: PEER.into(),
            role,
        }
    }

    #[test]
    fn v2_group_is_found_by_its_link() {
        let dump = [lgr(0, false), link("rxe1", GID), lgr(0, true), link("rxe0", GID)];
        let v = from_link_dump(dump.iter().map(|p| p.as_slice()), &diag_link(0)).unwrap();
        assert_eq!(v, Some(2));
    }

    #[test]
    fn v1_group_has_no_v2_nest() {
        let dump = [lgr(1, false), link("rxe0", GID)];
        assert_eq!(
            from_link_dump(dump.iter().map(|p| p.as_slice()), &diag_link(1)).unwrap(),
            Some(1)
        );
    }

    #[test]
    fn role_and_gid_must_match() {
        let dump = [lgr(1, true), link("rxe0", GID), lgr(0, true), link("rxe0", PEER)];
        assert_eq!(
            from_link_dump(dump.iter().map(|p| p.as_slice()), &diag_link(0)).unwrap(),
            None
        );
    }

    #[test]
    fn disagreeing_matches_give_no_answer() {
        let dump = [lgr(0, true), link("rxe0", GID), lgr(0, false), link("rxe0", GID)];
        assert_eq!(
            from_link_dump(dump.iter().map(|p| p.as_slice()), &diag_link(0)).unwrap(),
            None
        );
    }
}
