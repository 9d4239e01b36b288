//! Raw CLC codes with the protocol's names (Linux net/smc/smc_clc.h, smc.h).

use crate::named_values;

named_values! {
    /// The 4-byte eyecatcher at the start and end of every CLC message (EBCDIC).
    pub struct Eyecatcher(u32) {
        SMCR = 0xE2D4_C3D9 => "SMCR",
        SMCD = 0xE2D4_C3C4 => "SMCD",
    }
}

impl Eyecatcher {
    /// Linux accepts either eyecatcher in the header and the trailer.
    pub fn is_valid(self) -> bool {
        self == Self::SMCR || self == Self::SMCD
    }
}

named_values! {
    /// Header byte 4.
    pub struct ClcType(u8) {
        PROPOSAL = 1 => "Proposal",
        ACCEPT = 2 => "Accept",
        CONFIRM = 3 => "Confirm",
        DECLINE = 4 => "Decline",
    }
}

named_values! {
    /// A 2-bit `typev1` / `typev2` field: which SMC variants a peer offers or chose.
    pub struct Path(u8) {
        R = 0 => "R",
        D = 1 => "D",
        N = 2 => "N",
        B = 3 => "B",
    }
}

impl Path {
    pub fn has_r(self) -> bool {
        self == Self::R || self == Self::B
    }
    pub fn has_d(self) -> bool {
        self == Self::D || self == Self::B
    }
    pub fn is_none(self) -> bool {
        self == Self::N
    }
}

named_values! {
    /// High nibble of First Contact Extension byte 1 and of Decline byte 20.
    pub struct OsType(u8) {
        ZOS = 1 => "z/OS",
        LINUX = 2 => "Linux",
        AIX = 3 => "AIX",
        UNKNOWN = 15 => "unknown",
    }
}

named_values! {
    /// SMC release (v2 extension flags, First Contact Extension).
    pub struct Release(u8) {
        V2_0 = 0 => "v2.0",
        V2_1 = 1 => "v2.1",
    }
}

named_values! {
    /// Supplemental feature bits (SMCv2.1): v2 extension and First Contact Extension.
    pub struct FeatureMask(u16) {
        NONE = 0 => "none",
        EMULATED_ISM = 0x0001 => "emulated-ISM",
    }
}

crate::flag_bits!(FeatureMask);

named_values! {
    /// Decline peer diagnosis. Where a later kernel reused an older value, the
    /// current name comes first (it wins in `name()`).
    pub struct DeclineDiagnosis(u32) {
        MEM = 0x0101_0000 => "MEM",
        TIMEOUT_CL = 0x0201_0000 => "TIMEOUT_CL",
        TIMEOUT_AL = 0x0202_0000 => "TIMEOUT_AL",
        CNFERR = 0x0300_0000 => "CNFERR",
        PEERNOSMC = 0x0301_0000 => "PEERNOSMC",
        IPSEC = 0x0302_0000 => "IPSEC",
        NOSMCDEV = 0x0303_0000 => "NOSMCDEV",
        NOSMCDDEV = 0x0303_0001 => "NOSMCDDEV",
        NOSMCRDEV = 0x0303_0002 => "NOSMCRDEV",
        NOISM2SUPP = 0x0303_0003 => "NOISM2SUPP",
        NOV2EXT = 0x0303_0004 => "NOV2EXT",
        NOV2DEXT = 0x0303_0005 => "NOV2DEXT",
        NOSEID = 0x0303_0006 => "NOSEID",
        NOSMCD2DEV = 0x0303_0007 => "NOSMCD2DEV",
        NOUEID = 0x0303_0008 => "NOUEID",
        RELEASEERR = 0x0303_0009 => "RELEASEERR",
        MAXCONNERR = 0x0303_000a => "MAXCONNERR",
        MAXLINKERR = 0x0303_000b => "MAXLINKERR",
        MODEUNSUPP = 0x0304_0000 => "MODEUNSUPP",
        RMBE_EC = 0x0305_0000 => "RMBE_EC",
        OPTUNSUPP = 0x0306_0000 => "OPTUNSUPP",
        DIFFPREFIX = 0x0307_0000 => "DIFFPREFIX",
        GETVLANERR = 0x0308_0000 => "GETVLANERR",
        ISMVLANERR = 0x0309_0000 => "ISMVLANERR",
        NOACTLINK = 0x030a_0000 => "NOACTLINK",
        NOSRVLINK = 0x030b_0000 => "NOSRVLINK",
        VERSMISMAT = 0x030c_0000 => "VERSMISMAT",
        MAX_DMB = 0x030d_0000 => "MAX_DMB",
        NOROUTE = 0x030e_0000 => "NOROUTE",
        NOINDIRECT = 0x030f_0000 => "NOINDIRECT",
        SYNCERR = 0x0400_0000 => "SYNCERR",
        PEERDECL = 0x0500_0000 => "PEERDECL",
        INTERR = 0x0999_0000 => "INTERR",
        ERR_RTOK = 0x0999_0001 => "ERR_RTOK",
        ERR_RDYLNK = 0x0999_0002 => "ERR_RDYLNK",
        ERR_REGBUF = 0x0999_0003 => "ERR_REGBUF",
        // Sent by older kernels.
        LEGACY_TIMEOUT = 0x0200_0000 => "TIMEOUT (legacy)",
        LEGACY_TCL = 0x0204_0000 => "TCL (legacy)",
        LEGACY_REPLY = 0x0600_0000 => "REPLY (legacy)",
        LEGACY_SEND = 0x0700_0000 => "SEND (legacy)",
        LEGACY_INTERR = 0x9999_0000 => "INTERR (legacy)",
        LEGACY_ERR_RTOK = 0x9999_0001 => "ERR_RTOK (legacy)",
        LEGACY_ERR_RDYLNK = 0x9999_0002 => "ERR_RDYLNK (legacy)",
        LEGACY_ERR_REGRMB = 0x9999_0003 => "ERR_REGRMB (legacy)",
        LEGACY_IPSEC = 0x0303_0000 => "IPSEC (legacy)",
        LEGACY_SMCDNOTALK = 0x0303_0003 => "SMCDNOTALK (legacy)",
    }
}
