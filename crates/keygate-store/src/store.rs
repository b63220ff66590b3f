//! The `KeyStore` trait: what keygate needs from storage, whatever the backend.

use std::sync::Arc;

use async_trait::async_trait;
use keygate_domain::{KeyId, OperatorId, ServiceId, SpendId, TenantId};

use crate::audit_chain::AuditChainReport;
use crate::console_session::{ConsoleSession, SessionHash};
use crate::cursor::{AuditCursor, KeyCursor};
use crate::error::StoreError;
use crate::invalidations::Invalidations;
use crate::leak::LeakRecord;
use crate::model::{
    AuditEntry, KeyChange, KeyFilter, KeyRecord, KeyUsage, NewSpend, Operator, Page, Recorded, Service, SpendRecord,
    Tenant, UsageRecord,
};
use crate::rate::{Leased, RateLease};
use crate::request_log::{RequestCursor, RequestFilter, RequestLine};

/// Storage for tenants, operators, keys, spends, usage and the audit log.
///
/// Every method that takes a tenant answers only about that tenant: a key of tenant B asked for under
/// tenant A is `NotFound`. Errors reaching the backend are `Unavailable`, never `NotFound`.
#[async_trait]
pub trait KeyStore: crate::webhook_store::WebhookStore + Send + Sync + 'static {
    /// Creates a tenant (`AlreadyExists` if the id is taken), with its audit entry.
    ///
    /// Every method that takes an [`AuditEntry`] appends it in the same transaction as its change,
    /// giving it the tenant's next `seq` and chaining its `hash` to the previous entry's; appends in one
    /// tenant are serialised, so however many writers race the chain neither forks nor skips.
    /// The tenant's first admins (`admins`, invited by the system admin) are created in the same
    /// transaction, each with its entry of `audit` after the tenant's (`audit[0]` is the tenant's).
    async fn create_tenant(&self, tenant: &Tenant, admins: &[Operator], audit: &[AuditEntry])
        -> Result<(), StoreError>;

    /// A tenant.
    async fn tenant(&self, id: &TenantId) -> Result<Tenant, StoreError>;

    /// Replaces a tenant's name and policy if its version is still `expected_version` (else `Conflict`).
    async fn update_tenant(&self, tenant: &Tenant, expected_version: u64, audit: &AuditEntry)
        -> Result<(), StoreError>;

    /// Creates an operator (`AlreadyExists` if the tenant has the e-mail), with its audit entry.
    async fn create_operator(&self, operator: &Operator, audit: &AuditEntry) -> Result<(), StoreError>;

    /// Replaces an operator (account, token and invitation hashes) if its account version is still
    /// `expected_version` (else `Conflict`), with its audit entry.
    async fn update_operator(
        &self,
        operator: &Operator,
        expected_version: u64,
        audit: &AuditEntry,
    ) -> Result<(), StoreError>;

    /// Records that an operator authenticated at `at` (`last_seen_at`): usage, like a key's last use,
    /// so not audited and not versioned; an unknown operator is ignored.
    async fn operator_seen(&self, id: OperatorId, at: chrono::DateTime<chrono::Utc>) -> Result<(), StoreError>;

    /// Creates a service credential (`AlreadyExists` if the id is taken).
    async fn create_service(&self, service: &Service) -> Result<(), StoreError>;

    /// Every service credential, oldest first.
    async fn services(&self) -> Result<Vec<Service>, StoreError>;

    /// A service credential by id.
    async fn service(&self, id: ServiceId) -> Result<Service, StoreError>;

    /// Disables a service credential at `at` (idempotent: an already disabled one keeps its instant).
    async fn disable_service(&self, id: ServiceId, at: chrono::DateTime<chrono::Utc>) -> Result<Service, StoreError>;

    /// A tenant's operators, oldest first.
    async fn operators(&self, tenant: &TenantId) -> Result<Vec<Operator>, StoreError>;

    /// An operator by id, whatever its tenant (for authenticating its token).
    async fn operator(&self, id: OperatorId) -> Result<Operator, StoreError>;

    /// Applies key writes and their audit entries all or nothing. An `Update` whose stored version is
    /// not its `expected_version` fails the whole commit with `Conflict`; an `Insert` whose name the
    /// tenant has already fails it with `NameTaken`. Other processes sharing the store hear of every
    /// updated key through [`KeyStore::invalidations`].
    async fn commit(&self, changes: &[KeyChange]) -> Result<(), StoreError>;

    /// Records that a key was reported leaked at a url, with its `key.leaked` entry (`audit`) and the
    /// key changes the tenant's `on_leak` asked for, all or nothing, in one transaction:
    ///
    /// - if the tenant already holds a report of this key at this url, nothing is written and the
    ///   answer is `false` (however many callers race with one report, one records it);
    /// - otherwise the report, then `audit`, then each change as [`KeyStore::commit`] applies it, and
    ///   the answer is `true`. A change whose key moved since it was read fails the whole of it with
    ///   `Conflict`: not even the report is kept, so the caller reads the key again and retries.
    ///
    /// `NotFound` if the tenant has no such key. Other processes hear of every updated key through
    /// [`KeyStore::invalidations`].
    async fn record_leak(
        &self,
        leak: &LeakRecord,
        audit: &AuditEntry,
        changes: &[KeyChange],
    ) -> Result<bool, StoreError>;

    /// A key of a tenant.
    async fn key(&self, tenant: &TenantId, id: KeyId) -> Result<KeyRecord, StoreError>;

    /// A key by its public id alone (the verifier's look-up); `None` if there is none. Shared, so a
    /// backend that keeps records in memory hands out the record it holds rather than a copy. Its
    /// `last_used_*` may be `None` or behind: the verifier does not read them ([`KeyStore::key`] and
    /// [`KeyStore::usage`] do).
    async fn find_key(&self, id: KeyId) -> Result<Option<Arc<KeyRecord>>, StoreError>;

    /// [`KeyStore::find_key`] of each of `ids`, answered in their order (an id asked twice is answered
    /// twice): the verifier renews its cached keys ahead of their TTL in batches, so a backend behind a
    /// network answers them in one round trip. The default asks for them one at a time.
    async fn find_keys(&self, ids: &[KeyId]) -> Result<Vec<Option<Arc<KeyRecord>>>, StoreError> {
        let mut found = Vec::with_capacity(ids.len());
        for &id in ids {
            found.push(self.find_key(id).await?);
        }
        Ok(found)
    }

    /// A tenant's keys in the stable order (`created_at`, id), after `cursor`, at most `limit` of them.
    async fn keys(
        &self,
        tenant: &TenantId,
        filter: KeyFilter,
        cursor: Option<KeyCursor>,
        limit: u32,
    ) -> Result<Page<KeyRecord, KeyCursor>, StoreError>;

    /// Records a spend, all or nothing, in one transaction:
    ///
    /// 1. If it carries an idempotency key, claims (tenant, key, idempotency key). A claim made within
    ///    the 24 hours up to `spend.at` (24 hours old included) answers `Replayed` with the first spend
    ///    (same fingerprint) or `Mismatch` (another fingerprint) and writes nothing; an older claim, or
    ///    one whose spend was released, is replaced. However many callers race with one idempotency
    ///    key, one spends and the others replay it.
    /// 2. Charges the amount to the three windows containing `spend.at`: the totals of (tenant, key,
    ///    currency, window, `spend.starts` of that window), for the day, the ISO week and the month.
    ///    The amount is always counted in all three, whether or not the window has a limit, so a limit
    ///    set mid-week sees what was spent earlier that week. Totals are kept per currency, and a
    ///    spend without a currency (`None`) counts in a currency of its own. Only while the key's
    ///    version is still `key_version` (else `Stale`). All three windows are charged or none is: if
    ///    the amount would take any window with a limit over it, nothing is written (no claim, no
    ///    total, no record) and the answer is `Refused` with the shortest such window and what remains
    ///    of it. Exact however many callers race, in this process or others sharing the store: no
    ///    window's total ever goes over the limit the spends charging it were given.
    /// 3. Keeps the spend as a held [`SpendRecord`] with its window starts (`AlreadyExists` if its id
    ///    is taken).
    ///
    /// `NotFound` if the tenant has no such key.
    async fn record_spend(&self, spend: &NewSpend) -> Result<Recorded, StoreError>;

    /// A recorded spend by id, whatever its tenant.
    async fn spend_record(&self, id: SpendId) -> Result<SpendRecord, StoreError>;

    /// Releases a held spend: marks it released and gives its amount back to each of the three
    /// windows it was charged to (its own `starts` and currency; never below zero), so a release after
    /// its day closed leaves the new day alone but still gives back to a week or month still running.
    /// Answers the record and whether this call released it: however many callers race, one gets
    /// `true`, and a later call gets `false` and changes nothing.
    async fn release_spend(&self, id: SpendId) -> Result<(SpendRecord, bool), StoreError>;

    /// Leases request budget (see [`RateLease`]), in one atomic step: gives back `give_back` to the
    /// window `(key, name, window_start)` (never below zero), then grants `min(want, limit - leased)`
    /// (never below zero) and adds it to the window's leased total. Exact however many processes race:
    /// the leased total of a window never goes over the `limit` its leases were asked under. A lease
    /// with a `key_version` that is not the key's stored one (or of a key that is gone) changes nothing
    /// and is `Stale`. Windows before `window_start` of the same key and name are forgotten.
    async fn lease_rate(&self, lease: &RateLease) -> Result<Leased, StoreError>;

    /// Adds a batch of aggregated usage (request counts, last use). Called by the usage buffer.
    async fn record_usage(&self, batch: &[UsageRecord]) -> Result<(), StoreError>;

    /// A key's usage: last use and, per day (newest first, at most `days`), requests and the day
    /// windows' spend totals (added up, and per currency).
    async fn usage(&self, tenant: &TenantId, key: KeyId, days: u32) -> Result<KeyUsage, StoreError>;

    /// A tenant's audit log, newest first, optionally for one key, before `cursor`.
    async fn audit(
        &self,
        tenant: &TenantId,
        key: Option<KeyId>,
        cursor: Option<AuditCursor>,
        limit: u32,
    ) -> Result<Page<AuditEntry, AuditCursor>, StoreError>;

    /// Re-computes a tenant's audit chain from its first entry to its last, in `seq` order, and says
    /// whether every entry still hashes as it did when appended (`NotFound` for an unknown tenant).
    /// Reads the log in pages, so a long log does not need to fit in memory.
    async fn verify_audit(&self, tenant: &TenantId) -> Result<AuditChainReport, StoreError>;

    /// Appends a batch of request-log lines (called by the request log's write-behind buffer). Lines
    /// are kept as given; one batch is written whole or not at all. The in-memory store keeps at most
    /// its configured number of lines per tenant, forgetting the oldest first.
    async fn record_requests(&self, lines: &[RequestLine]) -> Result<(), StoreError>;

    /// A tenant's request-log lines that `filter` keeps, newest first (by `at`, then id), strictly
    /// after `cursor` in that order, at most `limit` of them.
    async fn requests(
        &self,
        tenant: &TenantId,
        filter: &RequestFilter,
        cursor: Option<RequestCursor>,
        limit: u32,
    ) -> Result<Page<RequestLine, RequestCursor>, StoreError>;

    /// Deletes up to `batch` request-log lines older than `before` (of any tenant) and answers how
    /// many it deleted: call again until it answers fewer than `batch`. Safe to run from several
    /// processes at once: each deletes lines no other is deleting, and none ever deletes a line at or
    /// after `before`.
    async fn prune_requests(&self, before: chrono::DateTime<chrono::Utc>, batch: u32) -> Result<u64, StoreError>;

    /// Records that a verified signature of `key` used `nonce`, until `expires_at` (when a signature
    /// carrying it can no longer be fresh): `true` the first time, `false` while an earlier use has not
    /// expired at `now` (a replay). Atomic across every process on one database: of two racing, one
    /// gets `true`. Expired nonces are forgotten.
    async fn record_nonce(
        &self,
        key: KeyId,
        nonce: &str,
        now: chrono::DateTime<chrono::Utc>,
        expires_at: chrono::DateTime<chrono::Utc>,
    ) -> Result<bool, StoreError>;

    /// Opens a console session (its id's hash is new: a clash is `AlreadyExists`).
    async fn open_session(&self, session: &ConsoleSession) -> Result<(), StoreError>;

    /// The console session whose cookie id hashes to `id`, if open.
    async fn session(&self, id: &SessionHash) -> Result<Option<ConsoleSession>, StoreError>;

    /// Records that the session was used at `at` (never moves `last_seen_at` back).
    async fn touch_session(&self, id: &SessionHash, at: chrono::DateTime<chrono::Utc>) -> Result<(), StoreError>;

    /// Ends a session for every process; `false` if it was not open.
    async fn end_session(&self, id: &SessionHash) -> Result<bool, StoreError>;

    /// Forgets sessions opened before `opened_before` or last used before `seen_before` (both past
    /// their timeouts); safe from several processes at once.
    async fn prune_sessions(
        &self,
        opened_before: chrono::DateTime<chrono::Utc>,
        seen_before: chrono::DateTime<chrono::Utc>,
    ) -> Result<u64, StoreError>;

    /// Key changes made by any process sharing this store, so caches can evict them.
    fn invalidations(&self) -> Invalidations;

    /// Whether the backend answers (readiness).
    async fn ping(&self) -> Result<(), StoreError>;
}
