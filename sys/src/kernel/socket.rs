//! Opening SMC sockets: IPPROTO_SMC on AF_INET/AF_INET6 (Linux 6.11+), else
//! AF_SMC with protocol SMCPROTO_SMC (0, IPv4) or SMCPROTO_SMC6 (1, IPv6).

use std::fs::File;
use std::io;
use std::os::fd::{AsFd, OwnedFd};
use std::os::unix::fs::MetadataExt;

use socket2::{Domain, Protocol, Socket, Type};

use super::Error;

pub const IPPROTO_SMC: i32 = 256;
pub const AF_SMC: i32 = 43;
pub const SMCPROTO_SMC: i32 = 0;
pub const SMCPROTO_SMC6: i32 = 1;

/// Which kind of socket carries the connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flavor {
    IpprotoSmc,
    AfSmc,
    Tcp,
}

/// errnos that mean "this kernel does not know that socket type".
fn unsupported(e: &io::Error) -> bool {
    // EPROTONOSUPPORT, ESOCKTNOSUPPORT, EAFNOSUPPORT
    matches!(e.raw_os_error(), Some(93 | 94 | 97))
}

/// A stream socket speaking SMC, or `Error::NoSmc` naming both attempts.
pub fn smc_socket(ipv6: bool) -> Result<(Socket, Flavor), Error> {
    let domain = if ipv6 { Domain::IPV6 } else { Domain::IPV4 };
    let inet = match Socket::new(domain, Type::STREAM, Some(Protocol::from(IPPROTO_SMC))) {
        Ok(s) => return Ok((s, Flavor::IpprotoSmc)),
        Err(e) if unsupported(&e) => e,
        Err(e) => return Err(Error::io("socket(IPPROTO_SMC)".into(), e)),
    };
    let proto = if ipv6 { SMCPROTO_SMC6 } else { SMCPROTO_SMC };
    match Socket::new(Domain::from(AF_SMC), Type::STREAM, Some(Protocol::from(proto))) {
        Ok(s) => Ok((s, Flavor::AfSmc)),
        Err(af_smc) if unsupported(&af_smc) => Err(Error::NoSmc { inet, af_smc }),
        Err(e) => Err(Error::io("socket(AF_SMC)".into(), e)),
    }
}

/// A plain TCP socket, for acting as a peer without SMC.
pub fn tcp_socket(ipv6: bool) -> Result<Socket, Error> {
    let domain = if ipv6 { Domain::IPV6 } else { Domain::IPV4 };
    Socket::new(domain, Type::STREAM, Some(Protocol::TCP)).map_err(|e| Error::io("socket(TCP)".into(), e))
}

/// The socket's inode, which sock_diag reports as `diag_inode`.
pub fn inode(sock: &Socket) -> io::Result<u64> {
    let dup: OwnedFd = sock.as_fd().try_clone_to_owned()?;
    Ok(File::from(dup).metadata()?.ino())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// On a kernel without SMC (like the development hosts) the error must
    /// say so and name IPPROTO_SMC; with SMC the socket must open.
    #[test]
    fn smc_socket_opens_or_says_why_not() {
        for ipv6 in [false, true] {
            match smc_socket(ipv6) {
                Ok((s, flavor)) => {
                    assert_ne!(flavor, Flavor::Tcp);
                    assert!(inode(&s).unwrap() > 0);
                }
                Err(e @ Error::NoSmc { .. }) => {
                    let text = e.to_string();
                    assert!(text.contains("IPPROTO_SMC"), "{text}");
                    assert!(text.contains("no SMC support"), "{text}");
                    assert!(text.contains("AF_SMC"), "{text}");
                }
                Err(e) => panic!("unexpected error: {e}"),
            }
        }
    }

    #[test]
    fn tcp_socket_has_an_inode() {
        let s = tcp_socket(false).unwrap();
        assert!(inode(&s).unwrap() > 0);
    }
}
