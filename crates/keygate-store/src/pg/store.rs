//! [`KeyStore`] for [`PgStore`]: each method hands over to the module that owns its tables.
//!
//! It must never hold logic of its own beyond the hand-over, so each rule lives in one place.

use std::collections::HashMap;
use std::sync::Arc;

use async_trait::async_trait;
use keygate_domain::{KeyId, OperatorId, ServiceId, SpendId, TenantId};

use super::failure::fail;
use super::{audit, keys, leaks, operators, rate, requests, services, sessions, spends, tenants, usage, PgStore};
use crate::audit_chain::AuditChainReport;
use crate::console_session::{ConsoleSession, SessionHash};
use crate::cursor::{AuditCursor, KeyCursor};
use crate::error::StoreError;
use crate::leak::LeakRecord;
use crate::model::{
    AuditEntry, KeyChange, KeyFilter, KeyRecord, KeyUsage, NewSpend, Operator, Page, Recorded, Service, SpendRecord,
    Tenant, UsageRecord,
};
use crate::request_log::{RequestCursor, RequestFilter, RequestLine};
use crate::store::KeyStore;

#[async_trait]
impl KeyStore for PgStore {
    async fn create_tenant(
        &self,
        tenant: &Tenant,
        admins: &[Operator],
        audit: &[AuditEntry],
    ) -> Result<(), StoreError> {
        self.watched(tenants::create_tenant(self.pool(), tenant, admins, audit).await)
    }

    async fn tenant(&self, id: &TenantId) -> Result<Tenant, StoreError> {
        self.watched(tenants::get_tenant(self.pool(), id).await)
    }

    async fn update_tenant(
        &self,
        tenant: &Tenant,
        expected_version: u64,
        audit: &AuditEntry,
    ) -> Result<(), StoreError> {
        self.watched(tenants::update_tenant(self.pool(), tenant, expected_version, audit).await)
    }

    async fn create_operator(&self, operator: &Operator, audit: &AuditEntry) -> Result<(), StoreError> {
        self.watched(operators::create_operator(self.pool(), operator, audit).await)
    }

    async fn update_operator(
        &self,
        operator: &Operator,
        expected_version: u64,
        audit: &AuditEntry,
    ) -> Result<(), StoreError> {
        self.watched(operators::update_operator(self.pool(), operator, expected_version, audit).await)
    }

    async fn operator_seen(&self, id: OperatorId, at: chrono::DateTime<chrono::Utc>) -> Result<(), StoreError> {
        self.watched(operators::seen(self.pool(), id, at).await)
    }

    async fn create_service(&self, service: &Service) -> Result<(), StoreError> {
        self.watched(services::create(self.pool(), service).await)
    }

    async fn services(&self) -> Result<Vec<Service>, StoreError> {
        self.watched(services::all(self.pool()).await)
    }

    async fn service(&self, id: ServiceId) -> Result<Service, StoreError> {
        self.watched(services::get(self.pool(), id).await)
    }

    async fn disable_service(&self, id: ServiceId, at: chrono::DateTime<chrono::Utc>) -> Result<Service, StoreError> {
        self.watched(services::disable(self.pool(), id, at).await)
    }

    async fn operators(&self, tenant: &TenantId) -> Result<Vec<Operator>, StoreError> {
        self.watched(operators::operators(self.pool(), tenant).await)
    }

    async fn operator(&self, id: OperatorId) -> Result<Operator, StoreError> {
        self.watched(operators::get_operator(self.pool(), id).await)
    }

    async fn commit(&self, changes: &[KeyChange]) -> Result<(), StoreError> {
        self.watched(keys::commit(self.pool(), changes).await)
    }

    async fn record_leak(
        &self,
        leak: &LeakRecord,
        audit: &AuditEntry,
        changes: &[KeyChange],
    ) -> Result<bool, StoreError> {
        self.watched(leaks::record(self.pool(), leak, audit, changes).await)
    }

    async fn key(&self, tenant: &TenantId, id: KeyId) -> Result<KeyRecord, StoreError> {
        self.watched(keys::key(self.pool(), tenant, id).await)
    }

    async fn find_key(&self, id: KeyId) -> Result<Option<Arc<KeyRecord>>, StoreError> {
        let found = self.watched(keys::find_key(self.pool(), id).await)?;
        Ok(found.map(|record| self.shared(record)))
    }

