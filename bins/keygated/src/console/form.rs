//! A posted form (`application/x-www-form-urlencoded`), read only after the session was checked, and
//! its CSRF token checked before any field is used.

use keygate_verifier::manage::csrf_matches;

use super::error::ConsoleError;
use super::session::Session;

/// The fields of a form, in order, repeated names kept (a checkbox grid posts one per ticked box).
pub(super) struct Form(Vec<(String, String)>);

impl Form {
    /// The form `body` carries, if its `csrf` field is the session's token; else `Csrf`.
    pub(super) fn verified(session: &Session, body: &[u8]) -> Result<Self, ConsoleError> {
        let form = Self::parse(body);
        match form.get("csrf") {
            Some(token) if csrf_matches(session.cookie(), token) => Ok(form),
            _ => Err(ConsoleError::Csrf),
        }
    }

    /// A form posted without a session (login, claim).
    pub(super) fn parse(body: &[u8]) -> Self {
        Self(form_urlencoded::parse(body).map(|(k, v)| (k.into_owned(), v.into_owned())).collect())
    }

    /// The first value of `name`, trimmed; `None` when absent or blank.
    pub(super) fn get(&self, name: &str) -> Option<&str> {
        self.0.iter().find(|(k, _)| k == name).map(|(_, v)| v.trim()).filter(|v| !v.is_empty())
    }

    /// Every non-blank value of `name`.
    pub(super) fn all<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a str> + 'a {
        self.0.iter().filter(move |(k, _)| k == name).map(|(_, v)| v.trim()).filter(|v| !v.is_empty())
    }

    /// Whether a checkbox `name` was ticked.
    pub(super) fn checked(&self, name: &str) -> bool {
        self.get(name).is_some_and(|v| v != "false" && v != "0")
    }
}

/// Splits a list typed one per line or comma separated (the first seed's allowed IPs, extra scopes).
pub(super) fn list(text: &str) -> Vec<String> {
    text.split([',', '\n', '\r', ' ', '\t']).map(str::trim).filter(|s| !s.is_empty()).map(str::to_owned).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lists_split_on_lines_commas_and_blanks() {
        assert_eq!(list("10.0.0.1, 10.0.0.2\n192.168.0.0/16\r\n\n ,"), ["10.0.0.1", "10.0.0.2", "192.168.0.0/16"]);
        assert!(list(" \n,").is_empty());
    }

    #[test]
    fn repeated_names_are_all_kept_and_blanks_are_absent() {
        let form = Form::parse(b"scopes=a%3Aread&scopes=b%3Awrite&name=+&never_expires=on");
        assert_eq!(form.all("scopes").collect::<Vec<_>>(), ["a:read", "b:write"]);
        assert_eq!(form.get("name"), None);
        assert!(form.checked("never_expires") && !form.checked("other"));
    }
}
