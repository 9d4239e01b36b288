//! CLC Accept and Confirm: one layout, told apart by the header type
//! (kernel struct smc_clc_msg_accept_confirm; checks in smc_clc_msg_acc_conf_valid).

use super::codes::{ClcType, Path};
use super::first_contact::*;
use super::header::{open, Envelope, Opened, HEADER_LEN, TRAILER_LEN};
use super::proposal_areas::Eid;
use crate::error::{ErrorKind, Layer, Reason, Result};
use crate::wire::{Put, Reader, Wire};

/// Linux's lengths (SMCR_/SMCD_CLC_ACCEPT_CONFIRM_LEN and _V2): exact for v1,
/// a minimum for v2.
const SMCR_V1_LEN: usize = 68;
const SMCD_V1_LEN: usize = 48;
const SMCR_V2_MIN: usize = 108;
const SMCD_V2_MIN: usize = 78;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AcceptConfirm {
    /// [`ClcType::ACCEPT`] or [`ClcType::CONFIRM`].
    pub kind: ClcType,
    /// typev1 is R or D (the variant chosen); the flag is first contact.
    pub env: Envelope,
    pub body: AcceptConfirmBody,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AcceptConfirmBody {
    SmcR(SmcrAcceptConfirm),
    SmcD(SmcdAcceptConfirm),
}

/// SMC-R part (kernel struct smcr_clc_msg_accept_confirm).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SmcrAcceptConfirm {
    pub peer_id: [u8; 8],
    pub gid: [u8; 16],
    pub mac: [u8; 6],
    /// 24 bits.
    pub qpn: u32,
    pub rmb_rkey: u32,
    /// Linux: 1.
    pub rmbe_idx: u8,
    /// The connection token CDC messages carry.
    pub rmbe_alert_token: u32,
    /// Compressed: 2^(n+14) bytes.
    pub rmbe_size: u8,
    /// IB MTU enum (1 = 256 ... 5 = 4096).
    pub qp_mtu: u8,
    pub rmb_dma_addr: u64,
    /// 24 bits.
    pub psn: u32,
    pub v2: Option<SmcrV2>,
}

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SmcrV2 {
    pub eid: Eid,
    /// With first contact.
    pub fce: Option<FirstContactExt>,
    /// On a first-contact Confirm.
    pub gid_list: Option<GidList>,
}

/// SMC-D part (kernel struct smcd_clc_msg_accept_confirm_common and d1).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SmcdAcceptConfirm {
    pub gid: u64,
    pub dmb_token: u64,
    pub dmbe_idx: u8,
    /// Compressed, high nibble of byte 25.
    pub dmbe_size: u8,
    pub link_id: u32,
    pub v2: Option<SmcdV2>,
}

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SmcdV2 {
    pub chid: u16,
    pub eid: Eid,
    /// GID extension of an emulated-ISM device (CHID 0xFF00-0xFFFF).
    pub gid_ext: u64,
    pub fce: Option<FirstContactExt>,
}

/// RMBE/DMBE bytes from the size nibble (Linux smc_uncompress_bufsize).
pub fn buffer_size(nibble: u8) -> u32 {
    1u32 << (u32::from(nibble.min(15)) + 14).min(31)
}

impl AcceptConfirm {
    pub fn is_first_contact(&self) -> bool {
        self.env.flag()
    }
}

/// Read with the message's type and envelope, which say which parts follow.
impl Wire<(ClcType, Envelope)> for SmcrAcceptConfirm {
    const NAME: &'static str = "CLC Accept/Confirm SMC-R part";
    const LAYER: Layer = Layer::Clc;

    #[inline(always)]
    fn read(b: &mut Reader<'_>, (kind, env): (ClcType, Envelope)) -> Result<Self> {
        let peer_id = b.array("peer_id")?;
        let gid = b.array("gid")?;
        let mac = b.array("mac")?;
        let qpn = b.be_u24("qpn")?;
        let rmb_rkey = b.be_u32("rmb_rkey")?;
        let rmbe_idx = b.u8("rmbe_idx")?;
        let rmbe_alert_token = b.be_u32("rmbe_alert_token")?;
        let size_mtu = b.u8("rmbe_size/qp_mtu")?;
        b.skip(1, "reserved")?;
        let rmb_dma_addr = b.be_u64("rmb_dma_addr")?;
        b.skip(1, "reserved")?;
        let psn = b.be_u24("psn")?;
        let v2 = if env.is_v1() {
            None
        } else {
            Some(SmcrV2::read(b, (env.flag(), kind == ClcType::CONFIRM))?)
        };
        Ok(SmcrAcceptConfirm {
            peer_id,
            gid,
            mac,
            qpn,
            rmb_rkey,
            rmbe_idx,
            rmbe_alert_token,
            rmbe_size: size_mtu >> 4,
            qp_mtu: size_mtu & 0x0f,
            rmb_dma_addr,
            psn,
            v2,
        })
    }

