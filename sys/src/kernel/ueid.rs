//! User-defined EIDs (UEIDs) and system info through SMC_GEN_NETLINK.
//! SMC-Rv2 needs one UEID common to both hosts (or a common SEID on s390).

use super::genl::Genl;
use super::netlink::{self, NLM_F_ACK, NLM_F_DUMP};
use super::Error;

pub const SMC_NETLINK_GET_SYS_INFO: u8 = 1;
pub const SMC_NETLINK_DUMP_UEID: u8 = 9;
pub const SMC_NETLINK_ADD_UEID: u8 = 10;
pub const SMC_NETLINK_REMOVE_UEID: u8 = 11;
pub const SMC_NETLINK_FLUSH_UEID: u8 = 12;

pub const SMC_NLA_EID_TABLE_ENTRY: u16 = 1;
pub const SMC_GEN_SYS_INFO: u16 = 1;
pub const SMC_MAX_EID_LEN: usize = 32;

/// A UEID: 1..=32 of A-Z 0-9 '.' '-', starting with a letter or digit,
/// blank padded to 32 on the wire (the kernel's smc_clc_ueid_valid rules).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ueid(String);

impl Ueid {
    /// Upper-cases `name` (the kernel rejects lower case) and checks the rest.
    pub fn new(name: &str) -> Result<Ueid, Error> {
        let up = name.to_ascii_uppercase();
        let bad = |why: &str| Error::Invalid(format!("UEID {name:?} {why}"));
        if up.is_empty() || up.len() > SMC_MAX_EID_LEN {
            return Err(bad("must be 1 to 32 characters long"));
        }
        if !up.as_bytes()[0].is_ascii_alphanumeric() {
            return Err(bad("must start with a letter or digit"));
        }
        if let Some(c) = up
            .chars()
            .find(|c| !(c.is_ascii_alphanumeric() || *c == '.' || *c == '-'))
        {
            return Err(bad(&format!("contains {c:?}; allowed are A-Z, 0-9, '.' and '-'")));
        }
        Ok(Ueid(up))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The 33-byte SMC_NLA_EID_TABLE_ENTRY value: 32 blank padded + NUL.
    pub fn wire(&self) -> [u8; SMC_MAX_EID_LEN + 1] {
        let mut w = [b' '; SMC_MAX_EID_LEN + 1];
        w[..self.0.len()].copy_from_slice(self.0.as_bytes());
        w[SMC_MAX_EID_LEN] = 0;
        w
    }

    /// The table entry attribute, ready for a request.
    pub fn attr(&self) -> Vec<u8> {
        let mut out = Vec::new();
        netlink::put_attr(&mut out, SMC_NLA_EID_TABLE_ENTRY, &self.wire());
        out
    }
}

/// The UEIDs in one SMC_NETLINK_DUMP_UEID reply payload, padding trimmed.
pub fn parse_ueid_reply(payload: &[u8]) -> Result<Vec<String>, Error> {
    let (_, attrs) = netlink::parse_genl(payload)?;
    Ok(attrs
        .iter()
        .filter(|a| a.kind == SMC_NLA_EID_TABLE_ENTRY)
        .map(|a| a.string().trim_end().to_string())
        .collect())
}

pub fn add(g: &mut Genl, ueid: &Ueid) -> Result<(), Error> {
    g.call(SMC_NETLINK_ADD_UEID, NLM_F_ACK, &ueid.attr()).map(drop)
}

pub fn remove(g: &mut Genl, ueid: &Ueid) -> Result<(), Error> {
    g.call(SMC_NETLINK_REMOVE_UEID, NLM_F_ACK, &ueid.attr()).map(drop)
}

pub fn flush(g: &mut Genl) -> Result<(), Error> {
    g.call(SMC_NETLINK_FLUSH_UEID, NLM_F_ACK, &[]).map(drop)
}

pub fn list(g: &mut Genl) -> Result<Vec<String>, Error> {
    let mut out = Vec::new();
    for m in g.call(SMC_NETLINK_DUMP_UEID, NLM_F_DUMP, &[])? {
        out.extend(parse_ueid_reply(&m.payload)?);
    }
    Ok(out)
}

/// SMC_GEN_SYS_INFO: what the local SMC stack supports.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SysInfo {
    pub version: Option<u8>,
    pub release: Option<u8>,
    pub ism_v2: Option<bool>,
    pub smcr_v2: Option<bool>,
    pub hostname: Option<String>,
    pub seid: Option<String>,
}

