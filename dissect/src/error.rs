//! Errors that name the message, the field and the byte offset where parsing stopped.

use core::fmt;

/// The protocol layer an error belongs to: which codec stopped, named as the
/// JSON output names protocols (`read --json`'s `proto`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Layer {
    /// The frame's own headers, link to transport (Ethernet, SLL2, InfiniBand
    /// LRH, VLAN, IP, TCP, UDP): what `capture::decode` reads.
    Frame,
    /// The TCP options of a SYN or SYN-ACK, where the SMC option is.
    TcpOption,
    Clc,
    Llc,
    Cdc,
    /// RDMA over Converged Ethernet: the InfiniBand transport headers (GRH,
    /// BTH and its extensions, ICRC) and the SENDs and WRITEs they carry.
    Rdma,
}

impl Layer {
    /// The layer's name in `read` output ("tcp_option", "clc").
    pub fn name(self) -> &'static str {
        match self {
            Layer::Frame => "frame",
            Layer::TcpOption => "tcp_option",
            Layer::Clc => "clc",
            Layer::Llc => "llc",
            Layer::Cdc => "cdc",
            Layer::Rdma => "rdma",
        }
    }
}

impl fmt::Display for Layer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The protocol rule an invalid value breaks, one per check the codecs make.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Reason {
    // TCP options
    /// An option's length byte covers at least its kind and length bytes.
    OptionLength,
    /// The SMC option is the experimental option, kind 254.
    SmcOptionKind,
    /// Linux takes the SMC option only with length 6.
    SmcOptionLength,
    /// The SMC option's ExID is E2D4C3D9 ("SMC" in EBCDIC).
    SmcOptionExid,
    // CLC
    /// A CLC header starts with the eyecatcher SMCR or SMCD.
    Eyecatcher,
    /// Linux rejects CLC version 0.
    ClcVersion,
    /// A CLC message is at least a header and a trailer long.
    ShorterThanHeaderAndTrailer,
    /// Each CLC type has a minimum length (the framer's check).
    BelowTypeMinimum,
    /// Linux checks the trailer eyecatcher of every message but Decline.
    Trailer,
    /// A Proposal parser was handed another CLC type.
    NotAProposal,
    /// An Accept/Confirm parser was handed another CLC type.
    NotAcceptOrConfirm,
    /// A Decline parser was handed another CLC type.
    NotADecline,
    /// A v1 Proposal offers at least one path in typev1.
    V1ProposalOffersNothing,
    /// iparea_offset reaches at most past the SMC-D area (Linux: > 40 is rejected).
    IpareaOffsetBeyondSmcdArea,
    /// An offset locates an area the message's body does not reach.
    LocatedPastBody,
    /// At most 8 IPv6 prefixes.
    TooManyIpv6Prefixes,
    /// A v2 Proposal offering v2 has a v2 extension (v2_ext_offset neither 0 nor beyond 172).
    NoV2Extension,
    /// At most 8 EIDs.
    TooManyEids,
    /// At most 8 ISM GIDs.
    TooManyIsmGids,
    /// Areas placed other than back to back: Linux may take it, the codec does not model it.
    AreaPlacementNotModelled,
    /// An Accept/Confirm's typev1 is R or D.
    NeitherRNorD,
    /// A first contact Accept/Confirm has room for its First Contact Extension.
    NoRoomForFce,
    /// The GID list count fits the length after a 36- or a 52-byte First Contact Extension.
    GidListCount,
    // LLC
    /// An LLC v1 message is 44 bytes.
    LlcV1Length,
    /// An LLC v2 length is 44 to 8192 bytes.
    LlcV2Length,
    /// An LLC parser was handed another message type.
    NotTheLlcTypeParsed,
    // CDC
    /// A CDC message's type byte is 0xFE.
    CdcType,
    /// An SMC-R CDC message is 44 bytes.
    SmcrCdcLength,
    // RoCE
    /// A GRH's IPVer is 6.
    GrhIpVersion,
    /// RoCEv2 runs over IPv4 or IPv6 (the ICRC covers either).
    RoceIpVersion,
    /// A packet is at least as long on the wire as the bytes captured of it.
    WireLenShorterThanCaptured,
}

