//! The areas of a CLC Proposal after its fixed part: SMC-D area, IP prefix
//! area, v2 extension and SMC-Dv2 extension (kernel structs smc_clc_msg_smcd,
//! smc_clc_msg_proposal_prefix, smc_clc_v2_extension, smc_clc_smcd_v2_extension).

use super::codes::{FeatureMask, Release};
use crate::error::{Layer, Result};
use crate::wire::{Put, Reader, Wire};

pub const SMCD_AREA_LEN: usize = 40;
pub const PREFIX_AREA_LEN: usize = 8;
pub const IPV6_PREFIX_LEN: usize = 17;
pub const V2_EXT_LEN: usize = 40;
pub const EID_LEN: usize = 32;
pub const SMCD_V2_EXT_LEN: usize = 48;
pub const ISM_ENTRY_LEN: usize = 10;
/// Linux's limits (SMC_CLC_MAX_V6_PREFIX, SMC_CLC_MAX_UEID, SMCD_CLC_MAX_V2_GID_ENTRIES).
pub const MAX_IPV6_PREFIXES: u8 = 8;
pub const MAX_EIDS: u8 = 8;
pub const MAX_ISM_ENTRIES: u8 = 8;
/// First CHID of an emulated-ISM device (loopback-ism is 0xFFFF).
pub const EMULATED_ISM_CHID_MIN: u16 = 0xFF00;

/// An EID: 32 characters, blank padded.
pub type Eid = [u8; EID_LEN];

/// Bytes 40-79: the requester's native ISM device and where the v2 extension is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct SmcdArea {
    pub ism_gid: u64,
    pub ism_chid: u16,
    /// Kept raw: counted from byte 52 (the end of this field); 0 = no v2 extension.
    pub v2_ext_offset: u16,
    pub vendor_oui: [u8; 3],
    pub vendor_options: [u8; 5],
}

impl Wire for SmcdArea {
    const NAME: &'static str = "CLC Proposal SMC-D area";
    const LAYER: Layer = Layer::Clc;

    fn read(r: &mut Reader<'_>, _: ()) -> Result<Self> {
        let area = SmcdArea {
            ism_gid: r.be_u64("smcd.ism_gid")?,
            ism_chid: r.be_u16("smcd.ism_chid")?,
            v2_ext_offset: r.be_u16("smcd.v2_ext_offset")?,
            vendor_oui: r.array("smcd.vendor_oui")?,
            vendor_options: r.array("smcd.vendor_options")?,
        };
        r.skip(20, "smcd.reserved")?;
        Ok(area)
    }

    fn write(&self, out: &mut Vec<u8>, _: ()) {
        out.put_be_u64(self.ism_gid);
        out.put_be_u16(self.ism_chid);
        out.put_be_u16(self.v2_ext_offset);
        out.put_bytes(&self.vendor_oui);
        out.put_bytes(&self.vendor_options);
        out.put_zeros(20);
    }

    fn wire_len(&self) -> usize {
        SMCD_AREA_LEN
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Ipv6Prefix {
    pub prefix: [u8; 16],
    pub prefix_len: u8,
}

/// The IP prefix area: the IPv4 subnet of the connection, or its IPv6 prefixes.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct IpPrefixArea {
    pub ipv4_subnet: [u8; 4],
    pub ipv4_prefix_len: u8,
    pub ipv6_prefixes: Vec<Ipv6Prefix>,
}

impl Wire for IpPrefixArea {
    const NAME: &'static str = "CLC Proposal IP prefix area";
    const LAYER: Layer = Layer::Clc;

    fn wire_len(&self) -> usize {
        PREFIX_AREA_LEN + IPV6_PREFIX_LEN * self.ipv6_prefixes.len()
    }

    fn read(r: &mut Reader<'_>, _: ()) -> Result<Self> {
        let ipv4_subnet = r.array("ip_prefix.ipv4_subnet")?;
        let ipv4_prefix_len = r.u8("ip_prefix.ipv4_prefix_len")?;
        r.skip(2, "ip_prefix.reserved")?;
        let count = r.u8("ip_prefix.ipv6_prefix_count")?;
        // The caller checked count <= 8, so this Vec is small.
        let mut ipv6_prefixes = Vec::with_capacity(usize::from(count.min(MAX_IPV6_PREFIXES)));
        for _ in 0..count {
            let prefix = r.array("ip_prefix.ipv6_prefix")?;
            let prefix_len = r.u8("ip_prefix.ipv6_prefix_len")?;
            ipv6_prefixes.push(Ipv6Prefix { prefix, prefix_len });
        }
        Ok(IpPrefixArea {
            ipv4_subnet,
            ipv4_prefix_len,
            ipv6_prefixes,
        })
    }

    fn write(&self, out: &mut Vec<u8>, _: ()) {
        out.put_bytes(&self.ipv4_subnet);
        out.put_u8(self.ipv4_prefix_len);
        out.put_zeros(2);
        out.put_u8(count_u8(self.ipv6_prefixes.len()));
        for p in &self.ipv6_prefixes {
            out.put_bytes(&p.prefix);
            out.put_u8(p.prefix_len);
        }
    }
}

/// The v2 extension (client options area).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct V2Extension {
    /// Kept raw: it must match the SMC-Dv2 entries when SMC-Dv2 is offered,
    /// otherwise Linux ignores it.
    pub ism_gid_count: u8,
    pub release: Release,
    /// SEID enabled (flags bit 0).
    pub seid: bool,
    /// Kept raw: counted from +8 of this extension; Linux ignores it unless
    /// SMC-Dv2 is offered.
    pub smcd_v2_ext_offset: u16,
    /// The client's RoCEv2 GID (IPv4-mapped for SMC-Rv2).
    pub roce_gid: [u8; 16],
    pub max_conns: u8,
    pub max_links: u8,
    pub feature_mask: FeatureMask,
    /// User EIDs, at most 8.
    pub eids: Vec<Eid>,
}

