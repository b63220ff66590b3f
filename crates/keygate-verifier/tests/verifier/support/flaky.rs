//! A `KeyStore` that delegates to another and can be switched off: every call then fails with
//! `StoreError::Unavailable`, as a database that went away does. It counts the calls it receives, and
//! can be made deaf to change notifications, as a process whose notification channel was lost is.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;

use async_trait::async_trait;
use keygate_domain::{KeyId, OperatorId, ServiceId, SpendId, TenantId};
use keygate_store::{
    AuditChainReport, AuditCursor, AuditEntry, ConsoleSession, InvalidationSender, Invalidations, KeyChange, KeyCursor,
    KeyFilter, KeyRecord, KeyStore, KeyUsage, LeakRecord, NewSpend, Operator, Page, Recorded, RequestCursor,
    RequestFilter, RequestLine, Service, SessionHash, SpendRecord, StoreError, Tenant, UsageRecord,
};

/// The error a switched-off store answers with.
#[derive(Debug, thiserror::Error)]
#[error("connection refused (simulated)")]
struct Down;

/// See the module documentation.
pub struct FlakyStore {
    inner: Arc<dyn KeyStore>,
    down: AtomicBool,
    calls: AtomicUsize,
    /// When deaf, subscribers get a feed nobody ever sends on.
    silence: Option<InvalidationSender>,
}

impl FlakyStore {
    /// A working store in front of `inner`.
    pub fn new(inner: Arc<dyn KeyStore>) -> Arc<Self> {
        Arc::new(Self { inner, down: AtomicBool::new(false), calls: AtomicUsize::new(0), silence: None })
    }

    /// A working store in front of `inner` whose subscribers never hear of a change.
    pub fn deaf(inner: Arc<dyn KeyStore>) -> Arc<Self> {
        let silence = InvalidationSender::new();
        Arc::new(Self { inner, down: AtomicBool::new(false), calls: AtomicUsize::new(0), silence: Some(silence) })
    }

    /// From now on every call fails (or, with `false`, succeeds again).
    pub fn set_down(&self, down: bool) {
        self.down.store(down, Ordering::SeqCst);
    }

    /// Calls received so far (change subscriptions not counted).
    pub fn calls(&self) -> usize {
        self.calls.load(Ordering::SeqCst)
    }

    pub(super) fn enter(&self) -> Result<&dyn KeyStore, StoreError> {
        self.calls.fetch_add(1, Ordering::SeqCst);
        if self.down.load(Ordering::SeqCst) {
            Err(StoreError::Unavailable(Box::new(Down)))
        } else {
            Ok(&*self.inner)
        }
    }
}

#[async_trait]
impl KeyStore for FlakyStore {
    async fn create_tenant(
        &self,
        tenant: &Tenant,
        admins: &[Operator],
        audit: &[AuditEntry],
    ) -> Result<(), StoreError> {
        self.enter()?.create_tenant(tenant, admins, audit).await
    }

    async fn tenant(&self, id: &TenantId) -> Result<Tenant, StoreError> {
        self.enter()?.tenant(id).await
    }

    async fn update_tenant(
        &self,
        tenant: &Tenant,
        expected_version: u64,
        audit: &AuditEntry,
    ) -> Result<(), StoreError> {
        self.enter()?.update_tenant(tenant, expected_version, audit).await
    }

    async fn create_operator(&self, operator: &Operator, audit: &AuditEntry) -> Result<(), StoreError> {
        self.enter()?.create_operator(operator, audit).await
    }

    async fn update_operator(
        &self,
        operator: &Operator,
        expected_version: u64,
        audit: &AuditEntry,
    ) -> Result<(), StoreError> {
        self.enter()?.update_operator(operator, expected_version, audit).await
    }

    async fn operator_seen(&self, id: OperatorId, at: chrono::DateTime<chrono::Utc>) -> Result<(), StoreError> {
        self.enter()?.operator_seen(id, at).await
    }

    async fn create_service(&self, service: &Service) -> Result<(), StoreError> {
        self.enter()?.create_service(service).await
    }

    async fn services(&self) -> Result<Vec<Service>, StoreError> {
        self.enter()?.services().await
    }

    async fn service(&self, id: ServiceId) -> Result<Service, StoreError> {
        self.enter()?.service(id).await
    }

    async fn disable_service(&self, id: ServiceId, at: chrono::DateTime<chrono::Utc>) -> Result<Service, StoreError> {
        self.enter()?.disable_service(id, at).await
    }

    async fn operators(&self, tenant: &TenantId) -> Result<Vec<Operator>, StoreError> {
        self.enter()?.operators(tenant).await
    }

    async fn operator(&self, id: OperatorId) -> Result<Operator, StoreError> {
        self.enter()?.operator(id).await
    }

