//! `Content-Digest` (RFC 9530): the `sha-256` member of the field, and the field a body should carry.

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use sha2::{Digest as _, Sha256};

use super::sfv::{parse_dictionary, BareItem, Item, Member};

/// The field is not a digest dictionary, or has no `sha-256` member of 32 bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("Content-Digest has no sha-256 member")]
pub struct DigestError;

/// The SHA-256 the `Content-Digest` value states (other algorithms it lists are ignored).
pub fn sha256_of_field(value: &str) -> Result<[u8; 32], DigestError> {
    let members = parse_dictionary(value).map_err(|_| DigestError)?;
    let (_, member) = members.iter().find(|(k, _)| k == "sha-256").ok_or(DigestError)?;
    match member {
        Member::Item(Item { bare: BareItem::Bytes(bytes), .. }) => {
            <[u8; 32]>::try_from(bytes.as_slice()).map_err(|_| DigestError)
        }
        _ => Err(DigestError),
    }
}

/// SHA-256 of a body.
pub fn sha256(body: &[u8]) -> [u8; 32] {
    Sha256::digest(body).into()
}

/// The `Content-Digest` value of a body: `sha-256=:<base64>:`.
pub fn content_digest(body: &[u8]) -> String {
    format!("sha-256=:{}:", STANDARD.encode(sha256(body)))
}

/// Whether a body hash is that of the empty body (a request without content).
pub fn is_empty_body(hash: &[u8; 32]) -> bool {
    *hash == sha256(b"")
}
