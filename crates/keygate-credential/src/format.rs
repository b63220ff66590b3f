//! The token: its parts and how they are written out.

use std::fmt;

use keygate_domain::base62::{self, U32_WIDTH, U64_WIDTH};
use keygate_domain::{Environment, KeyId};

use crate::plain::PlainToken;
use crate::prefix::TokenPrefix;
use crate::secret::Secret;

/// The format version written after `{prefix}_{env}_`. A new format gets a new marker, so tokens of
/// both versions can be told apart while they coexist.
pub const VERSION: u8 = b'1';

pub(crate) const ID_LEN: usize = 2 * U64_WIDTH;
pub(crate) const SECRET_LEN: usize = 4 * U64_WIDTH;
pub(crate) const CHECKSUM_LEN: usize = U32_WIDTH;

/// Characters after `{prefix}_{env}_`: version, id, secret and checksum.
pub const BODY_LEN: usize = 1 + ID_LEN + SECRET_LEN + CHECKSUM_LEN;

/// A regular expression that matches every keygate token of this format version (with any prefix),
/// for secret scanners: `\b[a-z][a-z0-9]{1,15}_(?:test|live)_1[0-9A-Za-z]{72}\b`.
pub const SCANNER_REGEX: &str = r"\b[a-z][a-z0-9]{1,15}_(?:test|live)_1[0-9A-Za-z]{72}\b";

/// A parsed or freshly generated token: which key it names, for which environment, and its secret.
#[derive(Clone)]
pub struct Token {
    pub(crate) environment: Environment,
    pub(crate) key_id: KeyId,
    pub(crate) secret: Secret,
}

impl Token {
    /// Assembles a token from its parts.
    pub fn new(environment: Environment, key_id: KeyId, secret: Secret) -> Self {
        Self { environment, key_id, secret }
    }

    /// The environment written in the token.
    pub fn environment(&self) -> Environment {
        self.environment
    }

    /// The public key id, for the look-up.
    pub fn key_id(&self) -> KeyId {
        self.key_id
    }

    /// The secret, for hashing.
    pub fn secret(&self) -> &Secret {
        &self.secret
    }

    /// Writes the token out with `prefix`: the text to show its owner once, and its masked form.
    pub fn to_plain(&self, prefix: &TokenPrefix) -> PlainToken {
        let mut text = String::with_capacity(prefix.as_str().len() + 6 + BODY_LEN);
        text.push_str(prefix.as_str());
        text.push('_');
        text.push_str(self.environment.as_str());
        text.push('_');
        let mut body = [0u8; BODY_LEN];
        body[0] = VERSION;
        self.key_id.encode_into(first_mut::<ID_LEN>(&mut body[1..]));
        for (i, chunk) in self.secret.expose().chunks_exact(8).enumerate() {
            let start = 1 + ID_LEN + i * U64_WIDTH;
            base62::encode_into(u64_of(chunk), &mut body[start..start + U64_WIDTH]);
        }
        let signed = text.len() + BODY_LEN - CHECKSUM_LEN;
        let mut crc = crc32fast::Hasher::new();
        crc.update(text.as_bytes());
        crc.update(&body[..BODY_LEN - CHECKSUM_LEN]);
        base62::encode_into(u64::from(crc.finalize()), &mut body[BODY_LEN - CHECKSUM_LEN..]);
        // Every byte written is from the base62 alphabet or the version marker: ASCII.
        text.extend(body.iter().map(|&b| char::from(b)));
        debug_assert_eq!(text.len(), signed + CHECKSUM_LEN);
        let masked = mask(prefix.as_str(), self.environment, &text);
        PlainToken::new(text, masked)
    }
}

/// `kg_live_…3fQz`: prefix, environment and the last four characters (checksum digits, which reveal
/// nothing about the secret).
pub(crate) fn mask(prefix: &str, env: Environment, text: &str) -> String {
    let tail = text.get(text.len().saturating_sub(4)..).unwrap_or("");
    format!("{prefix}_{}_\u{2026}{tail}", env.as_str())
}

pub(crate) fn u64_of(chunk: &[u8]) -> u64 {
    let mut bytes = [0u8; 8];
    bytes.copy_from_slice(&chunk[..8]);
    u64::from_be_bytes(bytes)
}

fn first_mut<const N: usize>(slice: &mut [u8]) -> &mut [u8; N] {
    // Callers pass slices at least N long (fixed layout above), so this never falls back.
    <&mut [u8; N]>::try_from(&mut slice[..N]).unwrap_or_else(|_| unreachable!("fixed token layout"))
}

impl fmt::Debug for Token {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Token")
            .field("environment", &self.environment)
            .field("key_id", &self.key_id)
            .field("secret", &"<redacted>")
            .finish()
    }
}