    async fn commit(&self, changes: &[KeyChange]) -> Result<(), StoreError> {
        self.enter()?.commit(changes).await
    }

    async fn record_leak(
        &self,
        leak: &LeakRecord,
        audit: &AuditEntry,
        changes: &[KeyChange],
    ) -> Result<bool, StoreError> {
        self.enter()?.record_leak(leak, audit, changes).await
    }

    async fn key(&self, tenant: &TenantId, id: KeyId) -> Result<KeyRecord, StoreError> {
        self.enter()?.key(tenant, id).await
    }

    async fn find_key(&self, id: KeyId) -> Result<Option<Arc<KeyRecord>>, StoreError> {
        self.enter()?.find_key(id).await
    }

    async fn find_keys(&self, ids: &[KeyId]) -> Result<Vec<Option<Arc<KeyRecord>>>, StoreError> {
        self.enter()?.find_keys(ids).await
    }

    async fn keys(
        &self,
        tenant: &TenantId,
        filter: KeyFilter,
        cursor: Option<KeyCursor>,
        limit: u32,
    ) -> Result<Page<KeyRecord, KeyCursor>, StoreError> {
        self.enter()?.keys(tenant, filter, cursor, limit).await
    }

    async fn lease_rate(&self, lease: &keygate_store::RateLease) -> Result<keygate_store::Leased, StoreError> {
        self.enter()?.lease_rate(lease).await
    }

    async fn record_spend(&self, spend: &NewSpend) -> Result<Recorded, StoreError> {
        self.enter()?.record_spend(spend).await
    }

    async fn spend_record(&self, id: SpendId) -> Result<SpendRecord, StoreError> {
        self.enter()?.spend_record(id).await
    }

    async fn release_spend(&self, id: SpendId) -> Result<(SpendRecord, bool), StoreError> {
        self.enter()?.release_spend(id).await
    }

    async fn record_usage(&self, batch: &[UsageRecord]) -> Result<(), StoreError> {
        self.enter()?.record_usage(batch).await
    }

    async fn usage(&self, tenant: &TenantId, key: KeyId, days: u32) -> Result<KeyUsage, StoreError> {
        self.enter()?.usage(tenant, key, days).await
    }

    async fn audit(
        &self,
        tenant: &TenantId,
        key: Option<KeyId>,
        cursor: Option<AuditCursor>,
        limit: u32,
    ) -> Result<Page<AuditEntry, AuditCursor>, StoreError> {
        self.enter()?.audit(tenant, key, cursor, limit).await
    }

    async fn verify_audit(&self, tenant: &TenantId) -> Result<AuditChainReport, StoreError> {
        self.enter()?.verify_audit(tenant).await
    }

    async fn record_requests(&self, lines: &[RequestLine]) -> Result<(), StoreError> {
        self.enter()?.record_requests(lines).await
    }

    async fn requests(
        &self,
        tenant: &TenantId,
        filter: &RequestFilter,
        cursor: Option<RequestCursor>,
        limit: u32,
    ) -> Result<Page<RequestLine, RequestCursor>, StoreError> {
        self.enter()?.requests(tenant, filter, cursor, limit).await
    }

    async fn prune_requests(&self, before: chrono::DateTime<chrono::Utc>, batch: u32) -> Result<u64, StoreError> {
        self.enter()?.prune_requests(before, batch).await
    }

    async fn record_nonce(
        &self,
        key: KeyId,
        nonce: &str,
        now: chrono::DateTime<chrono::Utc>,
        expires_at: chrono::DateTime<chrono::Utc>,
    ) -> Result<bool, StoreError> {
        self.enter()?.record_nonce(key, nonce, now, expires_at).await
    }

    fn invalidations(&self) -> Invalidations {
        match &self.silence {
            Some(silence) => silence.subscribe(),
            None => self.inner.invalidations(),
        }
    }

    async fn open_session(&self, session: &ConsoleSession) -> Result<(), StoreError> {
        self.enter()?.open_session(session).await
    }

    async fn session(&self, id: &SessionHash) -> Result<Option<ConsoleSession>, StoreError> {
        self.enter()?.session(id).await
    }

    async fn touch_session(&self, id: &SessionHash, at: chrono::DateTime<chrono::Utc>) -> Result<(), StoreError> {
        self.enter()?.touch_session(id, at).await
    }

    async fn end_session(&self, id: &SessionHash) -> Result<bool, StoreError> {
        self.enter()?.end_session(id).await
    }

    async fn prune_sessions(
        &self,
        opened_before: chrono::DateTime<chrono::Utc>,
        seen_before: chrono::DateTime<chrono::Utc>,
    ) -> Result<u64, StoreError> {
        self.enter()?.prune_sessions(opened_before, seen_before).await
    }

    async fn ping(&self) -> Result<(), StoreError> {
        self.enter()?.ping().await
    }
}
