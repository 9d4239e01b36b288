//! Netlink framing (nlmsghdr, nlattr, genlmsghdr) and a blocking
//! request/reply socket. Netlink headers are in host byte order.

use std::io::{self, Read};

use socket2::{Domain, Protocol, Socket, Type};

use super::Error;

pub const AF_NETLINK: i32 = 16;
pub const NETLINK_SOCK_DIAG: i32 = 4;
pub const NETLINK_GENERIC: i32 = 16;

pub const NLMSG_ERROR: u16 = 2;
pub const NLMSG_DONE: u16 = 3;

pub const NLM_F_REQUEST: u16 = 0x1;
pub const NLM_F_MULTI: u16 = 0x2;
pub const NLM_F_ACK: u16 = 0x4;
pub const NLM_F_DUMP: u16 = 0x300;

pub const NLMSG_HDRLEN: usize = 16;
pub const NLA_HDRLEN: usize = 4;
/// The nested and byte-order flags share the attribute type field.
const NLA_TYPE_MASK: u16 = 0x3fff;

pub fn align4(n: usize) -> usize {
    (n + 3) & !3
}

/// One netlink message: `struct nlmsghdr` plus its payload.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NlMsg {
    pub kind: u16,
    pub flags: u16,
    pub seq: u32,
    pub pid: u32,
    pub payload: Vec<u8>,
}

impl NlMsg {
    pub fn emit(&self) -> Vec<u8> {
        let len = NLMSG_HDRLEN + self.payload.len();
        let mut out = Vec::with_capacity(align4(len));
        out.extend_from_slice(&(len as u32).to_ne_bytes());
        out.extend_from_slice(&self.kind.to_ne_bytes());
        out.extend_from_slice(&self.flags.to_ne_bytes());
        out.extend_from_slice(&self.seq.to_ne_bytes());
        out.extend_from_slice(&self.pid.to_ne_bytes());
        out.extend_from_slice(&self.payload);
        out.resize(align4(len), 0);
        out
    }

    /// Splits one datagram into its messages.
    pub fn parse_all(mut buf: &[u8]) -> Result<Vec<NlMsg>, Error> {
        let mut msgs = Vec::new();
        while !buf.is_empty() {
            let len = ne_u32(buf, 0).ok_or_else(|| malformed("nlmsghdr truncated"))? as usize;
            if len < NLMSG_HDRLEN || len > buf.len() {
                return Err(malformed(&format!("nlmsg_len {len} outside 16..={}", buf.len())));
            }
            let h = &buf[..len];
            msgs.push(NlMsg {
                kind: ne_u16(h, 4).unwrap_or(0),
                flags: ne_u16(h, 6).unwrap_or(0),
                seq: ne_u32(h, 8).unwrap_or(0),
                pid: ne_u32(h, 12).unwrap_or(0),
                payload: h[NLMSG_HDRLEN..].to_vec(),
            });
            buf = buf.get(align4(len)..).unwrap_or(&[]);
        }
        Ok(msgs)
    }

    /// For NLMSG_ERROR (and a DONE that carries a status): the errno, 0 for an ack.
    pub fn error_code(&self) -> Option<i32> {
        let raw = self.payload.get(..4)?;
        Some(i32::from_ne_bytes(raw.try_into().ok()?))
    }
}

/// One attribute (`struct nlattr`) borrowed from a payload.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Attr<'a> {
    pub kind: u16,
    pub data: &'a [u8],
}

impl<'a> Attr<'a> {
    pub fn u8(&self) -> Option<u8> {
        self.data.first().copied()
    }
    pub fn u16(&self) -> Option<u16> {
        ne_u16(self.data, 0)
    }
    pub fn u32(&self) -> Option<u32> {
        ne_u32(self.data, 0)
    }
    /// A NUL-terminated string attribute, without the NUL.
    pub fn string(&self) -> String {
        let end = self.data.iter().position(|&b| b == 0).unwrap_or(self.data.len());
        String::from_utf8_lossy(&self.data[..end]).into_owned()
    }
    pub fn nested(&self) -> Result<Vec<Attr<'a>>, Error> {
        parse_attrs(self.data)
    }
}

