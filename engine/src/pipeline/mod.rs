//! Frames in, SMC events out: decodes each frame, feeds TCP segments and
//! RoCE packets to reassembly, and parses what reassembly completes with the
//! dissect codecs. Deterministic and sans-IO: tests drive it with made-up frames.

pub mod reassembly;
mod roce;

use crate::frame::{Frame, Timestamp};
use dissect::capture::{self, Carried, DecodeError};
use dissect::cdc::SmcrCdc;
use dissect::clc::ClcMessage;
use dissect::llc::{LlcMessage, SmcrControl};
use dissect::roce::RoceLayers;
use dissect::tree::FieldTree;
use dissect::{Layer, Wire};
use reassembly::{Flow, Framed, Limits, NotClc, QpBreak, Reassembly, TcpEvent, WriteTarget};
use std::fmt;
use std::net::{IpAddr, SocketAddr};

/// Where an event happened.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Endpoints {
    Tcp(Flow),
    /// A RoCE message to queue pair `qp` (addresses are GIDs for RoCEv1).
    Qp {
        src: IpAddr,
        dst: IpAddr,
        qp: u32,
        psns: Psns,
    },
    /// No endpoints: the frame could not be decoded far enough to name them.
    Undecoded,
}

/// The PSNs of the packets a RoCE message spanned, first to last (24 bits:
/// `last` may have wrapped below `first`). An export finds its frames by them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Psns {
    pub first: u32,
    pub last: u32,
}

/// What was found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EventKind {
    /// The SMC option on a SYN or SYN-ACK (or its absence from a SYN-ACK answering one).
    SmcOption {
        syn_ack: bool,
        present: bool,
    },
    Clc(ClcMessage),
    Llc(LlcMessage),
    Cdc(SmcrCdc),
    RdmaWrite {
        target: Option<WriteTarget>,
        bytes: u64,
        packets: u32,
    },
    /// A TCP segment with payload, FIN or RST: sessions count the bytes that
    /// move over TCP and see how a connection ends. Not shown by `read`.
    Segment(Segment),
    /// Bad or cut input: the run goes on.
    Problem(Problem),
}

/// Something in the input that could not be analysed, and why. Its Display
/// says what went wrong, naming the field and byte offset where there is one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Problem {
    /// The frame's own headers (link to transport) could not be decoded.
    Frame(DecodeError),
    /// A TCP option block, RoCE packet, LLC or CDC message failed to parse.
    Parse(dissect::Error),
    /// The CLC message framed at stream `offset` failed to parse.
    Clc { offset: u64, error: dissect::Error },
    /// Bytes at stream `offset` that do not frame as CLC.
    NotClc { offset: u64, reason: NotClc },
    /// A SEND of `len` bytes of which the capture kept `captured`.
    SendCut { captured: usize, len: usize },
    /// Queue-pair reassembly lost the thread of a SEND or WRITE.
    QpBroken { reason: QpBreak },
}

impl Problem {
    /// The protocol layer of the bad or cut input.
    pub fn layer(&self) -> Layer {
        match self {
            Problem::Frame(_) => Layer::Frame,
            Problem::Parse(e) => e.layer,
            Problem::Clc { .. } | Problem::NotClc { .. } => Layer::Clc,
            Problem::SendCut { .. } | Problem::QpBroken { .. } => Layer::Rdma,
        }
    }

    /// The capture cut the bytes (snaplen): incomplete, not malformed. A CLC
    /// message is framed whole before it is parsed, so it is never cut.
    pub fn truncated(&self) -> bool {
        match self {
            Problem::Frame(e) => e.truncated,
            Problem::Parse(e) => e.is_truncated(),
            Problem::SendCut { .. } => true,
            Problem::Clc { .. } | Problem::NotClc { .. } | Problem::QpBroken { .. } => false,
        }
    }

