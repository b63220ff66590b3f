//! The `WebhookStore` trait: endpoints, the outbox and the delivery queue, whatever the backend.
//!
//! Every [`KeyStore`](crate::KeyStore) is one. The outbox needs no method of its own: every audit
//! entry a store appends whose kind announces an event ([`AuditKind::event_type`]) writes that event,
//! in the same transaction, for each endpoint of the tenant that sends it and subscribes to it, so a
//! change that rolls back announces nothing and a committed one is announced even if the process dies
//! right after.
//!
//! [`AuditKind::event_type`]: crate::AuditKind::event_type

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use keygate_domain::{TenantId, WebhookId};

use crate::error::StoreError;
use crate::model::{AuditEntry, Page};
use crate::notices::ExpiryDue;
use crate::webhook_model::{
    ClaimedDelivery, Delivery, DeliveryCursor, DeliveryReport, DeliveryStatus, OutboxEvent, WebhookRecord,
};

/// Storage for webhook endpoints, their events and their deliveries.
#[async_trait]
pub trait WebhookStore: Send + Sync + 'static {
    /// Creates an endpoint (`AlreadyExists` if its id is taken, `NotFound` without its tenant), with
    /// its audit entry.
    async fn create_webhook(&self, record: &WebhookRecord, audit: &AuditEntry) -> Result<(), StoreError>;

    /// An endpoint of a tenant.
    async fn webhook(&self, tenant: &TenantId, id: WebhookId) -> Result<WebhookRecord, StoreError>;

    /// A tenant's endpoints, oldest first.
    async fn webhooks(&self, tenant: &TenantId) -> Result<Vec<WebhookRecord>, StoreError>;

    /// Replaces an endpoint (and its secrets) if its version is still `expected_version` (else
    /// `Conflict`), with its audit entry.
    async fn update_webhook(
        &self,
        record: &WebhookRecord,
        expected_version: u64,
        audit: &AuditEntry,
    ) -> Result<(), StoreError>;

    /// Deletes an endpoint and its delivery log, with its audit entry.
    async fn delete_webhook(&self, tenant: &TenantId, id: WebhookId, audit: &AuditEntry) -> Result<(), StoreError>;

    /// Writes `event` to the outbox for one endpoint only, whatever it subscribes to (a test event),
    /// and answers its pending delivery, due at `event.at`.
    async fn enqueue_event(&self, event: &OutboxEvent, webhook: WebhookId) -> Result<Delivery, StoreError>;

    /// Writes events to the outbox as an audit entry's event is written (for each endpoint of the
    /// tenant that sends and subscribes to its type, numbered in its key's sequence), for events that
    /// come from no audit entry; answers how many deliveries it queued.
    async fn announce(&self, event: &OutboxEvent) -> Result<u32, StoreError>;

    /// Writes `event` (of a key) as [`announce`](Self::announce) does, once: only if the key has no
    /// `notice` of that name yet, the notice being written in the same transaction, so however many
    /// processes announce it at once one writes it. Answers whether this call did.
    async fn announce_once(&self, event: &OutboxEvent, notice: &str) -> Result<bool, StoreError>;

    /// Up to `limit` keys that still work (active, suspended or with a revocation asked) whose expiry is
    /// within their tenant's `webhook_expiry_lead_days` of `now` and not yet announced as `key.expiring`, or passed and not yet announced
    /// as `key.expired` (a key already expired gets only the latter), soonest expiry first.
    async fn expiry_due(&self, now: DateTime<Utc>, limit: u32) -> Result<Vec<ExpiryDue>, StoreError>;

    /// Queues `delivery`'s event again for its endpoint as a new pending row (attempt 1, due at `at`)
    /// with the same event id; `NotFound` unless the tenant's endpoint has that delivery.
    async fn redeliver(
        &self,
        tenant: &TenantId,
        webhook: WebhookId,
        delivery: &str,
        at: DateTime<Utc>,
    ) -> Result<Delivery, StoreError>;

    /// An endpoint's deliveries, newest first, optionally of one status, after `cursor`.
    async fn deliveries(
        &self,
        tenant: &TenantId,
        webhook: WebhookId,
        status: Option<DeliveryStatus>,
        cursor: Option<DeliveryCursor>,
        limit: u32,
    ) -> Result<Page<Delivery, DeliveryCursor>, StoreError>;

    /// Claims up to `limit` pending deliveries due at `now` of endpoints that send, none of them under
    /// another live lease, and leases them to `lease_token` until `lease_until`: however many
    /// processes claim at once, each row goes to one. A lease that lapsed (its process stopped mid-way)
    /// is claimed again.
    async fn claim_deliveries(
        &self,
        now: DateTime<Utc>,
        lease_until: DateTime<Utc>,
        lease_token: &str,
        limit: u32,
    ) -> Result<Vec<ClaimedDelivery>, StoreError>;

    /// Records how a claimed attempt ended, all or nothing: the row's outcome, the retry's pending row,
    /// the endpoint's `failing_since`, and the disable the report carries. Answers `false` and writes
    /// nothing if the row is no longer pending under the report's lease.
    async fn finish_delivery(&self, report: &DeliveryReport) -> Result<bool, StoreError>;
}
