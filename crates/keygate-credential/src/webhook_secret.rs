//! A webhook endpoint's signing secret (`whsec_<base64 of 32 random bytes>`), the Standard Webhooks
//! signature it makes, and the installation key that seals it for storage.
//!
//! The server must sign with the secret, so unlike a token it cannot be kept as a hash: it is stored
//! sealed with XChaCha20-Poly1305 under the installation's webhook key (`KEYGATE_WEBHOOK_KEY`), bound
//! to its endpoint's id as associated data, so a sealed secret copied onto another endpoint does not
//! open. Nothing here prints a secret or the key: no `Display`, hand-written `Debug`, wiped on drop.

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use hmac::{Hmac, Mac};
use rand_core::{OsRng, RngCore};
use sha2::Sha256;
use zeroize::Zeroizing;

/// The text every rendered secret starts with.
pub const WEBHOOK_SECRET_PREFIX: &str = "whsec_";

const NONCE_LEN: usize = 24;

/// A signing secret: 32 bytes from the OS RNG.
#[derive(Clone)]
pub struct WebhookSecret(Zeroizing<[u8; 32]>);

impl WebhookSecret {
    /// A fresh secret from the OS RNG.
    pub fn generate() -> Self {
        let mut bytes = Zeroizing::new([0u8; 32]);
        OsRng.fill_bytes(bytes.as_mut());
        Self(bytes)
    }

    /// `whsec_<base64>`, to show its owner once. Never log it.
    pub fn render(&self) -> Zeroizing<String> {
        Zeroizing::new(format!("{WEBHOOK_SECRET_PREFIX}{}", STANDARD.encode(self.0.as_ref())))
    }

    /// The Standard Webhooks signature of a message: `v1,<base64 HMAC-SHA256 over
    /// "{id}.{timestamp}.{body}">`, keyed by the secret's bytes.
    pub fn sign(&self, id: &str, timestamp: i64, body: &[u8]) -> String {
        sign_with(self.0.as_ref(), id, timestamp, body)
    }
}

fn sign_with(key: &[u8], id: &str, timestamp: i64, body: &[u8]) -> String {
    // HMAC takes a key of any length, so this never fails.
    let Ok(mut mac) = <Hmac<Sha256> as Mac>::new_from_slice(key) else { return String::new() };
    mac.update(id.as_bytes());
    mac.update(b".");
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    format!("v1,{}", STANDARD.encode(mac.finalize().into_bytes()))
}

impl std::fmt::Debug for WebhookSecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("WebhookSecret(<redacted>)")
    }
}

/// The installation's key that seals webhook secrets at rest: 32 bytes given as 64 hex characters.
#[derive(Clone)]
pub struct WebhookKey(Zeroizing<[u8; 32]>);

/// A webhook key or a sealed secret could not be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WebhookKeyError {
    /// The key is not 64 hex characters.
    #[error("must be 64 hex characters (32 bytes)")]
    Format,
    /// A sealed secret did not open: another key sealed it, it belongs to another endpoint, or it was
    /// altered.
    #[error("the sealed webhook secret does not open with this key")]
    Open,
}

impl WebhookKey {
    /// Parses 64 hex characters (surrounding white space ignored, as a key file ends with a newline).
    pub fn parse_hex(text: &str) -> Result<Self, WebhookKeyError> {
        let text = text.trim().as_bytes();
        if text.len() != 64 {
            return Err(WebhookKeyError::Format);
        }
        let mut bytes = Zeroizing::new([0u8; 32]);
        for (i, pair) in text.chunks_exact(2).enumerate() {
            let high = hex_digit(pair[0]).ok_or(WebhookKeyError::Format)?;
            let low = hex_digit(pair[1]).ok_or(WebhookKeyError::Format)?;
            bytes[i] = (high << 4) | low;
        }
        Ok(Self(bytes))
    }

    /// Seals `secret` for storage, bound to `context` (the endpoint's id): a random 24-byte nonce
    /// followed by the ciphertext and its tag.
    pub fn seal(&self, secret: &WebhookSecret, context: &[u8]) -> Vec<u8> {
        let cipher = XChaCha20Poly1305::new(self.0.as_ref().into());
        let mut nonce = [0u8; NONCE_LEN];
        OsRng.fill_bytes(&mut nonce);
        let payload = Payload { msg: secret.0.as_ref(), aad: context };
        // Encryption of 32 bytes cannot exceed the cipher's length limit.
        let sealed = cipher.encrypt(XNonce::from_slice(&nonce), payload).unwrap_or_default();
        let mut out = nonce.to_vec();
        out.extend_from_slice(&sealed);
        out
    }

    /// Opens what [`WebhookKey::seal`] sealed with the same key and context.
    pub fn open(&self, sealed: &[u8], context: &[u8]) -> Result<WebhookSecret, WebhookKeyError> {
        if sealed.len() <= NONCE_LEN {
            return Err(WebhookKeyError::Open);
        }
        let (nonce, ciphertext) = sealed.split_at(NONCE_LEN);
        let cipher = XChaCha20Poly1305::new(self.0.as_ref().into());
        let plain = Zeroizing::new(
            cipher
                .decrypt(XNonce::from_slice(nonce), Payload { msg: ciphertext, aad: context })
                .map_err(|_| WebhookKeyError::Open)?,
        );
        let bytes: [u8; 32] = plain.as_slice().try_into().map_err(|_| WebhookKeyError::Open)?;
        Ok(WebhookSecret(Zeroizing::new(bytes)))
    }
}

impl std::fmt::Debug for WebhookKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("WebhookKey(<redacted>)")
    }
}

fn hex_digit(c: u8) -> Option<u8> {
    match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'a'..=b'f' => Some(c - b'a' + 10),
        b'A'..=b'F' => Some(c - b'A' + 10),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: &str = "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f";

    #[test]
    fn a_sealed_secret_opens_only_with_its_key_and_endpoint() {
        let key = WebhookKey::parse_hex(KEY).unwrap();
        let secret = WebhookSecret::generate();
        let sealed = key.seal(&secret, b"hook-1");
        let opened = key.open(&sealed, b"hook-1").unwrap();
        assert_eq!(opened.render().as_str(), secret.render().as_str(), "round trip");
        assert_eq!(key.open(&sealed, b"hook-2").map(drop), Err(WebhookKeyError::Open), "other endpoint");
        let other = WebhookKey::parse_hex(&KEY.replace("00", "ff")).unwrap();
        assert_eq!(other.open(&sealed, b"hook-1").map(drop), Err(WebhookKeyError::Open), "other key");
        let mut altered = sealed.clone();
        altered[30] ^= 1;
        assert_eq!(key.open(&altered, b"hook-1").map(drop), Err(WebhookKeyError::Open), "altered");
    }

    #[test]
    fn the_key_is_exactly_64_hex_characters() {
        assert!(WebhookKey::parse_hex(&format!("{KEY}\n")).is_ok(), "a key file's newline");
        for bad in ["", &KEY[1..], &format!("{KEY}0"), &KEY.replace('0', "g")] {
            assert_eq!(WebhookKey::parse_hex(bad).map(drop), Err(WebhookKeyError::Format), "{bad:?}");
        }
    }

    #[test]
    fn the_signature_matches_the_standard_webhooks_example() {
        // The Standard Webhooks specification's example message, secret and signature.
        let key = STANDARD.decode("MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw").unwrap();
        let signature = sign_with(&key, "msg_p5jXN8AQM9LWM0D4loKWxJek", 1_614_265_330, b"{\"test\": 2432232314}");
        assert_eq!(signature, "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=", "the spec's own signature");
    }
}
