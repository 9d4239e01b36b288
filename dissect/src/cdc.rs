//! CDC: connection data control, the cursor updates of one SMC connection.
//!
//! SMC-R CDC is a 44-byte SEND on the link QP, big-endian (Linux
//! `struct smc_cdc_msg`). SMC-D CDC is 32 bytes written into the peer DMB in
//! the sender's host byte order (`struct smcd_cdc_msg`).

use crate::error::{Layer, Reason, Result};
use crate::named_values;
use crate::wire::{ByteOrder, Put, Reader, Wire};

/// Byte 0 of every CDC message; LLC types never take this value.
pub const CDC_TYPE: u8 = 0xFE;
/// SMC-R CDC length, also the value of its length byte.
pub const SMCR_CDC_LEN: usize = 44;
/// SMC-D CDC length.
pub const SMCD_CDC_LEN: usize = 32;

named_values! {
    /// Producer flags (SMC-R byte 24, SMC-D byte 22).
    pub struct ProducerFlags(u8) {
        WRITE_BLOCKED = 0x80 => "WRITE_BLOCKED",
        URGENT_PENDING = 0x40 => "URGENT_PENDING",
        URGENT_PRESENT = 0x20 => "URGENT_PRESENT",
        CONSUMER_UPDATE_REQUESTED = 0x10 => "CONSUMER_UPDATE_REQUESTED",
        FAILOVER_VALIDATION = 0x08 => "FAILOVER_VALIDATION",
    }
}

named_values! {
    /// Connection-state flags (SMC-R byte 25, SMC-D byte 23).
    pub struct ConnStateFlags(u8) {
        PEER_DONE_WRITING = 0x80 => "PEER_DONE_WRITING",
        PEER_CONN_CLOSED = 0x40 => "PEER_CONN_CLOSED",
        PEER_CONN_ABORT = 0x20 => "PEER_CONN_ABORT",
    }
}

crate::flag_bits!(ProducerFlags, ConnStateFlags);


/// A position in a ring buffer (RMBE or DMBE): how often it wrapped and the
/// byte offset. Used for both ProducerCursor and ConsumerCursor.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Cursor {
    pub wrap: u16,
    pub count: u32,
}

impl Cursor {
    /// Bytes from `self` forward to `newer` in a ring of `ring_size` bytes,
    /// allowing at most one wrap. `None` when `newer` is behind `self`, more
    /// than one wrap ahead, or a count lies outside the ring.
    pub fn distance_to(self, newer: Cursor, ring_size: u32) -> Option<u32> {
        if self.count >= ring_size || newer.count >= ring_size {
            return None;
        }
        if newer.wrap == self.wrap {
            newer.count.checked_sub(self.count)
        } else if newer.wrap == self.wrap.wrapping_add(1) {
            // Within one wrap the distance is at most the ring size.
            (ring_size - self.count).checked_add(newer.count).filter(|&d| d <= ring_size)
        } else {
            None
        }
    }

    /// The cursor `n` bytes further on, wrapping at most once (`n` <= ring size).
    pub fn advanced(self, n: u32, ring_size: u32) -> Option<Cursor> {
        if n > ring_size || self.count >= ring_size {
            return None;
        }
        let count = u64::from(self.count) + u64::from(n);
        Some(match count.checked_sub(ring_size.into()) {
            Some(rest) => Cursor { wrap: self.wrap.wrapping_add(1), count: rest as u32 },
            None => Cursor { wrap: self.wrap, count: count as u32 },
        })
    }

    // Inline, as read_type: the message's reader then stays in registers.
    #[inline(always)]
    fn read(r: &mut Reader<'_>, order: ByteOrder, wrap: &'static str, count: &'static str) -> Result<Self> {
        Ok(Cursor { wrap: r.u16_in(order, wrap)?, count: r.u32_in(order, count)? })
    }

    fn write(&self, order: ByteOrder, out: &mut Vec<u8>) {
        out.put_u16_in(order, self.wrap);
        out.put_u32_in(order, self.count);
    }
}

/// CDC sequence numbers compare as signed 16-bit differences: true when `a`
/// was sent before `b` (Linux `smc_cdc_before`).
pub fn seq_before(a: u16, b: u16) -> bool {
    (a.wrapping_sub(b) as i16) < 0
}

/// Ordering of two CDC sequence numbers under 16-bit wraparound.
pub fn seq_cmp(a: u16, b: u16) -> core::cmp::Ordering {
    (a.wrapping_sub(b) as i16).cmp(&0)
}

#[inline(always)]
fn read_type(r: &mut Reader<'_>) -> Result<()> {
    match r.u8("type")? {
        CDC_TYPE => Ok(()),
        other => Err(r.invalid("type", 1, other.into(), Reason::CdcType)),
    }
}

