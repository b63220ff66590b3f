//! The in-memory backend: for tests, embedding and the server's default. The same semantics as
//! PostgreSQL, including atomicity under concurrency: every method takes one lock for its whole
//! read-check-write, so two racing approvals or a thousand racing spends see each other. It never
//! persists anything: a restart starts empty.

mod nonces;
mod rate;
mod requests;
mod sessions;
mod spends;
mod state;
mod webhooks;

use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, PoisonError, RwLock};

use async_trait::async_trait;
use chrono::NaiveDate;
use keygate_domain::{Currency, KeyId, OperatorId, ServiceId, SpendId, TenantId, Window};
use rust_decimal::Decimal;

use self::state::{State, StoredKey};
use crate::audit_chain::{AuditChainReport, ChainWalk};
use crate::console_session::{ConsoleSession, SessionHash};
use crate::cursor::{AuditCursor, KeyCursor};
use crate::error::StoreError;
use crate::invalidations::{InvalidationSender, Invalidations};
use crate::leak::LeakRecord;
use crate::model::{
    AuditEntry, DayUsage, Invalidation, KeyChange, KeyFilter, KeyRecord, KeyUsage, KeyWrite, NewSpend, Operator, Page,
    Recorded, Service, SpendRecord, Tenant, UsageRecord,
};
use crate::request_log::{RequestCursor, RequestFilter, RequestLine};
use crate::store::KeyStore;

pub use self::requests::DEFAULT_LINES_PER_TENANT;

/// The in-memory store.
pub struct MemoryStore {
    state: RwLock<State>,
    invalidations: InvalidationSender,
    requests: requests::Requests,
    nonces: nonces::Nonces,
    sessions: sessions::Sessions,
}

impl Default for MemoryStore {
    fn default() -> Self {
        Self::new()
    }
}

impl std::fmt::Debug for MemoryStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("MemoryStore")
    }
}

impl MemoryStore {
    /// An empty store.
    pub fn new() -> Self {
        Self::with_request_lines(DEFAULT_LINES_PER_TENANT)
    }

    /// An empty store keeping at most `per_tenant` request-log lines per tenant (at least one).
    pub fn with_request_lines(per_tenant: usize) -> Self {
        Self {
            state: RwLock::new(State::default()),
            invalidations: InvalidationSender::new(),
            requests: requests::Requests::new(per_tenant),
            nonces: nonces::Nonces::new(nonces::NONCE_CAPACITY),
            sessions: sessions::Sessions::default(),
        }
    }

    fn read(&self) -> std::sync::RwLockReadGuard<'_, State> {
        // A panic while holding the lock cannot leave a half-applied change (checks run before writes),
        // so the data is still consistent and we keep serving it.
        self.state.read().unwrap_or_else(PoisonError::into_inner)
    }

    fn write(&self) -> std::sync::RwLockWriteGuard<'_, State> {
        self.state.write().unwrap_or_else(PoisonError::into_inner)
    }

    /// Tells every subscriber of the keys `changes` updated.
    fn announce(&self, changes: &[KeyChange]) {
        for change in changes {
            if !matches!(change.write, KeyWrite::Insert(_)) {
                self.invalidations.send(Invalidation::Key(change.write.key().id));
            }
        }
    }
}

fn page_limit(limit: u32) -> usize {
    usize::try_from(limit.max(1)).unwrap_or(usize::MAX)
}

#[async_trait]
impl KeyStore for MemoryStore {
    async fn create_tenant(
        &self,
        tenant: &Tenant,
        admins: &[Operator],
        audit: &[AuditEntry],
    ) -> Result<(), StoreError> {
        let mut state = self.write();
        if state.tenants.contains_key(&tenant.id) {
            return Err(StoreError::AlreadyExists);
        }
        // Every check before the first write, so a refused admin leaves no tenant behind.
        for (i, admin) in admins.iter().enumerate() {
            // As PostgreSQL's foreign key: an admin of a tenant that does not exist is refused.
            if admin.tenant() != &tenant.id && !state.tenants.contains_key(admin.tenant()) {
                return Err(StoreError::NotFound);
            }
            let earlier = &admins[..i];
            let taken =
                state.operator_taken(admin) || earlier.iter().any(|o| o.id() == admin.id() || o.email == admin.email);
            if taken {
                return Err(StoreError::AlreadyExists);
            }
        }
        state.tenants.insert(tenant.id.clone(), tenant.clone());
        for admin in admins {
            state.operators.insert(admin.id(), admin.clone());
        }
        for entry in audit {
            state.append_audit(entry);
        }
        Ok(())
    }

