//! sock_diag (NETLINK_SOCK_DIAG): AF_SMC sockets through smc_diag, and the
//! TCP sockets underneath through inet_diag. Layouts from
//! include/uapi/linux/{sock_diag,inet_diag,smc_diag}.h.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use super::netlink::{self, NetlinkSocket, NLM_F_DUMP};
use super::Error;

pub const SOCK_DIAG_BY_FAMILY: u16 = 20;
pub const AF_SMC: u8 = 43;

/// smc_diag extension attributes (and their request bits, 1 << (ext - 1)).
pub const SMC_DIAG_CONNINFO: u16 = 1;
pub const SMC_DIAG_LGRINFO: u16 = 2;
pub const SMC_DIAG_SHUTDOWN: u16 = 3;
pub const SMC_DIAG_DMBINFO: u16 = 4;
pub const SMC_DIAG_FALLBACK: u16 = 5;

/// `struct inet_diag_sockid`: ports and addresses big-endian, the rest host order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct SockId {
    pub sport: u16,
    pub dport: u16,
    pub src: [u8; 16],
    pub dst: [u8; 16],
    pub ifindex: u32,
    /// `idiag_cookie[2]`, low word first.
    pub cookie: u64,
}

impl SockId {
    pub const LEN: usize = 48;

    pub fn emit(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.sport.to_be_bytes());
        out.extend_from_slice(&self.dport.to_be_bytes());
        out.extend_from_slice(&self.src);
        out.extend_from_slice(&self.dst);
        out.extend_from_slice(&self.ifindex.to_ne_bytes());
        out.extend_from_slice(&(self.cookie as u32).to_ne_bytes());
        out.extend_from_slice(&((self.cookie >> 32) as u32).to_ne_bytes());
    }

    pub fn parse(b: &[u8]) -> Option<SockId> {
        let b = b.get(..Self::LEN)?;
        let lo = netlink::ne_u32(b, 40)? as u64;
        let hi = netlink::ne_u32(b, 44)? as u64;
        Some(SockId {
            sport: u16::from_be_bytes([b[0], b[1]]),
            dport: u16::from_be_bytes([b[2], b[3]]),
            src: b[4..20].try_into().ok()?,
            dst: b[20..36].try_into().ok()?,
            ifindex: netlink::ne_u32(b, 36)?,
            cookie: lo | hi << 32,
        })
    }

    /// The address as the kernel stores it: IPv4 in the first four bytes.
    pub fn ip(raw: &[u8; 16], family: u8) -> IpAddr {
        if family == 2 {
            IpAddr::V4(Ipv4Addr::new(raw[0], raw[1], raw[2], raw[3]))
        } else {
            IpAddr::V6(Ipv6Addr::from(*raw))
        }
    }
}

/// `struct smc_diag_req`: family, two pad bytes, extension bits, socket id.
pub fn smc_diag_req(ext: u8) -> Vec<u8> {
    let mut out = vec![AF_SMC, 0, 0, ext];
    SockId::default().emit(&mut out);
    out
}

/// How the connection runs: `smc_diag_msg.diag_mode`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DiagMode(pub u8);

impl DiagMode {
    pub const SMCR: DiagMode = DiagMode(0);
    pub const FALLBACK_TCP: DiagMode = DiagMode(1);
    pub const SMCD: DiagMode = DiagMode(2);
}

/// One link of `struct smc_diag_lgrinfo` (GIDs are text in this struct).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LgrInfo {
    pub link_id: u8,
    pub ibname: String,
    pub ibport: u8,
    pub gid: String,
    pub peer_gid: String,
    pub role: u8,
}

/// `struct smcd_diag_dmbinfo`: an SMC-D connection's link group and DMBs.
/// A GID is 128 bits on virtual ISM devices (loopback-ism): the `_ext`
/// halves, which kernels before 6.9 do not send (their struct is 40 bytes).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DmbInfo {
    /// The link group id, as the CLC Accept and Confirm carry it.
    pub link_id: u32,
    pub peer_gid: u64,
    pub gid: u64,
    /// This end's DMB, where the peer writes.
    pub token: u64,
    /// The peer's DMB, where this end writes.
    pub peer_token: u64,
    pub peer_gid_ext: Option<u64>,
    pub gid_ext: Option<u64>,
}

