//! smc-analyze as a library for its own tests and benches: the command line
//! (`cmd`) and the terminal UI (`ui`).
#![forbid(unsafe_code)]

pub mod cmd;
pub mod ui;
