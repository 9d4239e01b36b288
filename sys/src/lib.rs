//! The I/O edge of smc-analyze: where frames come from (capture files, read
//! by `engine::capture_file`, and live interfaces through libpcap), where they go (savefiles), dropping
//! privileges, and the kernel's SMC endpoints (IPPROTO_SMC/AF_SMC sockets,
//! sock_diag, the SMC_GEN_NETLINK family). The sans-IO core (`engine`)
//! knows none of this.
//!
//! Unsafe code is denied here as in the whole workspace; a module that must
//! call C (RDMA verbs, the BPF loader) allows it by name, keeps it small and
//! gives a safe API.

pub mod kernel;
pub mod privilege;
pub mod savefile;
pub mod source;
