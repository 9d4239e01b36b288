//! CLC Proposal (kernel: smc_clc_msg_proposal_area; checks in smc_clc_msg_prop_valid).
//!
//! Areas are located by offsets carried in the message. Linux follows them as
//! pointers and only checks the total length, so a crafted message could
//! overlap or spread its areas. We model the layout every implementation
//! sends (areas back to back) and reject any other placement with an error
//! naming the offset; the offset fields themselves are kept raw where Linux
//! ignores them, so emit writes back exactly what was parsed.

use super::codes::ClcType;
use super::header::{open, Envelope, Opened, TRAILER_LEN};
use super::proposal_areas::*;
use crate::error::{Error, ErrorKind, Layer, Reason, Result};
use crate::wire::{Put, Reader, Wire};

/// Byte 38, and the base iparea_offset counts from.
const IPAREA_OFFSET_AT: usize = 38;
const FIXED_LEN: usize = 40;
/// Byte 50: smcd.v2_ext_offset; the v2 extension is at 52 + its value.
const V2_EXT_OFFSET_AT: usize = 50;
/// Linux's bounds: the prefix area starts within the SMC-D area, the v2
/// extension and the SMC-Dv2 extension no later than the biggest message puts them.
const MAX_IPAREA_OFFSET: u16 = SMCD_AREA_LEN as u16;
const MAX_V2_EXT_OFFSET: u16 = 172;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Proposal {
    /// typev1 = what is offered for v1, typev2 = what is offered for v2.
    pub env: Envelope,
    /// Zero unless SMC-Rv1 is offered.
    pub peer_id: [u8; 8],
    pub gid: [u8; 16],
    pub mac: [u8; 6],
    /// Kept raw: 0 in RFC 7609 and in v2 without an IP prefix area, 40 in Linux's form.
    pub iparea_offset: u16,
    /// Bytes 40-79; absent only in the legacy v1 form.
    pub smcd: Option<SmcdArea>,
    /// Always in v1; in v2 when typev1 is not N.
    pub ip_prefix: Option<IpPrefixArea>,
    /// When v2 is offered (typev2 not N).
    pub v2_ext: Option<V2Extension>,
    /// When SMC-Dv2 is offered (typev2 D or B).
    pub smcd_v2_ext: Option<SmcdV2Extension>,
}

impl Proposal {
    /// Set the offsets and the ISM GID count to the values the areas present
    /// call for (the layout Linux sends).
    pub fn set_canonical_offsets(&mut self) {
        let prefix_len = self.ip_prefix.as_ref().map_or(0, IpPrefixArea::wire_len);
        if self.smcd.is_none() {
            self.iparea_offset = 0;
        } else if self.env.is_v1() || self.ip_prefix.is_some() {
            self.iparea_offset = MAX_IPAREA_OFFSET;
        }
        let has_v2 = self.v2_ext.is_some();
        if let Some(smcd) = self.smcd.as_mut().filter(|_| has_v2) {
            smcd.v2_ext_offset = canonical_v2_ext_offset(prefix_len);
        }
        if let (Some(v2), Some(d)) = (self.v2_ext.as_mut(), self.smcd_v2_ext.as_ref()) {
            v2.smcd_v2_ext_offset = canonical_smcd_v2_ext_offset(v2.eids.len());
            v2.ism_gid_count = count_u8(d.ism_entries.len());
        }
    }

    fn parse_v1(bytes: &[u8], o: &Opened<'_>, b: &mut Reader<'_>, off: u16) -> Result<Body> {
        if o.header.typev1.is_none() {
            return Err(b.invalid_at(
                "header.typev1",
                7,
                o.header.typev1.0.into(),
                Reason::V1ProposalOffersNothing,
            ));
        }
        let n = prefix_count(bytes, off, true)?;
        o.expect_length(FIXED_LEN + usize::from(off) + PREFIX_AREA_LEN + IPV6_PREFIX_LEN * n + TRAILER_LEN)?;
        let smcd = match off {
            0 => None,
            MAX_IPAREA_OFFSET => Some(SmcdArea::read(b, ())?),
            _ => return Err(not_modelled(b, "iparea_offset", IPAREA_OFFSET_AT, off)),
        };
        Ok(Body {
            smcd,
            ip_prefix: Some(IpPrefixArea::read(b, ())?),
            v2_ext: None,
            smcd_v2_ext: None,
        })
    }

