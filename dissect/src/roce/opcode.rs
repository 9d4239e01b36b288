//! BTH opcodes and the opcode table (IBA 9.2, table 38): the top three bits
//! name the transport, the low five the operation, and together they decide
//! which extension headers follow the BTH.

use crate::named_values;

named_values! {
    /// The BTH opcode. SMC-R uses RC SEND (LLC, CDC) and RC RDMA WRITE (data).
    pub struct Opcode(u8) {
        RC_SEND_FIRST = 0x00 => "RC SEND First",
        RC_SEND_MIDDLE = 0x01 => "RC SEND Middle",
        RC_SEND_LAST = 0x02 => "RC SEND Last",
        RC_SEND_LAST_WITH_IMMEDIATE = 0x03 => "RC SEND Last with Immediate",
        RC_SEND_ONLY = 0x04 => "RC SEND Only",
        RC_SEND_ONLY_WITH_IMMEDIATE = 0x05 => "RC SEND Only with Immediate",
        RC_RDMA_WRITE_FIRST = 0x06 => "RC RDMA WRITE First",
        RC_RDMA_WRITE_MIDDLE = 0x07 => "RC RDMA WRITE Middle",
        RC_RDMA_WRITE_LAST = 0x08 => "RC RDMA WRITE Last",
        RC_RDMA_WRITE_LAST_WITH_IMMEDIATE = 0x09 => "RC RDMA WRITE Last with Immediate",
        RC_RDMA_WRITE_ONLY = 0x0A => "RC RDMA WRITE Only",
        RC_RDMA_WRITE_ONLY_WITH_IMMEDIATE = 0x0B => "RC RDMA WRITE Only with Immediate",
        RC_RDMA_READ_REQUEST = 0x0C => "RC RDMA READ Request",
        RC_RDMA_READ_RESPONSE_FIRST = 0x0D => "RC RDMA READ Response First",
        RC_RDMA_READ_RESPONSE_MIDDLE = 0x0E => "RC RDMA READ Response Middle",
        RC_RDMA_READ_RESPONSE_LAST = 0x0F => "RC RDMA READ Response Last",
        RC_RDMA_READ_RESPONSE_ONLY = 0x10 => "RC RDMA READ Response Only",
        RC_ACKNOWLEDGE = 0x11 => "RC Acknowledge",
        RC_ATOMIC_ACKNOWLEDGE = 0x12 => "RC ATOMIC Acknowledge",
        RC_COMPARE_SWAP = 0x13 => "RC CmpSwap",
        RC_FETCH_ADD = 0x14 => "RC FetchAdd",
        RC_SEND_LAST_WITH_INVALIDATE = 0x16 => "RC SEND Last with Invalidate",
        RC_SEND_ONLY_WITH_INVALIDATE = 0x17 => "RC SEND Only with Invalidate",
        UC_SEND_FIRST = 0x20 => "UC SEND First",
        UC_SEND_MIDDLE = 0x21 => "UC SEND Middle",
        UC_SEND_LAST = 0x22 => "UC SEND Last",
        UC_SEND_LAST_WITH_IMMEDIATE = 0x23 => "UC SEND Last with Immediate",
        UC_SEND_ONLY = 0x24 => "UC SEND Only",
        UC_SEND_ONLY_WITH_IMMEDIATE = 0x25 => "UC SEND Only with Immediate",
        UC_RDMA_WRITE_FIRST = 0x26 => "UC RDMA WRITE First",
        UC_RDMA_WRITE_MIDDLE = 0x27 => "UC RDMA WRITE Middle",
        UC_RDMA_WRITE_LAST = 0x28 => "UC RDMA WRITE Last",
        UC_RDMA_WRITE_LAST_WITH_IMMEDIATE = 0x29 => "UC RDMA WRITE Last with Immediate",
        UC_RDMA_WRITE_ONLY = 0x2A => "UC RDMA WRITE Only",
        UC_RDMA_WRITE_ONLY_WITH_IMMEDIATE = 0x2B => "UC RDMA WRITE Only with Immediate",
        UD_SEND_ONLY = 0x64 => "UD SEND Only",
        UD_SEND_ONLY_WITH_IMMEDIATE = 0x65 => "UD SEND Only with Immediate",
        /// RoCEv2 Congestion Notification Packet (Annex A17): 16 reserved bytes follow the BTH.
        CNP = 0x81 => "CNP",
    }
}

/// Which extension headers follow the BTH, in wire order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Layout {
    pub deth: bool,
    pub reth: bool,
    pub atomic_eth: bool,
    pub aeth: bool,
    pub atomic_ack_eth: bool,
    pub immdt: bool,
    pub ieth: bool,
}

const TRANSPORT_RC: u8 = 0;
const TRANSPORT_UC: u8 = 1;
const TRANSPORT_UD: u8 = 3;

