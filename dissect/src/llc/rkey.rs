//! Rkey messages: CONFIRM_RKEY, CONFIRM_RKEY_CONT, DELETE_RKEY, and the rkey
//! entries ADD_LINK and ADD_LINK_CONT share.

use super::header::{LlcHeader, LlcType, LLC_V1_LEN};
use super::link::FIXED_BODY;
use super::LlcBody;
use crate::error::{Layer, Result};
use crate::wire::{Put, Reader, Wire};

/// An RMB's rkey on the existing link and its rkey and address on the new
/// link (`struct smc_llc_msg_add_link_cont_rt`, 16 bytes).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct RkeyPair {
    pub rkey: u32,
    pub new_rkey: u32,
    pub new_vaddr: u64,
}

impl RkeyPair {
    pub(crate) const LEN: usize = 16;
}

/// The names of an entry's fields in the message that carries it: the
/// kernel's member names under the list's name, one name per part, so a
/// tree tells the parts apart.
pub type Names<const N: usize> = [&'static str; N];

/// `rt[]` of ADD_LINK's v2 extension (`struct smc_llc_msg_add_link_v2_ext`).
pub(crate) const ADD_LINK_V2_RT: Names<3> = [
    "v2_ext.rt.rmb_key",
    "v2_ext.rt.rmb_key_new",
    "v2_ext.rt.rmb_vaddr_new",
];
/// `rt[2]` of ADD_LINK_CONT (`struct smc_llc_msg_add_link_cont`).
pub(crate) const ADD_LINK_CONT_RT: Names<3> = ["rt.rmb_key", "rt.rmb_key_new", "rt.rmb_vaddr_new"];
/// CONFIRM_RKEY's first `struct smc_rmb_rtoken`, after its count byte.
const CONFIRM_RKEY_RTOKEN: Names<2> = ["rtoken.rmb_key", "rtoken.rmb_vaddr"];
/// CONFIRM_RKEY's tokens for the other links.
const CONFIRM_RKEY_OTHERS: Names<3> = ["others.link_id", "others.rmb_key", "others.rmb_vaddr"];
/// CONFIRM_RKEY_CONT's tokens.
const CONFIRM_RKEY_CONT_TOKENS: Names<3> = ["tokens.link_id", "tokens.rmb_key", "tokens.rmb_vaddr"];

/// Read with the names of its rmb_key, rmb_key_new and rmb_vaddr_new.
impl Wire<Names<3>> for RkeyPair {
    const NAME: &'static str = "LLC rkey pair";
    const LAYER: Layer = Layer::Llc;

    #[inline(always)]
    fn read(r: &mut Reader<'_>, [rkey, new_rkey, new_vaddr]: Names<3>) -> Result<Self> {
        Ok(RkeyPair {
            rkey: r.be_u32(rkey)?,
            new_rkey: r.be_u32(new_rkey)?,
            new_vaddr: r.be_u64(new_vaddr)?,
        })
    }

    fn write(&self, out: &mut Vec<u8>, _: Names<3>) {
        out.put_be_u32(self.rkey);
        out.put_be_u32(self.new_rkey);
        out.put_be_u64(self.new_vaddr);
    }

    fn wire_len(&self) -> usize {
        Self::LEN
    }
}

/// An RMB's rkey and virtual address on one link (the 12 bytes after the
/// leading byte of `struct smc_rmb_rtoken`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Rtoken {
    pub rkey: u32,
    pub vaddr: u64,
}

/// An rtoken for the link `link_id` (13 bytes).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct LinkRtoken {
    pub link_id: u8,
    pub rtoken: Rtoken,
}

/// Read with the names of its rmb_key and rmb_vaddr.
impl Wire<Names<2>> for Rtoken {
    const NAME: &'static str = "LLC rtoken";
    const LAYER: Layer = Layer::Llc;

    #[inline(always)]
    fn read(r: &mut Reader<'_>, [rkey, vaddr]: Names<2>) -> Result<Self> {
        Ok(Rtoken {
            rkey: r.be_u32(rkey)?,
            vaddr: r.be_u64(vaddr)?,
        })
    }

    fn write(&self, out: &mut Vec<u8>, _: Names<2>) {
        out.put_be_u32(self.rkey);
        out.put_be_u64(self.vaddr);
    }

    fn wire_len(&self) -> usize {
        12
    }
}

/// Read with the names of its link_id, rmb_key and rmb_vaddr.
impl Wire<Names<3>> for LinkRtoken {
    const NAME: &'static str = "LLC link rtoken";
    const LAYER: Layer = Layer::Llc;

    #[inline(always)]
    fn read(r: &mut Reader<'_>, [link_id, rkey, vaddr]: Names<3>) -> Result<Self> {
        Ok(LinkRtoken {
            link_id: r.u8(link_id)?,
            rtoken: Rtoken::read(r, [rkey, vaddr])?,
        })
    }

    fn write(&self, out: &mut Vec<u8>, [_, rkey, vaddr]: Names<3>) {
        out.put_u8(self.link_id);
        self.rtoken.write(out, [rkey, vaddr]);
    }

    fn wire_len(&self) -> usize {
        13
    }
}

/// CONFIRM_RKEY (0x06 / 0x26): announce a new RMB on every link. Three
/// 13-byte tokens at 4, 17, 30; the first is for the link the message is
/// sent on and its leading byte counts the tokens that follow.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ConfirmRkey {
    /// Tokens for other links that follow (Linux answers RKEY_NEGATIVE above 2).
    pub other_count: u8,
    pub rtoken: Rtoken,
    pub others: [LinkRtoken; 2],
}