    fn write(&self, out: &mut Vec<u8>, _: (ClcType, Envelope)) {
        out.put_bytes(&self.peer_id);
        out.put_bytes(&self.gid);
        out.put_bytes(&self.mac);
        out.put_be_u24(self.qpn & 0x00ff_ffff);
        out.put_be_u32(self.rmb_rkey);
        out.put_u8(self.rmbe_idx);
        out.put_be_u32(self.rmbe_alert_token);
        out.put_u8((self.rmbe_size << 4) | (self.qp_mtu & 0x0f));
        out.put_zeros(1);
        out.put_be_u64(self.rmb_dma_addr);
        out.put_zeros(1);
        out.put_be_u24(self.psn & 0x00ff_ffff);
        if let Some(v2) = &self.v2 {
            v2.write(out, (v2.fce.is_some(), v2.gid_list.is_some()));
        }
    }

    fn wire_len(&self) -> usize {
        SMCR_V1_LEN - HEADER_LEN - TRAILER_LEN + self.v2.as_ref().map_or(0, SmcrV2::wire_len)
    }
}

/// Read with (first contact, Confirm): what follows the EID.
impl Wire<(bool, bool)> for SmcrV2 {
    const NAME: &'static str = "CLC Accept/Confirm SMC-Rv2 part";
    const LAYER: Layer = Layer::Clc;

    #[inline(always)]
    fn read(b: &mut Reader<'_>, (first_contact, confirm): (bool, bool)) -> Result<SmcrV2> {
        let eid = b.array("eid")?;
        b.skip(8, "reserved")?;
        if !first_contact {
            return Ok(SmcrV2 {
                eid,
                fce: None,
                gid_list: None,
            });
        }
        if !confirm {
            return Ok(SmcrV2 {
                eid,
                fce: Some(read_fce(b)?),
                gid_list: None,
            });
        }
        // Which FCE form precedes the GID list shows only in the list's count.
        let rem = b.remaining();
        for fce_len in [FCE_LONG_LEN, FCE_SHORT_LEN] {
            let Some(gids) = rem.checked_sub(fce_len + GID_LIST_HEADER_LEN) else {
                continue;
            };
            if gids % GID_LEN == 0 && b.peek_u8(fce_len).map(usize::from) == Some(gids / GID_LEN) {
                let fce = FirstContactExt::read(b, fce_len == FCE_LONG_LEN)?;
                return Ok(SmcrV2 {
                    eid,
                    fce: Some(fce),
                    gid_list: Some(GidList::read(b, ())?),
                });
            }
        }
        let value = b.peek_u8(FCE_LONG_LEN).map_or(0, u64::from);
        let offset = b.offset() + FCE_LONG_LEN;
        Err(b.invalid_at("gid_list.count", offset, value, Reason::GidListCount))
    }

    fn write(&self, out: &mut Vec<u8>, _: (bool, bool)) {
        out.put_bytes(&self.eid);
        out.put_zeros(8);
        emit_fce(&self.fce, out);
        if let Some(list) = &self.gid_list {
            list.emit(out);
        }
    }

    fn wire_len(&self) -> usize {
        40 + fce_len(&self.fce) + self.gid_list.as_ref().map_or(0, GidList::wire_len)
    }
}

impl Wire<(ClcType, Envelope)> for SmcdAcceptConfirm {
    const NAME: &'static str = "CLC Accept/Confirm SMC-D part";
    const LAYER: Layer = Layer::Clc;

    #[inline(always)]
    fn read(b: &mut Reader<'_>, (_, env): (ClcType, Envelope)) -> Result<Self> {
        let (v1, first_contact) = (env.is_v1(), env.flag());
        let gid = b.be_u64("gid")?;
        let dmb_token = b.be_u64("dmb_token")?;
        let dmbe_idx = b.u8("dmbe_idx")?;
        let dmbe_size = b.u8("dmbe_size")? >> 4;
        b.skip(2, "reserved")?;
        let link_id = b.be_u32("link_id")?;
        let v2 = if v1 {
            b.skip(12, "reserved")?;
            None
        } else {
            let chid = b.be_u16("chid")?;
            let eid = b.array("eid")?;
            let gid_ext = b.be_u64("gid_ext")?;
            let fce = if first_contact { Some(read_fce(b)?) } else { None };
            Some(SmcdV2 {
                chid,
                eid,
                gid_ext,
                fce,
            })
        };
        Ok(SmcdAcceptConfirm {
            gid,
            dmb_token,
            dmbe_idx,
            dmbe_size,
            link_id,
            v2,
        })
    }

