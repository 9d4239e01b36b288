//! Global Route Header (IBA 8.3): 40 bytes, laid out like an IPv6 header,
//! that starts a RoCEv1 packet (ethertype 0x8915).

use crate::error::{Layer, Reason, Result};
use crate::wire::{Put, Reader, Wire};

pub const GRH_LEN: usize = 40;
/// IPVer of a GRH.
const IP_VERSION: u8 = 6;
/// NxtHdr naming an IBA transport header (BTH) next.
pub const NEXT_HEADER_IBA: u8 = 0x1b;

/// The GRH. `pay_len` is kept as seen (bytes after the GRH, ICRC
/// included); a packet's parse checks it against the packet's length.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Grh {
    pub traffic_class: u8,
    /// 20 bits.
    pub flow_label: u32,
    pub pay_len: u16,
    pub next_header: u8,
    pub hop_limit: u8,
    pub sgid: [u8; 16],
    pub dgid: [u8; 16],
}

impl Wire for Grh {
    const NAME: &'static str = "GRH";
    const LAYER: Layer = Layer::Rdma;

    fn read(r: &mut Reader, _: ()) -> Result<Self> {
        let word = r.be_u32("grh.ip_version")?;
        let version = (word >> 28) as u8;
        if version != IP_VERSION {
            return Err(r.invalid("grh.ip_version", 4, version.into(), Reason::GrhIpVersion));
        }
        Ok(Grh {
            traffic_class: (word >> 20) as u8,
            flow_label: word & 0x000f_ffff,
            pay_len: r.be_u16("grh.pay_len")?,
            next_header: r.u8("grh.next_header")?,
            hop_limit: r.u8("grh.hop_limit")?,
            sgid: r.array("grh.sgid")?,
            dgid: r.array("grh.dgid")?,
        })
    }

    fn write(&self, out: &mut Vec<u8>, _: ()) {
        let word =
            u32::from(IP_VERSION) << 28 | u32::from(self.traffic_class) << 20 | self.flow_label & 0x000f_ffff;
        out.put_be_u32(word);
        out.put_be_u16(self.pay_len);
        out.put_u8(self.next_header);
        out.put_u8(self.hop_limit);
        out.put_bytes(&self.sgid);
        out.put_bytes(&self.dgid);
    }

    fn wire_len(&self) -> usize {
        GRH_LEN
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ErrorKind;
    use crate::gen::roce::grh;
    use crate::oracle::check_prefixes_rejected;
    use crate::wire::Wire;
    use proptest::prelude::*;

    #[test]
    fn wrong_ip_version_is_named() {
        let mut bytes = Grh::default().to_bytes();
        check_prefixes_rejected::<Grh>(&bytes);
        bytes[0] = 0x45;
        let e = Grh::parse(&bytes).unwrap_err();
        // A part parsed on its own names its layer (Wire::LAYER) and the rule.
        assert_eq!((e.layer, e.field, e.offset), (Layer::Rdma, "grh.ip_version", 0));
        assert_eq!(
            e.kind,
            ErrorKind::Invalid {
                value: 4,
                reason: Reason::GrhIpVersion
            }
        );
    }

    proptest! {
        #[test]
        fn grh_round_trips(grh in grh()) {
            prop_assert_eq!(Grh::parse(&grh.to_bytes()), Ok(grh));
        }
    }
}
