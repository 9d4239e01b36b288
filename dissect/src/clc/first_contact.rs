//! First Contact Extension of a v2 Accept/Confirm (kernel structs
//! smc_clc_first_contact_ext and smc_clc_first_contact_ext_v2x) and the GID
//! list a first-contact SMC-Rv2 Confirm carries (smc_clc_fce_gid_ext).

use super::codes::{FeatureMask, OsType, Release};
use super::proposal_areas::count_u8;
use crate::error::{Layer, Result};
use crate::wire::{Put, Reader, Wire};

/// The v2.0 form (and every SMC-D v2.0 one; SMC-R from kernels before 6.5).
pub const FCE_SHORT_LEN: usize = 36;
/// The v2.1 form, which current Linux sends for SMC-R whatever the release.
pub const FCE_LONG_LEN: usize = 52;
pub const GID_LIST_HEADER_LEN: usize = 4;
pub const GID_LEN: usize = 16;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct FirstContactExt {
    /// SMC-Rv2: the peers reach each other without a gateway.
    pub v2_direct: bool,
    pub os_type: OsType,
    pub release: Release,
    /// ASCII, blank padded.
    pub hostname: [u8; 32],
    /// The 16 bytes the 52-byte form adds.
    pub v2x: Option<FceV2x>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct FceV2x {
    /// SMC-R only (reserved in SMC-D).
    pub max_conns: u8,
    /// SMC-R only (reserved in SMC-D).
    pub max_links: u8,
    pub feature_mask: FeatureMask,
    pub vendor_options: u32,
}

/// Read with the form: `true` for the 52-byte one (the caller decides from the length).
impl Wire<bool> for FirstContactExt {
    const NAME: &'static str = "CLC First Contact Extension";
    const LAYER: Layer = Layer::Clc;

    fn wire_len(&self) -> usize {
        if self.v2x.is_some() {
            FCE_LONG_LEN
        } else {
            FCE_SHORT_LEN
        }
    }

    fn read(r: &mut Reader<'_>, long: bool) -> Result<Self> {
        let direct = r.u8("fce.v2_direct")?;
        let os_release = r.u8("fce.os_type/release")?;
        r.skip(2, "fce.reserved")?;
        let hostname = r.array("fce.hostname")?;
        let v2x = if long {
            let v2x = FceV2x {
                max_conns: r.u8("fce.max_conns")?,
                max_links: r.u8("fce.max_links")?,
                feature_mask: FeatureMask(r.be_u16("fce.feature_mask")?),
                vendor_options: r.be_u32("fce.vendor_options")?,
            };
            r.skip(8, "fce.reserved")?;
            Some(v2x)
        } else {
            None
        };
        Ok(FirstContactExt {
            v2_direct: direct & 0x80 != 0,
            os_type: OsType(os_release >> 4),
            release: Release(os_release & 0x0f),
            hostname,
            v2x,
        })
    }

    fn write(&self, out: &mut Vec<u8>, _: bool) {
        out.put_u8(if self.v2_direct { 0x80 } else { 0 });
        out.put_u8((self.os_type.0 << 4) | (self.release.0 & 0x0f));
        out.put_zeros(2);
        out.put_bytes(&self.hostname);
        if let Some(v) = &self.v2x {
            out.put_u8(v.max_conns);
            out.put_u8(v.max_links);
            out.put_be_u16(v.feature_mask.0);
            out.put_be_u32(v.vendor_options);
            out.put_zeros(8);
        }
    }
}

/// The RoCEv2 GIDs of the client's devices, on a first-contact SMC-Rv2 Confirm.
pub type GidList = Vec<[u8; GID_LEN]>;

impl Wire for GidList {
    const NAME: &'static str = "CLC GID list";
    const LAYER: Layer = Layer::Clc;

    fn wire_len(&self) -> usize {
        GID_LIST_HEADER_LEN + GID_LEN * self.len()
    }

    /// Read a GID list whose count the caller already matched against the length.
    fn read(r: &mut Reader<'_>, _: ()) -> Result<Self> {
        let count = r.u8("gid_list.count")?;
        r.skip(3, "gid_list.reserved")?;
        let mut list = Vec::with_capacity(usize::from(count).min(r.remaining() / GID_LEN));
        for _ in 0..count {
            list.push(r.array("gid_list.gid")?);
        }
        Ok(list)
    }

    fn write(&self, out: &mut Vec<u8>, _: ()) {
        out.put_u8(count_u8(self.len()));
        out.put_zeros(3);
        for gid in self {
            out.put_bytes(gid);
        }
    }
}