    fn write(&self, out: &mut Vec<u8>, _: (ClcType, Envelope)) {
        out.put_be_u64(self.gid);
        out.put_be_u64(self.dmb_token);
        out.put_u8(self.dmbe_idx);
        out.put_u8(self.dmbe_size << 4);
        out.put_zeros(2);
        out.put_be_u32(self.link_id);
        match &self.v2 {
            None => out.put_zeros(12),
            Some(v2) => {
                out.put_be_u16(v2.chid);
                out.put_bytes(&v2.eid);
                out.put_be_u64(v2.gid_ext);
                emit_fce(&v2.fce, out);
            }
        }
    }

    fn wire_len(&self) -> usize {
        match &self.v2 {
            None => SMCD_V1_LEN - HEADER_LEN - TRAILER_LEN,
            Some(v2) => SMCD_V2_MIN - HEADER_LEN - TRAILER_LEN + fce_len(&v2.fce),
        }
    }
}

/// An FCE without a GID list after it: its form follows from the bytes left.
fn read_fce(b: &mut Reader<'_>) -> Result<FirstContactExt> {
    let rem = b.remaining();
    if rem < FCE_SHORT_LEN {
        return Err(b.invalid("fce", 0, rem as u64, Reason::NoRoomForFce));
    }
    FirstContactExt::read(b, rem >= FCE_LONG_LEN)
}

fn emit_fce(fce: &Option<FirstContactExt>, out: &mut Vec<u8>) {
    if let Some(f) = fce {
        f.write(out, f.v2x.is_some());
    }
}

fn fce_len(fce: &Option<FirstContactExt>) -> usize {
    fce.as_ref().map_or(0, FirstContactExt::wire_len)
}

/// Linux's length rule for the variant chosen in typev1.
fn check_length(o: &Opened<'_>) -> Result<()> {
    let declared = usize::from(o.header.length);
    let v1 = o.header.version == 1;
    let (exact, min) = match (o.header.typev1, v1) {
        (Path::R, true) => (SMCR_V1_LEN, 0),
        (Path::D, true) => (SMCD_V1_LEN, 0),
        (Path::R, false) => (0, SMCR_V2_MIN),
        (Path::D, false) => (0, SMCD_V2_MIN),
        (t, _) => {
            return Err(o
                .body
                .invalid_at("header.typev1", 7, t.0.into(), Reason::NeitherRNorD))
        }
    };
    if v1 {
        return o.expect_length(exact);
    }
    if declared < min {
        return Err(o.length_error(ErrorKind::LengthMismatch {
            declared,
            expected: min,
        }));
    }
    Ok(())
}

impl Wire for AcceptConfirm {
    const NAME: &'static str = "CLC Accept/Confirm";
    const LAYER: Layer = Layer::Clc;
    const WHOLE: bool = true;

    fn read(r: &mut Reader<'_>, _: ()) -> Result<Self> {
        r.whole(Self::NAME, |m| {
            let o = open(m)?;
            let kind = o.header.kind;
            if kind != ClcType::ACCEPT && kind != ClcType::CONFIRM {
                return Err(o
                    .body
                    .invalid_at("header.type", 4, kind.0.into(), Reason::NotAcceptOrConfirm));
            }
            check_length(&o)?;
            let env = o.envelope();
            let mut b = o.body.clone();
            let body = if env.typev1 == Path::R {
                AcceptConfirmBody::SmcR(SmcrAcceptConfirm::read(&mut b, (kind, env))?)
            } else {
                AcceptConfirmBody::SmcD(SmcdAcceptConfirm::read(&mut b, (kind, env))?)
            };
            b.finish("body")?;
            o.check_trailer()?;
            Ok(AcceptConfirm { kind, env, body })
        })
    }

    fn write(&self, out: &mut Vec<u8>, _: ()) {
        self.env.header(self.kind, self.wire_len()).emit(out);
        match &self.body {
            AcceptConfirmBody::SmcR(r) => r.write(out, (self.kind, self.env)),
            AcceptConfirmBody::SmcD(d) => d.write(out, (self.kind, self.env)),
        }
        out.put_be_u32(self.env.trailer.0);
    }

    fn wire_len(&self) -> usize {
        HEADER_LEN
            + TRAILER_LEN
            + match &self.body {
                AcceptConfirmBody::SmcR(r) => r.wire_len(),
                AcceptConfirmBody::SmcD(d) => d.wire_len(),
            }
    }
}