pub fn parse_attrs(mut buf: &[u8]) -> Result<Vec<Attr<'_>>, Error> {
    let mut attrs = Vec::new();
    while buf.len() >= NLA_HDRLEN {
        let len = ne_u16(buf, 0).unwrap_or(0) as usize;
        let kind = ne_u16(buf, 2).unwrap_or(0) & NLA_TYPE_MASK;
        if len < NLA_HDRLEN || len > buf.len() {
            return Err(malformed(&format!(
                "nla_len {len} of attribute {kind} outside 4..={}",
                buf.len()
            )));
        }
        attrs.push(Attr {
            kind,
            data: &buf[NLA_HDRLEN..len],
        });
        buf = buf.get(align4(len)..).unwrap_or(&[]);
    }
    if !buf.is_empty() {
        return Err(malformed(&format!(
            "{} stray bytes after the attributes",
            buf.len()
        )));
    }
    Ok(attrs)
}

pub fn put_attr(out: &mut Vec<u8>, kind: u16, data: &[u8]) {
    let len = NLA_HDRLEN + data.len();
    out.extend_from_slice(&(len as u16).to_ne_bytes());
    out.extend_from_slice(&kind.to_ne_bytes());
    out.extend_from_slice(data);
    out.resize(out.len() + align4(len) - len, 0);
}

/// `struct genlmsghdr`: command, version, two reserved bytes.
pub fn genl_header(cmd: u8, version: u8) -> Vec<u8> {
    vec![cmd, version, 0, 0]
}

/// Splits a generic netlink payload into (command, attributes).
pub fn parse_genl(payload: &[u8]) -> Result<(u8, Vec<Attr<'_>>), Error> {
    let cmd = *payload.first().ok_or_else(|| malformed("genlmsghdr truncated"))?;
    let body = payload
        .get(4..)
        .ok_or_else(|| malformed("genlmsghdr truncated"))?;
    Ok((cmd, parse_attrs(body)?))
}

pub fn ne_u16(b: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_ne_bytes(b.get(at..at + 2)?.try_into().ok()?))
}

pub fn ne_u32(b: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_ne_bytes(b.get(at..at + 4)?.try_into().ok()?))
}

fn malformed(what: &str) -> Error {
    Error::Malformed(what.to_string())
}

/// A netlink socket that sends one request at a time and gathers its replies.
pub struct NetlinkSocket {
    sock: Socket,
    seq: u32,
}

impl NetlinkSocket {
    pub fn open(protocol: i32) -> Result<Self, Error> {
        let sock = Socket::new(
            Domain::from(AF_NETLINK),
            Type::DGRAM,
            Some(Protocol::from(protocol)),
        )
        .map_err(|e| Error::io(format!("socket(AF_NETLINK, {protocol})"), e))?;
        Ok(NetlinkSocket { sock, seq: 0 })
    }

