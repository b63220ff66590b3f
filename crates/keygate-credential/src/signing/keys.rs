//! The keys that check a signature: an HMAC-SHA256 secret derived from the installation's signing master
//! key, or an Ed25519 public key; and the two verifications, both in constant time where it matters.
//!
//! The HMAC secret is derived, not stored: HKDF-SHA256 with the master key as input key material, no
//! salt, and the key's id as info. So the database never holds it, sealed or not, and a copy of the
//! database alone signs nothing; the master key signs as every HMAC key (see docs/security.md).

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use hkdf::Hkdf;
use hmac::{Hmac, Mac};
use keygate_domain::SigningAlgorithm;
use sha2::Sha256;
use zeroize::Zeroizing;

/// The installation's signing master key (`KEYGATE_SIGNING_KEY`): 32 bytes given as 64 hex characters.
#[derive(Clone)]
pub struct SigningMasterKey(Zeroizing<[u8; 32]>);

/// The master key is not 64 hex characters.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("must be 64 hex characters (32 bytes)")]
pub struct SigningMasterKeyError;

impl SigningMasterKey {
    /// Parses 64 hex characters (surrounding whitespace, as a file has, is ignored).
    pub fn parse(text: &str) -> Result<Self, SigningMasterKeyError> {
        let text = text.trim();
        if text.len() != 64 {
            return Err(SigningMasterKeyError);
        }
        let mut bytes = Zeroizing::new([0u8; 32]);
        for (n, pair) in text.as_bytes().chunks(2).enumerate() {
            let pair = std::str::from_utf8(pair).map_err(|_| SigningMasterKeyError)?;
            bytes[n] = u8::from_str_radix(pair, 16).map_err(|_| SigningMasterKeyError)?;
        }
        Ok(Self(bytes))
    }

    /// A key from its bytes (tests, benches).
    pub fn from_bytes(bytes: [u8; 32]) -> Self {
        Self(Zeroizing::new(bytes))
    }

    /// The HMAC secret of the key whose signing `keyid` is `key_id`: HKDF-SHA256(master, info = key id).
    pub fn derive(&self, key_id: &str) -> HmacSecret {
        let mut out = Zeroizing::new([0u8; 32]);
        // 32 bytes is far below HKDF-SHA256's limit of 255 * 32, so expanding cannot fail.
        let _ = Hkdf::<Sha256>::new(None, self.0.as_ref()).expand(key_id.as_bytes(), out.as_mut());
        HmacSecret(out)
    }
}

impl std::fmt::Debug for SigningMasterKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SigningMasterKey(<redacted>)")
    }
}

/// A key's 32-byte HMAC-SHA256 signing secret.
#[derive(Clone)]
pub struct HmacSecret(Zeroizing<[u8; 32]>);

impl HmacSecret {
    /// A secret from its bytes (a client that was given it, tests).
    pub fn from_bytes(bytes: [u8; 32]) -> Self {
        Self(Zeroizing::new(bytes))
    }

    /// Its base64, to show its holder once. Never log it.
    pub fn render(&self) -> Zeroizing<String> {
        Zeroizing::new(STANDARD.encode(self.0.as_ref()))
    }

    /// The HMAC-SHA256 of `base` under this secret (what a client sends as its signature).
    pub fn sign(&self, base: &[u8]) -> Vec<u8> {
        hmac_sha256(self.0.as_ref(), base)
    }

    /// Whether `signature` is this secret's HMAC of `base`, compared in constant time.
    pub fn verify(&self, base: &[u8], signature: &[u8]) -> bool {
        verify_hmac(self.0.as_ref(), base, signature)
    }
}

impl std::fmt::Debug for HmacSecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("HmacSecret(<redacted>)")
    }
}

/// HMAC-SHA256 of `message` under a key of any length.
pub fn hmac_sha256(key: &[u8], message: &[u8]) -> Vec<u8> {
    // HMAC takes a key of any length, so this never fails.
    let Ok(mut mac) = <Hmac<Sha256> as Mac>::new_from_slice(key) else { return Vec::new() };
    mac.update(message);
    mac.finalize().into_bytes().to_vec()
}

/// Whether `signature` is the HMAC-SHA256 of `message` under `key`, compared in constant time.
pub fn verify_hmac(key: &[u8], message: &[u8], signature: &[u8]) -> bool {
    let Ok(mut mac) = <Hmac<Sha256> as Mac>::new_from_slice(key) else { return false };
    mac.update(message);
    mac.verify_slice(signature).is_ok()
}

/// Whether `signature` is a valid Ed25519 signature of `message` under `public_key` (strict: small-order
/// keys and malleable signatures are refused).
pub fn verify_ed25519(public_key: &[u8; 32], message: &[u8], signature: &[u8]) -> bool {
    let Ok(key) = ed25519_dalek::VerifyingKey::from_bytes(public_key) else { return false };
    let Ok(signature) = ed25519_dalek::Signature::from_slice(signature) else { return false };
    key.verify_strict(message, &signature).is_ok()
}

/// The Ed25519 public key of a private key's 32-byte seed.
pub fn ed25519_public_key(seed: &[u8; 32]) -> [u8; 32] {
    ed25519_dalek::SigningKey::from_bytes(seed).verifying_key().to_bytes()
}

/// What checks a signature of one algorithm.
#[derive(Debug, Clone, Copy)]
pub enum VerifyingKey<'a> {
    /// An HMAC secret.
    Hmac(&'a HmacSecret),
    /// An Ed25519 public key.
    Ed25519(&'a [u8; 32]),
}

impl VerifyingKey<'_> {
    /// The algorithm this key checks.
    pub fn algorithm(&self) -> SigningAlgorithm {
        match self {
            Self::Hmac(_) => SigningAlgorithm::HmacSha256,
            Self::Ed25519(_) => SigningAlgorithm::Ed25519,
        }
    }

    /// Whether `signature` signs `base`.
    pub fn verify(&self, base: &[u8], signature: &[u8]) -> bool {
        match self {
            Self::Hmac(secret) => secret.verify(base, signature),
            Self::Ed25519(key) => verify_ed25519(key, base, signature),
        }
    }
}
