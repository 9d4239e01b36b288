//! ACK Extended Transport Header (IBA 9.3.5): on Acknowledge, ATOMIC
//! Acknowledge and RDMA READ Response First/Last/Only.

use crate::error::{Layer, Result};
use crate::named_values;
use crate::wire::{Put, Reader, Wire};
use core::fmt;

named_values! {
    /// Bits 7-5 of the syndrome.
    pub struct AckType(u8) {
        ACK = 0 => "ACK",
        RNR_NAK = 1 => "RNR NAK",
        NAK = 3 => "NAK",
    }
}

named_values! {
    /// Bits 4-0 of a NAK syndrome.
    pub struct NakCode(u8) {
        PSN_SEQUENCE_ERROR = 0 => "PSN Sequence Error",
        INVALID_REQUEST = 1 => "Invalid Request",
        REMOTE_ACCESS_ERROR = 2 => "Remote Access Error",
        REMOTE_OPERATIONAL_ERROR = 3 => "Remote Operational Error",
        INVALID_RD_REQUEST = 4 => "Invalid RD Request",
    }
}

/// The AETH syndrome byte: an [`AckType`] and a 5-bit value whose meaning
/// depends on it (ACK: credit count, RNR NAK: timer code, NAK: [`NakCode`]).
#[derive(Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Syndrome(pub u8);

impl Syndrome {
    /// Credit count 31 means "no end-to-end flow control" (invalid credit).
    pub const ACK_UNLIMITED: Syndrome = Syndrome(0x1f);

    pub fn ack_type(self) -> AckType {
        AckType(self.0 >> 5)
    }

    /// The low five bits: credits, RNR timer code or NAK code.
    pub fn value(self) -> u8 {
        self.0 & 0x1f
    }

    pub fn nak_code(self) -> Option<NakCode> {
        (self.ack_type() == AckType::NAK).then_some(NakCode(self.value()))
    }
}

impl fmt::Display for Syndrome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.ack_type() {
            AckType::ACK => write!(f, "ACK credits={}", self.value()),
            AckType::RNR_NAK => write!(f, "RNR NAK timer={}", self.value()),
            AckType::NAK => write!(f, "NAK {}", NakCode(self.value())),
            other => write!(f, "{other} value={:#x}", self.value()),
        }
    }
}

impl fmt::Debug for Syndrome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Syndrome({self}, {:#04x})", self.0)
    }
}

/// The AETH: syndrome and the responder's 24-bit message sequence number.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Aeth {
    pub syndrome: Syndrome,
    pub msn: u32,
}

impl Wire for Aeth {
    const NAME: &'static str = "AETH";
    const LAYER: Layer = Layer::Rdma;

    fn read(r: &mut Reader, _: ()) -> Result<Self> {
        Ok(Aeth {
            syndrome: Syndrome(r.u8("aeth.syndrome")?),
            msn: r.be_u24("aeth.msn")?,
        })
    }

    fn write(&self, out: &mut Vec<u8>, _: ()) {
        out.put_u8(self.syndrome.0);
        out.put_be_u24(self.msn & 0x00ff_ffff);
    }

    fn wire_len(&self) -> usize {
        4
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::oracle::{check_canonical, check_prefixes_rejected};
    use crate::wire::Wire;
    use proptest::prelude::*;

    #[test]
    fn syndromes_name_their_kind() {
        let ack = check_canonical::<Aeth>(&[0x1f, 0x00, 0x00, 0x07]);
        check_prefixes_rejected::<Aeth>(&[0x1f, 0x00, 0x00, 0x07]);
        assert_eq!((ack.syndrome, ack.msn), (Syndrome::ACK_UNLIMITED, 7));
        assert_eq!(ack.syndrome.to_string(), "ACK credits=31");
        assert_eq!(Syndrome(0x2e).to_string(), "RNR NAK timer=14");
        assert_eq!(Syndrome(0x60).nak_code(), Some(NakCode::PSN_SEQUENCE_ERROR));
        assert_eq!(Syndrome(0x62).to_string(), "NAK Remote Access Error");
        assert_eq!(Syndrome(0x45).to_string(), "0x02 value=0x5");
    }

    proptest! {
        #[test]
        fn aeth_round_trips(syndrome in any::<u8>(), msn in 0u32..0x0100_0000) {
            let aeth = Aeth { syndrome: Syndrome(syndrome), msn };
            prop_assert_eq!(Aeth::parse(&aeth.to_bytes()), Ok(aeth));
        }
    }
}