/// A layout with no extension header.
const BARE: Layout = Layout {
    deth: false,
    reth: false,
    atomic_eth: false,
    aeth: false,
    atomic_ack_eth: false,
    immdt: false,
    ieth: false,
};

/// [`Opcode::layout`] of every opcode, built at compile time: every packet looks it up.
const LAYOUTS: [Option<Layout>; 256] = {
    let mut table = [None; 256];
    let mut code = 0;
    while code < 256 {
        table[code] = Opcode::table_entry(code as u8);
        code += 1;
    }
    table
};

/// Whether [`LAYOUTS`] names any header, one byte per opcode: most packets
/// have none, and one load says so.
const HAS_EXT_HEADERS: [bool; 256] = {
    let mut table = [false; 256];
    let mut code = 0;
    while code < 256 {
        if let Some(l) = LAYOUTS[code] {
            table[code] = l.deth || l.reth || l.atomic_eth || l.aeth || l.atomic_ack_eth || l.immdt || l.ieth;
        }
        code += 1;
    }
    table
};

impl Opcode {
    /// The extension headers this opcode carries; `None` for opcodes this
    /// crate has no table entry for (RD, XRC, reserved): their bytes after
    /// the BTH are kept as payload.
    pub fn layout(self) -> Option<Layout> {
        LAYOUTS[usize::from(self.0)]
    }

    /// Whether any extension header follows the BTH.
    pub fn has_ext_headers(self) -> bool {
        HAS_EXT_HEADERS[usize::from(self.0)]
    }

    const fn table_entry(code: u8) -> Option<Layout> {
        let op = code & 0x1f;
        match code >> 5 {
            TRANSPORT_RC if op <= 0x14 || op == 0x16 || op == 0x17 => Some(Self::connected(op)),
            TRANSPORT_UC if op <= 0x0b => Some(Self::connected(op)),
            TRANSPORT_UD if op == 0x04 || op == 0x05 => Some(Layout {
                deth: true,
                immdt: op == 0x05,
                ..BARE
            }),
            _ if code == Opcode::CNP.0 => Some(BARE),
            _ => None,
        }
    }

    /// Layout of the operations RC and UC share (UC has only SEND and WRITE).
    const fn connected(op: u8) -> Layout {
        Layout {
            deth: false,
            reth: matches!(op, 0x06 | 0x0a | 0x0b | 0x0c),
            atomic_eth: matches!(op, 0x13 | 0x14),
            aeth: matches!(op, 0x0d | 0x0f | 0x10 | 0x11 | 0x12),
            atomic_ack_eth: op == 0x12,
            immdt: matches!(op, 0x03 | 0x05 | 0x09 | 0x0b),
            ieth: matches!(op, 0x16 | 0x17),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_matches_the_spec_for_smc_opcodes() {
        let reth = Layout {
            reth: true,
            ..Layout::default()
        };
        assert_eq!(Opcode::RC_SEND_ONLY.layout(), Some(Layout::default()));
        assert_eq!(Opcode::RC_RDMA_WRITE_FIRST.layout(), Some(reth));
        assert_eq!(Opcode::RC_RDMA_WRITE_MIDDLE.layout(), Some(Layout::default()));
        assert_eq!(Opcode::RC_RDMA_WRITE_ONLY.layout(), Some(reth));
        assert_eq!(Opcode::RC_RDMA_READ_REQUEST.layout(), Some(reth));
        assert_eq!(
            Opcode::RC_RDMA_WRITE_ONLY_WITH_IMMEDIATE.layout(),
            Some(Layout {
                reth: true,
                immdt: true,
                ..Layout::default()
            })
        );
        assert_eq!(
            Opcode::RC_ACKNOWLEDGE.layout(),
            Some(Layout {
                aeth: true,
                ..Layout::default()
            })
        );
        assert_eq!(
            Opcode::RC_ATOMIC_ACKNOWLEDGE.layout(),
            Some(Layout {
                aeth: true,
                atomic_ack_eth: true,
                ..Layout::default()
            })
        );
        assert_eq!(
            Opcode::UD_SEND_ONLY_WITH_IMMEDIATE.layout(),
            Some(Layout {
                deth: true,
                immdt: true,
                ..Layout::default()
            })
        );
        assert_eq!(Opcode::UC_RDMA_WRITE_FIRST.layout(), Some(reth));
    }

    #[test]
    fn every_named_opcode_has_a_layout_and_others_none() {
        for op in Opcode::KNOWN {
            assert!(op.layout().is_some(), "{op}");
        }
        for raw in [0x15, 0x18, 0x2c, 0x40, 0x60, 0x66, 0xa0, 0xff] {
            assert_eq!(Opcode(raw).layout(), None, "{raw:#x}");
        }
    }
}
