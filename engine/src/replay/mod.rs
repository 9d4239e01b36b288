//! Replay, the sans-IO half: what a capture asks to be played again and what
//! a run of it must reproduce. An [`Observer`] runs a capture's frames through
//! the pipeline and the session engine and records, per session, its
//! [`Script`] (who connects, the bytes each way with their boundaries, holds,
//! who closes and how) and its [`Digest`] (the values a replay must give
//! again). Sockets, clocks and captures stay with the caller.

pub mod control;
mod digest;
mod observe;
mod script;
mod setup;

pub use digest::{compare, settle_first_contact_races, CdcCounts, Difference, Digest, LlcSeen, LEFT_OUT};
pub use observe::{Observed, Observer, Recorded};
pub use script::{Abort, End, EndKind, Script, Step, AFTER_KEPT, STEPS_KEPT};
pub use setup::{Offer, Setup, DEFAULT_RMEM};
