//! The embeddable keygate verifier: `verify(raw token, request context)` parses the token, finds the
//! key in a bounded TTL cache or the store, checks the secret's hash in constant time, evaluates the
//! policy, spends the amount against the daily volume, and counts the use through the write-behind
//! buffer. [`request_log::RequestLog`] keeps a line per verification of an existing key, written
//! behind the answer. With the `actix` feature (on by default) it also brings actix-web middleware that protects
//! a route in one line.
//!
//! It fails closed: if the store cannot answer, the outcome is [`VerifyError::Unavailable`] (a 503),
//! never an allow. It never logs or returns a secret, a token or a hash.

#[cfg(feature = "actix")]
pub mod actix;
mod cache;
mod clock;
mod config;
pub mod manage;
mod outcome;
pub mod rate;
pub mod request_log;
mod signed;
pub mod spend;
pub mod tenant_rules;
mod verifier;

pub use clock::SystemClock;
pub use config::VerifierConfig;
pub use keygate_policy::{Denial, DenialCode, Money, RequestContext};
pub use outcome::{Verified, VerifyError};
pub use signed::{SignedRequest, MAX_NONCE_LEN};
pub use verifier::{Subject, Verifier, VerifyOptions};
