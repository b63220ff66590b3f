//! Sub-accounts: the account inside its tenant a key may be bound to (a merchant's shop, a
//! distributor's agent, a platform's end customer), named by the platform's own identifier.
//!
//! keygate does not keep a list of accounts: an account exists because a key names it. This module
//! never interprets the identifier (no case folding, no UUID normalisation): two spellings are two
//! accounts, as the platform that chose them may treat them.

use std::fmt;
use std::str::FromStr;
use std::sync::Arc;

/// An account id did not parse.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum AccountIdError {
    /// Empty, or longer than 64 characters.
    #[error("an account id must be 1 to 64 characters")]
    Length,
    /// A character outside `A-Z`, `a-z`, `0-9`, `.`, `_`, `:` and `-`.
    #[error("an account id may hold only letters A-Z and a-z, digits and . _ : -")]
    Alphabet,
}

/// An account inside a tenant: 1 to 64 characters of `[A-Za-z0-9._:-]`, so a UUID, a slug or a
/// namespaced id (`shop:4711`) fits as the platform writes it. Compared exactly, case included.
///
/// Cloning is a reference-count increment (a verification carries its key's account).
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct AccountId(Arc<str>);

impl AccountId {
    /// The most characters an account id may have.
    pub const MAX_CHARS: usize = 64;

    /// Parses an account id, as written (nothing is trimmed: a space is refused, not dropped).
    pub fn parse(text: &str) -> Result<Self, AccountIdError> {
        if text.is_empty() || text.len() > Self::MAX_CHARS {
            return Err(AccountIdError::Length);
        }
        let allowed = |c: u8| c.is_ascii_alphanumeric() || matches!(c, b'.' | b'_' | b':' | b'-');
        if text.bytes().all(allowed) {
            Ok(Self(Arc::from(text)))
        } else {
            Err(AccountIdError::Alphabet)
        }
    }

    /// The id as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl FromStr for AccountId {
    type Err = AccountIdError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

impl fmt::Display for AccountId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for AccountId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "AccountId({})", self.0)
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    #[test]
    fn account_ids_accept_slugs_uuids_and_namespaced_ids_and_refuse_the_rest() {
        let cases = [
            ("shop-42", Ok(())),
            ("8DD75AB0-9f11-4c7f-9bd2-77eb2fb84963", Ok(())),
            ("merchant:4711", Ok(())),
            ("a.b_c", Ok(())),
            ("A", Ok(())),
            ("", Err(AccountIdError::Length)),
            (" shop", Err(AccountIdError::Alphabet)),
            ("shop 42", Err(AccountIdError::Alphabet)),
            ("shop/42", Err(AccountIdError::Alphabet)),
            ("café", Err(AccountIdError::Alphabet)),
            ("shop\n", Err(AccountIdError::Alphabet)),
        ];
        for (input, expected) in cases {
            assert_eq!(AccountId::parse(input).map(|_| ()), expected, "account id {input:?}");
        }
        assert!(AccountId::parse(&"a".repeat(64)).is_ok(), "64 characters fit");
        assert_eq!(AccountId::parse(&"a".repeat(65)).map(|_| ()), Err(AccountIdError::Length), "65 do not");
        assert_ne!(AccountId::parse("Shop").ok(), AccountId::parse("shop").ok(), "compared as written");
    }

    proptest! {
        #[test]
        fn an_account_id_prints_as_it_was_written(text in "[A-Za-z0-9._:-]{1,64}") {
            let id = AccountId::parse(&text).map_err(|e| TestCaseError::fail(e.to_string()))?;
            prop_assert_eq!(id.to_string(), text);
        }

        #[test]
        fn parsing_never_panics(text in "\\PC{0,80}") {
            let _ = AccountId::parse(&text);
        }
    }
}
