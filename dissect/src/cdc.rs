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
            (ring_size - self.count)
                .checked_add(newer.count)
                .filter(|&d| d <= ring_size)
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
            Some(rest) => Cursor {
                wrap: self.wrap.wrapping_add(1),
                count: rest as u32,
            },
            None => Cursor {
                wrap: self.wrap,
                count: count as u32,
            },
        })
    }
}

/// Which of a CDC message's cursors: its byte order and the names its fields
/// have in errors and traces.
#[derive(Debug, Clone, Copy)]
pub struct CursorAt {
    pub order: ByteOrder,
    pub producer: bool,
}

impl Wire<CursorAt> for Cursor {
    const NAME: &'static str = "CDC cursor";
    const LAYER: Layer = Layer::Cdc;

    // Inline, as read_type: the message's reader then stays in registers.
    #[inline(always)]
    fn read(r: &mut Reader<'_>, at: CursorAt) -> Result<Self> {
        let (wrap, count) = match at.producer {
            true => ("producer.wrap", "producer.count"),
            false => ("consumer.wrap", "consumer.count"),
        };
        Ok(Cursor {
            wrap: r.u16_in(at.order, wrap)?,
            count: r.u32_in(at.order, count)?,
        })
    }

    fn write(&self, out: &mut Vec<u8>, at: CursorAt) {
        out.put_u16_in(at.order, self.wrap);
        out.put_u32_in(at.order, self.count);
    }

    fn wire_len(&self) -> usize {
        6
    }
}

const PRODUCER_BE: CursorAt = CursorAt {
    order: ByteOrder::Big,
    producer: true,
};
const CONSUMER_BE: CursorAt = CursorAt {
    order: ByteOrder::Big,
    producer: false,
};

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
    const LAYER: Layer = Layer::Cdc;
    const END: &'static str = "reserved";

    #[inline(always)]
    fn read(r: &mut Reader<'_>, _: ()) -> Result<Self> {
        read_type(r)?;
        let len = r.u8("length")?;
        if usize::from(len) != SMCR_CDC_LEN {
            // Linux drops the message.
            return Err(r.invalid("length", 1, len.into(), Reason::SmcrCdcLength));
        }
        let seqno = r.be_u16("seqno")?;
        let token = r.be_u32("token")?;
        r.skip(2, "producer.reserved")?; // 8
        let producer = Cursor::read(r, PRODUCER_BE)?;
        r.skip(2, "consumer.reserved")?; // 16
        let consumer = Cursor::read(r, CONSUMER_BE)?;
        let producer_flags = ProducerFlags(r.u8("producer_flags")?); // 24
        let conn_state_flags = ConnStateFlags(r.u8("conn_state_flags")?); // 25
        r.skip(18, "reserved")?; // 26-43
        Ok(SmcrCdc {
            seqno,
            token,
            producer,
            consumer,
            producer_flags,
            conn_state_flags,
        })
    }

    fn write(&self, out: &mut Vec<u8>, _: ()) {
        out.put_u8(CDC_TYPE);
        out.put_u8(SMCR_CDC_LEN as u8);
        out.put_be_u16(self.seqno);
        out.put_be_u32(self.token);
        for (cursor, at) in [(&self.producer, PRODUCER_BE), (&self.consumer, CONSUMER_BE)] {
            out.put_zeros(2);
            cursor.write(out, at);
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
        let mut r = Reader::new(<Self as Wire>::LAYER, <Self as Wire>::NAME, bytes);
        let value = Self::read_in(&mut r, order)?;
        r.finish(<Self as Wire>::END)?;
        Ok(value)
    }

    fn read_in(r: &mut Reader<'_>, order: ByteOrder) -> Result<Self> {
        read_type(r)?;
        r.skip(7, "reserved")?; // 1-7
        let producer = Cursor::read(
            r,
            CursorAt {
                order,
                producer: true,
            },
        )?; // 8
        r.skip(2, "producer.reserved")?; // 14-15
        let consumer = Cursor::read(
            r,
            CursorAt {
                order,
                producer: false,
            },
        )?; // 16
        let producer_flags = ProducerFlags(r.u8("producer_flags")?); // 22
        let conn_state_flags = ConnStateFlags(r.u8("conn_state_flags")?); // 23
        r.skip(8, "reserved")?; // 24-31
        Ok(SmcdCdc {
            order,
            producer,
            consumer,
            producer_flags,
            conn_state_flags,
        })
    }
}

impl Wire for SmcdCdc {
    const NAME: &'static str = "CDC (SMC-D)";
    const LAYER: Layer = Layer::Cdc;
    const END: &'static str = "reserved";

    /// Reads little-endian. SMC-D CDC never crosses a wire: it is read from
    /// a DMB on the host that holds it, and the hosts where this tool sees
    /// one (loopback-ism on x86-64 or arm64) are little-endian; nothing in
    /// the 32 bytes tells the order reliably. For s390 ISM use
    /// [`SmcdCdc::parse_in`] with `Big`.
    fn read(r: &mut Reader<'_>, _: ()) -> Result<Self> {
        SmcdCdc::read_in(r, ByteOrder::Little)
    }

    fn write(&self, out: &mut Vec<u8>, _: ()) {
        out.put_u8(CDC_TYPE);
        out.put_zeros(7);
        self.producer.write(
            out,
            CursorAt {
                order: self.order,
                producer: true,
            },
        );
        out.put_zeros(2);
        self.consumer.write(
            out,
            CursorAt {
                order: self.order,
                producer: false,
            },
        );
        out.put_u8(self.producer_flags.0);
        out.put_u8(self.conn_state_flags.0);
        out.put_zeros(8);
    }

    fn wire_len(&self) -> usize {
        SMCD_CDC_LEN
    }
}
