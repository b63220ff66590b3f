//! What the platform knows a key by: the id of its owner in the platform's own records (`external_id`,
//! Unkey's `externalId`: a distributor, a merchant) and free `metadata` (Unkey's `meta`), both returned by
//! every verification so a service needs no second look-up to know whom a key belongs to.
//!
//! keygate grants nothing on either, but a platform may act on them (a merchant id in the metadata
//! decides whose money moves), so after creation they change like privileges: at once without dual
//! control, held for a checker with it. This module only parses; it never interprets the metadata.

use std::fmt;
use std::sync::Arc;

/// The text was not an external id.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ExternalIdError {
    /// Empty, or longer than 128 characters.
    #[error("must be 1 to 128 characters")]
    Length,
    /// A control character (a line break, a tab, NUL, ...), or one that renders as nothing or reorders
    /// text (bidi overrides, zero-width characters), so a checker could read another id than is stored.
    #[error("must hold printable characters only (no control, bidi or zero-width characters)")]
    NotPrintable,
}

/// The platform's own id for a key's owner: 1 to 128 printable characters, kept and compared as written.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ExternalId(Arc<str>);

impl ExternalId {
    /// The longest id, in characters.
    pub const MAX_CHARS: usize = 128;

    /// Parses an external id.
    pub fn parse(text: &str) -> Result<Self, ExternalIdError> {
        let chars = text.chars().count();
        if chars == 0 || chars > Self::MAX_CHARS {
            return Err(ExternalIdError::Length);
        }
        if text.chars().any(|c| c.is_control() || crate::text::deceptive(c)) {
            return Err(ExternalIdError::NotPrintable);
        }
        Ok(Self(text.into()))
    }

    /// The id as written.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for ExternalId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ExternalId({:?})", self.0)
    }
}

impl fmt::Display for ExternalId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// The text was not acceptable metadata.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MetadataError {
    /// Not JSON at all.
    #[error("must be a JSON object")]
    NotJson,
    /// A member name twice in one object: readers disagree on which one counts (the first, the last), so a
    /// checker could approve another value than a service acts on.
    #[error("must not repeat a member name within an object")]
    RepeatedName,
    /// A NUL character (`\u0000`), which PostgreSQL's JSON cannot hold.
    #[error("must not contain the NUL character (\\u0000)")]
    Nul,
    /// JSON, but not an object at the top.
    #[error("must be a JSON object (not an array, a string, a number, true, false or null)")]
    NotAnObject,
    /// Objects and arrays nested deeper than five levels (the top object is the first).
    #[error("may nest objects and arrays at most 5 levels deep")]
    TooDeep,
    /// Over 4 KiB once the whitespace between tokens is removed.
    #[error("must be at most 4096 bytes (whitespace between tokens not counted)")]
    TooLarge,
}

/// A JSON object of at most 4 KiB and depth 5, kept as the client sent it (keys in its order, numbers
/// as written) with only the whitespace between tokens removed.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Metadata(Arc<str>);

impl Metadata {
    /// The largest metadata, in bytes of its compact text.
    pub const MAX_BYTES: usize = 4096;
    /// The deepest nesting of objects and arrays; the top object is level 1.
    pub const MAX_DEPTH: usize = 5;

    /// Parses metadata from JSON text.
    pub fn parse(text: &str) -> Result<Self, MetadataError> {
        // Validity first, by a real JSON parser (its own recursion limit bounds the work); then one pass
        // over the text for the depth and the compact form, which keeps the client's order and spelling.
        let value: serde_json::Value = serde_json::from_str(text).map_err(|_| MetadataError::NotJson)?;
        if !value.is_object() {
            return Err(MetadataError::NotAnObject);
        }
        let mut de = serde_json::Deserializer::from_str(text);
        if let Err(e) = serde::de::Deserialize::deserialize(&mut de).map(|Strict| ()) {
            let message = e.to_string();
            return Err(if message.starts_with(NUL) { MetadataError::Nul } else { MetadataError::RepeatedName });
        }
        let (compact, depth) = compact(text);
        if depth > Self::MAX_DEPTH {
            return Err(MetadataError::TooDeep);
        }
        if compact.len() > Self::MAX_BYTES {
            return Err(MetadataError::TooLarge);
        }
        Ok(Self(compact.into()))
    }

