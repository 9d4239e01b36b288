//! How events look to a person, shared by the commands and the UI: each
//! event described as fields ([`describe`]), summary lines and values as
//! text ([`text`]), and field trees with byte offsets ([`tree`]).

pub mod describe;
pub mod text;
pub mod tree;