/// SMC-R CDC message (44 bytes, big-endian).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SmcrCdc {
    pub seqno: u16,
    /// The receiver's RMBE alert token from CLC: names the connection.
    pub token: u32,
    pub producer: Cursor,
    pub consumer: Cursor,
    pub producer_flags: ProducerFlags,
    pub conn_state_flags: ConnStateFlags,
}

impl Wire for SmcrCdc {
    const NAME: &'static str = "CDC (SMC-R)";

    #[inline(always)]
    fn parse(bytes: &[u8]) -> Result<Self> {
        let mut r = Reader::new(Layer::Cdc, Self::NAME, bytes);
        read_type(&mut r)?;
        let len = r.u8("length")?;
        if usize::from(len) != SMCR_CDC_LEN {
            // Linux drops the message.
            return Err(r.invalid("length", 1, len.into(), Reason::SmcrCdcLength));
        }
        let seqno = r.be_u16("seqno")?;
        let token = r.be_u32("token")?;
        r.skip(2, "producer.reserved")?; // 8
        let producer = Cursor::read(&mut r, ByteOrder::Big, "producer.wrap", "producer.count")?;
        r.skip(2, "consumer.reserved")?; // 16
        let consumer = Cursor::read(&mut r, ByteOrder::Big, "consumer.wrap", "consumer.count")?;
        let producer_flags = ProducerFlags(r.u8("producer_flags")?); // 24
        let conn_state_flags = ConnStateFlags(r.u8("conn_state_flags")?); // 25
        r.skip(18, "reserved")?; // 26-43
        r.finish("reserved")?;
        Ok(SmcrCdc { seqno, token, producer, consumer, producer_flags, conn_state_flags })
    }

    fn emit(&self, out: &mut Vec<u8>) {
        out.put_u8(CDC_TYPE);
        out.put_u8(SMCR_CDC_LEN as u8);
        out.put_be_u16(self.seqno);
        out.put_be_u32(self.token);
        for cursor in [&self.producer, &self.consumer] {
            out.put_zeros(2);
            cursor.write(ByteOrder::Big, out);
        }
        out.put_u8(self.producer_flags.0);
        out.put_u8(self.conn_state_flags.0);
        out.put_zeros(18);
    }

    fn wire_len(&self) -> usize {
        SMCR_CDC_LEN
    }
}

/// SMC-D CDC message (32 bytes, sender's host byte order). There is no
/// sequence number or token: the DMB slot names the connection. Linux fills
/// the flags only next to the consumer cursor (bytes 22-23); the bytes after
/// the producer cursor (14-15) stay zero.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SmcdCdc {
    /// The byte order the cursors were read in and are written in.
    pub order: ByteOrder,
    pub producer: Cursor,
    pub consumer: Cursor,
    pub producer_flags: ProducerFlags,
    pub conn_state_flags: ConnStateFlags,
}

impl SmcdCdc {
    /// Parse with the sender's byte order known: `Big` for s390 ISM,
    /// the host's own order for loopback-ism.
    pub fn parse_in(bytes: &[u8], order: ByteOrder) -> Result<Self> {
        let mut r = Reader::new(Layer::Cdc, <Self as Wire>::NAME, bytes);
        read_type(&mut r)?;
        r.skip(7, "reserved")?; // 1-7
        let producer = Cursor::read(&mut r, order, "producer.wrap", "producer.count")?; // 8
        r.skip(2, "producer.reserved")?; // 14-15
        let consumer = Cursor::read(&mut r, order, "consumer.wrap", "consumer.count")?; // 16
        let producer_flags = ProducerFlags(r.u8("producer_flags")?); // 22
        let conn_state_flags = ConnStateFlags(r.u8("conn_state_flags")?); // 23
        r.skip(8, "reserved")?; // 24-31
        r.finish("reserved")?;
        Ok(SmcdCdc { order, producer, consumer, producer_flags, conn_state_flags })
    }
}

impl Wire for SmcdCdc {
    const NAME: &'static str = "CDC (SMC-D)";

    /// Reads little-endian. SMC-D CDC never crosses a wire: it is read from
    /// a DMB on the host that holds it, and the hosts where this tool sees
    /// one (loopback-ism on x86-64 or arm64) are little-endian; nothing in
    /// the 32 bytes tells the order reliably. For s390 ISM use
    /// [`SmcdCdc::parse_in`] with `Big`.
    fn parse(bytes: &[u8]) -> Result<Self> {
        SmcdCdc::parse_in(bytes, ByteOrder::Little)
    }

    fn emit(&self, out: &mut Vec<u8>) {
        out.put_u8(CDC_TYPE);
        out.put_zeros(7);
        self.producer.write(self.order, out);
        out.put_zeros(2);
        self.consumer.write(self.order, out);
        out.put_u8(self.producer_flags.0);
        out.put_u8(self.conn_state_flags.0);
        out.put_zeros(8);
    }

    fn wire_len(&self) -> usize {
        SMCD_CDC_LEN
    }
}
