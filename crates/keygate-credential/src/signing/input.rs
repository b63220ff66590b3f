//! One signature from a request's `Signature-Input` and `Signature` fields (RFC 9421 section 4): its
//! label, covered components, parameters and bytes, and the canonical `@signature-params` value.

use super::sfv::{parse_dictionary, write_inner_list, BareItem, Item, Member, Parameters};

/// Longest `Signature-Input` or `Signature` value read: a real one is a few hundred bytes.
pub const MAX_FIELD_LEN: usize = 8 * 1024;

/// The components every keygate signature covers; `content-digest` too when there is a body.
pub const REQUIRED_COMPONENTS: [&str; 4] = ["@method", "@authority", "@path", "@query"];

/// The parameters every keygate signature carries.
pub const REQUIRED_PARAMS: [&str; 4] = ["created", "nonce", "keyid", "alg"];

/// The fields do not hold a usable signature.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("no signature in Signature-Input and Signature")]
pub struct InputError;

/// One signature, as its fields carry it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignatureInput {
    label: String,
    components: Vec<Item>,
    params: Parameters,
    signature: Vec<u8>,
}

impl SignatureInput {
    /// The signature of the first label of `Signature-Input` that `Signature` also has (several may be
    /// present; one is checked). Refuses fields that are not RFC 8941 dictionaries, or too long.
    pub fn select(signature_input: &str, signature: &str) -> Result<Self, InputError> {
        if signature_input.len() > MAX_FIELD_LEN || signature.len() > MAX_FIELD_LEN {
            return Err(InputError);
        }
        let inputs = parse_dictionary(signature_input).map_err(|_| InputError)?;
        let signatures = parse_dictionary(signature).map_err(|_| InputError)?;
        for (label, member) in inputs {
            let Member::InnerList(components, params) = member else { continue };
            let bytes = signatures.iter().find(|(l, _)| *l == label).and_then(|(_, m)| match m {
                Member::Item(Item { bare: BareItem::Bytes(bytes), .. }) => Some(bytes.clone()),
                _ => None,
            });
            // Every covered component is named by a string.
            if let Some(signature) = bytes {
                if components.iter().all(|c| matches!(c.bare, BareItem::String(_))) {
                    return Ok(Self { label, components, params, signature });
                }
            }
        }
        Err(InputError)
    }

    /// A signature made here (by a client helper or a test): the fields are built, not parsed.
    pub fn new(label: &str, components: &[&str], params: Parameters) -> Self {
        let components =
            components.iter().map(|c| Item { bare: BareItem::String((*c).to_owned()), params: Vec::new() }).collect();
        Self { label: label.to_owned(), components, params, signature: Vec::new() }
    }

    /// The label (`sig1`).
    pub fn label(&self) -> &str {
        &self.label
    }

    /// The covered components, in order.
    pub fn components(&self) -> &[Item] {
        &self.components
    }

    /// The signature's bytes.
    pub fn signature(&self) -> &[u8] {
        &self.signature
    }

    /// Whether the plain component `name` (without parameters) is covered.
    pub fn covers(&self, name: &str) -> bool {
        self.components.iter().any(|c| c.params.is_empty() && matches!(&c.bare, BareItem::String(s) if s == name))
    }

    fn param(&self, key: &str) -> Option<&BareItem> {
        self.params.iter().find(|(k, _)| k == key).map(|(_, v)| v)
    }

    fn string_param(&self, key: &str) -> Option<&str> {
        match self.param(key) {
            Some(BareItem::String(s)) => Some(s),
            _ => None,
        }
    }

    fn integer_param(&self, key: &str) -> Option<i64> {
        match self.param(key) {
            Some(BareItem::Integer(n)) => Some(*n),
            _ => None,
        }
    }

    /// `created`, seconds since the epoch.
    pub fn created(&self) -> Option<i64> {
        self.integer_param("created")
    }

    /// `expires`, seconds since the epoch, if given.
    pub fn expires(&self) -> Option<i64> {
        self.integer_param("expires")
    }

    /// `nonce`.
    pub fn nonce(&self) -> Option<&str> {
        self.string_param("nonce")
    }

    /// `keyid`.
    pub fn keyid(&self) -> Option<&str> {
        self.string_param("keyid")
    }

    /// `alg`.
    pub fn alg(&self) -> Option<&str> {
        self.string_param("alg")
    }

    /// The first required component or parameter the signature lacks (`content-digest` is required when
    /// the request has a body), or `None`.
    pub fn missing(&self, has_body: bool) -> Option<&'static str> {
        let components = REQUIRED_COMPONENTS.iter().chain(has_body.then_some(&"content-digest"));
        if let Some(missing) = components.into_iter().find(|c| !self.covers(c)) {
            return Some(missing);
        }
        let present = |key: &&str| match *key {
            "created" => self.created().is_some(),
            other => self.string_param(other).is_some(),
        };
        REQUIRED_PARAMS.iter().find(|k| !present(k)).copied()
    }

    /// The value of `@signature-params`: the inner list and its parameters, serialized canonically.
    pub fn params_value(&self) -> String {
        let mut out = String::new();
        write_inner_list(&mut out, &self.components, &self.params);
        out
    }
}
