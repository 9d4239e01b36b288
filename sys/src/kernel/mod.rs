//! The kernel-facing side: SMC sockets (IPPROTO_SMC or AF_SMC), sock_diag
//! for AF_SMC, and the SMC_GEN_NETLINK generic netlink family.
//!
//! Everything here talks to the running kernel; the wire codecs underneath
//! (netlink framing, smc_diag, inet_diag, genl attributes) are pure and
//! tested against the uapi struct layouts.

pub mod client;
pub mod diag;
pub mod genl;
pub mod netlink;
pub mod pattern;
pub mod reasons;
pub mod replay;
pub mod report;
pub mod server;
pub mod socket;
pub mod ueid;
pub mod version;

use std::fmt;
use std::io;

/// What went wrong talking to the kernel, in words a user can act on.
#[derive(Debug)]
pub enum Error {
    /// Neither IPPROTO_SMC nor AF_SMC sockets can be created.
    NoSmc { inet: io::Error, af_smc: io::Error },
    /// The SMC_GEN_NETLINK family is not registered (smc module not loaded).
    NoGenlFamily(io::Error),
    /// sock_diag has no handler for AF_SMC (smc_diag module not loaded).
    NoSmcDiag(io::Error),
    /// A system call failed; `context` names it.
    Io { context: String, source: io::Error },
    /// The kernel answered a netlink request with an error status.
    Kernel(io::Error),
    /// A kernel reply did not match the uapi layout.
    Malformed(String),
    /// A value the user gave that the kernel would reject.
    Invalid(String),
}

impl Error {
    pub fn io(context: String, source: io::Error) -> Self {
        Error::Io { context, source }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::NoSmc { inet, af_smc } => write!(
                f,
                "this kernel has no SMC support (socket(AF_INET, SOCK_STREAM, IPPROTO_SMC) failed: {inet}; \
                 socket(AF_SMC, SOCK_STREAM, 0) failed: {af_smc}); load the smc module or use a kernel with CONFIG_SMC"
            ),
            Error::NoGenlFamily(e) => write!(
                f,
                "this kernel has no SMC generic netlink family SMC_GEN_NETLINK ({e}); \
                 load the smc module or use a kernel with CONFIG_SMC"
            ),
            Error::NoSmcDiag(e) => write!(
                f,
                "sock_diag knows no AF_SMC sockets ({e}); load the smc_diag module (CONFIG_SMC_DIAG)"
            ),
            Error::Io { context, source } => write!(f, "{context}: {source}"),
            Error::Kernel(e) => write!(f, "the kernel refused the request: {e}"),
            Error::Malformed(what) => write!(f, "malformed netlink reply: {what}"),
            Error::Invalid(what) => f.write_str(what),
        }
    }
}

impl std::error::Error for Error {}