    /// The codec's error, when a message failed to parse: names the field.
    pub fn error(&self) -> Option<&dissect::Error> {
        match self {
            Problem::Parse(error) | Problem::Clc { error, .. } => Some(error),
            _ => None,
        }
    }
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Problem::Frame(e) => e.fmt(f),
            Problem::Parse(e) => e.fmt(f),
            Problem::Clc { offset, error } => write!(f, "stream offset {offset}: {error}"),
            Problem::NotClc { offset, reason } => write!(f, "stream offset {offset}: not CLC: {reason}"),
            Problem::SendCut { captured, len } => {
                write!(f, "SEND cut by snaplen: {captured} of {len} bytes captured")
            }
            Problem::QpBroken { reason } => reason.fmt(f),
        }
    }
}

/// What sessions need of a TCP segment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Segment {
    pub seq: u32,
    /// Payload bytes on the wire (the capture may hold fewer).
    pub len: u32,
    pub syn: bool,
    pub fin: bool,
    pub rst: bool,
}

/// One SMC event, attributed to the frame that completed it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Event {
    pub frame: u64,
    pub time: Timestamp,
    pub at: Endpoints,
    pub kind: EventKind,
    /// The bytes of its CLC, LLC or CDC message (also when they did not
    /// parse), when the pipeline was asked for them ([`Pipeline::with_messages`]).
    /// Boxed: the event stays as small as it was with none.
    pub message: Option<Box<Message>>,
}

/// A message's bytes, kept to show its field tree later: a tree is built
/// only for the message a reader looks at.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Message {
    Clc(Box<[u8]>),
    /// An SMC-R SEND: LLC or CDC.
    Send(Box<[u8]>),
}

impl Message {
    pub fn bytes(&self) -> &[u8] {
        match self {
            Message::Clc(b) | Message::Send(b) => b,
        }
    }

    /// The message's fields with their offsets (as far as it could be read).
    pub fn tree(&self) -> FieldTree {
        match self {
            Message::Clc(b) => dissect::tree::clc(b).1,
            Message::Send(b) => dissect::tree::smcr_send(b).1,
        }
    }
}

/// An event's kind and, when asked for, its message's bytes.
pub(crate) type Found = (EventKind, Option<Box<Message>>);

/// The analysis state of one capture.
#[derive(Debug)]
pub struct Pipeline {
    reassembly: Reassembly,
    /// Frame number and time of the last frame, for what the end of input reveals.
    last: (u64, Timestamp),
    messages: bool,
    /// What reassembly found in one frame (idle state let go, or the events of
    /// a segment), kept to spare an allocation per frame.
    found: Vec<(Flow, TcpEvent)>,
}

impl Default for Pipeline {
    fn default() -> Self {
        Pipeline::new(Limits::default())
    }
}

impl Pipeline {
    pub fn new(limits: Limits) -> Self {
        Pipeline {
            reassembly: Reassembly::new(limits),
            last: (0, Timestamp::default()),
            messages: false,
            found: Vec::new(),
        }
    }

    /// Also give each CLC, LLC and CDC event the bytes of its message.
    pub fn with_messages(mut self) -> Self {
        self.messages = true;
        self
    }

