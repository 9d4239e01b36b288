//! SMC sessions, conformance rules, and the kernel-facing side of smc-analyze.
#![forbid(unsafe_code)]

pub mod kernel;
