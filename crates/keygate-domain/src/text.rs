//! Bounded human text: key names, notes, operator names and reasons.

use std::fmt;

/// Human text broke its rules.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TextError {
    /// Nothing left after trimming.
    #[error("must not be empty")]
    Empty,
    /// More characters than allowed.
    #[error("must be at most {max} characters")]
    TooLong {
        /// The limit, in characters.
        max: usize,
    },
    /// A control character (newline, escape, NUL, ...), which would let a name forge log lines or hide.
    #[error("must not contain control characters")]
    ControlCharacter,
    /// A name with no letter or digit (only symbols, marks or blank-looking fillers) cannot tell
    /// anyone what it names.
    #[error("must contain at least one letter or digit")]
    NoLetterOrDigit,
    /// Not shaped like an e-mail address.
    #[error("must be an e-mail address such as ops@example.com")]
    EmailShape,
}

/// Characters that render as nothing or reorder text, so a name could read as something it is not:
/// Unicode's format characters (category Cf: bidi marks and overrides, zero-width characters, soft
/// hyphen, word joiner, tags, ...) and the fillers that look blank.
pub(crate) fn deceptive(c: char) -> bool {
    matches!(c,
        '\u{00AD}' | '\u{0600}'..='\u{0605}' | '\u{061C}' | '\u{06DD}' | '\u{070F}' | '\u{0890}'..='\u{0891}'
        | '\u{08E2}' | '\u{115F}'..='\u{1160}' | '\u{180E}' | '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}'
        | '\u{2060}'..='\u{2064}' | '\u{2066}'..='\u{206F}' | '\u{2800}' | '\u{3164}' | '\u{FEFF}' | '\u{FFA0}'
        | '\u{FFF9}'..='\u{FFFB}' | '\u{110BD}' | '\u{110CD}' | '\u{13430}'..='\u{1343F}' | '\u{1BCA0}'..='\u{1BCA3}'
        | '\u{1D173}'..='\u{1D17A}' | '\u{E0001}' | '\u{E0020}'..='\u{E007F}')
}

fn clean(text: &str, max: usize, allow_newlines: bool) -> Result<String, TextError> {
    let trimmed = text.trim();
    if trimmed.is_empty() {
        return Err(TextError::Empty);
    }
    if trimmed.chars().count() > max {
        return Err(TextError::TooLong { max });
    }
    let bad = |c: char| {
        let newline = c == '\n' || c == '\r' || c == '\t';
        deceptive(c) || (c.is_control() && !(allow_newlines && newline))
    };
    if trimmed.chars().any(bad) {
        return Err(TextError::ControlCharacter);
    }
    Ok(trimmed.to_owned())
}

macro_rules! bounded_text {
    ($(#[$doc:meta])* $name:ident, $max:expr, $newlines:expr, $is_name:expr) => {
        $(#[$doc])*
        // `Box<str>`, not `String`: exactly its bytes, and 8 bytes less in every record holding one.
        #[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub struct $name(Box<str>);

        impl $name {
            /// The most characters allowed.
            pub const MAX_CHARS: usize = $max;

            /// Trims and checks the text.
            pub fn parse(text: &str) -> Result<Self, TextError> {
                let text = clean(text, $max, $newlines)?;
                if $is_name && !text.chars().any(char::is_alphanumeric) {
                    return Err(TextError::NoLetterOrDigit);
                }
                Ok(Self(text.into_boxed_str()))
            }

            /// The text.
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, concat!(stringify!($name), "({:?})"), self.0)
            }
        }
    };
}

bounded_text! {
    /// A key's name: 1 to 64 characters, trimmed, no control characters. Unique per tenant (the store
    /// enforces it) and immutable once the key exists.
    KeyName, 64, false, true
}

bounded_text! {
    /// Free text about a key (who integrates, a contact): up to 1,000 characters, line breaks allowed.
    Notes, 1000, true, false
}

bounded_text! {
    /// Why a key was rejected or revoked: up to 500 characters.
    Reason, 500, true, false
}

