//! The sans-IO core of smc-analyze: frames in ([`frame`]), SMC events out
//! ([`pipeline`]: link decode, TCP and RoCE reassembly, message parsing),
//! sessions and conformance findings ([`session`], [`rules`]). Bytes and
//! timestamps go in; nothing here reads a file, a socket or a clock.
#![forbid(unsafe_code)]

pub mod capture_file;
pub mod frame;
pub mod oracle;
pub mod pipeline;
pub mod replay;
pub mod rules;
pub mod session;
pub mod synth;
