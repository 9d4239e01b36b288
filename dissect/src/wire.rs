//! The codec every message shares: a checked [`Reader`] that names fields and
//! tracks offsets, [`Put`] for emitting, and the [`Wire`] trait tying them.
//!
//! Contract: once a [`Reader`] method returned `Ok`, the bytes it handed out
//! exist; no accessor indexes past the input, so parsing never panics.

use crate::error::{Error, ErrorKind, Layer, Reason, Result};
use nom::number::complete as num;
use std::cell::{Cell, RefCell};

type NomErr<'a> = nom::error::Error<&'a [u8]>;

/// Byte order of a field that Linux writes in the sender's host order
/// (LLC v2 length, SMC-D CDC). Recorded so emit reproduces what was seen.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum ByteOrder {
    #[default]
    Big,
    Little,
}

/// The one codec shape every wire part has, from a two-byte field pair to a
/// whole message: `read` at a [`Reader`]'s cursor, `write` into a buffer.
/// `C` is what the layout depends on outside the part's own bytes (an LLC
/// body's header, the entry count of an SMC-Dv2 extension, a field name the
/// trace shows); `()` for most parts and every message, which then get
/// [`Wire::parse`], [`Wire::emit`] and [`Wire::to_bytes`].
pub trait Wire<C: Copy = ()>: Sized {
    /// The part's name in the protocol's words, used in errors when it is
    /// parsed on its own.
    const NAME: &'static str;
    /// The layer the part belongs to, which errors from [`Wire::parse`] name.
    const LAYER: Layer;
    /// The field a trailing-bytes error from [`Wire::parse`] names: the last one.
    const END: &'static str = "end";
    /// `read` fails unless it reads all the reader holds (a message whose
    /// extent is its input), so [`Wire::parse`] has no trailing bytes to check.
    const WHOLE: bool = false;
    /// Read one value at the cursor. A message whose extent is its input (a
    /// framed CLC message, an LLC SEND, a UDP payload) reads all there is.
    fn read(r: &mut Reader<'_>, c: C) -> Result<Self>;
    /// Append the wire form to `out`.
    fn write(&self, out: &mut Vec<u8>, c: C);
    /// Length of the wire form [`Wire::write`] writes.
    fn wire_len(&self) -> usize;

    /// Parse exactly one value spanning all of `bytes`.
    #[inline(always)]
    fn parse(bytes: &[u8]) -> Result<Self>
    where
        Self: Wire<()>,
    {
        let mut r = Reader::new(<Self as Wire<()>>::LAYER, <Self as Wire<()>>::NAME, bytes);
        if <Self as Wire<()>>::WHOLE {
            // Returned as read: a check after it cost a copy of the message.
            let read = <Self as Wire<()>>::read(&mut r, ());
            debug_assert!(
                read.is_err() || r.remaining() == 0,
                "{} left bytes",
                <Self as Wire<()>>::NAME
            );
            return read;
        }
        let value = <Self as Wire<()>>::read(&mut r, ())?;
        r.finish(<Self as Wire<()>>::END)?;
        Ok(value)
    }

    /// Append the wire form to `out`.
    fn emit(&self, out: &mut Vec<u8>)
    where
        Self: Wire<()>,
    {
        <Self as Wire<()>>::write(self, out, ())
    }

    fn to_bytes(&self) -> Vec<u8>
    where
        Self: Wire<()>,
    {
        let mut out = Vec::with_capacity(<Self as Wire<()>>::wire_len(self));
        <Self as Wire<()>>::write(self, &mut out, ());
        out
    }
}

/// What a lax parse got: every layer it could read plus the error that stopped it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Lax<T> {
    pub parsed: T,
    pub error: Option<Error>,
}

/// One field a [`Reader`] handed out while tracing was on (see [`traced`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FieldSpan {
    /// The field's path as the codec names it ("v2_ext.eid_count").
    pub field: &'static str,
    /// Byte offset from the start of the input given to [`traced`].
    pub offset: usize,
    pub len: usize,
    /// The number read, for integer fields; None for byte ranges.
    pub value: Option<u64>,
}

