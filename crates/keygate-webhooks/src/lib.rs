//! keygate's webhook delivery: the body of an event ([`payload`]), the retry schedule
//! ([`RetrySchedule`]), the HTTP client that checks an endpoint's addresses and connects only to the
//! ones it checked ([`Sender`]), and the [`Worker`] that claims due deliveries from the store's outbox,
//! signs and sends them, and reports how each ended; and the [`ExpiryScan`] that announces keys
//! expiring and expired, once each.
//!
//! It never decides who may manage an endpoint (the verifier's management does), never follows a
//! redirect, never reads more than 4 KiB of an answer, never connects to a private address unless the
//! installation allows it, and never logs, puts in a payload or in the delivery log a secret, a token
//! or a hash.

pub mod payload;
mod scan;
mod schedule;
mod sender;
mod worker;

pub use scan::{ExpiryScan, ScanOptions};
pub use schedule::RetrySchedule;
pub use sender::{Attempt, AttemptError, Sender, SenderOptions};
pub use worker::{Worker, WorkerOptions};
