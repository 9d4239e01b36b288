//! smc-analyze as a library for its own tests and benches: the command line
//! (`cmd`), the terminal UI (`ui`), how events look in both (`present`), and
//! the export of sessions' frames to a capture file (`export`).
#![forbid(unsafe_code)]

pub mod cmd;
pub mod export;
pub mod present;
pub mod ui;