thread_local! {
    /// Whether readers created on this thread record their fields.
    static TRACING: Cell<bool> = const { Cell::new(false) };
    /// Recorded fields; `start` holds each field's address until [`traced`]
    /// turns it into an offset (nested codecs open readers on sub-slices).
    static TRACE: RefCell<Vec<FieldSpan>> = const { RefCell::new(Vec::new()) };
}

/// Runs `parse` over `input` recording every field its readers read, with
/// offsets from the start of `input`. Only readers created inside `parse`
/// on this thread record; outside it, readers do not pay for tracing.
pub fn traced<T>(input: &[u8], parse: impl FnOnce(&[u8]) -> T) -> (T, Vec<FieldSpan>) {
    let was = TRACING.with(|t| t.replace(true));
    let before = TRACE.with(|t| t.borrow().len());
    let out = parse(input);
    TRACING.with(|t| t.set(was));
    let start = input.as_ptr() as usize;
    let spans = TRACE.with(|t| {
        let mut all = t.borrow_mut();
        let keep = before.min(all.len());
        let mine = all.split_off(keep);
        mine.into_iter()
            // A codec that parsed a copy of the input has no place in it.
            .filter_map(|s| {
                let offset = s.offset.checked_sub(start)?;
                (offset + s.len <= input.len()).then_some(FieldSpan { offset, ..s })
            })
            .collect()
    });
    (out, spans)
}

/// A cursor over one message's bytes. Offsets in errors count from the start
/// of the message: a sub-reader reports positions relative to the whole message.
#[derive(Debug, Clone)]
pub struct Reader<'a> {
    layer: Layer,
    message: &'static str,
    /// The bytes not read yet: a read checks one length and splits it.
    rest: &'a [u8],
    /// Offset of the end of `rest` from the start of the message, fixed: a
    /// read moves only `rest`, and the cursor is at `end - rest.len()`.
    end: usize,
    /// Record fields for [`traced`]: fixed when the reader is made, so the
    /// untraced path costs one branch per field.
    tracing: bool,
}

impl<'a> Reader<'a> {
    pub fn new(layer: Layer, message: &'static str, buf: &'a [u8]) -> Self {
        let tracing = TRACING.with(Cell::get);
        Reader {
            layer,
            message,
            rest: buf,
            end: buf.len(),
            tracing,
        }
    }

    /// Records the `len` bytes at the cursor as `field`.
    #[inline]
    fn note(&self, field: &'static str, len: usize, value: Option<u64>) {
        note(self.rest.as_ptr() as usize, field, len, value);
    }

    /// Offset of the next byte from the start of the message.
    pub fn offset(&self) -> usize {
        // `rest` only shrinks from a slice ending at `end`.
        self.end.saturating_sub(self.rest.len())
    }

    pub fn remaining(&self) -> usize {
        self.rest.len()
    }