impl Reason {
    /// What the value breaks, in the words errors show.
    pub fn text(self) -> &'static str {
        match self {
            Reason::OptionLength => "an option length covers kind and length",
            Reason::SmcOptionKind => "not the experimental option kind 254",
            Reason::SmcOptionLength => "Linux accepts the SMC option only with length 6",
            Reason::SmcOptionExid => "not the SMC ExID E2D4C3D9",
            Reason::Eyecatcher | Reason::Trailer => "neither SMCR nor SMCD",
            Reason::ClcVersion => "Linux rejects version 0",
            Reason::ShorterThanHeaderAndTrailer => "shorter than header and trailer",
            Reason::BelowTypeMinimum => "below the minimum for its type",
            Reason::NotAProposal => "not a Proposal",
            Reason::NotAcceptOrConfirm => "neither Accept nor Confirm",
            Reason::NotADecline => "not a Decline",
            Reason::V1ProposalOffersNothing => "a v1 Proposal offering nothing",
            Reason::IpareaOffsetBeyondSmcdArea => "beyond the SMC-D area (Linux: > 40)",
            Reason::LocatedPastBody => "located past the end of the body",
            Reason::TooManyIpv6Prefixes => "more than 8 IPv6 prefixes",
            Reason::NoV2Extension => "v2 offered without a v2 extension (0 or beyond 172)",
            Reason::TooManyEids => "more than 8 EIDs",
            Reason::TooManyIsmGids => "more than 8 ISM GIDs",
            Reason::AreaPlacementNotModelled => {
                "area placement other than back to back (what every peer sends) is not modelled"
            }
            Reason::NeitherRNorD => "neither R nor D",
            Reason::NoRoomForFce => "first contact but no room for a First Contact Extension",
            Reason::GidListCount => {
                "matches the length after neither a 36- nor a 52-byte First Contact Extension"
            }
            Reason::LlcV1Length => "a v1 LLC message is 44 bytes",
            Reason::LlcV2Length => "v2 LLC length outside 44..8192 in either byte order",
            Reason::NotTheLlcTypeParsed => "not the message type parsed",
            Reason::CdcType => "CDC type is 0xFE",
            Reason::SmcrCdcLength => "SMC-R CDC length is 44",
            Reason::GrhIpVersion => "a GRH has IPVer 6",
            Reason::RoceIpVersion => "RoCEv2 runs over IPv4 or IPv6",
            Reason::WireLenShorterThanCaptured => "the wire length is shorter than the bytes captured",
        }
    }
}

impl fmt::Display for Reason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.text())
    }
}

/// Why a message could not be parsed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    /// The input ended before the field did. For a frame cut by the capture's
    /// snaplen this is the expected outcome, not a malformed message.
    Truncated { needed: usize, available: usize },
    /// The field holds a value the protocol does not allow.
    Invalid { value: u64, reason: Reason },
    /// Bytes are left over inside the declared length after the last field.
    TrailingBytes { count: usize },
    /// A declared length disagrees with the length the content needs.
    LengthMismatch { declared: usize, expected: usize },
}

/// A parse error: which layer and message, which field, at which byte of the message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Error {
    pub layer: Layer,
    /// The message being parsed, in the protocol's words ("CLC Proposal").
    pub message: &'static str,
    /// The field being read ("v2_ext.eid_count").
    pub field: &'static str,
    /// Byte offset of the field from the start of the message.
    pub offset: usize,
    pub kind: ErrorKind,
}

impl Error {
    /// True when more input would have let parsing go on (a cut frame or a
    /// message still arriving on a stream), as opposed to a malformed one.
    pub fn is_truncated(&self) -> bool {
        matches!(self.kind, ErrorKind::Truncated { .. })
    }

    /// The same error seen from an enclosing message: `offset` is where the
    /// inner message starts inside the outer one.
    pub fn within(self, message: &'static str, offset: usize) -> Self {
        Error {
            message,
            offset: self.offset + offset,
            ..self
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}: field {} at byte {}: ",
            self.message, self.field, self.offset
        )?;
        match self.kind {
            ErrorKind::Truncated { needed, available } => {
                write!(f, "truncated (needs {needed} bytes, {available} left)")
            }
            ErrorKind::Invalid { value, reason } => write!(f, "invalid value {value:#x}: {reason}"),
            ErrorKind::TrailingBytes { count } => {
                write!(f, "{count} trailing bytes inside the declared length")
            }
            ErrorKind::LengthMismatch { declared, expected } => {
                write!(f, "declared length {declared} but the content needs {expected}")
            }
        }
    }
}

impl std::error::Error for Error {}

pub type Result<T> = core::result::Result<T, Error>;
