//! PostgreSQL backend: [`PgStore`], the [`KeyStore`] over a connection pool, its schema in
//! `migrations/`, and the LISTEN task that tells caches of other processes' key changes.
//!
//! One idea per file: `connect` (options, pool, migrations), `keys` (the transactional commit and key
//! reads), `tenants` (tenants, created with their first admins), `operators` (operator accounts),
//! `totals` (a spend's all-or-nothing charge to its day, week and month, and its give-back), `spends`
//! (recorded spends, their idempotency claims and releases), `usage`, `requests` (the request log)
//! and `request_copy` (its lines in COPY's binary form), `leaks` (a leak report with its entry and
//! key changes, once per key and url), `audit` (the hash-chained log and its verification),
//! `webhooks`/`webhook_row` (webhook endpoints), `outbox` (events written with the audit entries that
//! announce them, the delivery queue and its leases), `webhook_store` (their trait's hand-over),
//! `listen` (invalidations), `hosts` (the multi-host URL) and `primary` (finding the primary among
//! them and following it through a failover), `key_params`/`key_row`/`tenant_row`/`operator_row`/`rows` (model to and
//! from columns), `json` (the jsonb columns' shapes), `failure` (error mapping),
//! `convert` and `url`. Only runtime-checked queries with bound parameters: no SQL is ever built from
//! a value.
//!
//! It must never enforce a lifecycle or policy rule (that is the domain's job), never leave a partial
//! write, never report an unreachable database as `NotFound` (it is `Unavailable`, so callers fail
//! closed), never panic on a stored row (a row that does not parse is `Corrupt`), and never log or put
//! in an error a secret, a token hash or the database password.

mod audit;
mod catalogue_json;
mod connect;
mod convert;
mod failure;
pub(crate) mod hosts;
mod json;
mod key_params;
mod key_row;
mod keys;
mod leaks;
mod listen;
mod nonces;
mod notices;
mod operator_row;
mod operators;
mod outbox;
mod primary;
mod rate;
mod request_copy;
mod requests;
mod rows;
mod services;
mod sessions;
mod spends;
mod store;
mod tenant_row;
mod tenants;
mod totals;
pub(crate) mod url;
mod usage;
mod webhook_row;
mod webhook_store;
mod webhooks;

#[cfg(test)]
mod tests;

use std::fmt;
use std::sync::Arc;

use tokio::sync::oneshot;

use crate::error::StoreError;
use crate::model::KeyRecord;

pub use connect::PgStoreOptions;

/// The PostgreSQL store. Cheap to clone: clones share one pool and one listener, which stop when the
/// last clone is dropped.
#[derive(Clone)]
pub struct PgStore {
    inner: Arc<Inner>,
}

struct Inner {
    pool: sqlx::PgPool,
    invalidations: crate::invalidations::InvalidationSender,
    /// `host:port` of each host, for `Debug` (no user, no password).
    target: String,
    /// Where the primary is; told of every `Unavailable` answer.
    primary: Arc<primary::Primary>,
    max_connections: u32,
    /// The tenant ids and scope sets of the keys read for the verifier, each kept once.
    parts: std::sync::Mutex<crate::key_parts::KeyParts>,
    /// Dropped with the last clone, which stops the listener and the primary's watcher.
    _shutdown: (oneshot::Sender<()>, oneshot::Sender<()>),
}

impl PgStore {
    /// The connection pool, for readiness checks and tests.
    pub fn pool(&self) -> &sqlx::PgPool {
        &self.inner.pool
    }

    /// `record` for the verifier's cache, holding the tenant id and scope set equal keys read before
    /// hold: ten thousand cached keys then share one copy of each, which stays in the CPU's cache.
    fn shared(&self, mut record: KeyRecord) -> Arc<KeyRecord> {
        self.inner.parts.lock().unwrap_or_else(std::sync::PoisonError::into_inner).share(&mut record.key);
        Arc::new(record)
    }

    /// `result`, after waking the primary's watcher if it is `Unavailable`: the database may have
    /// failed over (or the server this pool uses turned read-only).
    fn watched<T>(&self, result: Result<T, StoreError>) -> Result<T, StoreError> {
        if matches!(result, Err(StoreError::Unavailable(_))) {
            self.inner.primary.wake();
        }
        result
    }
}

impl fmt::Debug for PgStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PgStore")
            .field("database", &self.inner.target)
            .field("max_connections", &self.inner.max_connections)
            .finish_non_exhaustive()
    }
}
