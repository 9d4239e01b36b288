//! SMC sessions and the side effects of smc-analyze: capture sources, the
//! pipeline from frames to SMC events, and the kernel-facing endpoints.
#![forbid(unsafe_code)]

pub mod kernel;
pub mod oracle;
pub mod pipeline;
pub mod privilege;
pub mod rules;
pub mod savefile;
pub mod session;
pub mod source;
pub mod synth;
