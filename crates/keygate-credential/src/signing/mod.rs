//! Signed requests: RFC 9421 (HTTP Message Signatures) with RFC 9530 `Content-Digest` for the body.
//!
//! Pure functions only: parsing the `Signature-Input`, `Signature` and `Content-Digest` fields (RFC 8941
//! structured fields, in [`sfv`]), building the signature base exactly as the RFC says, the two
//! verifications keygate supports (`hmac-sha256`, `ed25519`) and the derivation of an HMAC key's secret
//! from the installation's master key. No store, no clock: which key, how stale, and whether a nonce
//! was seen are the verifier's to decide. Nothing here logs or prints a secret.

mod base;
mod digest;
mod input;
mod keys;
pub mod sfv;
mod sign;

pub use base::{signature_base, BaseError, Message};
pub use digest::{content_digest, is_empty_body, sha256, sha256_of_field, DigestError};
pub use input::{InputError, SignatureInput, MAX_FIELD_LEN, REQUIRED_COMPONENTS, REQUIRED_PARAMS};
pub use keys::{
    ed25519_public_key, hmac_sha256, verify_ed25519, verify_hmac, HmacSecret, SigningMasterKey, SigningMasterKeyError,
    VerifyingKey,
};
pub use sign::{sign_request, SignParams, SignedFields};

#[cfg(test)]
mod tests;