    async fn tenant(&self, id: &TenantId) -> Result<Tenant, StoreError> {
        self.read().tenants.get(id).cloned().ok_or(StoreError::NotFound)
    }

    async fn update_tenant(
        &self,
        tenant: &Tenant,
        expected_version: u64,
        audit: &AuditEntry,
    ) -> Result<(), StoreError> {
        let mut state = self.write();
        let stored = state.tenants.get_mut(&tenant.id).ok_or(StoreError::NotFound)?;
        if stored.version != expected_version {
            return Err(StoreError::Conflict);
        }
        *stored = tenant.clone();
        state.append_audit(audit);
        Ok(())
    }

    async fn create_operator(&self, operator: &Operator, audit: &AuditEntry) -> Result<(), StoreError> {
        let mut state = self.write();
        if !state.tenants.contains_key(operator.tenant()) {
            return Err(StoreError::NotFound);
        }
        if state.operator_taken(operator) {
            return Err(StoreError::AlreadyExists);
        }
        state.operators.insert(operator.id(), operator.clone());
        state.append_audit(audit);
        Ok(())
    }

    async fn update_operator(
        &self,
        operator: &Operator,
        expected_version: u64,
        audit: &AuditEntry,
    ) -> Result<(), StoreError> {
        let mut state = self.write();
        let stored = state.operators.get(&operator.id()).filter(|o| o.tenant() == operator.tenant());
        let Some(stored) = stored else { return Err(StoreError::NotFound) };
        if stored.account.version != expected_version {
            return Err(StoreError::Conflict);
        }
        // A changed e-mail must still be unique in the tenant, as PostgreSQL's constraint says.
        let email_taken = state
            .operators
            .values()
            .any(|o| o.id() != operator.id() && o.tenant() == operator.tenant() && o.email == operator.email);
        if email_taken {
            return Err(StoreError::AlreadyExists);
        }
        state.operators.insert(operator.id(), operator.clone());
        state.append_audit(audit);
        Ok(())
    }

    async fn operator_seen(&self, id: OperatorId, at: chrono::DateTime<chrono::Utc>) -> Result<(), StoreError> {
        if let Some(op) = self.write().operators.get_mut(&id) {
            op.last_seen_at = Some(at);
        }
        Ok(())
    }

    async fn create_service(&self, service: &Service) -> Result<(), StoreError> {
        let mut state = self.write();
        if state.services.contains_key(&service.id) {
            return Err(StoreError::AlreadyExists);
        }
        state.services.insert(service.id, service.clone());
        Ok(())
    }

    async fn services(&self) -> Result<Vec<Service>, StoreError> {
        let mut all: Vec<Service> = self.read().services.values().cloned().collect();
        all.sort_by_key(|s| (s.created_at, s.id));
        Ok(all)
    }

    async fn service(&self, id: ServiceId) -> Result<Service, StoreError> {
        self.read().services.get(&id).cloned().ok_or(StoreError::NotFound)
    }

    async fn disable_service(&self, id: ServiceId, at: chrono::DateTime<chrono::Utc>) -> Result<Service, StoreError> {
        let mut state = self.write();
        let service = state.services.get_mut(&id).ok_or(StoreError::NotFound)?;
        service.disabled_at.get_or_insert(at);
        Ok(service.clone())
    }

    async fn operators(&self, tenant: &TenantId) -> Result<Vec<Operator>, StoreError> {
        let state = self.read();
        let mut ops: Vec<Operator> = state.operators.values().filter(|o| o.tenant() == tenant).cloned().collect();
        ops.sort_by_key(|o| (o.account.created_at, o.id()));
        Ok(ops)
    }

    async fn operator(&self, id: OperatorId) -> Result<Operator, StoreError> {
        self.read().operators.get(&id).cloned().ok_or(StoreError::NotFound)
    }

    async fn commit(&self, changes: &[KeyChange]) -> Result<(), StoreError> {
        {
            let mut state = self.write();
            state.check(changes)?;
            state.apply(changes);
        }
        self.announce(changes);
        Ok(())
    }

