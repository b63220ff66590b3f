//! The 256 secret bits of a token.

use std::fmt;

use zeroize::{Zeroize, ZeroizeOnDrop};

/// 32 bytes from the OS RNG. No `Display`, a `Debug` that shows nothing, wiped on drop.
#[derive(Clone, Zeroize, ZeroizeOnDrop)]
pub struct Secret([u8; 32]);

impl Secret {
    /// Wraps bytes the caller drew from a cryptographic RNG.
    pub fn from_bytes(bytes: [u8; 32]) -> Self {
        Self(bytes)
    }

    /// The bytes, for hashing.
    pub fn expose(&self) -> &[u8; 32] {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(<redacted>)")
    }
}
