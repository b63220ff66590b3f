//! The client's side, for tests, benches, examples and Rust clients: the `Signature-Input`,
//! `Signature` and `Content-Digest` fields of a request keygate accepts (label `sig1`, covering the
//! required components, and `content-digest` when there is a body).

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use keygate_domain::SigningAlgorithm;

use super::base::{signature_base, Message};
use super::digest::content_digest;
use super::input::{SignatureInput, REQUIRED_COMPONENTS};
use super::sfv::BareItem;

/// The fields to add to a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignedFields {
    /// `Signature-Input`.
    pub signature_input: String,
    /// `Signature`.
    pub signature: String,
    /// `Content-Digest`, when the request has a body.
    pub content_digest: Option<String>,
}

/// What a client signs with: the key's `keyid`, its algorithm, the instant and a fresh nonce.
#[derive(Debug, Clone, Copy)]
pub struct SignParams<'a> {
    /// The key's `signing.key_id`.
    pub keyid: &'a str,
    /// Its algorithm.
    pub alg: SigningAlgorithm,
    /// Seconds since the epoch.
    pub created: i64,
    /// Unique per request (16 random bytes in base64, say).
    pub nonce: &'a str,
}

/// Signs `message` (and `body`, if any and not empty) with `sign`, which turns a signature base into
/// signature bytes (an HMAC secret's or an Ed25519 key's `sign`).
pub fn sign_request(
    message: &Message<'_>,
    body: Option<&[u8]>,
    params: SignParams<'_>,
    sign: impl FnOnce(&[u8]) -> Vec<u8>,
) -> SignedFields {
    let digest = body.filter(|b| !b.is_empty()).map(content_digest);
    let mut components: Vec<&str> = REQUIRED_COMPONENTS.to_vec();
    let mut headers = message.headers.to_vec();
    if let Some(digest) = &digest {
        components.push("content-digest");
        headers.retain(|(n, _)| !n.eq_ignore_ascii_case("content-digest"));
        headers.push(("content-digest".to_owned(), digest.clone()));
    }
    let input = SignatureInput::new(
        "sig1",
        &components,
        vec![
            ("created".to_owned(), BareItem::Integer(params.created)),
            ("nonce".to_owned(), BareItem::String(params.nonce.to_owned())),
            ("keyid".to_owned(), BareItem::String(params.keyid.to_owned())),
            ("alg".to_owned(), BareItem::String(params.alg.as_str().to_owned())),
        ],
    );
    let message = Message { headers: &headers, ..*message };
    // Every component here is one signature_base resolves, and content-digest was just added.
    let base = signature_base(&input, &message).unwrap_or_default();
    let signature = sign(base.as_bytes());
    SignedFields {
        signature_input: format!("sig1={}", input.params_value()),
        signature: format!("sig1=:{}:", STANDARD.encode(signature)),
        content_digest: digest,
    }
}
