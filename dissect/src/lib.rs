//! Sans-IO parsers and emitters for every SMC message: the TCP option, CLC,
//! LLC, CDC, and the RoCE headers that carry LLC and CDC.
//!
//! Every message type implements [`wire::Wire`]: `parse` reads exactly one
//! message and never panics, `emit` writes it back. Errors name the message,
//! the field and the byte offset ([`error::Error`]). Raw codes keep their wire
//! value and get a name where the protocol has one ([`named_values!`]).
#![forbid(unsafe_code)]

pub mod error;
#[cfg(any(test, feature = "proptest"))]
pub mod gen;
pub mod names;
pub mod oracle;
pub mod wire;

pub mod capture;
pub mod cdc;
pub mod clc;
pub mod llc;
pub mod roce;
pub mod tcp_option;
pub mod tree;

pub use error::{Error, ErrorKind, Layer, Reason, Result};
pub use wire::{traced, ByteOrder, FieldSpan, Lax, Put, Reader, Wire};
