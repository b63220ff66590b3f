//! What the store keeps instead of the secret.
//!
//! A fast hash is the right tool here, unlike for passwords: the secret is 256 bits from the OS RNG,
//! so there is no dictionary to try and a brute force needs 2^255 guesses on average whatever the
//! hash costs. A slow hash (argon2, bcrypt) would only slow every verification down. With a pepper
//! (a server-side key kept out of the database) the hash is HMAC-SHA256, so a stolen database alone
//! cannot even confirm a guessed token; without one it is SHA-256. The key id is hashed with the
//! secret, binding each hash to its key.

use std::fmt;

use hmac::{Hmac, Mac};
use keygate_domain::KeyId;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;
use zeroize::{Zeroize, ZeroizeOnDrop};

use crate::secret::Secret;

/// The stored form of a secret: 32 bytes. Compared only in constant time.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct SecretHash([u8; 32]);

impl SecretHash {
    /// Wraps stored bytes.
    pub fn from_bytes(bytes: [u8; 32]) -> Self {
        Self(bytes)
    }

    /// Reads stored bytes of any length; `None` unless exactly 32.
    pub fn from_slice(bytes: &[u8]) -> Option<Self> {
        <[u8; 32]>::try_from(bytes).ok().map(Self)
    }

    /// The bytes, for storage.
    pub fn as_bytes(&self) -> &[u8; 32] {
        &self.0
    }

    /// Whether the two hashes are equal, in time independent of where they differ.
    pub fn matches(&self, other: &Self) -> bool {
        self.0.ct_eq(&other.0).into()
    }
}

impl fmt::Debug for SecretHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SecretHash(<redacted>)")
    }
}

/// A server-side key mixed into every hash. Configured, never stored with the keys.
#[derive(Clone, Zeroize, ZeroizeOnDrop)]
pub struct Pepper(Vec<u8>);

impl Pepper {
    /// Wraps the configured pepper bytes.
    pub fn new(bytes: Vec<u8>) -> Self {
        Self(bytes)
    }
}

impl fmt::Debug for Pepper {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Pepper(<redacted>)")
    }
}

/// Hashes secrets for storage and verification.
#[derive(Clone)]
pub struct SecretHasher {
    /// HMAC keyed once with the pepper; cloned per hash so the key schedule is not redone.
    keyed: Option<Hmac<Sha256>>,
}

impl SecretHasher {
    /// A hasher with an optional pepper.
    pub fn new(pepper: Option<&Pepper>) -> Self {
        let keyed = pepper.map(|p| {
            // HMAC accepts keys of any length, so this cannot fail.
            <Hmac<Sha256> as Mac>::new_from_slice(&p.0).unwrap_or_else(|_| unreachable!("HMAC takes any key length"))
        });
        Self { keyed }
    }

    /// The stored form of `secret` for key `id`.
    pub fn hash(&self, id: KeyId, secret: &Secret) -> SecretHash {
        let out: [u8; 32] = if let Some(mac) = &self.keyed {
            let mut mac = mac.clone();
            mac.update(id.as_bytes());
            mac.update(secret.expose());
            mac.finalize().into_bytes().into()
        } else {
            let mut sha = Sha256::new();
            sha.update(id.as_bytes());
            sha.update(secret.expose());
            sha.finalize().into()
        };
        SecretHash(out)
    }
}

impl fmt::Debug for SecretHasher {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SecretHasher").field("peppered", &self.keyed.is_some()).finish()
    }
}