    fn parse_v2(bytes: &[u8], o: &Opened<'_>, b: &mut Reader<'_>, off: u16) -> Result<Body> {
        let (typev1, typev2) = (o.header.typev1, o.header.typev2);
        // Linux checks the prefix count first, through iparea_offset even when typev1 is N.
        let n = prefix_count(bytes, off, !typev1.is_none())?;
        let v2_off = be_u16_at(bytes, V2_EXT_OFFSET_AT, "smcd.v2_ext_offset")?;
        let (mut eids, mut gids) = (0, 0);
        if !typev2.is_none() {
            if v2_off == 0 || v2_off > MAX_V2_EXT_OFFSET {
                return Err(b.invalid_at(
                    "smcd.v2_ext_offset",
                    V2_EXT_OFFSET_AT,
                    v2_off.into(),
                    Reason::NoV2Extension,
                ));
            }
            let ext = V2_EXT_OFFSET_AT + 2 + usize::from(v2_off);
            eids = byte_at(bytes, ext, "v2_ext.eid_count")?;
            if eids > MAX_EIDS {
                return Err(b.invalid_at("v2_ext.eid_count", ext, eids.into(), Reason::TooManyEids));
            }
            if typev2.has_d() {
                gids = byte_at(bytes, ext + 1, "v2_ext.ism_gid_count")?;
                if gids > MAX_ISM_ENTRIES {
                    return Err(b.invalid_at(
                        "v2_ext.ism_gid_count",
                        ext + 1,
                        gids.into(),
                        Reason::TooManyIsmGids,
                    ));
                }
            }
        }
        let prefix_len = if typev1.is_none() {
            0
        } else {
            PREFIX_AREA_LEN + IPV6_PREFIX_LEN * n
        };
        let v2_len = if typev2.is_none() {
            0
        } else {
            V2_EXT_LEN + EID_LEN * usize::from(eids)
        };
        let d_len = if typev2.has_d() {
            SMCD_V2_EXT_LEN + ISM_ENTRY_LEN * usize::from(gids)
        } else {
            0
        };
        o.expect_length(FIXED_LEN + SMCD_AREA_LEN + prefix_len + v2_len + d_len + TRAILER_LEN)?;

        if !typev1.is_none() && off != MAX_IPAREA_OFFSET {
            return Err(not_modelled(b, "iparea_offset", IPAREA_OFFSET_AT, off));
        }
        if !typev2.is_none() && v2_off != canonical_v2_ext_offset(prefix_len) {
            return Err(not_modelled(b, "smcd.v2_ext_offset", V2_EXT_OFFSET_AT, v2_off));
        }
        let smcd = Some(SmcdArea::read(b, ())?);
        let ip_prefix = if typev1.is_none() {
            None
        } else {
            Some(IpPrefixArea::read(b, ())?)
        };
        let (mut v2_ext, mut smcd_v2_ext) = (None, None);
        if !typev2.is_none() {
            let ext_at = b.offset();
            let v2 = V2Extension::read(b, ())?;
            if typev2.has_d() {
                if v2.smcd_v2_ext_offset != canonical_smcd_v2_ext_offset(v2.eids.len()) {
                    return Err(not_modelled(
                        b,
                        "v2_ext.smcd_v2_ext_offset",
                        ext_at + 6,
                        v2.smcd_v2_ext_offset,
                    ));
                }
                smcd_v2_ext = Some(SmcdV2Extension::read(b, v2.ism_gid_count)?);
            }
            v2_ext = Some(v2);
        }
        Ok(Body {
            smcd,
            ip_prefix,
            v2_ext,
            smcd_v2_ext,
        })
    }
}

struct Body {
    smcd: Option<SmcdArea>,
    ip_prefix: Option<IpPrefixArea>,
    v2_ext: Option<V2Extension>,
    smcd_v2_ext: Option<SmcdV2Extension>,
}

/// v2_ext_offset counts from byte 52; the v2 extension follows the SMC-D area
/// (which ends at 80) and the prefix area.
fn canonical_v2_ext_offset(prefix_len: usize) -> u16 {
    u16::try_from(FIXED_LEN + SMCD_AREA_LEN - (V2_EXT_OFFSET_AT + 2) + prefix_len).unwrap_or(u16::MAX)
}

/// smcd_v2_ext_offset counts from +8 of the v2 extension; the SMC-Dv2
/// extension follows the EIDs.
fn canonical_smcd_v2_ext_offset(eids: usize) -> u16 {
    u16::try_from(V2_EXT_LEN - 8 + EID_LEN * eids).unwrap_or(u16::MAX)
}

