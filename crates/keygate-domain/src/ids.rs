//! Identifiers. Each parses from text and prints back to the same text.
//!
//! `KeyId`, `OperatorId`, `ServiceId` and `SpendId` are 128 random bits drawn by the caller (this crate
//! has no randomness), printed as 22 fixed-width base62 characters. They are public: a key id appears
//! in the token so the key can be found in O(1), and knowing it grants nothing without the secret.

use std::fmt;
use std::str::FromStr;
use std::sync::Arc;

use crate::base62;

/// An identifier did not parse.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IdError {
    /// The text had the wrong length.
    #[error("identifier must be {expected} characters")]
    Length {
        /// The expected length or range, in words.
        expected: &'static str,
    },
    /// The text held a character outside the identifier's alphabet.
    #[error("identifier holds a character outside its alphabet")]
    Alphabet,
    /// An actor reference did not start with `system`, `operator:` or `key:`.
    #[error("actor must be `system`, `operator:<id>` or `key:<id>`")]
    ActorKind,
}

/// Characters in a printed 128-bit identifier.
pub const ID128_LEN: usize = 2 * base62::U64_WIDTH;

fn encode128(bytes: [u8; 16], out: &mut [u8; ID128_LEN]) {
    let (hi, lo) = split(bytes);
    base62::encode_into(hi, &mut out[..base62::U64_WIDTH]);
    base62::encode_into(lo, &mut out[base62::U64_WIDTH..]);
}

fn decode128(text: &[u8]) -> Result<[u8; 16], IdError> {
    if text.len() != ID128_LEN {
        return Err(IdError::Length { expected: "22" });
    }
    let (hi, lo) = text.split_at(base62::U64_WIDTH);
    let hi = base62::decode(hi).ok_or(IdError::Alphabet)?;
    let lo = base62::decode(lo).ok_or(IdError::Alphabet)?;
    let mut bytes = [0u8; 16];
    bytes[..8].copy_from_slice(&hi.to_be_bytes());
    bytes[8..].copy_from_slice(&lo.to_be_bytes());
    Ok(bytes)
}

fn split(bytes: [u8; 16]) -> (u64, u64) {
    let mut hi = [0u8; 8];
    let mut lo = [0u8; 8];
    hi.copy_from_slice(&bytes[..8]);
    lo.copy_from_slice(&bytes[8..]);
    (u64::from_be_bytes(hi), u64::from_be_bytes(lo))
}

macro_rules! id128 {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub struct $name([u8; 16]);

        impl $name {
            /// The identifier made of these 16 bytes (drawn from the OS RNG by the caller).
            pub const fn from_bytes(bytes: [u8; 16]) -> Self {
                Self(bytes)
            }

            /// The 16 bytes.
            pub const fn as_bytes(&self) -> &[u8; 16] {
                &self.0
            }

            /// Parses the 22-character base62 form.
            pub fn parse(text: &str) -> Result<Self, IdError> {
                decode128(text.as_bytes()).map(Self)
            }

            /// Parses the 22-character base62 form from bytes (as found inside a token).
            pub fn parse_bytes(text: &[u8]) -> Result<Self, IdError> {
                decode128(text).map(Self)
            }

            /// Writes the 22-character base62 form into `out`.
            pub fn encode_into(&self, out: &mut [u8; ID128_LEN]) {
                encode128(self.0, out);
            }
        }

        impl FromStr for $name {
            type Err = IdError;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                Self::parse(s)
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                let mut buf = [0u8; ID128_LEN];
                self.encode_into(&mut buf);
                // The alphabet is ASCII, so this never fails.
                f.write_str(std::str::from_utf8(&buf).map_err(|_| fmt::Error)?)
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, concat!(stringify!($name), "({})"), self)
            }
        }
    };
}

id128! {
    /// The public identifier of an API key.
    KeyId
}

id128! {
    /// The identifier of an operator (a person or system acting on a tenant).
    OperatorId
}

id128! {
    /// The identifier of a service credential (a gateway or service that asks `/v1/verify`).
    ServiceId
}