    async fn find_keys(&self, ids: &[KeyId]) -> Result<Vec<Option<Arc<KeyRecord>>>, StoreError> {
        let found = self.watched(keys::find_keys(self.pool(), ids).await)?;
        let found: HashMap<KeyId, Arc<KeyRecord>> =
            found.into_iter().map(|record| (record.key.id, self.shared(record))).collect();
        Ok(ids.iter().map(|id| found.get(id).cloned()).collect())
    }

    async fn keys(
        &self,
        tenant: &TenantId,
        filter: KeyFilter,
        cursor: Option<KeyCursor>,
        limit: u32,
    ) -> Result<Page<KeyRecord, KeyCursor>, StoreError> {
        self.watched(keys::keys(self.pool(), tenant, filter, cursor, limit).await)
    }

    async fn lease_rate(&self, lease: &crate::rate::RateLease) -> Result<crate::rate::Leased, StoreError> {
        self.watched(rate::lease(self.pool(), lease).await)
    }

    async fn record_spend(&self, spend: &NewSpend) -> Result<Recorded, StoreError> {
        self.watched(spends::record(self.pool(), spend).await)
    }

    async fn spend_record(&self, id: SpendId) -> Result<SpendRecord, StoreError> {
        self.watched(spends::get_spend(self.pool(), id).await)
    }

    async fn release_spend(&self, id: SpendId) -> Result<(SpendRecord, bool), StoreError> {
        self.watched(spends::release(self.pool(), id).await)
    }

    async fn record_usage(&self, batch: &[UsageRecord]) -> Result<(), StoreError> {
        self.watched(usage::record_usage(self.pool(), batch).await)
    }

    async fn usage(&self, tenant: &TenantId, key: KeyId, days: u32) -> Result<KeyUsage, StoreError> {
        self.watched(usage::usage(self.pool(), tenant, key, days).await)
    }

    async fn audit(
        &self,
        tenant: &TenantId,
        key: Option<KeyId>,
        cursor: Option<AuditCursor>,
        limit: u32,
    ) -> Result<Page<AuditEntry, AuditCursor>, StoreError> {
        self.watched(audit::audit(self.pool(), tenant, key, cursor, limit).await)
    }

    async fn verify_audit(&self, tenant: &TenantId) -> Result<AuditChainReport, StoreError> {
        self.watched(audit::verify(self.pool(), tenant).await)
    }

    async fn record_requests(&self, lines: &[RequestLine]) -> Result<(), StoreError> {
        self.watched(requests::record(self.pool(), lines).await)
    }

    async fn requests(
        &self,
        tenant: &TenantId,
        filter: &RequestFilter,
        cursor: Option<RequestCursor>,
        limit: u32,
    ) -> Result<Page<RequestLine, RequestCursor>, StoreError> {
        self.watched(requests::page(self.pool(), tenant, filter, cursor, limit).await)
    }

    async fn prune_requests(&self, before: chrono::DateTime<chrono::Utc>, batch: u32) -> Result<u64, StoreError> {
        self.watched(requests::prune(self.pool(), before, batch).await)
    }

    async fn record_nonce(
        &self,
        key: KeyId,
        nonce: &str,
        now: chrono::DateTime<chrono::Utc>,
        expires_at: chrono::DateTime<chrono::Utc>,
    ) -> Result<bool, StoreError> {
        super::nonces::record_nonce(self.pool(), key, nonce, now, expires_at).await
    }

    async fn open_session(&self, session: &ConsoleSession) -> Result<(), StoreError> {
        self.watched(sessions::open(self.pool(), session).await)
    }

    async fn session(&self, id: &SessionHash) -> Result<Option<ConsoleSession>, StoreError> {
        self.watched(sessions::get(self.pool(), id).await)
    }

    async fn touch_session(&self, id: &SessionHash, at: chrono::DateTime<chrono::Utc>) -> Result<(), StoreError> {
        self.watched(sessions::touch(self.pool(), id, at).await)
    }

    async fn end_session(&self, id: &SessionHash) -> Result<bool, StoreError> {
        self.watched(sessions::end(self.pool(), id).await)
    }

    async fn prune_sessions(
        &self,
        opened_before: chrono::DateTime<chrono::Utc>,
        seen_before: chrono::DateTime<chrono::Utc>,
    ) -> Result<u64, StoreError> {
        self.watched(sessions::prune(self.pool(), opened_before, seen_before).await)
    }

    fn invalidations(&self) -> crate::invalidations::Invalidations {
        self.inner.invalidations.subscribe()
    }

    async fn ping(&self) -> Result<(), StoreError> {
        self.watched(sqlx::query("SELECT 1").execute(self.pool()).await.map(drop).map_err(fail))
    }
}
