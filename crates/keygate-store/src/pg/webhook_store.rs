//! [`WebhookStore`] for [`PgStore`]: each method hands over to `webhooks` (endpoints), `outbox`
//! (events and deliveries) or `notices` (events given once).
//!
//! It must never hold logic of its own beyond the hand-over.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use keygate_domain::{TenantId, WebhookId};

use super::{notices, outbox, webhooks, PgStore};
use crate::error::StoreError;
use crate::model::{AuditEntry, Page};
use crate::notices::ExpiryDue;
use crate::webhook_model::{
    ClaimedDelivery, Delivery, DeliveryCursor, DeliveryReport, DeliveryStatus, OutboxEvent, WebhookRecord,
};
use crate::webhook_store::WebhookStore;

#[async_trait]
impl WebhookStore for PgStore {
    async fn create_webhook(&self, record: &WebhookRecord, audit: &AuditEntry) -> Result<(), StoreError> {
        self.watched(webhooks::create(self.pool(), record, audit).await)
    }

    async fn webhook(&self, tenant: &TenantId, id: WebhookId) -> Result<WebhookRecord, StoreError> {
        self.watched(webhooks::get(self.pool(), tenant, id).await)
    }

    async fn webhooks(&self, tenant: &TenantId) -> Result<Vec<WebhookRecord>, StoreError> {
        self.watched(webhooks::list(self.pool(), tenant).await)
    }

    async fn update_webhook(
        &self,
        record: &WebhookRecord,
        expected_version: u64,
        audit: &AuditEntry,
    ) -> Result<(), StoreError> {
        self.watched(webhooks::update(self.pool(), record, expected_version, audit).await)
    }

    async fn delete_webhook(&self, tenant: &TenantId, id: WebhookId, audit: &AuditEntry) -> Result<(), StoreError> {
        self.watched(webhooks::delete(self.pool(), tenant, id, audit).await)
    }

    async fn enqueue_event(&self, event: &OutboxEvent, webhook: WebhookId) -> Result<Delivery, StoreError> {
        self.watched(outbox::enqueue(self.pool(), event, webhook).await)
    }

    async fn announce(&self, event: &OutboxEvent) -> Result<u32, StoreError> {
        self.watched(outbox::announce_alone(self.pool(), event).await)
    }

    async fn announce_once(&self, event: &OutboxEvent, notice: &str) -> Result<bool, StoreError> {
        self.watched(notices::announce_once_alone(self.pool(), event, notice).await)
    }

    async fn expiry_due(&self, now: DateTime<Utc>, limit: u32) -> Result<Vec<ExpiryDue>, StoreError> {
        self.watched(notices::expiry_due(self.pool(), now, limit).await)
    }

    async fn redeliver(
        &self,
        tenant: &TenantId,
        webhook: WebhookId,
        delivery: &str,
        at: DateTime<Utc>,
    ) -> Result<Delivery, StoreError> {
        self.watched(outbox::redeliver(self.pool(), tenant, webhook, delivery, at).await)
    }

    async fn deliveries(
        &self,
        tenant: &TenantId,
        webhook: WebhookId,
        status: Option<DeliveryStatus>,
        cursor: Option<DeliveryCursor>,
        limit: u32,
    ) -> Result<Page<Delivery, DeliveryCursor>, StoreError> {
        self.watched(outbox::deliveries(self.pool(), tenant, webhook, status, cursor, limit).await)
    }

    async fn claim_deliveries(
        &self,
        now: DateTime<Utc>,
        lease_until: DateTime<Utc>,
        lease_token: &str,
        limit: u32,
    ) -> Result<Vec<ClaimedDelivery>, StoreError> {
        self.watched(outbox::claim(self.pool(), now, lease_until, lease_token, limit).await)
    }

    async fn finish_delivery(&self, report: &DeliveryReport) -> Result<bool, StoreError> {
        self.watched(outbox::finish(self.pool(), report).await)
    }
}
