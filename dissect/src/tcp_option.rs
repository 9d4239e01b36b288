//! The SMC capability option on TCP SYN and SYN-ACK: an experimental option
//! (kind 254, RFC 6994) of length 6 whose ExID is `E2 D4 C3 D9` ("SMCR" in
//! EBCDIC). Linux writes it 4-byte aligned behind two NOPs
//! (`01 01 FE 06 E2 D4 C3 D9`); a BPF-written variant puts the NOPs after it.
//! Linux accepts it only with length exactly 6 (`TCPOLEN_EXP_SMC_BASE`).

use crate::error::{Error, ErrorKind, Layer, Reason, Result};
use crate::wire::{Put, Reader, Wire};

/// Option kind for experiments sharing one kind through an ExID (`TCPOPT_EXP`).
pub const KIND_EXPERIMENTAL: u8 = 254;
/// The SMC ExID (`TCPOPT_SMC_MAGIC`).
pub const SMC_EXID: u32 = 0xE2D4_C3D9;
/// Length of the SMC option, kind and length bytes included.
pub const SMC_OPTION_LEN: u8 = 6;
/// The option as Linux puts it in the header: two NOPs, then the option.
pub const LINUX_FORM: [u8; 8] = [0x01, 0x01, 0xFE, 0x06, 0xE2, 0xD4, 0xC3, 0xD9];

const KIND_EOL: u8 = 0;
const KIND_NOP: u8 = 1;
const BLOCK: &str = "TCP options";

/// The SMC capability option. It has no variable content: its presence on
/// both SYN and SYN-ACK is what lets the connection try SMC.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct SmcOption;

impl Wire for SmcOption {
    const NAME: &'static str = "TCP SMC option";
    const LAYER: Layer = Layer::TcpOption;
    const END: &'static str = "exid";

    fn read(r: &mut Reader<'_>, _: ()) -> Result<Self> {
        let kind = r.u8("kind")?;
        if kind != KIND_EXPERIMENTAL {
            return Err(r.invalid("kind", 1, kind.into(), Reason::SmcOptionKind));
        }
        let len = r.u8("length")?;
        if len != SMC_OPTION_LEN {
            return Err(r.invalid("length", 1, len.into(), Reason::SmcOptionLength));
        }
        let exid = r.be_u32("exid")?;
        if exid != SMC_EXID {
            return Err(r.invalid("exid", 4, exid.into(), Reason::SmcOptionExid));
        }
        Ok(SmcOption)
    }

    fn write(&self, out: &mut Vec<u8>, _: ()) {
        out.put_u8(KIND_EXPERIMENTAL);
        out.put_u8(SMC_OPTION_LEN);
        out.put_be_u32(SMC_EXID);
    }

    fn wire_len(&self) -> usize {
        SMC_OPTION_LEN.into()
    }
}

/// One option of a TCP options block. NOP and EOL have no length byte and
/// empty `data`; `offset` counts from the start of the block.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TcpOption<'a> {
    pub offset: usize,
    pub kind: u8,
    pub data: &'a [u8],
}

impl TcpOption<'_> {
    /// True for the SMC option as Linux recognises it.
    pub fn is_smc(&self) -> bool {
        self.kind == KIND_EXPERIMENTAL && self.data == SMC_EXID.to_be_bytes()
    }
}

/// Walks a TCP options block (the bytes after the 20-byte TCP header, up to
/// the data offset). Stops after EOL; a malformed option yields one error
/// naming its offset, then the walk ends.
#[derive(Debug, Clone)]
pub struct TcpOptions<'a> {
    r: Reader<'a>,
    done: bool,
}

/// Iterate over the options in `block`.
pub fn options(block: &[u8]) -> TcpOptions<'_> {
    TcpOptions {
        r: Reader::new(Layer::TcpOption, BLOCK, block),
        done: false,
    }
}

impl<'a> TcpOptions<'a> {
    #[inline(always)]
    fn next_option(&mut self) -> Result<Option<TcpOption<'a>>> {
        if self.r.remaining() == 0 {
            return Ok(None);
        }
        let offset = self.r.offset();
        let kind = self.r.u8("option.kind")?;
        if kind == KIND_EOL || kind == KIND_NOP {
            self.done = kind == KIND_EOL;
            return Ok(Some(TcpOption {
                offset,
                kind,
                data: &[],
            }));
        }
        let len = self.r.u8("option.length")?;
        if len < 2 {
            return Err(self
                .r
                .invalid("option.length", 1, len.into(), Reason::OptionLength));
        }
        let body = usize::from(len) - 2;
        if self.r.remaining() < body {
            let kind = ErrorKind::LengthMismatch {
                declared: len.into(),
                expected: 2 + self.r.remaining(),
            };
            return Err(Error {
                offset: offset + 1,
                ..self.r.error("option.length", kind)
            });
        }
        let data = self.r.bytes(body, "option.data")?;
        Ok(Some(TcpOption { offset, kind, data }))
    }
}

impl<'a> Iterator for TcpOptions<'a> {
    type Item = Result<TcpOption<'a>>;

    #[inline]
    fn next(&mut self) -> Option<Self::Item> {
        if self.done {
            return None;
        }
        let item = self.next_option().transpose();
        if matches!(item, Some(Err(_))) {
            self.done = true;
        }
        item
    }
}

