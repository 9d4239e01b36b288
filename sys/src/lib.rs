//! The I/O edge of smc-analyze: where frames come from (capture files and
//! live interfaces through libpcap), where they go (savefiles), dropping
//! privileges, and the kernel's SMC endpoints (IPPROTO_SMC/AF_SMC sockets,
//! sock_diag, the SMC_GEN_NETLINK family). The sans-IO core (`engine`)
//! knows none of this.
#![forbid(unsafe_code)]

pub mod kernel;
pub mod privilege;
pub mod savefile;
pub mod source;