/// SMC_NLA_SYS_* inside the SMC_GEN_SYS_INFO nest.
pub fn parse_sys_info(payload: &[u8]) -> Result<SysInfo, Error> {
    let (_, attrs) = netlink::parse_genl(payload)?;
    let nest = attrs
        .iter()
        .find(|a| a.kind == SMC_GEN_SYS_INFO)
        .ok_or_else(|| Error::Malformed("GET_SYS_INFO reply without SMC_GEN_SYS_INFO".into()))?;
    let mut info = SysInfo::default();
    for a in nest.nested()? {
        match a.kind {
            1 => info.version = a.u8(),
            2 => info.release = a.u8(),
            3 => info.ism_v2 = a.u8().map(|v| v != 0),
            4 => info.hostname = Some(a.string().trim_end().to_string()),
            5 => info.seid = Some(a.string().trim_end().to_string()),
            6 => info.smcr_v2 = a.u8().map(|v| v != 0),
            _ => {}
        }
    }
    Ok(info)
}

pub fn sys_info(g: &mut Genl) -> Result<SysInfo, Error> {
    let replies = g.call(SMC_NETLINK_GET_SYS_INFO, NLM_F_DUMP, &[])?;
    let first = replies
        .first()
        .ok_or_else(|| Error::Malformed("GET_SYS_INFO sent nothing".into()))?;
    parse_sys_info(&first.payload)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ueid_is_33_bytes_blank_padded() {
        let u = Ueid::new("smc-lab.1").unwrap();
        assert_eq!(u.as_str(), "SMC-LAB.1");
        let w = u.wire();
        assert_eq!(&w[..9], b"SMC-LAB.1");
        assert!(w[9..32].iter().all(|&b| b == b' '));
        assert_eq!(w[32], 0);
        let a = u.attr();
        assert_eq!(
            &a[..4],
            &[37, 0, 1, 0][..],
            "nla_len 4 + 33, type 1 (little-endian host)"
        );
        assert_eq!(a.len(), 40, "padded to 4");
        assert_eq!(Ueid::new(&"A".repeat(32)).unwrap().wire()[31], b'A');
    }

    #[test]
    fn ueid_rules_follow_the_kernel() {
        for bad in ["", "-LAB", ".X", "HAS SPACE", "UNDER_SCORE", &"B".repeat(33)] {
            assert!(Ueid::new(bad).is_err(), "{bad:?} must be rejected");
        }
        assert!(Ueid::new("9LAB").is_ok());
    }

    #[test]
    fn dump_reply_is_trimmed() {
        let mut p = netlink::genl_header(SMC_NETLINK_DUMP_UEID, 1);
        netlink::put_attr(&mut p, SMC_NLA_EID_TABLE_ENTRY, &Ueid::new("LAB").unwrap().wire());
        assert_eq!(parse_ueid_reply(&p).unwrap(), vec!["LAB".to_string()]);
    }

    #[test]
    fn sys_info_from_a_kernel_reply() {
        let mut nest = Vec::new();
        netlink::put_attr(&mut nest, 1, &[2]); // SMC_NLA_SYS_VER
        netlink::put_attr(&mut nest, 2, &[1]); // SMC_NLA_SYS_REL
        netlink::put_attr(&mut nest, 3, &[0]); // SMC_NLA_SYS_IS_ISM_V2
        netlink::put_attr(&mut nest, 4, b"vm1     \0"); // SMC_NLA_SYS_LOCAL_HOST
        netlink::put_attr(&mut nest, 6, &[1]); // SMC_NLA_SYS_IS_SMCR_V2
        let mut p = netlink::genl_header(SMC_NETLINK_GET_SYS_INFO, 1);
        netlink::put_attr(&mut p, SMC_GEN_SYS_INFO | 0x8000, &nest);
        let info = parse_sys_info(&p).unwrap();
        assert_eq!(info.version, Some(2));
        assert_eq!(info.release, Some(1));
        assert_eq!(info.ism_v2, Some(false));
        assert_eq!(info.smcr_v2, Some(true));
        assert_eq!(info.hostname.as_deref(), Some("vm1"));
        assert_eq!(info.seid, None);
        assert!(parse_sys_info(&netlink::genl_header(1, 1)).is_err());
    }
}
