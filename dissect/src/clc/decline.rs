//! CLC Decline, v1 (28 bytes) and v2 (44 bytes) (kernel structs
//! smc_clc_msg_decline and smc_clc_msg_decline_v2; checks in smc_clc_msg_decl_valid).

use super::codes::{ClcType, DeclineDiagnosis, OsType};
use super::header::{open, Envelope};
use crate::error::{Layer, Reason, Result};
use crate::wire::{Put, Reader, Wire};

pub const DECLINE_V1_LEN: usize = 28;
pub const DECLINE_V2_LEN: usize = 44;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Decline {
    /// The flag is out-of-sync (Linux sets it exactly for SYNCERR). Linux does
    /// not check a Decline's trailer, so any trailer is kept.
    pub env: Envelope,
    pub peer_id: [u8; 8],
    pub diagnosis: DeclineDiagnosis,
    /// High nibble of byte 20 (Linux writes 0 in v1).
    pub os_type: OsType,
    /// The four further diagnosis words of v2 (every version but 1).
    pub more_diagnoses: Option<[DeclineDiagnosis; 4]>,
}

impl Decline {
    pub fn is_out_of_sync(&self) -> bool {
        self.env.flag()
    }
}

impl Wire for Decline {
    const NAME: &'static str = "CLC Decline";
    const LAYER: Layer = Layer::Clc;
    const WHOLE: bool = true;

    fn read(r: &mut Reader<'_>, _: ()) -> Result<Self> {
        r.whole(Self::NAME, |m| {
            let o = open(m)?;
            if o.header.kind != ClcType::DECLINE {
                let value = o.header.kind.0.into();
                return Err(o.body.invalid_at("header.type", 4, value, Reason::NotADecline));
            }
            let env = o.envelope();
            o.expect_length(if env.is_v1() {
                DECLINE_V1_LEN
            } else {
                DECLINE_V2_LEN
            })?;
            let mut b = o.body.clone();
            let peer_id = b.array("peer_id")?;
            let diagnosis = DeclineDiagnosis(b.be_u32("diagnosis")?);
            let os_type = OsType(b.u8("os_type")? >> 4);
            b.skip(3, "reserved")?;
            let more_diagnoses = if env.is_v1() {
                None
            } else {
                let mut more = [DeclineDiagnosis(0); 4];
                for d in &mut more {
                    *d = DeclineDiagnosis(b.be_u32("more_diagnoses")?);
                }
                Some(more)
            };
            b.finish("body")?;
            Ok(Decline {
                env,
                peer_id,
                diagnosis,
                os_type,
                more_diagnoses,
            })
        })
    }

    fn write(&self, out: &mut Vec<u8>, _: ()) {
        self.env.header(ClcType::DECLINE, self.wire_len()).emit(out);
        out.put_bytes(&self.peer_id);
        out.put_be_u32(self.diagnosis.0);
        out.put_u8(self.os_type.0 << 4);
        out.put_zeros(3);
        for d in self.more_diagnoses.iter().flatten() {
            out.put_be_u32(d.0);
        }
        out.put_be_u32(self.env.trailer.0);
    }

    fn wire_len(&self) -> usize {
        DECLINE_V1_LEN + self.more_diagnoses.map_or(0, |_| DECLINE_V2_LEN - DECLINE_V1_LEN)
    }
}
