//! keygate's policy evaluator: given a [`keygate_domain::Key`], a [`RequestContext`] describing what the
//! caller is trying to do and the instant `now`, [`evaluate`] allows the request or returns exactly one
//! [`Denial`], the first broken rule in this order:
//!
//! 1. state: `pending_approval`, `rejected` and `revoked` keys are refused (`active` and
//!    `revocation_pending` pass: a key awaiting revocation works until a checker approves it);
//! 2. expiry: a key is expired from its `expires_at` instant on;
//! 3. tenant: the tenant acted on, when the caller names one, must be the key's;
//! 4. account: the account acted on, when the caller names one, must be the key's if the key is bound
//!    to an account (a key of the whole tenant acts for every account);
//! 5. environment: the calling service's environment, when given, must be the key's;
//! 6. scopes: every required scope must be granted (all missing ones are reported);
//! 7. client address: a key with an allow list needs a client address on it (an unknown one fails closed);
//! 8. currency: an amount against a key with a currency must carry that same currency;
//! 9. amount: an amount must not exceed the key's per-operation maximum.
//!
//! [`check_order`] lists every [`DenialCode`] in that order, with `MALFORMED` and `NOT_FOUND` first (the
//! verifier produces them before a key exists) and `DAILY_VOLUME_EXCEEDED` last (the verifier checks it
//! against the store's running total after `evaluate` allows). Each code has one HTTP status and title.
//!
//! This crate is pure: it never does I/O, never reads a clock (`now` is a parameter), never logs, never
//! touches a secret and never changes a key. It decides; it does not record.

mod context;
mod denial;
mod evaluate;

pub use context::{Money, RequestContext};
pub use denial::{Denial, DenialCode, ParseDenialCodeError};
pub use evaluate::{check_order, evaluate};