impl LlcBody for ConfirmRkey {
    const KIND: Option<LlcType> = Some(LlcType::CONFIRM_RKEY);
}

impl Wire<LlcHeader> for ConfirmRkey {
    const NAME: &'static str = "LLC CONFIRM_RKEY";
    const LAYER: Layer = Layer::Llc;

    #[inline(always)]
    fn read(r: &mut Reader<'_>, _: LlcHeader) -> Result<Self> {
        let other_count = r.u8("other_count")?; // 4
        let rtoken = Rtoken::read(r, CONFIRM_RKEY_RTOKEN)?; // 5
        let others = [
            LinkRtoken::read(r, CONFIRM_RKEY_OTHERS)?, // 17
            LinkRtoken::read(r, CONFIRM_RKEY_OTHERS)?, // 30
        ];
        r.skip(1, "reserved")?; // 43
        Ok(ConfirmRkey {
            other_count,
            rtoken,
            others,
        })
    }

    fn write(&self, out: &mut Vec<u8>, _: LlcHeader) {
        out.put_u8(self.other_count);
        self.rtoken.write(out, CONFIRM_RKEY_RTOKEN);
        self.others.iter().for_each(|t| t.write(out, CONFIRM_RKEY_OTHERS));
        out.put_zeros(1);
    }

    fn wire_len(&self) -> usize {
        FIXED_BODY
    }
}

/// CONFIRM_RKEY_CONT (0x08): defined, never sent by Linux (3 links fit one
/// CONFIRM_RKEY). Count at 4, tokens at 5, 18, 31.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ConfirmRkeyCont {
    pub count: u8,
    pub tokens: [LinkRtoken; 3],
}

impl LlcBody for ConfirmRkeyCont {
    const KIND: Option<LlcType> = Some(LlcType::CONFIRM_RKEY_CONT);
}

impl Wire<LlcHeader> for ConfirmRkeyCont {
    const NAME: &'static str = "LLC CONFIRM_RKEY_CONT";
    const LAYER: Layer = Layer::Llc;

    #[inline(always)]
    fn read(r: &mut Reader<'_>, _: LlcHeader) -> Result<Self> {
        let count = r.u8("count")?;
        let mut tokens = [LinkRtoken::default(); 3];
        for token in &mut tokens {
            *token = LinkRtoken::read(r, CONFIRM_RKEY_CONT_TOKENS)?;
        }
        Ok(ConfirmRkeyCont { count, tokens })
    }

    fn write(&self, out: &mut Vec<u8>, _: LlcHeader) {
        out.put_u8(self.count);
        self.tokens
            .iter()
            .for_each(|t| t.write(out, CONFIRM_RKEY_CONT_TOKENS));
    }

    fn wire_len(&self) -> usize {
        FIXED_BODY
    }
}

/// DELETE_RKEY (0x09 / 0x29): withdraw RMBs. Count at 4, then the v1 error
/// mask or v2 invalid count at 5, rkey slots from 8.
///
/// A 44-byte message (v1, and v2 as Linux sends it) has 8 slots and 4
/// reserved bytes; a longer v2 message is 8 + 4n bytes with n slots. Every
/// slot is kept, used or not: the v2 response zeroes them but keeps the count.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct DeleteRkey {
    pub count: u8,
    /// v1: bit 7-i set when slot i failed; v2: number of invalid rkeys.
    pub error_mask: u8,
    pub rkeys: Vec<u32>,
}

const V1_SLOTS: usize = 8;
const RKEYS_AT: usize = 8;

impl LlcBody for DeleteRkey {
    const KIND: Option<LlcType> = Some(LlcType::DELETE_RKEY);
}

impl Wire<LlcHeader> for DeleteRkey {
    const NAME: &'static str = "LLC DELETE_RKEY";
    const LAYER: Layer = Layer::Llc;

    #[inline(always)]
    fn read(r: &mut Reader<'_>, _: LlcHeader) -> Result<Self> {
        let count = r.u8("count")?; // 4
        let error_mask = r.u8("error_mask")?; // 5
        r.skip(2, "reserved")?; // 6
        let short = r.remaining() == LLC_V1_LEN - RKEYS_AT;
        let slots = if short { V1_SLOTS } else { r.remaining() / 4 };
        // Sized once (slots is bounded by the bytes left): collecting Results grows it step by step.
        let mut rkeys = Vec::with_capacity(slots);
        for _ in 0..slots {
            rkeys.push(r.be_u32("rkeys")?);
        }
        if short {
            r.skip(4, "reserved")?; // 40-43
        }
        Ok(DeleteRkey {
            count,
            error_mask,
            rkeys,
        })
    }

    fn write(&self, out: &mut Vec<u8>, _: LlcHeader) {
        out.put_u8(self.count);
        out.put_u8(self.error_mask);
        out.put_zeros(2);
        self.rkeys.iter().for_each(|&k| out.put_be_u32(k));
        out.put_zeros(self.wire_len() - 4 - 4 * self.rkeys.len());
    }

    fn wire_len(&self) -> usize {
        if self.rkeys.len() <= V1_SLOTS {
            FIXED_BODY
        } else {
            RKEYS_AT - 4 + 4 * self.rkeys.len()
        }
    }
}