    /// The compact JSON text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Metadata {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Metadata({} bytes)", self.0.len())
    }
}

/// The error text of a NUL found by [`Strict`].
const NUL: &str = "NUL";

/// A JSON value read only to refuse what `serde_json::Value` would accept silently: a member name
/// repeated in one object (it keeps the last), and the NUL character.
struct Strict;

impl<'de> serde::de::Deserialize<'de> for Strict {
    fn deserialize<D: serde::de::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(StrictVisitor)
    }
}

struct StrictVisitor;

impl<'de> serde::de::Visitor<'de> for StrictVisitor {
    type Value = Strict;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_bool<E>(self, _: bool) -> Result<Strict, E> {
        Ok(Strict)
    }

    fn visit_i64<E>(self, _: i64) -> Result<Strict, E> {
        Ok(Strict)
    }

    fn visit_u64<E>(self, _: u64) -> Result<Strict, E> {
        Ok(Strict)
    }

    fn visit_f64<E>(self, _: f64) -> Result<Strict, E> {
        Ok(Strict)
    }

    fn visit_unit<E>(self) -> Result<Strict, E> {
        Ok(Strict)
    }

    fn visit_str<E: serde::de::Error>(self, s: &str) -> Result<Strict, E> {
        if s.contains('\0') {
            Err(E::custom(NUL))
        } else {
            Ok(Strict)
        }
    }

    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<Strict, A::Error> {
        while seq.next_element::<Strict>()?.is_some() {}
        Ok(Strict)
    }

    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<Strict, A::Error> {
        let mut names = std::collections::HashSet::new();
        while let Some(name) = map.next_key::<String>()? {
            if name.contains('\0') {
                return Err(serde::de::Error::custom(NUL));
            }
            if !names.insert(name) {
                return Err(serde::de::Error::custom("repeated name"));
            }
            map.next_value::<Strict>()?;
        }
        Ok(Strict)
    }
}

/// The text of valid JSON without whitespace outside strings, and its deepest nesting.
fn compact(text: &str) -> (String, usize) {
    let mut out = String::with_capacity(text.len());
    let (mut depth, mut deepest) = (0usize, 0usize);
    let (mut in_string, mut escaped) = (false, false);
    for c in text.chars() {
        if in_string {
            out.push(c);
            match (escaped, c) {
                (true, _) => escaped = false,
                (false, '\\') => escaped = true,
                (false, '"') => in_string = false,
                _ => {}
            }
            continue;
        }
        match c {
            ' ' | '\t' | '\n' | '\r' => continue,
            '"' => in_string = true,
            '{' | '[' => {
                depth += 1;
                deepest = deepest.max(depth);
            }
            '}' | ']' => depth = depth.saturating_sub(1),
            _ => {}
        }
        out.push(c);
    }
    (out, deepest)
}