/// linkid (4 bytes), pad, then u64s: peer_gid, my_gid, token, peer_token
/// (and from 6.9 peer_gid_ext, my_gid_ext), in host byte order.
fn parse_dmbinfo(b: &[u8]) -> Option<DmbInfo> {
    let u64_at = |at: usize| Some(u64::from_ne_bytes(b.get(at..at + 8)?.try_into().ok()?));
    Some(DmbInfo {
        // The kernel copies the link group id's four bytes as a u32: read
        // them as CLC carries them, so the id matches the Accept's.
        link_id: u32::from_be_bytes(b.get(..4)?.try_into().ok()?),
        peer_gid: u64_at(8)?,
        gid: u64_at(16)?,
        token: u64_at(24)?,
        peer_token: u64_at(32)?,
        peer_gid_ext: u64_at(40),
        gid_ext: u64_at(48),
    })
}

/// One AF_SMC socket as smc_diag reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SmcDiagMsg {
    pub family: u8,
    pub state: u8,
    pub mode: DiagMode,
    pub shutdown: u8,
    pub id: SockId,
    pub uid: u32,
    pub inode: u64,
    /// SMC_DIAG_FALLBACK: (reason, peer diagnosis), both decline codes.
    pub fallback: Option<(u32, u32)>,
    /// SMC_DIAG_CONNINFO: the connection's alert token.
    pub token: Option<u32>,
    pub lgr: Option<LgrInfo>,
    /// SMC_DIAG_DMBINFO (SMC-D only).
    pub dmb: Option<DmbInfo>,
}

impl SmcDiagMsg {
    /// Header size: 4 bytes, socket id, uid, then an 8-aligned inode.
    pub const LEN: usize = 64;

    pub fn parse(b: &[u8]) -> Result<SmcDiagMsg, Error> {
        let short = || Error::Malformed(format!("smc_diag_msg of {} bytes, need {}", b.len(), Self::LEN));
        let head = b.get(..Self::LEN).ok_or_else(short)?;
        let id = SockId::parse(&head[4..]).ok_or_else(short)?;
        let inode_bytes: [u8; 8] = head[56..64].try_into().map_err(|_| short())?;
        let mut msg = SmcDiagMsg {
            family: head[0],
            state: head[1],
            mode: DiagMode(head[2]),
            shutdown: head[3],
            id,
            uid: netlink::ne_u32(head, 52).ok_or_else(short)?,
            inode: u64::from_ne_bytes(inode_bytes),
            fallback: None,
            token: None,
            lgr: None,
            dmb: None,
        };
        for a in netlink::parse_attrs(&b[Self::LEN..])? {
            match a.kind {
                SMC_DIAG_FALLBACK => {
                    let reason = a
                        .u32()
                        .ok_or_else(|| Error::Malformed("SMC_DIAG_FALLBACK short".into()))?;
                    let peer = netlink::ne_u32(a.data, 4).unwrap_or(0);
                    msg.fallback = Some((reason, peer));
                }
                SMC_DIAG_CONNINFO => msg.token = a.u32(),
                SMC_DIAG_LGRINFO => msg.lgr = parse_lgrinfo(a.data),
                SMC_DIAG_DMBINFO => msg.dmb = parse_dmbinfo(a.data),
                _ => {}
            }
        }
        Ok(msg)
    }

    pub fn local(&self) -> (IpAddr, u16) {
        (SockId::ip(&self.id.src, self.family), self.id.sport)
    }
}

