//! SMC sessions and the side effects of smc-analyze: capture sources and the
//! pipeline from frames to SMC events.

pub mod pipeline;
pub mod source;
