//! The `FlakyStore`'s webhook half: every call delegates, or fails while the store is switched off.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use keygate_domain::{TenantId, WebhookId};
use keygate_store::{
    AuditEntry, ClaimedDelivery, Delivery, DeliveryCursor, DeliveryReport, DeliveryStatus, ExpiryDue, OutboxEvent,
    Page, StoreError, WebhookRecord, WebhookStore,
};

use super::FlakyStore;

#[async_trait]
impl WebhookStore for FlakyStore {
    async fn create_webhook(&self, record: &WebhookRecord, audit: &AuditEntry) -> Result<(), StoreError> {
        self.enter()?.create_webhook(record, audit).await
    }

    async fn webhook(&self, tenant: &TenantId, id: WebhookId) -> Result<WebhookRecord, StoreError> {
        self.enter()?.webhook(tenant, id).await
    }

    async fn webhooks(&self, tenant: &TenantId) -> Result<Vec<WebhookRecord>, StoreError> {
        self.enter()?.webhooks(tenant).await
    }

    async fn update_webhook(
        &self,
        record: &WebhookRecord,
        expected_version: u64,
        audit: &AuditEntry,
    ) -> Result<(), StoreError> {
        self.enter()?.update_webhook(record, expected_version, audit).await
    }

    async fn delete_webhook(&self, tenant: &TenantId, id: WebhookId, audit: &AuditEntry) -> Result<(), StoreError> {
        self.enter()?.delete_webhook(tenant, id, audit).await
    }

    async fn enqueue_event(&self, event: &OutboxEvent, webhook: WebhookId) -> Result<Delivery, StoreError> {
        self.enter()?.enqueue_event(event, webhook).await
    }

    async fn announce(&self, event: &OutboxEvent) -> Result<u32, StoreError> {
        self.enter()?.announce(event).await
    }

    async fn announce_once(&self, event: &OutboxEvent, notice: &str) -> Result<bool, StoreError> {
        self.enter()?.announce_once(event, notice).await
    }

    async fn expiry_due(&self, now: DateTime<Utc>, limit: u32) -> Result<Vec<ExpiryDue>, StoreError> {
        self.enter()?.expiry_due(now, limit).await
    }

    async fn redeliver(
        &self,
        tenant: &TenantId,
        webhook: WebhookId,
        delivery: &str,
        at: DateTime<Utc>,
    ) -> Result<Delivery, StoreError> {
        self.enter()?.redeliver(tenant, webhook, delivery, at).await
    }

    async fn deliveries(
        &self,
        tenant: &TenantId,
        webhook: WebhookId,
        status: Option<DeliveryStatus>,
        cursor: Option<DeliveryCursor>,
        limit: u32,
    ) -> Result<Page<Delivery, DeliveryCursor>, StoreError> {
        self.enter()?.deliveries(tenant, webhook, status, cursor, limit).await
    }

    async fn claim_deliveries(
        &self,
        now: DateTime<Utc>,
        lease_until: DateTime<Utc>,
        lease_token: &str,
        limit: u32,
    ) -> Result<Vec<ClaimedDelivery>, StoreError> {
        self.enter()?.claim_deliveries(now, lease_until, lease_token, limit).await
    }

    async fn finish_delivery(&self, report: &DeliveryReport) -> Result<bool, StoreError> {
        self.enter()?.finish_delivery(report).await
    }
}
