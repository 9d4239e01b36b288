//! Generic netlink: resolving a family id through nlctrl, and calls into
//! the SMC_GEN_NETLINK family.

use std::io;

use super::netlink::{self, NetlinkSocket, NlMsg, NLM_F_ACK};
use super::Error;

pub const GENL_ID_CTRL: u16 = 0x10;
pub const CTRL_CMD_GETFAMILY: u8 = 3;
pub const CTRL_ATTR_FAMILY_ID: u16 = 1;
pub const CTRL_ATTR_FAMILY_NAME: u16 = 2;

pub const SMC_GENL_FAMILY_NAME: &str = "SMC_GEN_NETLINK";
pub const SMC_GENL_FAMILY_VERSION: u8 = 1;

/// CTRL_CMD_GETFAMILY payload asking for `name`.
pub fn getfamily_request(name: &str) -> Vec<u8> {
    let mut p = netlink::genl_header(CTRL_CMD_GETFAMILY, 1);
    let mut z = name.as_bytes().to_vec();
    z.push(0);
    netlink::put_attr(&mut p, CTRL_ATTR_FAMILY_NAME, &z);
    p
}

/// The family id out of nlctrl's CTRL_CMD_NEWFAMILY reply.
pub fn parse_family_id(payload: &[u8]) -> Result<u16, Error> {
    let (_, attrs) = netlink::parse_genl(payload)?;
    attrs
        .iter()
        .find(|a| a.kind == CTRL_ATTR_FAMILY_ID)
        .and_then(|a| a.u16())
        .ok_or_else(|| Error::Malformed("nlctrl reply without CTRL_ATTR_FAMILY_ID".into()))
}

/// A netlink socket bound to one resolved generic netlink family.
pub struct Genl {
    nl: NetlinkSocket,
    family: u16,
    version: u8,
}

impl Genl {
    /// Opens SMC_GEN_NETLINK, or `Error::NoGenlFamily` when the smc module is absent.
    pub fn smc() -> Result<Genl, Error> {
        let mut nl = NetlinkSocket::open(netlink::NETLINK_GENERIC)?;
        let replies = nl
            .request(GENL_ID_CTRL, NLM_F_ACK, getfamily_request(SMC_GENL_FAMILY_NAME))
            .map_err(|e| match e {
                Error::Kernel(io) if io.kind() == io::ErrorKind::NotFound => Error::NoGenlFamily(io),
                other => other,
            })?;
        let reply = replies
            .first()
            .ok_or_else(|| Error::Malformed("nlctrl sent no family".into()))?;
        let family = parse_family_id(&reply.payload)?;
        Ok(Genl {
            nl,
            family,
            version: SMC_GENL_FAMILY_VERSION,
        })
    }

    /// Sends `cmd` with `attrs` (already encoded) and returns the replies.
    pub fn call(&mut self, cmd: u8, flags: u16, attrs: &[u8]) -> Result<Vec<NlMsg>, Error> {
        let mut p = netlink::genl_header(cmd, self.version);
        p.extend_from_slice(attrs);
        self.nl.request(self.family, flags, p)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn getfamily_request_layout() {
        let p = getfamily_request("SMC_GEN_NETLINK");
        // genlmsghdr (cmd 3, version 1), nlattr len 4+16, type 2, name + NUL
        assert_eq!(&p[..4], &[3, 1, 0, 0]);
        assert_eq!(&p[4..6], &20u16.to_ne_bytes());
        assert_eq!(&p[6..8], &2u16.to_ne_bytes());
        assert_eq!(&p[8..24], b"SMC_GEN_NETLINK\0");
        assert_eq!(p.len(), 24);
    }

    #[test]
    fn family_id_from_a_kernel_reply() {
        // CTRL_CMD_NEWFAMILY (1): FAMILY_NAME, FAMILY_ID u16, VERSION u32
        let mut p = netlink::genl_header(1, 2);
        netlink::put_attr(&mut p, CTRL_ATTR_FAMILY_NAME, b"SMC_GEN_NETLINK\0");
        netlink::put_attr(&mut p, CTRL_ATTR_FAMILY_ID, &0x1du16.to_ne_bytes());
        netlink::put_attr(&mut p, 3, &1u32.to_ne_bytes());
        assert_eq!(p.len(), 4 + 20 + 8 + 8, "u16 attribute padded to 8");
        assert_eq!(parse_family_id(&p).unwrap(), 0x1d);
        let mut bare = netlink::genl_header(1, 2);
        netlink::put_attr(&mut bare, CTRL_ATTR_FAMILY_NAME, b"X\0");
        assert!(parse_family_id(&bare).is_err());
    }
}