/// link_id u8, `ibname[64]`, ibport u8, `gid[40]`, `peer_gid[40]`, then role u8.
fn parse_lgrinfo(b: &[u8]) -> Option<LgrInfo> {
    let text = |r: std::ops::Range<usize>| {
        let s = b.get(r)?;
        let end = s.iter().position(|&c| c == 0).unwrap_or(s.len());
        Some(String::from_utf8_lossy(&s[..end]).into_owned())
    };
    Some(LgrInfo {
        link_id: *b.first()?,
        ibname: text(1..65)?,
        ibport: *b.get(65)?,
        gid: text(66..106)?,
        peer_gid: text(106..146)?,
        role: *b.get(146)?,
    })
}

/// Dumps every AF_SMC socket (IPv4 and IPv6, IPPROTO_SMC ones included).
pub fn dump_smc() -> Result<Vec<SmcDiagMsg>, Error> {
    let mut nl = NetlinkSocket::open(netlink::NETLINK_SOCK_DIAG)?;
    let ext = (1 << (SMC_DIAG_CONNINFO - 1)) | (1 << (SMC_DIAG_LGRINFO - 1)) | (1 << (SMC_DIAG_DMBINFO - 1));
    let replies = nl
        .request(SOCK_DIAG_BY_FAMILY, NLM_F_DUMP, smc_diag_req(ext))
        .map_err(|e| match e {
            Error::Kernel(io) => Error::NoSmcDiag(io),
            other => other,
        })?;
    replies
        .iter()
        .filter(|m| m.kind == SOCK_DIAG_BY_FAMILY)
        .map(|m| SmcDiagMsg::parse(&m.payload))
        .collect()
}

/// The smc_diag entry of the socket with this inode, if the kernel lists it.
pub fn smc_by_inode(inode: u64) -> Result<Option<SmcDiagMsg>, Error> {
    Ok(dump_smc()?.into_iter().find(|m| m.inode == inode))
}

pub const IPPROTO_TCP: u8 = 6;
pub const TCP_ESTABLISHED: u8 = 1;

/// `struct inet_diag_req_v2`: family, protocol, ext, pad, state bits, socket id.
pub fn inet_diag_req(family: u8, protocol: u8, states: u32) -> Vec<u8> {
    let mut out = vec![family, protocol, 0, 0];
    out.extend_from_slice(&states.to_ne_bytes());
    SockId::default().emit(&mut out);
    out
}

/// The part of `struct inet_diag_msg` needed here.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InetDiagMsg {
    pub family: u8,
    pub state: u8,
    pub id: SockId,
    pub inode: u32,
}

impl InetDiagMsg {
    pub const LEN: usize = 72;

    pub fn parse(b: &[u8]) -> Result<InetDiagMsg, Error> {
        let short = || Error::Malformed(format!("inet_diag_msg of {} bytes, need {}", b.len(), Self::LEN));
        let head = b.get(..Self::LEN).ok_or_else(short)?;
        Ok(InetDiagMsg {
            family: head[0],
            state: head[1],
            id: SockId::parse(&head[4..]).ok_or_else(short)?,
            inode: netlink::ne_u32(head, 68).ok_or_else(short)?,
        })
    }
}