/// Offset of the SMC option inside a TCP options block, if present.
/// The whole block is checked, so a malformed block is an error even when
/// the SMC option came before the damage.
pub fn find_smc_option(block: &[u8]) -> Result<Option<usize>> {
    let mut found = None;
    for option in options(block) {
        let option = option?;
        if found.is_none() && option.is_smc() {
            found = Some(option.offset);
        }
    }
    Ok(found)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ErrorKind;
    use crate::gen::hex;
    use crate::gen::tcp_option::other_option;
    use crate::oracle::{check_canonical, check_prefixes_rejected, check_reencode};
    use proptest::prelude::*;

    /// Options of real Linux 6.12 SYN / SYN-ACKs (lab capture
    /// corpora/real/smcr-v2-echo.pcapng frames 4 and 5, plain-tcp-server
    /// frame 4): MSS, SACK permitted, timestamps, NOP, window scale 7, then
    /// the SMC option behind its two NOPs, or nothing from a non-SMC server.
    const SYN: &str = "020405b40402080ab9a2a2ed00000000010303070101fe06e2d4c3d9";
    const SYNACK: &str = "020405b40402080a5abbf283b9a2a2ed010303070101fe06e2d4c3d9";
    const PLAIN_SYNACK: &str = "020405b40402080a5ec2988c073e9d5601030307";

    #[test]
    fn smc_option_vector() {
        let bytes = &LINUX_FORM[2..];
        check_canonical::<SmcOption>(bytes);
        check_prefixes_rejected::<SmcOption>(bytes);
    }

    #[test]
    fn finds_option_in_real_handshake() {
        for block in [hex(SYN), hex(SYNACK)] {
            assert_eq!(find_smc_option(&block), Ok(Some(block.len() - 6)));
            assert!(block.ends_with(&LINUX_FORM));
        }
        assert_eq!(find_smc_option(&hex(PLAIN_SYNACK)), Ok(None));
        let kinds: Vec<u8> = options(&hex(SYN)).map(|o| o.unwrap().kind).collect();
        assert_eq!(kinds, [2, 4, 8, 1, 3, 1, 1, 254]);
    }

    #[test]
    fn finds_option_with_trailing_nops() {
        let block = hex("fe06e2d4c3d9 0101");
        assert_eq!(find_smc_option(&block), Ok(Some(0)));
    }

    #[test]
    fn other_experiments_are_not_smc() {
        // TCP Fast Open under kind 254 (ExID F989), and an SMC ExID with a wrong length.
        assert_eq!(find_smc_option(&hex("fe04f989 0101")), Ok(None));
        assert_eq!(find_smc_option(&hex("fe08e2d4c3d90000")), Ok(None));
        let e = SmcOption::parse(&hex("fe08e2d4c3d90000")).unwrap_err();
        assert_eq!((e.field, e.offset), ("length", 1));
    }

    #[test]
    fn eol_ends_the_walk() {
        assert_eq!(find_smc_option(&hex("00 fe06e2d4c3d9 ff")), Ok(None));
    }

    #[test]
    fn malformed_blocks_name_the_offset() {
        let e = find_smc_option(&hex("0101 0801 0000")).unwrap_err();
        assert_eq!((e.field, e.offset), ("option.length", 3));
        assert!(matches!(e.kind, ErrorKind::Invalid { value: 1, .. }));

        let e = find_smc_option(&hex("fe06e2d4c3d9 080a0000")).unwrap_err();
        assert_eq!((e.field, e.offset), ("option.length", 7));
        assert_eq!(
            e.kind,
            ErrorKind::LengthMismatch {
                declared: 10,
                expected: 4
            }
        );

        let e = find_smc_option(&hex("010101 02")).unwrap_err();
        assert_eq!((e.field, e.offset), ("option.length", 4));
        assert!(e.is_truncated());
    }

    #[test]
    fn smc_option_errors_name_the_field() {
        let e = SmcOption::parse(&hex("fe06e2d4c3c4")).unwrap_err();
        assert_eq!((e.field, e.offset), ("exid", 2));
        let e = SmcOption::parse(&hex("fd06e2d4c3d9")).unwrap_err();
        assert_eq!((e.field, e.offset), ("kind", 0));
    }

    proptest! {
        #[test]
        fn any_six_bytes_reencode(bytes in proptest::array::uniform6(any::<u8>())) {
            if let Some(opt) = check_reencode::<SmcOption>(&bytes) {
                prop_assert_eq!(opt.to_bytes(), bytes.to_vec());
            }
        }

        #[test]
        fn smc_option_found_where_placed(
            before in proptest::collection::vec(other_option(), 0..5),
            after in proptest::collection::vec(other_option(), 0..5),
        ) {
            let mut block: Vec<u8> = before.concat();
            let at = block.len();
            SmcOption.emit(&mut block);
            block.extend(after.concat());
            prop_assert_eq!(find_smc_option(&block), Ok(Some(at)));
        }

        #[test]
        fn walking_never_panics(block in proptest::collection::vec(any::<u8>(), 0..40)) {
            let _ = find_smc_option(&block);
        }
    }
}