bounded_text! {
    /// An operator's display name: 1 to 100 characters.
    OperatorName, 100, false, true
}

bounded_text! {
    /// A tenant's display name: 1 to 100 characters.
    TenantName, 100, false, true
}

bounded_text! {
    /// What a resource of a tenant's scope catalogue is, for the console: 1 to 200 characters, one line.
    ScopeDescription, 200, false, false
}

/// An operator's e-mail address: one `@` with text on both sides, no spaces, at most 254 characters.
/// Unique per tenant (the store enforces it). Checked for shape only; keygate sends no mail.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Email(String);

impl Email {
    /// Trims and checks an address; compared case-insensitively, so it is stored lower-cased.
    pub fn parse(text: &str) -> Result<Self, TextError> {
        let text = text.trim();
        if text.is_empty() {
            return Err(TextError::Empty);
        }
        if text.len() > 254 {
            return Err(TextError::TooLong { max: 254 });
        }
        let shaped = text.split('@').count() == 2
            && text.split('@').all(|part| !part.is_empty())
            && !text.chars().any(|c| c.is_whitespace() || c.is_control());
        if shaped {
            Ok(Self(text.to_lowercase()))
        } else {
            Err(TextError::EmailShape)
        }
    }

    /// The address.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Email {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for Email {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Email({:?})", self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(input: &str, expected: Result<&str, TextError>, why: &str) {
        let got = KeyName::parse(input);
        assert_eq!(got.as_ref().map(KeyName::as_str).map_err(Clone::clone), expected, "{why}");
    }

    #[test]
    fn key_names_follow_their_rules() {
        check("POS Integration", Ok("POS Integration"), "plain name");
        check("  crm-sync-prod  ", Ok("crm-sync-prod"), "surrounding space is trimmed");
        check("   ", Err(TextError::Empty), "blank is empty");
        check(&"x".repeat(64), Ok(&"x".repeat(64)), "64 characters fit");
        check(&"x".repeat(65), Err(TextError::TooLong { max: 64 }), "65 do not");
        check(&"é".repeat(64), Ok(&"é".repeat(64)), "characters, not bytes, are counted");
        check("a\nb", Err(TextError::ControlCharacter), "a newline could forge a log line");
        check("admin\u{202E}gpj", Err(TextError::ControlCharacter), "bidi override hides the real name");
        check("a\u{200B}b", Err(TextError::ControlCharacter), "zero-width space makes look-alike names");
        check("pay\u{00AD}outs", Err(TextError::ControlCharacter), "soft hyphen hides inside a name");
        check("a\u{E0041}b", Err(TextError::ControlCharacter), "tag characters carry hidden text");
        check("\u{3164}", Err(TextError::ControlCharacter), "a Hangul filler looks blank");
        check("\u{0301}\u{0301}", Err(TextError::NoLetterOrDigit), "only combining marks");
        check("***", Err(TextError::NoLetterOrDigit), "only symbols name nothing");
        check("POS \u{1F680} 2", Ok("POS \u{1F680} 2"), "emoji beside letters are fine");
    }

    #[test]
    fn emails_are_checked_for_shape_and_lower_cased() {
        assert_eq!(Email::parse(" Ops@Acme.test ").map(|e| e.as_str().to_owned()), Ok("ops@acme.test".to_owned()));
        for bad in ["ops", "@acme.test", "ops@", "a@b@c", "o ps@acme.test"] {
            assert_eq!(Email::parse(bad), Err(TextError::EmailShape), "email {bad:?}");
        }
    }

    #[test]
    fn notes_keep_line_breaks_but_not_other_controls() {
        assert!(Notes::parse("Acme Ltd\ncontact: ops@acme.test").is_ok(), "newline in notes");
        assert_eq!(Notes::parse("bell\u{7}"), Err(TextError::ControlCharacter), "BEL refused");
        assert!(Notes::parse(&"n".repeat(1001)).is_err(), "1001 characters refused");
    }
}