/// Who a key belongs to in the platform's terms.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct Owner {
    /// The platform's id for the owner.
    pub external_id: Option<ExternalId>,
    /// Free metadata.
    pub metadata: Option<Metadata>,
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    #[test]
    fn external_ids_are_printable_and_bounded() {
        assert_eq!(
            ExternalId::parse("merchant:4711 / Dakar").map(|e| e.to_string()),
            Ok("merchant:4711 / Dakar".into())
        );
        assert_eq!(ExternalId::parse(""), Err(ExternalIdError::Length));
        assert_eq!(ExternalId::parse(&"x".repeat(129)), Err(ExternalIdError::Length));
        assert!(ExternalId::parse(&"é".repeat(128)).is_ok(), "characters, not bytes");
        assert_eq!(ExternalId::parse("a\nb"), Err(ExternalIdError::NotPrintable));
        assert_eq!(ExternalId::parse("m-4711\u{202E}"), Err(ExternalIdError::NotPrintable), "a bidi override");
        assert_eq!(ExternalId::parse("m-\u{200B}4711"), Err(ExternalIdError::NotPrintable), "a zero-width space");
    }

    #[test]
    fn metadata_is_an_object_kept_as_sent_without_whitespace() {
        let kept = Metadata::parse("{ \"z\": 1, \"a\" : [1.50, {\"s\": \"a b\\\" }\"}] }").unwrap();
        assert_eq!(kept.as_str(), r#"{"z":1,"a":[1.50,{"s":"a b\" }"}]}"#, "order, numbers and strings as sent");
        assert_eq!(Metadata::parse("[1]"), Err(MetadataError::NotAnObject));
        assert_eq!(Metadata::parse("null"), Err(MetadataError::NotAnObject));
        assert_eq!(Metadata::parse("{\"a\":"), Err(MetadataError::NotJson));
        let twice = r#"{"merchant_id":"m-attacker","merchant_id":"m-4711"}"#;
        assert_eq!(Metadata::parse(twice), Err(MetadataError::RepeatedName), "readers would disagree");
        assert_eq!(Metadata::parse(r#"{"a":[{"b":1,"b":2}]}"#), Err(MetadataError::RepeatedName), "nested too");
        assert!(Metadata::parse(r#"{"a":{"b":1},"c":{"b":2}}"#).is_ok(), "the same name in two objects");
        assert_eq!(Metadata::parse(r#"{"a":"x\u0000"}"#), Err(MetadataError::Nul));
        assert_eq!(Metadata::parse(r#"{"\u0000":1}"#), Err(MetadataError::Nul));
        let five = r#"{"1":{"2":{"3":{"4":{"5":"deep"}}}}}"#;
        assert!(Metadata::parse(five).is_ok(), "five levels");
        assert_eq!(Metadata::parse(r#"{"1":{"2":{"3":{"4":[["6"]]}}}}"#), Err(MetadataError::TooDeep), "six");
        assert_eq!(Metadata::parse(r#"{"brackets": "[[[[[[{{{{{{"}"#).map(|m| m.as_str().len()), Ok(27), "in a string");
        let padded = format!("{{\"k\": \"{}\"}}", "v".repeat(4088));
        assert_eq!(Metadata::parse(&padded).map(|m| m.as_str().len()), Ok(4096), "exactly 4 KiB");
        let over = format!("{{\"k\":\"{}\"}}", "v".repeat(4089));
        assert_eq!(Metadata::parse(&over), Err(MetadataError::TooLarge));
    }

    proptest! {
        /// Any JSON object serde_json can write (in any layout) parses to a compact text that means the
        /// same JSON, whose depth is the object's own.
        #[test]
        fn compact_text_means_what_was_sent(value in json_object(), pretty in any::<bool>()) {
            let text = if pretty { serde_json::to_string_pretty(&value) } else { serde_json::to_string(&value) };
            let text = text.unwrap();
            match Metadata::parse(&text) {
                Ok(m) => {
                    let back: serde_json::Value = serde_json::from_str(m.as_str()).unwrap();
                    prop_assert_eq!(back, value.clone());
                    prop_assert!(m.as_str().len() <= Metadata::MAX_BYTES);
                    prop_assert!(depth(&value) <= Metadata::MAX_DEPTH);
                }
                Err(MetadataError::TooDeep) => prop_assert!(depth(&value) > Metadata::MAX_DEPTH),
                Err(MetadataError::TooLarge) => prop_assert!(serde_json::to_string(&value).unwrap().len() > Metadata::MAX_BYTES),
                Err(other) => prop_assert!(false, "{other:?} for {text}"),
            }
        }
    }

    fn depth(value: &serde_json::Value) -> usize {
        match value {
            serde_json::Value::Object(m) => 1 + m.values().map(depth).max().unwrap_or(0),
            serde_json::Value::Array(a) => 1 + a.iter().map(depth).max().unwrap_or(0),
            _ => 0,
        }
    }

    fn json_object() -> impl Strategy<Value = serde_json::Value> {
        let leaf = prop_oneof![
            Just(serde_json::Value::Null),
            any::<bool>().prop_map(serde_json::Value::from),
            any::<i64>().prop_map(serde_json::Value::from),
            "[ a-z\"\\\\{}\\[\\]:,\u{e9}\n]{0,12}".prop_map(serde_json::Value::from),
        ];
        let tree = leaf.prop_recursive(7, 64, 6, |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..4).prop_map(serde_json::Value::from),
                prop::collection::btree_map("[a-z ]{0,6}", inner, 0..4)
                    .prop_map(|m| serde_json::Value::Object(m.into_iter().collect())),
            ]
        });
        prop::collection::btree_map("[a-z{}]{0,6}", tree, 0..4)
            .prop_map(|m| serde_json::Value::Object(m.into_iter().collect()))
    }
}
