//! The brand at the front of a token (`kg`, `uwk`): what tells a reader, and a secret scanner, whose
//! token this is.

use std::fmt;
use std::str::FromStr;

/// The prefix was not 2 to 16 characters of `a-z0-9` starting with a letter.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("token prefix must be 2 to 16 characters of a-z and 0-9, starting with a letter")]
pub struct PrefixError;

/// A token prefix.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct TokenPrefix(String);

impl TokenPrefix {
    /// Parses a prefix.
    pub fn parse(text: &str) -> Result<Self, PrefixError> {
        let b = text.as_bytes();
        let ok = (2..=16).contains(&b.len())
            && b[0].is_ascii_lowercase()
            && b.iter().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit());
        if ok {
            Ok(Self(text.to_owned()))
        } else {
            Err(PrefixError)
        }
    }

    /// The prefix text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl Default for TokenPrefix {
    fn default() -> Self {
        Self("kg".to_owned())
    }
}

impl FromStr for TokenPrefix {
    type Err = PrefixError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

impl fmt::Display for TokenPrefix {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for TokenPrefix {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "TokenPrefix({})", self.0)
    }
}
