//! A hasher for maps keyed by ids the server draws itself.

use std::hash::{BuildHasherDefault, Hasher};

/// Hashes by folding the bytes, a word at a time. Key ids are 128 bits from the OS RNG, drawn by the
/// server, so nobody can choose colliding ones: SipHash's flood resistance buys nothing on the verify
/// path's maps (usage counts, rate slots), where it cost more than the rest of their work.
///
/// Only for maps whose keys are such ids (or tuples led by one): a map keyed by what a caller sends
/// keeps the standard hasher.
#[derive(Debug, Default, Clone, Copy)]
pub struct IdHasher(u64);

/// [`IdHasher`] as a `HashMap`'s `S`.
pub type BuildIdHasher = BuildHasherDefault<IdHasher>;

impl Hasher for IdHasher {
    fn write(&mut self, bytes: &[u8]) {
        for chunk in bytes.chunks(8) {
            let mut word = [0u8; 8];
            word[..chunk.len()].copy_from_slice(chunk);
            self.0 = (self.0.rotate_left(5) ^ u64::from_le_bytes(word)).wrapping_mul(0x517c_c1b7_2722_0a95);
        }
    }

    fn finish(&self) -> u64 {
        self.0
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;
    use std::hash::BuildHasher;

    use super::*;
    use crate::KeyId;

    #[test]
    fn random_ids_spread_over_buckets() {
        let build = BuildIdHasher::default();
        // The low bits pick a bucket in hashbrown (the top seven pick the group tag): 10,000 random ids
        // over 1,024 buckets leave none empty and none with more than a few dozen.
        let mut counts = [0u32; 1024];
        let mut seen = HashSet::new();
        for n in 0..10_000u32 {
            let mut bytes = [0u8; 16];
            bytes[..4].copy_from_slice(&n.wrapping_mul(2_654_435_761).to_le_bytes());
            bytes[12..].copy_from_slice(&n.to_be_bytes());
            let hash = build.hash_one(KeyId::from_bytes(bytes));
            seen.insert(hash);
            counts[usize::try_from(hash % 1024).unwrap_or(0)] += 1;
        }
        assert_eq!(seen.len(), 10_000, "distinct ids, distinct hashes");
        assert!(counts.iter().all(|&c| c > 0 && c < 40), "{:?}", counts.iter().max());
    }
}
