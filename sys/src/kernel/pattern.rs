//! Payload patterns for test traffic, computed at any offset so a large
//! transfer and its echo can be produced and checked without storing them.

use std::str::FromStr;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pattern {
    /// All zero bytes.
    Zero,
    /// Byte i is i mod 256: a shifted or lost chunk shows at once.
    Seq,
    /// splitmix64 of (seed + i / 8): random-looking, yet addressable by offset.
    Random { seed: u64 },
}

/// A fixed default seed keeps runs reproducible and captures comparable.
pub const DEFAULT_SEED: u64 = 0x534d_4352; // "SMCR"

impl FromStr for Pattern {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "zero" => Ok(Pattern::Zero),
            "seq" => Ok(Pattern::Seq),
            "random" => Ok(Pattern::Random { seed: DEFAULT_SEED }),
            other => Err(format!(
                "unknown pattern {other:?} (expected zero, seq or random)"
            )),
        }
    }
}

fn splitmix64(x: u64) -> u64 {
    let mut z = x.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

impl Pattern {
    /// The byte at stream offset `at`.
    pub fn byte(&self, at: u64) -> u8 {
        match self {
            Pattern::Zero => 0,
            Pattern::Seq => at as u8,
            Pattern::Random { seed } => {
                splitmix64(seed.wrapping_add(at / 8)).to_le_bytes()[(at % 8) as usize]
            }
        }
    }

    /// Fills `buf` with the stream starting at offset `at`.
    pub fn fill(&self, at: u64, buf: &mut [u8]) {
        for (i, b) in buf.iter_mut().enumerate() {
            *b = self.byte(at + i as u64);
        }
    }

    /// Offset (within `buf`) of the first byte that differs from the stream at `at`.
    pub fn first_mismatch(&self, at: u64, buf: &[u8]) -> Option<usize> {
        buf.iter()
            .enumerate()
            .position(|(i, &b)| b != self.byte(at + i as u64))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seq_wraps_at_256() {
        let mut b = [0xa5; 300];
        Pattern::Seq.fill(0, &mut b);
        assert_eq!(&b[..3], &[0, 1, 2]);
        assert_eq!(b[255], 255);
        assert_eq!(b[256], 0);
        assert_eq!(b[299], 43);
    }

    #[test]
    fn chunks_join_to_the_whole_stream() {
        for p in [Pattern::Zero, Pattern::Seq, Pattern::Random { seed: 9 }] {
            let mut whole = [0u8; 1000];
            p.fill(0, &mut whole);
            let mut parts = [0u8; 1000];
            let (a, b) = parts.split_at_mut(333);
            p.fill(0, a);
            p.fill(333, b);
            assert_eq!(whole, parts, "{p:?}");
            assert_eq!(p.first_mismatch(0, &whole), None);
        }
    }

    #[test]
    fn random_depends_on_seed_and_is_not_constant() {
        let (mut a, mut b) = ([0u8; 64], [0u8; 64]);
        Pattern::Random { seed: 1 }.fill(0, &mut a);
        Pattern::Random { seed: 2 }.fill(0, &mut b);
        assert_ne!(a, b);
        assert!(a.iter().any(|&x| x != a[0]));
        let mut again = [0u8; 64];
        Pattern::Random { seed: 1 }.fill(0, &mut again);
        assert_eq!(a, again);
    }

    #[test]
    fn mismatch_is_located() {
        let mut b = [0u8; 50];
        Pattern::Seq.fill(100, &mut b);
        b[17] ^= 1;
        assert_eq!(Pattern::Seq.first_mismatch(100, &b), Some(17));
        assert_eq!("seq".parse::<Pattern>(), Ok(Pattern::Seq));
        assert!("ones".parse::<Pattern>().is_err());
    }
}