    /// Sends `kind`/`flags`/`payload` and returns the replies: all parts of a
    /// dump up to NLMSG_DONE, or the answers before the ack of a request.
    /// A negative status from the kernel comes back as an OS error.
    pub fn request(&mut self, kind: u16, flags: u16, payload: Vec<u8>) -> Result<Vec<NlMsg>, Error> {
        self.seq = self.seq.wrapping_add(1);
        let msg = NlMsg {
            kind,
            flags: flags | NLM_F_REQUEST,
            seq: self.seq,
            pid: 0,
            payload,
        };
        // Unbound netlink sockets autobind on send and talk to the kernel (pid 0).
        self.sock
            .send(&msg.emit())
            .map_err(|e| Error::io("netlink send".into(), e))?;
        let mut replies = Vec::new();
        let mut buf = vec![0u8; 64 * 1024];
        loop {
            let n = (&self.sock)
                .read(&mut buf)
                .map_err(|e| Error::io("netlink recv".into(), e))?;
            for m in NlMsg::parse_all(&buf[..n])? {
                if m.seq != self.seq {
                    continue;
                }
                match m.kind {
                    NLMSG_ERROR | NLMSG_DONE => {
                        let code = m.error_code().unwrap_or(0);
                        if code < 0 {
                            return Err(Error::Kernel(io::Error::from_raw_os_error(-code)));
                        }
                        return Ok(replies);
                    }
                    _ => {
                        let more = m.flags & NLM_F_MULTI != 0 || flags & (NLM_F_ACK | NLM_F_DUMP) != 0;
                        replies.push(m);
                        if !more {
                            return Ok(replies);
                        }
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nlmsg_emit_layout_and_round_trip() {
        let m = NlMsg {
            kind: 20,
            flags: NLM_F_REQUEST | NLM_F_DUMP,
            seq: 7,
            pid: 0,
            payload: vec![43, 0, 0, 1, 9],
        };
        let b = m.emit();
        assert_eq!(b.len(), 24, "16 header + 5 payload, padded to 4");
        assert_eq!(
            &b[0..4],
            &21u32.to_ne_bytes(),
            "nlmsg_len counts header + payload, not padding"
        );
        assert_eq!(&b[4..6], &20u16.to_ne_bytes());
        assert_eq!(&b[6..8], &0x301u16.to_ne_bytes());
        assert_eq!(&b[8..12], &7u32.to_ne_bytes());
        assert_eq!(&b[21..24], &[0, 0, 0]);
        let back = NlMsg::parse_all(&b).unwrap();
        assert_eq!(back, vec![m]);
    }

    #[test]
    fn several_messages_in_one_datagram() {
        let a = NlMsg {
            kind: 16,
            flags: 2,
            seq: 1,
            pid: 5,
            payload: vec![1, 2, 3, 4],
        };
        let done = NlMsg {
            kind: NLMSG_DONE,
            flags: 2,
            seq: 1,
            pid: 5,
            payload: 0i32.to_ne_bytes().to_vec(),
        };
        let mut b = a.emit();
        b.extend(done.emit());
        assert_eq!(NlMsg::parse_all(&b).unwrap(), vec![a, done]);
    }

    #[test]
    fn bad_lengths_are_rejected() {
        let mut b = NlMsg {
            kind: 1,
            flags: 0,
            seq: 0,
            pid: 0,
            payload: vec![],
        }
        .emit();
        b[0..4].copy_from_slice(&15u32.to_ne_bytes());
        assert!(NlMsg::parse_all(&b).is_err());
        b[0..4].copy_from_slice(&17u32.to_ne_bytes());
        assert!(NlMsg::parse_all(&b).is_err());
        assert!(NlMsg::parse_all(&b[..10]).is_err());
    }

    #[test]
    fn error_message_carries_negative_errno() {
        let mut payload = (-2i32).to_ne_bytes().to_vec();
        payload.extend(
            NlMsg {
                kind: 16,
                flags: 5,
                seq: 3,
                pid: 0,
                payload: vec![],
            }
            .emit(),
        );
        let m = NlMsg {
            kind: NLMSG_ERROR,
            flags: 0,
            seq: 3,
            pid: 0,
            payload,
        };
        assert_eq!(m.error_code(), Some(-2));
    }

    #[test]
    fn attributes_pad_and_nest() {
        let mut inner = Vec::new();
        put_attr(&mut inner, 1, &[4]);
        put_attr(&mut inner, 4, b"host\0");
        assert_eq!(inner.len(), 8 + 12);
        let mut outer = genl_header(1, 1);
        put_attr(&mut outer, 1 | 0x8000, &inner);
        let (cmd, attrs) = parse_genl(&outer).unwrap();
        assert_eq!(cmd, 1);
        assert_eq!(attrs.len(), 1);
        assert_eq!(attrs[0].kind, 1, "NLA_F_NESTED is masked off");
        let nested = attrs[0].nested().unwrap();
        assert_eq!(nested[0].u8(), Some(4));
        assert_eq!(nested[1].string(), "host");
    }

    #[test]
    fn attribute_longer_than_buffer_is_rejected() {
        let mut b = Vec::new();
        put_attr(&mut b, 1, &[1, 2, 3, 4]);
        b[0..2].copy_from_slice(&9u16.to_ne_bytes());
        assert!(parse_attrs(&b).is_err());
        assert!(parse_attrs(&[0, 0, 1, 0]).is_err(), "nla_len below header size");
        assert!(parse_attrs(&[1, 2]).is_err(), "stray bytes");
    }
}
