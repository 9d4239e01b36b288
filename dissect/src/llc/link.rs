//! Link messages: CONFIRM_LINK, ADD_LINK (+ v2 extension), ADD_LINK_CONT,
//! DELETE_LINK, REQ_ADD_LINK, TEST_LINK. Offsets in comments count from byte 0
//! of the message, as in Linux `struct smc_llc_msg_*`.

use super::header::{length_mismatch, LlcHeader, LlcType, LLC_V1_LEN};
use super::rkey::{RkeyPair, ADD_LINK_CONT_RT, ADD_LINK_V2_RT};
use super::LlcBody;
use crate::error::{Layer, Result};
use crate::named_values;
use crate::wire::{Put, Reader, Wire};

/// Body length of every fixed-size (44-byte) LLC message.
pub(crate) const FIXED_BODY: usize = LLC_V1_LEN - 4;

named_values! {
    /// IB path MTU enum as ADD_LINK carries it (low nibble of byte 32).
    pub struct QpMtu(u8) {
        MTU_256 = 1 => "256",
        MTU_512 = 2 => "512",
        MTU_1024 = 3 => "1024",
        MTU_2048 = 4 => "2048",
        MTU_4096 = 5 => "4096",
    }
}

named_values! {
    /// DELETE_LINK reason (bytes 5-8).
    pub struct DeleteLinkReason(u32) {
        /// Responses that found the link carry 0.
        NONE = 0 => "NONE",
        LOST_PATH = 0x0001_0000 => "LOST_PATH",
        OP_INIT_TERM = 0x0002_0000 => "OP_INIT_TERM",
        PROG_INIT_TERM = 0x0003_0000 => "PROG_INIT_TERM",
        PROT_VIOL = 0x0004_0000 => "PROT_VIOL",
        NO_ASYM_NEEDED = 0x0005_0000 => "NO_ASYM_NEEDED",
        /// Response: unknown link id.
        NOLNK = 0x0010_0000 => "NOLNK",
        /// Response: unknown link group.
        NOLGR = 0x0020_0000 => "NOLGR",
    }
}

/// CONFIRM_LINK (0x01 / 0x21): the server confirms a new link, the client answers.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ConfirmLink {
    pub sender_mac: [u8; 6],
    pub sender_gid: [u8; 16],
    /// 24 bits.
    pub sender_qpn: u32,
    pub link_id: u8,
    pub link_uid: [u8; 4],
    pub max_links: u8,
    /// v2.1 (Linux 6.5+): the negotiated max connections; 0 before.
    pub max_conns: u8,
}

impl LlcBody for ConfirmLink {
    const KIND: Option<LlcType> = Some(LlcType::CONFIRM_LINK);
}

impl Wire<LlcHeader> for ConfirmLink {
    const NAME: &'static str = "LLC CONFIRM_LINK";
    const LAYER: Layer = Layer::Llc;

    #[inline(always)]
    fn read(r: &mut Reader<'_>, _: LlcHeader) -> Result<Self> {
        let body = ConfirmLink {
            sender_mac: r.array("sender_mac")?,  // 4
            sender_gid: r.array("sender_gid")?,  // 10
            sender_qpn: r.be_u24("sender_qpn")?, // 26
            link_id: r.u8("link_id")?,           // 29
            link_uid: r.array("link_uid")?,      // 30
            max_links: r.u8("max_links")?,       // 34
            max_conns: r.u8("max_conns")?,       // 35
        };
        r.skip(8, "reserved")?; // 36-43
        Ok(body)
    }

    fn write(&self, out: &mut Vec<u8>, _: LlcHeader) {
        out.put_bytes(&self.sender_mac);
        out.put_bytes(&self.sender_gid);
        out.put_be_u24(self.sender_qpn);
        out.put_u8(self.link_id);
        out.put_bytes(&self.link_uid);
        out.put_u8(self.max_links);
        out.put_u8(self.max_conns);
        out.put_zeros(8);
    }

    fn wire_len(&self) -> usize {
        FIXED_BODY
    }
}

/// ADD_LINK (0x02 / 0x22): offer (server) or accept/reject (client) a new link.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct AddLink {
    pub sender_mac: [u8; 6],
    pub sender_gid: [u8; 16],
    /// 24 bits.
    pub sender_qpn: u32,
    pub link_id: u8,
    pub qp_mtu: QpMtu,
    /// 24 bits.
    pub initial_psn: u32,
    /// v2 only, present when the message is longer than 44 bytes.
    pub v2_ext: Option<AddLinkV2Ext>,
}

/// The ADD_LINK v2 extension at byte 44 (`struct smc_llc_msg_add_link_v2_ext`).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct AddLinkV2Ext {
    /// Byte 44 bit 7: the peers reach each other without a gateway.
    pub direct: bool,
    pub client_target_gid: [u8; 16],
    /// Bytes 70-71, in the sender's host byte order (the header's
    /// `length_order`). Kept as sent: Linux can announce more rkeys than it
    /// fills in, so this may differ from `rkeys.len()`.
    pub rkey_count: u16,
    /// The entries the declared length holds, from byte 72.
    pub rkeys: Vec<RkeyPair>,
}

