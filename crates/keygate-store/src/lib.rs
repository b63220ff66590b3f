//! keygate's storage: the [`KeyStore`] trait that the verifier and the server use without knowing the
//! backend, an in-memory backend ([`MemoryStore`]) and a PostgreSQL backend ([`PgStore`]) that pass one
//! conformance suite, the write-behind [`UsageBuffer`],
//! and the request log's lines ([`RequestLine`], kept per key and pruned by age).
//!
//! The store persists and queries. It enforces no lifecycle or policy rule beyond atomicity: every key
//! write is a compare-and-set on the version the caller read, every audit entry is written in the same
//! transaction as the change it records and chained to the tenant's previous entry by a hash (see
//! [`AuditHash`]; [`KeyStore::verify_audit`] re-computes the chain), a spend is charged to its day,
//! week and month all or none and never takes one over its limit, an idempotency key claims one spend,
//! a recorded spend is released at most once, the request budget leased from a window never sums past its limit, and a leak is recorded once per key and url.
//! Only this crate knows SQL. It never logs a secret or a hash.

mod audit_chain;
mod console_session;
mod cursor;
mod error;
mod invalidations;
mod key_parts;
mod leak;
mod memory;
mod model;
mod notices;
mod pg;
mod rate;
mod request_log;
mod store;
#[cfg(feature = "testing")]
pub mod testing;
mod usage_buffer;
mod webhook_model;
mod webhook_store;

pub use audit_chain::{AuditChainReport, AuditHash};
pub use console_session::{ConsoleSession, SessionHash};
pub use cursor::{AuditCursor, CursorError, KeyCursor};
pub use error::StoreError;
pub use invalidations::{InvalidationSender, Invalidations};
pub use leak::LeakRecord;
pub use memory::{MemoryStore, DEFAULT_LINES_PER_TENANT};
pub use model::{
    AuditEntry, AuditKind, DayUsage, Idempotency, Invalidation, KeyChange, KeyFilter, KeyRecord, KeyUsage, KeyWrite,
    NewSpend, Operator, Page, PendingPolicy, Recorded, Service, SpendRecord, SpendState, Tenant, UsageRecord,
};
pub use notices::{ExpiryDue, THRESHOLDS};
pub use pg::hosts::UrlError;
pub use pg::{PgStore, PgStoreOptions};
pub use rate::{Leased, RateLease};
pub use request_log::{valid_outcome, RequestCursor, RequestFilter, RequestLine};
pub use store::KeyStore;
pub use usage_buffer::{UsageBuffer, UsageBufferOptions};
pub use webhook_model::{
    ClaimedDelivery, Delivery, DeliveryCursor, DeliveryReport, DeliveryStatus, OutboxEvent, SealedSecret, WebhookRecord,
};
pub use webhook_store::WebhookStore;
