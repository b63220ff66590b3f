//! A key's signing spec: how its holder signs requests (RFC 9421 HTTP Message Signatures) instead of, or
//! beside, presenting a bearer secret.
//!
//! It is part of the key's credential, fixed at creation (a creation is already under dual control):
//! there is no transition that adds signing to a key, changes its public key or turns its bearer secret
//! back on. A key that needs another credential is rotated, and the successor is approved like any new
//! key. It never holds a secret: an HMAC key's secret is derived from the server's master key when needed,
//! an Ed25519 key's private half never leaves its holder.

use std::fmt;
use std::str::FromStr;

/// The algorithms a signed request may use (the RFC 9421 `alg` parameter's registered names).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SigningAlgorithm {
    /// `hmac-sha256`: a shared 32-byte secret, derived by keygate from its master key and shown once.
    HmacSha256,
    /// `ed25519`: the client's own key pair; keygate keeps the 32-byte public key.
    Ed25519,
}

impl SigningAlgorithm {
    /// The registered name (`"hmac-sha256"`, `"ed25519"`).
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::HmacSha256 => "hmac-sha256",
            Self::Ed25519 => "ed25519",
        }
    }
}

impl fmt::Display for SigningAlgorithm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The text is not a supported signing algorithm.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("must be hmac-sha256 or ed25519")]
pub struct ParseSigningAlgorithmError;

impl FromStr for SigningAlgorithm {
    type Err = ParseSigningAlgorithmError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "hmac-sha256" => Ok(Self::HmacSha256),
            "ed25519" => Ok(Self::Ed25519),
            _ => Err(ParseSigningAlgorithmError),
        }
    }
}

/// A signing spec that cannot be.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SigningError {
    /// An Ed25519 key needs the client's public key.
    #[error("an ed25519 key needs its public_key")]
    PublicKeyRequired,
    /// An HMAC key's secret is keygate's to derive: a public key means nothing for it.
    #[error("an hmac-sha256 key has no public_key")]
    PublicKeyUnexpected,
    /// The public key is not 32 bytes.
    #[error("must be the 32-byte Ed25519 public key")]
    PublicKeyLength,
}

/// How a key signs: its algorithm, the Ed25519 public key when that is the algorithm, and whether it also
/// has a bearer secret.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Signing {
    algorithm: SigningAlgorithm,
    public_key: Option<[u8; 32]>,
    bearer: bool,
}

impl Signing {
    /// A spec, checked: an Ed25519 key has a 32-byte public key, an HMAC key has none.
    pub fn new(algorithm: SigningAlgorithm, public_key: Option<&[u8]>, bearer: bool) -> Result<Self, SigningError> {
        let public_key = match (algorithm, public_key) {
            (SigningAlgorithm::Ed25519, None) => return Err(SigningError::PublicKeyRequired),
            (SigningAlgorithm::HmacSha256, Some(_)) => return Err(SigningError::PublicKeyUnexpected),
            (SigningAlgorithm::HmacSha256, None) => None,
            (SigningAlgorithm::Ed25519, Some(bytes)) => {
                Some(<[u8; 32]>::try_from(bytes).map_err(|_| SigningError::PublicKeyLength)?)
            }
        };
        Ok(Self { algorithm, public_key, bearer })
    }

    /// The algorithm.
    pub fn algorithm(&self) -> SigningAlgorithm {
        self.algorithm
    }

    /// The Ed25519 public key (`None` for an HMAC key).
    pub fn public_key(&self) -> Option<&[u8; 32]> {
        self.public_key.as_ref()
    }

    /// Whether the key also authenticates with its bearer secret.
    pub fn bearer(&self) -> bool {
        self.bearer
    }
}

impl fmt::Debug for Signing {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The public key is public, but it is 32 bytes of noise in a log line.
        f.debug_struct("Signing")
            .field("algorithm", &self.algorithm)
            .field("public_key", &self.public_key.is_some())
            .field("bearer", &self.bearer)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    type Case<'a> = (SigningAlgorithm, Option<&'a [u8]>, Result<(), SigningError>, &'a str);

    #[test]
    fn a_spec_holds_exactly_the_key_material_its_algorithm_needs() {
        let cases: [Case<'_>; 4] = [
            (SigningAlgorithm::HmacSha256, None, Ok(()), "hmac without a public key"),
            (SigningAlgorithm::HmacSha256, Some(&[0; 32]), Err(SigningError::PublicKeyUnexpected), "hmac with one"),
            (SigningAlgorithm::Ed25519, None, Err(SigningError::PublicKeyRequired), "ed25519 without one"),
            (SigningAlgorithm::Ed25519, Some(&[0; 31]), Err(SigningError::PublicKeyLength), "a short key"),
        ];
        for (algorithm, key, expected, description) in cases {
            assert_eq!(Signing::new(algorithm, key, true).map(drop), expected, "{description}");
        }
        assert_eq!("ed25519".parse(), Ok(SigningAlgorithm::Ed25519));
        assert_eq!("rsa-v1_5-sha256".parse::<SigningAlgorithm>(), Err(ParseSigningAlgorithmError));
    }
}
