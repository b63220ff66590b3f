//! Parsing is total and bounded: any bytes give a token or a typed error, after at most one pass over
//! a fixed number of bytes, with no allocation and no store access.

use keygate_domain::base62::{self, U64_WIDTH};
use keygate_domain::{Environment, KeyId};

use crate::format::{Token, BODY_LEN, CHECKSUM_LEN, ID_LEN, SECRET_LEN, VERSION};
use crate::prefix::TokenPrefix;
use crate::secret::Secret;

/// Why text is not a token. Every variant means the same to a caller (401, malformed); they are kept
/// apart for logs and metrics.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum ParseTokenError {
    /// Not the length of a token with this prefix.
    #[error("token has the wrong length")]
    Length,
    /// The text does not start with this server's prefix and `_`.
    #[error("token does not start with the expected prefix")]
    WrongPrefix,
    /// The environment part is not `test` or `live`.
    #[error("token environment is not test or live")]
    UnknownEnvironment,
    /// A format version this build does not read.
    #[error("token format version is not supported")]
    UnsupportedVersion,
    /// A character outside base62, or a value out of range.
    #[error("token body is malformed")]
    Malformed,
    /// The checksum does not match: a typo or a truncated paste.
    #[error("token checksum does not match")]
    BadChecksum,
}

impl Token {
    /// Parses `input` as a token issued with `prefix`.
    pub fn parse(input: &[u8], prefix: &TokenPrefix) -> Result<Self, ParseTokenError> {
        let p = prefix.as_str().as_bytes();
        // `{prefix}_` + `test`/`live` + `_` + body: every valid token has exactly this length.
        if input.len() != p.len() + 6 + BODY_LEN {
            return Err(ParseTokenError::Length);
        }
        let (head, rest) = input.split_at(p.len());
        if head != p || rest[0] != b'_' {
            return Err(ParseTokenError::WrongPrefix);
        }
        let environment = match &rest[1..5] {
            b"test" => Environment::Test,
            b"live" => Environment::Live,
            _ => return Err(ParseTokenError::UnknownEnvironment),
        };
        if rest[5] != b'_' {
            return Err(ParseTokenError::Malformed);
        }
        let body = &rest[6..];
        if body[0] != VERSION {
            return Err(ParseTokenError::UnsupportedVersion);
        }
        // Decoding checks every character once; the checksum is compared after, so a character
        // outside base62 is `Malformed` and a well-formed typo is `BadChecksum`.
        let signed = input.len() - CHECKSUM_LEN;
        let claimed = base62::decode(&input[signed..]).ok_or(ParseTokenError::Malformed)?;
        let key_id = KeyId::parse_bytes(&body[1..=ID_LEN]).map_err(|_| ParseTokenError::Malformed)?;
        let mut secret = [0u8; 32];
        let digits = &body[1 + ID_LEN..1 + ID_LEN + SECRET_LEN];
        for (i, chunk) in digits.chunks_exact(U64_WIDTH).enumerate() {
            let value = base62::decode(chunk).ok_or(ParseTokenError::Malformed)?;
            secret[i * 8..i * 8 + 8].copy_from_slice(&value.to_be_bytes());
        }
        if claimed != u64::from(crc32fast::hash(&input[..signed])) {
            return Err(ParseTokenError::BadChecksum);
        }
        Ok(Self::new(environment, key_id, Secret::from_bytes(secret)))
    }
}