/// The IPv6 prefix count at 40 + iparea_offset + 7, checked as Linux does.
/// Where typev1 is N Linux still checks it, but only if it lies in the message.
fn prefix_count(bytes: &[u8], off: u16, required: bool) -> Result<usize> {
    let at = FIXED_LEN + usize::from(off) + 7;
    if !required && at + TRAILER_LEN >= bytes.len() {
        return Ok(0);
    }
    let n = byte_at(bytes, at, "ip_prefix.ipv6_prefix_count")?;
    if n > MAX_IPV6_PREFIXES {
        let kind = ErrorKind::Invalid {
            value: n.into(),
            reason: Reason::TooManyIpv6Prefixes,
        };
        return Err(Error {
            layer: Proposal::LAYER,
            message: Proposal::NAME,
            field: "ip_prefix.ipv6_prefix_count",
            offset: at,
            kind,
        });
    }
    Ok(if required { usize::from(n) } else { 0 })
}

/// A byte an offset points at; one past the body means the message is too
/// short for the area the offset locates.
fn byte_at(bytes: &[u8], at: usize, field: &'static str) -> Result<u8> {
    match bytes.get(at) {
        Some(v) if at + TRAILER_LEN < bytes.len() => Ok(*v),
        _ => {
            let kind = ErrorKind::Invalid {
                value: at as u64,
                reason: Reason::LocatedPastBody,
            };
            Err(Error {
                layer: Proposal::LAYER,
                message: Proposal::NAME,
                field,
                offset: at,
                kind,
            })
        }
    }
}

fn be_u16_at(bytes: &[u8], at: usize, field: &'static str) -> Result<u16> {
    Ok(u16::from_be_bytes([
        byte_at(bytes, at, field)?,
        byte_at(bytes, at + 1, field)?,
    ]))
}

fn not_modelled(r: &Reader<'_>, field: &'static str, offset: usize, value: u16) -> Error {
    r.invalid_at(field, offset, value.into(), Reason::AreaPlacementNotModelled)
}

impl Wire for Proposal {
    const NAME: &'static str = "CLC Proposal";
    const LAYER: Layer = Layer::Clc;
    const WHOLE: bool = true;

    fn read(r: &mut Reader<'_>, _: ()) -> Result<Self> {
        r.whole(Self::NAME, |m| {
            let bytes = m.unread();
            let o = open(m)?;
            if o.header.kind != ClcType::PROPOSAL {
                return Err(o.body.invalid_at(
                    "header.type",
                    4,
                    o.header.kind.0.into(),
                    Reason::NotAProposal,
                ));
            }
            let mut b = o.body.clone();
            let peer_id = b.array("peer_id")?;
            let gid = b.array("gid")?;
            let mac = b.array("mac")?;
            let off = b.be_u16("iparea_offset")?;
            if off > MAX_IPAREA_OFFSET {
                return Err(b.invalid("iparea_offset", 2, off.into(), Reason::IpareaOffsetBeyondSmcdArea));
            }
            let body = if o.envelope().is_v1() {
                Self::parse_v1(bytes, &o, &mut b, off)?
            } else {
                Self::parse_v2(bytes, &o, &mut b, off)?
            };
            b.finish("body")?;
            o.check_trailer()?;
            Ok(Proposal {
                env: o.envelope(),
                peer_id,
                gid,
                mac,
                iparea_offset: off,
                smcd: body.smcd,
                ip_prefix: body.ip_prefix,
                v2_ext: body.v2_ext,
                smcd_v2_ext: body.smcd_v2_ext,
            })
        })
    }

    fn write(&self, out: &mut Vec<u8>, _: ()) {
        self.env.header(ClcType::PROPOSAL, self.wire_len()).emit(out);
        out.put_bytes(&self.peer_id);
        out.put_bytes(&self.gid);
        out.put_bytes(&self.mac);
        out.put_be_u16(self.iparea_offset);
        if let Some(a) = &self.smcd {
            a.emit(out);
        }
        if let Some(a) = &self.ip_prefix {
            a.emit(out);
        }
        if let Some(a) = &self.v2_ext {
            a.emit(out);
        }
        if let Some(a) = &self.smcd_v2_ext {
            a.write(out, count_u8(a.ism_entries.len()));
        }
        out.put_be_u32(self.env.trailer.0);
    }

    fn wire_len(&self) -> usize {
        FIXED_LEN
            + self.smcd.map_or(0, |_| SMCD_AREA_LEN)
            + self.ip_prefix.as_ref().map_or(0, IpPrefixArea::wire_len)
            + self.v2_ext.as_ref().map_or(0, V2Extension::wire_len)
            + self.smcd_v2_ext.as_ref().map_or(0, SmcdV2Extension::wire_len)
            + TRAILER_LEN
    }
}