const V2_EXT_LEN: usize = 28;

impl Wire<LlcHeader> for AddLinkV2Ext {
    const NAME: &'static str = "LLC ADD_LINK v2 extension";
    const LAYER: Layer = Layer::Llc;

    #[inline(always)]
    fn read(r: &mut Reader<'_>, header: LlcHeader) -> Result<Self> {
        if r.remaining() < V2_EXT_LEN {
            return Err(length_mismatch(r, r.offset() + V2_EXT_LEN));
        }
        let direct = r.u8("v2_ext.direct")? & 0x80 != 0; // 44
        r.skip(1, "v2_ext.reserved")?;
        let client_target_gid = r.array("v2_ext.client_target_gid")?; // 46
        r.skip(8, "v2_ext.reserved")?; // 62
        let rkey_count = r.u16_in(header.length_order, "v2_ext.rkey_count")?; // 70
        let mut rkeys = Vec::with_capacity(r.remaining() / RkeyPair::LEN);
        while r.remaining() >= RkeyPair::LEN {
            rkeys.push(RkeyPair::read(r, ADD_LINK_V2_RT)?); // 72 + 16 i
        }
        Ok(AddLinkV2Ext {
            direct,
            client_target_gid,
            rkey_count,
            rkeys,
        })
    }

    fn write(&self, out: &mut Vec<u8>, header: LlcHeader) {
        out.put_u8(if self.direct { 0x80 } else { 0 });
        out.put_zeros(1);
        out.put_bytes(&self.client_target_gid);
        out.put_zeros(8);
        out.put_u16_in(header.length_order, self.rkey_count);
        for pair in &self.rkeys {
            pair.write(out, ADD_LINK_V2_RT);
        }
    }

    fn wire_len(&self) -> usize {
        V2_EXT_LEN + RkeyPair::LEN * self.rkeys.len()
    }
}

impl LlcBody for AddLink {
    const KIND: Option<LlcType> = Some(LlcType::ADD_LINK);
}

impl Wire<LlcHeader> for AddLink {
    const NAME: &'static str = "LLC ADD_LINK";
    const LAYER: Layer = Layer::Llc;

    #[inline(always)]
    fn read(r: &mut Reader<'_>, header: LlcHeader) -> Result<Self> {
        let sender_mac = r.array("sender_mac")?; // 4
        r.skip(2, "reserved")?; // 10
        let mut body = AddLink {
            sender_mac,
            sender_gid: r.array("sender_gid")?,    // 12
            sender_qpn: r.be_u24("sender_qpn")?,   // 28
            link_id: r.u8("link_id")?,             // 31
            qp_mtu: QpMtu(r.u8("qp_mtu")? & 0x0f), // 32, high nibble reserved
            initial_psn: r.be_u24("initial_psn")?, // 33
            v2_ext: None,
        };
        r.skip(8, "reserved")?; // 36-43
        if header.llc_type.is_v2_framing() && r.remaining() > 0 {
            body.v2_ext = Some(AddLinkV2Ext::read(r, header)?);
        }
        Ok(body)
    }

    fn write(&self, out: &mut Vec<u8>, header: LlcHeader) {
        out.put_bytes(&self.sender_mac);
        out.put_zeros(2);
        out.put_bytes(&self.sender_gid);
        out.put_be_u24(self.sender_qpn);
        out.put_u8(self.link_id);
        out.put_u8(self.qp_mtu.0 & 0x0f);
        out.put_be_u24(self.initial_psn);
        out.put_zeros(8);
        if let Some(ext) = &self.v2_ext {
            ext.write(out, header);
        }
    }

    fn wire_len(&self) -> usize {
        FIXED_BODY + self.v2_ext.as_ref().map_or(0, AddLinkV2Ext::wire_len)
    }
}

/// ADD_LINK_CONT (0x03): v1 carries the rkeys of a new link two at a time.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct AddLinkCont {
    pub link_id: u8,
    /// Rkeys still to come, this message's included.
    pub rkeys_remaining: u8,
    /// Bytes 8-39; entries past `rkeys_remaining` are zero.
    pub rkeys: [RkeyPair; 2],
}

impl LlcBody for AddLinkCont {
    const KIND: Option<LlcType> = Some(LlcType::ADD_LINK_CONT);
}

impl Wire<LlcHeader> for AddLinkCont {
    const NAME: &'static str = "LLC ADD_LINK_CONT";
    const LAYER: Layer = Layer::Llc;

    #[inline(always)]
    fn read(r: &mut Reader<'_>, _: LlcHeader) -> Result<Self> {
        let link_id = r.u8("link_id")?; // 4
        let rkeys_remaining = r.u8("rkeys_remaining")?; // 5
        r.skip(2, "reserved")?; // 6
        let rkeys = [
            RkeyPair::read(r, ADD_LINK_CONT_RT)?, // 8
            RkeyPair::read(r, ADD_LINK_CONT_RT)?, // 24
        ];
        r.skip(4, "reserved")?; // 40
        Ok(AddLinkCont {
            link_id,
            rkeys_remaining,
            rkeys,
        })
    }