id128! {
    /// The identifier of one recorded spend (an amount held against a key's daily volume), so it can
    /// be read back and released by id.
    SpendId
}

id128! {
    /// The identifier of one line of the request log (one verification of one key).
    RequestId
}

id128! {
    /// The identifier of a tenant's webhook endpoint.
    WebhookId
}

/// A tenant: the distributor, merchant or account a key works for. 1 to 64 characters of
/// `a-z`, `0-9`, `-` and `_`, starting with a letter or digit (UUIDs fit).
///
/// Lower case only, so that `Acme` and `acme` can never name two tenants. Cloning is a
/// reference-count increment (every verification carries its key's tenant).
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TenantId(Arc<str>);

impl TenantId {
    /// Parses a tenant id.
    pub fn parse(text: &str) -> Result<Self, IdError> {
        if text.is_empty() || text.len() > 64 {
            return Err(IdError::Length { expected: "1 to 64" });
        }
        let bytes = text.as_bytes();
        let ok_first = bytes[0].is_ascii_lowercase() || bytes[0].is_ascii_digit();
        let ok_rest = bytes.iter().all(|&c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == b'-' || c == b'_');
        if ok_first && ok_rest {
            Ok(Self(Arc::from(text)))
        } else {
            Err(IdError::Alphabet)
        }
    }

    /// The id as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl FromStr for TenantId {
    type Err = IdError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

impl fmt::Display for TenantId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for TenantId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "TenantId({})", self.0)
    }
}

/// Who did something: the system administrator, an operator, or an API key acting as an integrator.
/// Printed as `system`, `operator:<id>` or `key:<id>` in the audit log and key records.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ActorId {
    /// The system administrator of this keygate installation.
    System,
    /// An operator of one tenant.
    Operator(OperatorId),
    /// An API key holding `api-keys:*` scopes, acting on its own tenant.
    Key(KeyId),
    /// A signed leak report (a secret-scanning partner, or the platform's own scanner through a service
    /// credential): it may only stop keys, and asks their revocation where the tenant says so.
    LeakReport,
}

impl FromStr for ActorId {
    type Err = IdError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        if s == "system" {
            Ok(Self::System)
        } else if s == "leak-report" {
            Ok(Self::LeakReport)
        } else if let Some(id) = s.strip_prefix("operator:") {
            OperatorId::parse(id).map(Self::Operator)
        } else if let Some(id) = s.strip_prefix("key:") {
            KeyId::parse(id).map(Self::Key)
        } else {
            Err(IdError::ActorKind)
        }
    }
}

impl fmt::Display for ActorId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::System => f.write_str("system"),
            Self::LeakReport => f.write_str("leak-report"),
            Self::Operator(id) => write!(f, "operator:{id}"),
            Self::Key(id) => write!(f, "key:{id}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn key_ids_print_and_parse_back(bytes: [u8; 16]) {
            let id = KeyId::from_bytes(bytes);
            let text = id.to_string();
            prop_assert_eq!(text.len(), ID128_LEN);
            prop_assert_eq!(KeyId::parse(&text), Ok(id));
        }

        #[test]
        fn actor_ids_print_and_parse_back(bytes: [u8; 16], kind in 0..3u8) {
            let actor = match kind {
                0 => ActorId::System,
                1 => ActorId::Operator(OperatorId::from_bytes(bytes)),
                _ => ActorId::Key(KeyId::from_bytes(bytes)),
            };
            prop_assert_eq!(actor.to_string().parse::<ActorId>(), Ok(actor));
        }
    }

    #[test]
    fn tenant_ids_accept_slugs_and_uuids_and_refuse_the_rest() {
        let cases = [
            ("acme", true),
            ("8dd75ab0-9f11-4c7f-9bd2-77eb2fb84963", true),
            ("a", true),
            ("", false),
            ("Acme", false),
            ("-acme", false),
            ("acme corp", false),
            ("acmé", false),
        ];
        for (input, ok) in cases {
            assert_eq!(TenantId::parse(input).is_ok(), ok, "tenant id {input:?}");
        }
        assert!(TenantId::parse(&"a".repeat(65)).is_err(), "65 characters is too long");
    }
}