    pub fn message(&self) -> &'static str {
        self.message
    }

    pub fn layer(&self) -> Layer {
        self.layer
    }

    /// An error about `field` at the current offset.
    pub fn error(&self, field: &'static str, kind: ErrorKind) -> Error {
        Error {
            layer: self.layer,
            message: self.message,
            field,
            offset: self.offset(),
            kind,
        }
    }

    /// An `Invalid` error about a field that started `len` bytes back.
    pub fn invalid(&self, field: &'static str, len: usize, value: u64, reason: Reason) -> Error {
        self.invalid_at(field, self.offset().saturating_sub(len), value, reason)
    }

    /// An `Invalid` error about a field at `offset` from the start of the message.
    pub fn invalid_at(&self, field: &'static str, offset: usize, value: u64, reason: Reason) -> Error {
        Error {
            layer: self.layer,
            message: self.message,
            field,
            offset,
            kind: ErrorKind::Invalid { value, reason },
        }
    }

    #[inline]
    fn need(&self, field: &'static str, n: usize) -> Result<()> {
        if self.remaining() < n {
            return Err(self.truncated(field, n));
        }
        Ok(())
    }

    #[inline]
    fn truncated(&self, field: &'static str, n: usize) -> Error {
        truncated(
            self.layer,
            self.message,
            field,
            self.offset(),
            n,
            self.remaining(),
        )
    }

    #[inline(always)]
    fn take_with<T: Copy + Into<u64>>(
        &mut self,
        field: &'static str,
        n: usize,
        f: impl FnOnce(&'a [u8]) -> nom::IResult<&'a [u8], T, NomErr<'a>>,
    ) -> Result<T> {
        self.need(field, n)?;
        // Exactly `n` bytes: the parser's own length checks fold away.
        let (input, rest) = self.rest.split_at(n);
        match f(input) {
            Ok((_, v)) => {
                if self.tracing {
                    self.note(field, n, Some(v.into()));
                }
                self.rest = rest;
                Ok(v)
            }
            Err(_) => Err(self.truncated(field, n)),
        }
    }

    #[inline]
    pub fn u8(&mut self, field: &'static str) -> Result<u8> {
        self.take_with(field, 1, num::u8)
    }

    #[inline]
    pub fn be_u16(&mut self, field: &'static str) -> Result<u16> {
        self.take_with(field, 2, num::be_u16)
    }

    #[inline]
    pub fn be_u24(&mut self, field: &'static str) -> Result<u32> {
        self.take_with(field, 3, num::be_u24)
    }

    #[inline]
    pub fn be_u32(&mut self, field: &'static str) -> Result<u32> {
        self.take_with(field, 4, num::be_u32)
    }

    #[inline]
    pub fn be_u64(&mut self, field: &'static str) -> Result<u64> {
        self.take_with(field, 8, num::be_u64)
    }

    #[inline]
    pub fn u16_in(&mut self, order: ByteOrder, field: &'static str) -> Result<u16> {
        match order {
            ByteOrder::Big => self.take_with(field, 2, num::be_u16),
            ByteOrder::Little => self.take_with(field, 2, num::le_u16),
        }
    }

    #[inline]
    pub fn u32_in(&mut self, order: ByteOrder, field: &'static str) -> Result<u32> {
        match order {
            ByteOrder::Big => self.take_with(field, 4, num::be_u32),
            ByteOrder::Little => self.take_with(field, 4, num::le_u32),
        }
    }

    #[inline]
    pub fn bytes(&mut self, n: usize, field: &'static str) -> Result<&'a [u8]> {
        self.need(field, n)?;
        if self.tracing {
            self.note(field, n, None);
        }
        // Not nom's take: through it a CLC parse cost 767 -> 856 instructions, an LLC one 350 -> 398.
        let (out, rest) = self.rest.split_at(n);
        self.rest = rest;
        Ok(out)
    }

    #[inline(always)]
    pub fn array<const N: usize>(&mut self, field: &'static str) -> Result<[u8; N]> {
        let mut out = [0u8; N];
        out.copy_from_slice(self.bytes(N, field)?);
        Ok(out)
    }

    // Count-prefixed lists (EIDs, ISM GIDs, IPv6 prefixes, GID lists, rkeys) stay loops in their codecs:
    // through nom's count, LLC reads on s10.pcap cost 773 -> 820 k instructions, read 52.50 -> 52.55 M.

    /// Skip reserved bytes. They are not kept: emit writes zeroes there.
    pub fn skip(&mut self, n: usize, field: &'static str) -> Result<()> {
        self.bytes(n, field).map(|_| ())
    }

    /// The next `n` bytes as a reader of their own, offsets still counted
    /// from the start of the message.
    pub fn sub(&mut self, n: usize, field: &'static str) -> Result<Reader<'a>> {
        let buf = self.bytes(n, field)?;
        Ok(Reader {
            layer: self.layer,
            message: self.message,
            rest: buf,
            end: self.offset(),
            tracing: self.tracing,
        })
    }

    /// Whatever is left.
    pub fn rest(&mut self) -> &'a [u8] {
        if self.tracing && self.remaining() > 0 {
            self.note("unparsed", self.remaining(), None);
        }
        let (out, rest) = self.rest.split_at(self.rest.len());
        self.rest = rest;
        out
    }

    /// For a message whose extent is its input: `read` gets what is left as
    /// a reader of its own named `message` in this reader's layer, nothing
    /// traced for the whole.
    /// Offsets still count from this reader's start, as the fixed offsets a
    /// message's errors name do: read a message from a reader's first byte.
    #[inline(always)]
    pub fn whole<T>(
        &mut self,
        message: &'static str,
        read: impl FnOnce(Reader<'a>) -> Result<T>,
    ) -> Result<T> {
        debug_assert_eq!(self.offset(), 0, "{message} read from inside a reader");
        let (bytes, rest) = self.rest.split_at(self.rest.len());
        self.rest = rest;
        // Made from this one, not with `new`: no second look at the tracing flag.
        read(Reader {
            layer: self.layer,
            message,
            rest: bytes,
            end: self.end,
            tracing: self.tracing,
        })
    }

    /// The bytes not read yet, for a codec that looks ahead by offset; not traced.
    pub fn unread(&self) -> &'a [u8] {
        self.rest
    }

    pub fn peek_u8(&self, at: usize) -> Option<u8> {
        self.rest.get(at).copied()
    }

    /// Fail if bytes are left inside the declared length.
    pub fn finish(&self, field: &'static str) -> Result<()> {
        match self.remaining() {
            0 => Ok(()),
            count => Err(self.error(field, ErrorKind::TrailingBytes { count })),
        }
    }
}

// Out of line, and given values rather than the reader: every field read
// checks for these, almost none hits them, and a reader whose address is
// never taken stays in registers.

/// Records the `len` bytes at address `at` as `field`.
#[cold]
fn note(at: usize, field: &'static str, len: usize, value: Option<u64>) {
    TRACE.with(|t| {
        t.borrow_mut().push(FieldSpan {
            field,
            offset: at,
            len,
            value,
        })
    });
}

/// The error for `needed` bytes of `field` at `offset` where `available` are left.
#[cold]
fn truncated(
    layer: Layer,
    message: &'static str,
    field: &'static str,
    offset: usize,
    needed: usize,
    available: usize,
) -> Error {
    Error {
        layer,
        message,
        field,
        offset,
        kind: ErrorKind::Truncated { needed, available },
    }
}

/// Emitting helpers on the output buffer.
pub trait Put {
    fn put_u8(&mut self, v: u8);
    fn put_be_u16(&mut self, v: u16);
    fn put_be_u24(&mut self, v: u32);
    fn put_be_u32(&mut self, v: u32);
    fn put_be_u64(&mut self, v: u64);
    fn put_u16_in(&mut self, order: ByteOrder, v: u16);
    fn put_u32_in(&mut self, order: ByteOrder, v: u32);
    fn put_bytes(&mut self, v: &[u8]);
    fn put_zeros(&mut self, n: usize);
}

impl Put for Vec<u8> {
    fn put_u8(&mut self, v: u8) {
        self.push(v);
    }
    fn put_be_u16(&mut self, v: u16) {
        self.extend_from_slice(&v.to_be_bytes());
    }
    fn put_be_u24(&mut self, v: u32) {
        self.extend_from_slice(&v.to_be_bytes()[1..]);
    }
    fn put_be_u32(&mut self, v: u32) {
        self.extend_from_slice(&v.to_be_bytes());
    }
    fn put_be_u64(&mut self, v: u64) {
        self.extend_from_slice(&v.to_be_bytes());
    }
    fn put_u16_in(&mut self, order: ByteOrder, v: u16) {
        match order {
            ByteOrder::Big => self.extend_from_slice(&v.to_be_bytes()),
            ByteOrder::Little => self.extend_from_slice(&v.to_le_bytes()),
        }
    }
    fn put_u32_in(&mut self, order: ByteOrder, v: u32) {
        match order {
            ByteOrder::Big => self.extend_from_slice(&v.to_be_bytes()),
            ByteOrder::Little => self.extend_from_slice(&v.to_le_bytes()),
        }
    }
    fn put_bytes(&mut self, v: &[u8]) {
        self.extend_from_slice(v);
    }
    fn put_zeros(&mut self, n: usize) {
        self.resize(self.len() + n, 0);
    }
}