    /// Takes one frame; its events go to `out`.
    pub fn frame<D: AsRef<[u8]>>(&mut self, frame: &Frame<D>, out: &mut Vec<Event>) {
        self.last = (frame.number, frame.time);
        let mut layers = capture::Layers::default();
        capture::decode_into(frame.link, frame.data.as_ref(), frame.orig_len, &mut layers);
        let keep = self.messages;
        let mut emit = |at, (kind, message): Found| {
            out.push(Event {
                frame: frame.number,
                time: frame.time,
                at,
                kind,
                message,
            })
        };
        // Idle state let go before this frame: what waited there shows now.
        self.reassembly.advance(frame.time.secs, &mut self.found);
        if !self.found.is_empty() {
            for (flow, event) in self.found.drain(..) {
                emit(Endpoints::Tcp(flow), tcp_event(event, keep));
            }
        }
        if let Some(e) = &layers.error {
            emit(
                Endpoints::Undecoded,
                (EventKind::Problem(Problem::Frame(e.clone())), None),
            );
        }
        match (&layers.carried, &layers.ip) {
            (Carried::Tcp(seg), Some(ip)) => {
                let mut smc_option = false;
                if seg.syn {
                    match dissect::tcp_option::find_smc_option(seg.options) {
                        Ok(found) => smc_option = found.is_some(),
                        Err(e) => emit(Endpoints::Undecoded, (problem(e), None)),
                    }
                }
                self.reassembly.tcp(ip, seg, smc_option, &mut self.found);
                for (flow, event) in self.found.drain(..) {
                    emit(Endpoints::Tcp(flow), tcp_event(event, keep));
                }
                if !seg.payload.is_empty() || seg.fin || seg.rst {
                    let flow = Flow {
                        src: SocketAddr::new(ip.src, seg.src_port),
                        dst: SocketAddr::new(ip.dst, seg.dst_port),
                    };
                    let segment = Segment {
                        seq: seg.seq,
                        len: seg.payload.len() as u32,
                        syn: seg.syn,
                        fin: seg.fin,
                        rst: seg.rst,
                    };
                    emit(Endpoints::Tcp(flow), (EventKind::Segment(segment), None));
                }
            }
            (Carried::RoceV2 { bytes, wire_len }, Some(ip)) => {
                let mut packet = RoceLayers::default();
                let bth = dissect::roce::parse_v2_into(bytes, *wire_len, &mut packet);
                roce::packet(&mut self.reassembly, bth, &packet, Some(ip), keep, &mut emit);
            }
            (Carried::RoceV1 { bytes, wire_len }, _) => {
                let mut packet = RoceLayers::default();
                let bth = dissect::roce::parse_v1_into(bytes, *wire_len, &mut packet);
                roce::packet(&mut self.reassembly, bth, &packet, None, keep, &mut emit);
            }
            _ => {}
        }
    }

    /// End of input: what waited behind gaps, and messages left cut.
    pub fn finish(&mut self, out: &mut Vec<Event>) {
        let (frame, time) = self.last;
        let mut found = Vec::new();
        self.reassembly.finish(&mut found);
        for (flow, event) in found {
            let (kind, message) = tcp_event(event, self.messages);
            out.push(Event {
                frame,
                time,
                at: Endpoints::Tcp(flow),
                kind,
                message,
            });
        }
    }

    /// What reassembly dropped for its caps, or skipped as duplicate.
    pub fn drops(&self) -> reassembly::Drops {
        self.reassembly.drops()
    }

    /// What reassembly holds now (for checks against its limits).
    pub fn reassembly(&self) -> &Reassembly {
        &self.reassembly
    }
}

fn tcp_event(event: TcpEvent, keep: bool) -> Found {
    match event {
        TcpEvent::SmcOption { syn_ack, present } => (EventKind::SmcOption { syn_ack, present }, None),
        TcpEvent::Framed(Framed::Clc(record)) => clc_found(keep, record.bytes, record.offset),
        TcpEvent::Framed(Framed::Garbage { offset, reason }) => {
            (EventKind::Problem(Problem::NotClc { offset, reason }), None)
        }
    }
}

/// A framed CLC message at stream `offset`: parsed, or the error naming the field.
pub fn clc_event(bytes: &[u8], offset: u64) -> EventKind {
    clc_parsed(bytes, offset)
}

/// `keep`: the bytes go into the event (moved, not copied).
fn clc_found(keep: bool, bytes: Vec<u8>, offset: u64) -> Found {
    let kind = clc_parsed(&bytes, offset);
    (
        kind,
        keep.then(|| Box::new(Message::Clc(bytes.into_boxed_slice()))),
    )
}

fn clc_parsed(bytes: &[u8], offset: u64) -> EventKind {
    match ClcMessage::parse(bytes) {
        Ok(m) => EventKind::Clc(m),
        Err(error) => EventKind::Problem(Problem::Clc { offset, error }),
    }
}

/// An SMC-R SEND payload: LLC or CDC, and its bytes when `keep` asks for them.
pub(crate) fn smcr_send(keep: bool, bytes: &[u8]) -> (dissect::Result<SmcrControl>, Option<Box<Message>>) {
    let message = keep.then(|| Box::new(Message::Send(bytes.into())));
    (dissect::llc::parse_send(bytes), message)
}

/// A message that failed to parse. Out of line: most parse, and building the
/// problem in place would weigh on the path that does.
#[cold]
#[inline(never)]
fn problem(e: dissect::Error) -> EventKind {
    EventKind::Problem(Problem::Parse(e))
}