    async fn record_leak(
        &self,
        leak: &LeakRecord,
        audit: &AuditEntry,
        changes: &[KeyChange],
    ) -> Result<bool, StoreError> {
        {
            let mut state = self.write();
            // As PostgreSQL's foreign key: a report is about a key of its tenant.
            if state.keys.get(&leak.key).is_none_or(|r| r.key.tenant != leak.tenant) {
                return Err(StoreError::NotFound);
            }
            let id = (leak.tenant.clone(), leak.key, leak.url.clone());
            if state.leaks.contains_key(&id) {
                return Ok(false);
            }
            // Every check before the first write, so a conflict leaves no report behind.
            state.check(changes)?;
            state.leaks.insert(id, leak.clone());
            state.append_audit(audit);
            state.apply(changes);
        }
        self.announce(changes);
        Ok(true)
    }

    async fn key(&self, tenant: &TenantId, id: KeyId) -> Result<KeyRecord, StoreError> {
        self.read().keys.get(&id).filter(|r| &r.key.tenant == tenant).map(StoredKey::read).ok_or(StoreError::NotFound)
    }

    async fn find_key(&self, id: KeyId) -> Result<Option<Arc<KeyRecord>>, StoreError> {
        Ok(self.read().keys.get(&id).map(|stored| stored.record.clone()))
    }

    async fn keys(
        &self,
        tenant: &TenantId,
        filter: KeyFilter,
        cursor: Option<KeyCursor>,
        limit: u32,
    ) -> Result<Page<KeyRecord, KeyCursor>, StoreError> {
        let state = self.read();
        let empty = BTreeSet::new();
        let order = state.order.get(tenant).unwrap_or(&empty);
        let start = cursor.map(|c| (c.created_at, c.id));
        let limit = page_limit(limit);
        let mut items = Vec::new();
        let mut more = false;
        let after = order.iter().filter(|entry| start.is_none_or(|s| **entry > s));
        for (_, id) in after {
            let Some(record) = state.keys.get(id) else { continue };
            let key = &record.key;
            let expiring = filter.expiring.is_none_or(|(from, until)| {
                key.expiry.at().is_some_and(|at| {
                    at > crate::audit_chain::stored_instant(from) && at <= crate::audit_chain::stored_instant(until)
                })
            });
            if filter.state.is_some_and(|s| s != key.state)
                || filter.environment.is_some_and(|e| e != key.environment)
                || filter.account.as_ref().is_some_and(|a| key.account.as_ref() != Some(a))
                || filter.external_id.as_ref().is_some_and(|e| key.owner.external_id.as_ref() != Some(e))
                || !expiring
            {
                continue;
            }
            if items.len() == limit {
                more = true;
                break;
            }
            items.push(record.read());
        }
        let next = if more { items.last().map(|r| KeyCursor::after(r.key.created_at, r.key.id)) } else { None };
        Ok(Page { items, next })
    }

    async fn lease_rate(&self, lease: &crate::rate::RateLease) -> Result<crate::rate::Leased, StoreError> {
        Ok(self.write().lease_rate(lease))
    }

    async fn record_spend(&self, spend: &NewSpend) -> Result<Recorded, StoreError> {
        self.write().record_spend(spend)
    }

    async fn spend_record(&self, id: SpendId) -> Result<SpendRecord, StoreError> {
        self.read().spends.get(&id).cloned().ok_or(StoreError::NotFound)
    }

    async fn release_spend(&self, id: SpendId) -> Result<(SpendRecord, bool), StoreError> {
        self.write().release_spend(id)
    }

    async fn record_usage(&self, batch: &[UsageRecord]) -> Result<(), StoreError> {
        let mut state = self.write();
        for record in batch {
            state.record_usage(record);
        }
        Ok(())
    }