impl Wire for V2Extension {
    const NAME: &'static str = "CLC Proposal v2 extension";
    const LAYER: Layer = Layer::Clc;

    fn wire_len(&self) -> usize {
        V2_EXT_LEN + EID_LEN * self.eids.len()
    }

    fn read(r: &mut Reader<'_>, _: ()) -> Result<Self> {
        let eid_count = r.u8("v2_ext.eid_count")?;
        let ism_gid_count = r.u8("v2_ext.ism_gid_count")?;
        r.skip(1, "v2_ext.reserved")?;
        let flags = r.u8("v2_ext.flags")?;
        r.skip(2, "v2_ext.reserved")?;
        let smcd_v2_ext_offset = r.be_u16("v2_ext.smcd_v2_ext_offset")?;
        let roce_gid = r.array("v2_ext.roce_gid")?;
        let max_conns = r.u8("v2_ext.max_conns")?;
        let max_links = r.u8("v2_ext.max_links")?;
        let feature_mask = FeatureMask(r.be_u16("v2_ext.feature_mask")?);
        r.skip(12, "v2_ext.reserved")?;
        let mut eids = Vec::with_capacity(usize::from(eid_count.min(MAX_EIDS)));
        for _ in 0..eid_count {
            eids.push(r.array("v2_ext.eid")?);
        }
        Ok(V2Extension {
            ism_gid_count,
            release: Release(flags >> 4),
            seid: flags & 1 != 0,
            smcd_v2_ext_offset,
            roce_gid,
            max_conns,
            max_links,
            feature_mask,
            eids,
        })
    }

    fn write(&self, out: &mut Vec<u8>, _: ()) {
        out.put_u8(count_u8(self.eids.len()));
        out.put_u8(self.ism_gid_count);
        out.put_zeros(1);
        out.put_u8((self.release.0 << 4) | u8::from(self.seid));
        out.put_zeros(2);
        out.put_be_u16(self.smcd_v2_ext_offset);
        out.put_bytes(&self.roce_gid);
        out.put_u8(self.max_conns);
        out.put_u8(self.max_links);
        out.put_be_u16(self.feature_mask.0);
        out.put_zeros(12);
        for eid in &self.eids {
            out.put_bytes(eid);
        }
    }
}

/// One ISM device entry of the SMC-Dv2 extension.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct IsmEntry {
    pub gid: u64,
    pub chid: u16,
}

impl IsmEntry {
    /// An emulated-ISM device takes two entries with the same CHID: GID, then GID ext.
    pub fn is_emulated(&self) -> bool {
        self.chid >= EMULATED_ISM_CHID_MIN
    }
}

/// An ISM device as offered: an emulated one carries its GID extension.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IsmDevice {
    pub chid: u16,
    pub gid: u64,
    pub gid_ext: Option<u64>,
}

/// The SMC-Dv2 extension.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SmcdV2Extension {
    pub system_eid: Eid,
    /// Raw entries, as many as the v2 extension's ISM GID count.
    pub ism_entries: Vec<IsmEntry>,
}

/// Read with the entry count, which the v2 extension carries.
impl Wire<u8> for SmcdV2Extension {
    const NAME: &'static str = "CLC Proposal SMC-Dv2 extension";
    const LAYER: Layer = Layer::Clc;

    fn wire_len(&self) -> usize {
        SMCD_V2_EXT_LEN + ISM_ENTRY_LEN * self.ism_entries.len()
    }

    fn read(r: &mut Reader<'_>, count: u8) -> Result<Self> {
        let system_eid = r.array("smcd_v2_ext.system_eid")?;
        r.skip(16, "smcd_v2_ext.reserved")?;
        let mut ism_entries = Vec::with_capacity(usize::from(count.min(MAX_ISM_ENTRIES)));
        for _ in 0..count {
            let gid = r.be_u64("smcd_v2_ext.ism_gid")?;
            let chid = r.be_u16("smcd_v2_ext.ism_chid")?;
            ism_entries.push(IsmEntry { gid, chid });
        }
        Ok(SmcdV2Extension {
            system_eid,
            ism_entries,
        })
    }

    fn write(&self, out: &mut Vec<u8>, _: u8) {
        out.put_bytes(&self.system_eid);
        out.put_zeros(16);
        for e in &self.ism_entries {
            out.put_be_u64(e.gid);
            out.put_be_u16(e.chid);
        }
    }
}

impl SmcdV2Extension {
    /// The entries grouped into devices the way Linux reads them: an emulated
    /// ISM entry followed by one with the same CHID is a GID/GID-ext pair.
    pub fn devices(&self) -> Vec<IsmDevice> {
        let mut out = Vec::with_capacity(self.ism_entries.len());
        let mut entries = self.ism_entries.iter().peekable();
        while let Some(e) = entries.next() {
            let gid_ext = match entries.peek() {
                Some(next) if e.is_emulated() && next.chid == e.chid => entries.next().map(|n| n.gid),
                _ => None,
            };
            out.push(IsmDevice {
                chid: e.chid,
                gid: e.gid,
                gid_ext,
            });
        }
        out
    }
}

/// A count written as one byte; emit never panics on an oversized list.
pub(crate) fn count_u8(n: usize) -> u8 {
    u8::try_from(n).unwrap_or(u8::MAX)
}