/// Dumps TCP sockets of one address family in the given states.
pub fn dump_tcp(family: u8, states: u32) -> Result<Vec<InetDiagMsg>, Error> {
    let mut nl = NetlinkSocket::open(netlink::NETLINK_SOCK_DIAG)?;
    let replies = nl.request(
        SOCK_DIAG_BY_FAMILY,
        NLM_F_DUMP,
        inet_diag_req(family, IPPROTO_TCP, states),
    )?;
    replies
        .iter()
        .filter(|m| m.kind == SOCK_DIAG_BY_FAMILY)
        .map(|m| InetDiagMsg::parse(&m.payload))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A kernel reply built field by field from struct smc_diag_msg and
    /// the SMC_DIAG_FALLBACK / SMC_DIAG_SHUTDOWN / SMC_DIAG_LGRINFO attributes.
    fn kernel_reply(mode: u8, reason: u32, peer: u32) -> Vec<u8> {
        let mut b = vec![2, 1, mode, 0]; // AF_INET, SMC_ACTIVE
        b.extend_from_slice(&[0xc3, 0x50, 0x1f, 0x90]); // sport 50000, dport 8080
        b.extend_from_slice(&[10, 0, 0, 1]);
        b.extend_from_slice(&[0; 12]);
        b.extend_from_slice(&[10, 0, 0, 2]);
        b.extend_from_slice(&[0; 12]);
        b.extend_from_slice(&0u32.to_ne_bytes()); // if
        b.extend_from_slice(&0x1122_3344u32.to_ne_bytes()); // cookie[0]
        b.extend_from_slice(&0x55u32.to_ne_bytes()); // cookie[1]
        b.extend_from_slice(&1000u32.to_ne_bytes()); // uid
        b.extend_from_slice(&123_456u64.to_ne_bytes()); // inode
        assert_eq!(b.len(), 64);
        netlink::put_attr(&mut b, SMC_DIAG_SHUTDOWN, &[0]);
        let mut fb = reason.to_ne_bytes().to_vec();
        fb.extend_from_slice(&peer.to_ne_bytes());
        netlink::put_attr(&mut b, SMC_DIAG_FALLBACK, &fb);
        let mut lgr = vec![1];
        let mut name = b"rxe0".to_vec();
        name.resize(64, 0);
        lgr.extend(name);
        lgr.push(1);
        let mut gid = b"0000:0000:0000:0000:0000:ffff:0a00:0001".to_vec();
        gid.resize(40, 0);
        lgr.extend(&gid);
        lgr.extend(&gid);
        lgr.push(0); // role client
        assert_eq!(lgr.len(), 147);
        netlink::put_attr(&mut b, SMC_DIAG_LGRINFO, &lgr);
        b
    }

    #[test]
    fn request_layout() {
        let r = smc_diag_req(0b11);
        assert_eq!(r.len(), 52, "sizeof(struct smc_diag_req)");
        assert_eq!(&r[..4], &[43, 0, 0, 3]);
        assert!(r[4..].iter().all(|&b| b == 0));
        let t = inet_diag_req(2, 6, 1 << TCP_ESTABLISHED);
        assert_eq!(t.len(), 56, "sizeof(struct inet_diag_req_v2)");
        assert_eq!(&t[..8], &[2, 6, 0, 0, 2, 0, 0, 0]);
    }

    #[test]
    fn decodes_a_fallback_reply() {
        let m = SmcDiagMsg::parse(&kernel_reply(1, 0x0301_0000, 0)).unwrap();
        assert_eq!(m.mode, DiagMode::FALLBACK_TCP);
        assert_eq!(m.fallback, Some((0x0301_0000, 0)));
        assert_eq!(m.inode, 123_456);
        assert_eq!(m.uid, 1000);
        assert_eq!(m.id.sport, 50000);
        assert_eq!(m.id.dport, 8080);
        assert_eq!(m.id.cookie, 0x55_1122_3344);
        assert_eq!(m.local(), ("10.0.0.1".parse().unwrap(), 50000));
        let lgr = m.lgr.unwrap();
        assert_eq!((lgr.ibname.as_str(), lgr.ibport, lgr.role), ("rxe0", 1, 0));
        assert_eq!(lgr.gid, "0000:0000:0000:0000:0000:ffff:0a00:0001");
    }

    #[test]
    fn decodes_the_dmb_info_of_an_smcd_socket() {
        let mut b = kernel_reply(2, 0, 0);
        // struct smcd_diag_dmbinfo of 6.9+: linkid, pad, six u64s (values of
        // corpora/real/smcd-v2-echo.pcapng's server).
        // lgr->id as the kernel stores it: the bytes the Accept's link_id shows.
        let mut dmb = vec![0, 1, 0, 0];
        dmb.extend([0; 4]);
        for v in [
            0xfc43_5175_cd9e_93ce_u64,
            0xfc43_5175_cd9e_93ce,
            0xab46_3e38_7b98_af0a,
            0x7af3_4518_5e64_e0a1,
            0x3ab9_fa70_467b_bbb4,
            0x3ab9_fa70_467b_bbb4,
        ] {
            dmb.extend(v.to_ne_bytes());
        }
        netlink::put_attr(&mut b, SMC_DIAG_DMBINFO, &dmb);
        let d = SmcDiagMsg::parse(&b).unwrap().dmb.unwrap();
        assert_eq!(
            (d.link_id, d.token, d.peer_token),
            (0x0001_0000, 0xab46_3e38_7b98_af0a, 0x7af3_4518_5e64_e0a1)
        );
        assert_eq!(
            (d.gid_ext, d.peer_gid_ext),
            (Some(0x3ab9_fa70_467b_bbb4), Some(0x3ab9_fa70_467b_bbb4))
        );
        // Before 6.9 the struct ends after peer_token: no GID extensions.
        let mut old = kernel_reply(2, 0, 0);
        netlink::put_attr(&mut old, SMC_DIAG_DMBINFO, &dmb[..40]);
        let d = SmcDiagMsg::parse(&old).unwrap().dmb.unwrap();
        assert_eq!((d.gid, d.gid_ext), (0xfc43_5175_cd9e_93ce, None));
    }

    #[test]
    fn sockid_round_trip() {
        let id = SockId {
            sport: 1,
            dport: 65535,
            src: [7; 16],
            dst: [9; 16],
            ifindex: 3,
            cookie: u64::MAX - 5,
        };
        let mut b = Vec::new();
        id.emit(&mut b);
        assert_eq!(b.len(), SockId::LEN);
        assert_eq!(SockId::parse(&b), Some(id));
    }

    #[test]
    fn truncated_replies_are_errors() {
        let full = kernel_reply(0, 0, 0);
        for cut in [0, 10, 63] {
            assert!(SmcDiagMsg::parse(&full[..cut]).is_err(), "cut at {cut}");
        }
        assert!(
            SmcDiagMsg::parse(&full[..66]).is_err(),
            "half an attribute header"
        );
        assert!(InetDiagMsg::parse(&[0; 71]).is_err());
    }

    #[test]
    fn decodes_an_inet_diag_msg() {
        let mut b = vec![10, TCP_ESTABLISHED, 0, 0];
        SockId {
            sport: 4242,
            dport: 80,
            ..Default::default()
        }
        .emit(&mut b);
        b.extend_from_slice(&[0; 16]); // expires, rqueue, wqueue, uid
        b.extend_from_slice(&77u32.to_ne_bytes());
        let m = InetDiagMsg::parse(&b).unwrap();
        assert_eq!(
            (m.family, m.state, m.id.sport, m.id.dport, m.inode),
            (10, 1, 4242, 80, 77)
        );
    }

    /// Real kernel: a loopback TCP connection shows up in the inet_diag dump.
    #[test]
    fn host_kernel_lists_an_established_tcp_socket() {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let c = std::net::TcpStream::connect(l.local_addr().unwrap()).unwrap();
        let port = c.local_addr().unwrap().port();
        let socks = dump_tcp(2, 1 << TCP_ESTABLISHED).unwrap();
        let me = socks
            .iter()
            .find(|t| t.id.sport == port)
            .expect("own socket listed");
        assert_eq!(me.id.dport, l.local_addr().unwrap().port());
        assert_eq!((me.family, me.state), (2, TCP_ESTABLISHED));
        assert_eq!(SockId::ip(&me.id.src, 2), std::net::IpAddr::from([127, 0, 0, 1]));
    }

    /// Real kernel: the AF_SMC dump works, or says smc_diag is missing.
    #[test]
    fn host_kernel_smc_dump_works_or_names_smc_diag() {
        match dump_smc() {
            Ok(_) => {}
            Err(e @ Error::NoSmcDiag(_)) => assert!(e.to_string().contains("smc_diag"), "{e}"),
            Err(e) => panic!("unexpected: {e}"),
        }
    }
}