    async fn usage(&self, tenant: &TenantId, key: KeyId, days: u32) -> Result<KeyUsage, StoreError> {
        let state = self.read();
        let record = state.keys.get(&key).filter(|r| &r.key.tenant == tenant).ok_or(StoreError::NotFound)?;
        // Per day, its day windows' totals sorted by currency (`None` first, as PostgreSQL's '').
        let mut spent: BTreeMap<NaiveDate, BTreeMap<Option<Currency>, Decimal>> = BTreeMap::new();
        for ((k, currency, window, day), total) in &state.spent {
            if *k == key && *window == Window::Day {
                spent.entry(*day).or_default().insert(*currency, *total);
            }
        }
        let mut all: BTreeSet<NaiveDate> = spent.keys().copied().collect();
        all.extend(state.requests.keys().filter(|(k, _)| *k == key).map(|(_, d)| *d));
        let days = all
            .into_iter()
            .rev()
            .take(page_limit(days))
            .map(|day| {
                let spent_by_currency: Vec<_> = spent.get(&day).into_iter().flatten().map(|(c, s)| (*c, *s)).collect();
                let total = spent_by_currency.iter().try_fold(Decimal::ZERO, |sum, (_, s)| sum.checked_add(*s));
                Ok(DayUsage {
                    day,
                    requests: state.requests.get(&(key, day)).copied().unwrap_or(0),
                    spent: total.ok_or_else(|| StoreError::Corrupt("spent: out of range".to_owned()))?,
                    spent_by_currency,
                })
            })
            .collect::<Result<Vec<_>, StoreError>>()?;
        let (last_used_at, last_used_ip) = record.last_use();
        Ok(KeyUsage { last_used_at, last_used_ip, days })
    }

    async fn audit(
        &self,
        tenant: &TenantId,
        key: Option<KeyId>,
        cursor: Option<AuditCursor>,
        limit: u32,
    ) -> Result<Page<AuditEntry, AuditCursor>, StoreError> {
        let state = self.read();
        let limit = page_limit(limit);
        let mut matching = state
            .audit
            .get(tenant)
            .into_iter()
            .flatten()
            .rev()
            .filter(|e| cursor.is_none_or(|c| e.seq < c.0))
            .filter(|e| key.is_none_or(|k| e.key == Some(k)));
        let items: Vec<AuditEntry> = matching.by_ref().take(limit).cloned().collect();
        let more = matching.next().is_some();
        let next = if more { items.last().map(|e| AuditCursor(e.seq)) } else { None };
        Ok(Page { items, next })
    }

    async fn verify_audit(&self, tenant: &TenantId) -> Result<AuditChainReport, StoreError> {
        let state = self.read();
        if !state.tenants.contains_key(tenant) {
            return Err(StoreError::NotFound);
        }
        let mut walk = ChainWalk::default();
        for entry in state.audit.get(tenant).into_iter().flatten() {
            if let Err(first_bad_sequence) = walk.push(entry) {
                return Ok(AuditChainReport::Broken { first_bad_sequence });
            }
        }
        // The entries are the only record of the chain here: there is no separate head to compare with.
        Ok(walk.finish(None))
    }

    async fn record_requests(&self, lines: &[RequestLine]) -> Result<(), StoreError> {
        self.requests.record(lines);
        Ok(())
    }

    async fn requests(
        &self,
        tenant: &TenantId,
        filter: &RequestFilter,
        cursor: Option<RequestCursor>,
        limit: u32,
    ) -> Result<Page<RequestLine, RequestCursor>, StoreError> {
        Ok(self.requests.page(tenant, filter, cursor, page_limit(limit)))
    }

    async fn prune_requests(&self, before: chrono::DateTime<chrono::Utc>, batch: u32) -> Result<u64, StoreError> {
        Ok(self.requests.prune(before, page_limit(batch)))
    }

    async fn record_nonce(
        &self,
        key: KeyId,
        nonce: &str,
        now: chrono::DateTime<chrono::Utc>,
        expires_at: chrono::DateTime<chrono::Utc>,
    ) -> Result<bool, StoreError> {
        self.nonces.record(key, nonce, now, expires_at)
    }

    async fn open_session(&self, session: &ConsoleSession) -> Result<(), StoreError> {
        self.sessions.open(session)
    }

    async fn session(&self, id: &SessionHash) -> Result<Option<ConsoleSession>, StoreError> {
        Ok(self.sessions.get(id))
    }

    async fn touch_session(&self, id: &SessionHash, at: chrono::DateTime<chrono::Utc>) -> Result<(), StoreError> {
        self.sessions.touch(id, at);
        Ok(())
    }

    async fn end_session(&self, id: &SessionHash) -> Result<bool, StoreError> {
        Ok(self.sessions.end(id))
    }

    async fn prune_sessions(
        &self,
        opened_before: chrono::DateTime<chrono::Utc>,
        seen_before: chrono::DateTime<chrono::Utc>,
    ) -> Result<u64, StoreError> {
        Ok(self.sessions.prune(opened_before, seen_before))
    }

    fn invalidations(&self) -> Invalidations {
        self.invalidations.subscribe()
    }

    async fn ping(&self) -> Result<(), StoreError> {
        Ok(())
    }
}