    fn write(&self, out: &mut Vec<u8>, _: LlcHeader) {
        out.put_u8(self.link_id);
        out.put_u8(self.rkeys_remaining);
        out.put_zeros(2);
        self.rkeys
            .iter()
            .for_each(|pair| pair.write(out, ADD_LINK_CONT_RT));
        out.put_zeros(4);
    }

    fn wire_len(&self) -> usize {
        FIXED_BODY
    }
}

/// DELETE_LINK (0x04 / 0x24). Flags say "all links" and "orderly".
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct DeleteLink {
    pub link_id: u8,
    pub reason: DeleteLinkReason,
}

impl LlcBody for DeleteLink {
    const KIND: Option<LlcType> = Some(LlcType::DELETE_LINK);
}

impl Wire<LlcHeader> for DeleteLink {
    const NAME: &'static str = "LLC DELETE_LINK";
    const LAYER: Layer = Layer::Llc;

    #[inline(always)]
    fn read(r: &mut Reader<'_>, _: LlcHeader) -> Result<Self> {
        let link_id = r.u8("link_id")?; // 4
        let reason = DeleteLinkReason(r.be_u32("reason")?); // 5, unaligned (packed struct)
        r.skip(35, "reserved")?; // 9-43
        Ok(DeleteLink { link_id, reason })
    }

    fn write(&self, out: &mut Vec<u8>, _: LlcHeader) {
        out.put_u8(self.link_id);
        out.put_be_u32(self.reason.0);
        out.put_zeros(35);
    }

    fn wire_len(&self) -> usize {
        FIXED_BODY
    }
}

/// REQ_ADD_LINK (0x25): a v2 client asks the server to start ADD_LINK and
/// lists its GIDs. The response (flag set) is 44 bytes with no GIDs.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct RequestAddLink {
    /// Byte 24 is their count (at most 255); GIDs from byte 28.
    pub gids: Vec<[u8; 16]>,
}

const REQ_ADD_LINK_GIDS_AT: usize = 28;

impl LlcBody for RequestAddLink {
    const KIND: Option<LlcType> = Some(LlcType::REQ_ADD_LINK);
}

impl Wire<LlcHeader> for RequestAddLink {
    const NAME: &'static str = "LLC REQ_ADD_LINK";
    const LAYER: Layer = Layer::Llc;

    #[inline(always)]
    fn read(r: &mut Reader<'_>, _: LlcHeader) -> Result<Self> {
        r.skip(20, "reserved")?; // 4-23
        let count = usize::from(r.u8("gid_count")?); // 24
        r.skip(3, "reserved")?; // 25-27
        let end = REQ_ADD_LINK_GIDS_AT + 16 * count;
        if r.remaining() < 16 * count {
            return Err(length_mismatch(r, end));
        }
        let gids = (0..count).map(|_| r.array("gids")).collect::<Result<Vec<_>>>()?;
        // Linux pads a short message to 44 bytes; a longer one ends at the last GID.
        if end < LLC_V1_LEN {
            r.skip(LLC_V1_LEN - end, "reserved")?;
        }
        Ok(RequestAddLink { gids })
    }

    fn write(&self, out: &mut Vec<u8>, _: LlcHeader) {
        out.put_zeros(20);
        out.put_u8(u8::try_from(self.gids.len()).unwrap_or(u8::MAX));
        out.put_zeros(3);
        self.gids.iter().for_each(|gid| out.put_bytes(gid));
        out.put_zeros(self.wire_len() - (REQ_ADD_LINK_GIDS_AT - 4) - 16 * self.gids.len());
    }

    fn wire_len(&self) -> usize {
        (REQ_ADD_LINK_GIDS_AT + 16 * self.gids.len()).max(LLC_V1_LEN) - 4
    }
}

/// TEST_LINK (0x07 / 0x27): keepalive; the response echoes the user data.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct TestLink {
    pub user_data: [u8; 16],
}

impl LlcBody for TestLink {
    const KIND: Option<LlcType> = Some(LlcType::TEST_LINK);
}

impl Wire<LlcHeader> for TestLink {
    const NAME: &'static str = "LLC TEST_LINK";
    const LAYER: Layer = Layer::Llc;

    #[inline(always)]
    fn read(r: &mut Reader<'_>, _: LlcHeader) -> Result<Self> {
        let user_data = r.array("user_data")?; // 4
        r.skip(24, "reserved")?; // 20-43
        Ok(TestLink { user_data })
    }

    fn write(&self, out: &mut Vec<u8>, _: LlcHeader) {
        out.put_bytes(&self.user_data);
        out.put_zeros(24);
    }

    fn wire_len(&self) -> usize {
        FIXED_BODY
    }
}
