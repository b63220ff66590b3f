//! keygate's credential: the API token's text format, its generation from the OS RNG, total parsing
//! with an offline checksum, hashing for storage, masking for listings and constant-time comparison.
//!
//! A token reads `{prefix}_{env}_{body}`, for example `kg_live_1…`. The body is a version marker
//! (`1`), the key id (22 base62 characters, 128 bits), the secret (44 base62 characters, 256 bits)
//! and a CRC32 of everything before it (6 base62 characters). Every token of a format version has the
//! same length, so parsing is cheap, bounded and needs no store: a typo or a truncated paste is refused
//! before any look-up. Secret scanners recognise tokens with [`SCANNER_REGEX`].
//!
//! Nothing here ever prints a secret: secret-bearing types have hand-written `Debug`, no `Display`, and
//! wipe their memory on drop.

mod format;
mod generate;
mod hash;
mod parse;
mod plain;
mod prefix;
mod secret;
pub mod signing;
mod webhook_secret;

pub use format::{Token, BODY_LEN, SCANNER_REGEX, VERSION};
pub use hash::{Pepper, SecretHash, SecretHasher};
pub use parse::ParseTokenError;
pub use plain::PlainToken;
pub use prefix::{PrefixError, TokenPrefix};
pub use secret::Secret;
pub use webhook_secret::{WebhookKey, WebhookKeyError, WebhookSecret, WEBHOOK_SECRET_PREFIX};

#[cfg(test)]
mod tests;
