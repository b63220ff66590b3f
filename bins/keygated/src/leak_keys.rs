//! The secret-scanning partner's public keys (`KEYGATE_LEAK_PUBLIC_KEYS`), and the check of a leak
//! report's signature against them.
//!
//! The file is the JSON GitHub publishes for its secret-scanning partner programme
//! (`{"public_keys": [{"key_identifier", "key", "is_current"}]}`, each key a P-256 public key in PEM),
//! downloaded by the operator and mounted: keygated has no internet access to fetch it. Every listed
//! key is accepted, current or not, since a partner rotating its key signs with either for a while.
//!
//! It must never accept a report whose signature it did not verify against a key of that file: an
//! unknown identifier, a signature that does not decode and a signature that does not match are one
//! and the same refusal. Identifiers are opaque and matched exactly. It never fetches anything.

use std::path::Path;

use base64::Engine as _;
use p256::ecdsa::signature::Verifier as _;
use p256::ecdsa::{Signature, VerifyingKey};
use p256::pkcs8::DecodePublicKey as _;
use serde::Deserialize;

/// Why the key file cannot be used; start-up stops with it.
#[derive(Debug, thiserror::Error)]
pub enum LeakKeysError {
    /// The file could not be read.
    #[error("cannot read {path}: {source}")]
    Read {
        /// The file.
        path: String,
        /// Why.
        source: std::io::Error,
    },
    /// The file is not the JSON the partner publishes.
    #[error(r#"not the JSON GitHub publishes ({{"public_keys": [{{"key_identifier", "key", "is_current"}}]}}): {0}"#)]
    Shape(#[source] serde_json::Error),
    /// A key is not a P-256 public key in PEM.
    #[error("public key {identifier:?} is not a P-256 public key in PEM")]
    Key {
        /// Its identifier.
        identifier: String,
    },
    /// The file lists no key, so no report could ever be accepted: a mistake, not a setting.
    #[error("the file lists no public key")]
    Empty,
}

/// The file's shape; other members (`is_current`) are not read.
#[derive(Deserialize)]
struct KeyFile {
    public_keys: Vec<KeyEntry>,
}

#[derive(Deserialize)]
struct KeyEntry {
    key_identifier: String,
    key: String,
}

/// The partner's public keys by identifier; empty when none is configured (then no signed report is
/// accepted, and only a service credential reports).
#[derive(Clone, Default)]
pub struct LeakKeys {
    keys: Vec<(String, VerifyingKey)>,
}

impl std::fmt::Debug for LeakKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list().entries(self.keys.iter().map(|(id, _)| id)).finish()
    }
}

impl LeakKeys {
    /// Reads and parses the key file at `path`.
    pub fn load(path: &Path) -> Result<Self, LeakKeysError> {
        let text = std::fs::read_to_string(path)
            .map_err(|source| LeakKeysError::Read { path: path.display().to_string(), source })?;
        Self::parse(&text)
    }

    /// Parses the key file's text.
    pub fn parse(text: &str) -> Result<Self, LeakKeysError> {
        let file: KeyFile = serde_json::from_str(text).map_err(LeakKeysError::Shape)?;
        let keys = file
            .public_keys
            .into_iter()
            .map(|entry| match VerifyingKey::from_public_key_pem(entry.key.trim()) {
                Ok(key) => Ok((entry.key_identifier, key)),
                Err(_) => Err(LeakKeysError::Key { identifier: entry.key_identifier }),
            })
            .collect::<Result<Vec<_>, _>>()?;
        if keys.is_empty() {
            return Err(LeakKeysError::Empty);
        }
        Ok(Self { keys })
    }

    /// How many keys are listed.
    pub fn len(&self) -> usize {
        self.keys.len()
    }

    /// Whether no key is listed.
    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }

    /// Whether `signature` (base64 of an ASN.1 DER ECDSA signature over SHA-256, as the
    /// `Github-Public-Key-Signature` header carries it) signs exactly `body` with the key named
    /// `identifier` (the `Github-Public-Key-Identifier` header).
    pub fn verify(&self, identifier: &[u8], signature: &[u8], body: &[u8]) -> bool {
        let Some((_, key)) = self.keys.iter().find(|(id, _)| id.as_bytes() == identifier) else { return false };
        let Ok(der) = base64::engine::general_purpose::STANDARD.decode(signature.trim_ascii()) else { return false };
        let Ok(signature) = Signature::from_der(&der) else { return false };
        key.verify(body, &signature).is_ok()
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use p256::ecdsa::signature::Signer as _;
    use p256::ecdsa::SigningKey;
    use p256::pkcs8::{EncodePublicKey as _, LineEnding};

    use super::*;

    fn file(entries: &[(&str, &SigningKey)]) -> String {
        let keys: Vec<_> = entries
            .iter()
            .map(|(id, key)| {
                let pem = key.verifying_key().to_public_key_pem(LineEnding::LF).unwrap();
                serde_json::json!({"key_identifier": id, "key": pem, "is_current": true})
            })
            .collect();
        serde_json::json!({"public_keys": keys}).to_string()
    }

    fn sign(key: &SigningKey, body: &[u8]) -> String {
        let signature: Signature = key.sign(body);
        base64::engine::general_purpose::STANDARD.encode(signature.to_der().as_bytes())
    }

    #[test]
    fn a_signature_verifies_only_with_the_key_its_identifier_names_and_over_the_exact_body() {
        let (one, two) = (SigningKey::random(&mut rand_core::OsRng), SigningKey::random(&mut rand_core::OsRng));
        let keys = LeakKeys::parse(&file(&[("one", &one), ("two", &two)])).unwrap();
        assert_eq!(keys.len(), 2);
        let body = br#"[{"token":"kg_live_x","type":"t","url":"u","source":"content"}]"#;
        let signature = sign(&one, body);
        assert!(keys.verify(b"one", signature.as_bytes(), body), "the key it names");
        assert!(!keys.verify(b"two", signature.as_bytes(), body), "another listed key");
        assert!(!keys.verify(b"ONE", signature.as_bytes(), body), "identifiers match exactly");
        assert!(!keys.verify(b"one", signature.as_bytes(), &body[1..]), "another body");
        assert!(!keys.verify(b"one", b"not base64!", body), "a signature that does not decode");
        assert!(!keys.verify(b"one", b"AAAA", body), "bytes that are not a DER signature");
        assert!(!LeakKeys::default().verify(b"one", signature.as_bytes(), body), "no keys: nothing verifies");
    }

    #[test]
    fn a_file_that_is_not_the_partners_shape_or_holds_no_usable_key_is_refused() {
        assert!(matches!(LeakKeys::parse("[]"), Err(LeakKeysError::Shape(_))));
        assert!(matches!(LeakKeys::parse(r#"{"public_keys": []}"#), Err(LeakKeysError::Empty)));
        let not_pem =
            r#"{"public_keys": [{"key_identifier": "a", "key": "-----BEGIN PUBLIC KEY-----", "is_current": true}]}"#;
        assert!(matches!(LeakKeys::parse(not_pem), Err(LeakKeysError::Key { identifier }) if identifier == "a"));
    }
}
