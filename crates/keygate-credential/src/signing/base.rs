//! The signature base (RFC 9421 section 2.5): one line per covered component, `"name": value`, then
//! `"@signature-params": ...`, joined by `\n` with none after the last.
//!
//! Only what keygate can resolve from a [`Message`] is accepted: the derived components `@method`,
//! `@authority`, `@path`, `@query`, and header fields without parameters.
//! Anything else is refused rather than guessed, so a base is either exactly the standard's or absent.

use super::input::SignatureInput;
use super::sfv::{write_item, BareItem};

/// The request as the client addressed it: what the covered components resolve to.
#[derive(Debug, Clone, Copy)]
pub struct Message<'a> {
    /// The method (`POST`), as sent.
    pub method: &'a str,
    /// The host and port, as the client addressed them (lower-cased here).
    pub authority: &'a str,
    /// The absolute path (`/v1/cash-out`); empty means `/`.
    pub path: &'a str,
    /// The query without its leading `?` (empty when there is none).
    pub query: &'a str,
    /// Header fields, names in any case; several of one name are joined with `, `.
    pub headers: &'a [(String, String)],
}

impl Message<'_> {
    /// The value of header `name` (lower case): each field line trimmed, several joined with `, `.
    pub fn header(&self, name: &str) -> Option<String> {
        let mut values = self.headers.iter().filter(|(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, v)| trim(v));
        let first = values.next()?;
        Some(values.fold(first.to_owned(), |acc, v| format!("{acc}, {v}")))
    }
}

fn trim(value: &str) -> &str {
    value.trim_matches([' ', '\t'])
}

/// The base cannot be built.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BaseError {
    /// A covered header field is absent from the message.
    #[error("the covered component {0} is absent")]
    Absent(String),
    /// A component keygate does not resolve (with parameters, unknown derived, upper case, repeated).
    #[error("a covered component is not supported")]
    Unsupported,
}

/// The signature base of `input` over `message`.
pub fn signature_base(input: &SignatureInput, message: &Message<'_>) -> Result<String, BaseError> {
    let mut out = String::new();
    let components = input.components();
    for (n, component) in components.iter().enumerate() {
        let BareItem::String(name) = &component.bare else { return Err(BaseError::Unsupported) };
        if !component.params.is_empty() || components[..n].contains(component) {
            return Err(BaseError::Unsupported);
        }
        let value = match name.as_str() {
            "@method" => message.method.to_owned(),
            "@authority" => message.authority.to_ascii_lowercase(),
            "@path" if message.path.is_empty() => "/".to_owned(),
            "@path" => message.path.to_owned(),
            "@query" => format!("?{}", message.query),
            derived if derived.starts_with('@') => return Err(BaseError::Unsupported),
            header if header.bytes().any(|b| b.is_ascii_uppercase()) => return Err(BaseError::Unsupported),
            header => message.header(header).ok_or_else(|| BaseError::Absent(header.to_owned()))?,
        };
        // A line break in a value would let one component forge the next line of the base.
        if value.contains(['\r', '\n']) {
            return Err(BaseError::Unsupported);
        }
        write_item(&mut out, component);
        out.push_str(": ");
        out.push_str(&value);
        out.push('\n');
    }
    out.push_str("\"@signature-params\": ");
    out.push_str(&input.params_value());
    Ok(out)
}
