//! The in-memory twin of `pg/webhooks.rs` and `pg/outbox.rs`: endpoints, the outbox and the delivery
//! queue, under the store's one lock, so a claim, an announcement and a report are each atomic.
//!
//! It must never hand one pending row to two live leases, and never queue an event for an endpoint
//! that does not send or does not subscribe to it.

use std::collections::{HashMap, HashSet};

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use keygate_domain::webhook::EventType;
use keygate_domain::{KeyId, KeyState, TenantId, WebhookId};

use super::state::State;
use super::MemoryStore;
use crate::audit_chain::stored_instant;
use crate::error::StoreError;
use crate::model::{AuditEntry, Page};
use crate::notices::ExpiryDue;
use crate::webhook_model::{
    random_id, ClaimedDelivery, Delivery, DeliveryCursor, DeliveryReport, DeliveryStatus, OutboxEvent, WebhookRecord,
};
use crate::webhook_store::WebhookStore;

/// One delivery row and its lease.
struct Row {
    delivery: Delivery,
    lease: Option<(String, DateTime<Utc>)>,
}

/// Webhook data, a part of the store's state.
#[derive(Default)]
pub(super) struct WebhookState {
    endpoints: HashMap<WebhookId, WebhookRecord>,
    events: HashMap<String, OutboxEvent>,
    /// In the order written.
    rows: Vec<Row>,
    sequences: HashMap<KeyId, u64>,
    /// The notices given, per key (ids are unique across tenants) and name.
    notices: HashSet<(KeyId, String)>,
}

impl WebhookState {
    /// Writes the event `entry` announces, if any (called with every audit append).
    pub fn announce_entry(&mut self, entry: &AuditEntry, state: Option<KeyState>) {
        if let Some(event_type) = entry.action.event_type() {
            self.announce(OutboxEvent::from_audit(entry, event_type, state));
        }
    }

    fn announce(&mut self, mut event: OutboxEvent) -> u32 {
        let mut targets: Vec<&WebhookRecord> = self
            .endpoints
            .values()
            .filter(|r| {
                r.webhook.tenant == event.tenant && r.webhook.sends() && r.webhook.events.matches(event.event_type)
            })
            .collect();
        if targets.is_empty() {
            return 0;
        }
        targets.sort_by_key(|r| (r.webhook.created_at, r.webhook.id));
        let targets: Vec<WebhookId> = targets.iter().map(|r| r.webhook.id).collect();
        if let Some(key) = event.key {
            let last = self.sequences.entry(key).or_insert(0);
            *last += 1;
            event.sequence = Some(*last);
        }
        event.at = stored_instant(event.at);
        for webhook in &targets {
            self.queue(&event, *webhook, 1, event.at, event.at);
        }
        self.events.insert(event.id.clone(), event);
        u32::try_from(targets.len()).unwrap_or(u32::MAX)
    }

    /// Queues a pending attempt of `event` for `webhook`, due at `due`, written at `written`.
    fn queue(
        &mut self,
        event: &OutboxEvent,
        webhook: WebhookId,
        attempt: u32,
        due: DateTime<Utc>,
        written: DateTime<Utc>,
    ) -> Delivery {
        let delivery = Delivery {
            id: random_id("dlv"),
            tenant: event.tenant.clone(),
            webhook,
            event_id: event.id.clone(),
            event_type: event.event_type,
            attempt,
            status: DeliveryStatus::Pending,
            response_status: None,
            response_body: None,
            latency_ms: None,
            error: None,
            next_attempt_at: Some(stored_instant(due)),
            created_at: stored_instant(written),
        };
        self.rows.push(Row { delivery: delivery.clone(), lease: None });
        delivery
    }

    fn endpoint(&self, tenant: &TenantId, id: WebhookId) -> Result<&WebhookRecord, StoreError> {
        self.endpoints.get(&id).filter(|r| &r.webhook.tenant == tenant).ok_or(StoreError::NotFound)
    }
}

impl State {
    /// Announces `event` unless its key already has `notice`, and keeps the notice (one write under the
    /// store's lock, like PostgreSQL's one transaction). Answers whether this call did.
    pub(super) fn announce_once(&mut self, event: &OutboxEvent, notice: &str) -> Result<bool, StoreError> {
        let key = event.key.ok_or_else(|| StoreError::Corrupt("a notice names a key".to_owned()))?;
        if self.keys.get(&key).is_none_or(|r| r.key.tenant != event.tenant) {
            return Err(StoreError::NotFound);
        }
        if !self.webhooks.notices.insert((key, notice.to_owned())) {
            return Ok(false);
        }
        let mut event = event.clone();
        event.state = self.keys.get(&key).map(|r| r.key.state);
        self.webhooks.announce(event);
        Ok(true)
    }
}

#[async_trait]
impl WebhookStore for MemoryStore {
    async fn create_webhook(&self, record: &WebhookRecord, audit: &AuditEntry) -> Result<(), StoreError> {
        let mut state = self.write();
        if !state.tenants.contains_key(&record.webhook.tenant) {
            return Err(StoreError::NotFound);
        }
        if state.webhooks.endpoints.contains_key(&record.webhook.id) {
            return Err(StoreError::AlreadyExists);
        }
        state.webhooks.endpoints.insert(record.webhook.id, stored(record));
        state.append_audit(audit);
        Ok(())
    }

    async fn webhook(&self, tenant: &TenantId, id: WebhookId) -> Result<WebhookRecord, StoreError> {
        self.read().webhooks.endpoint(tenant, id).cloned()
    }

    async fn webhooks(&self, tenant: &TenantId) -> Result<Vec<WebhookRecord>, StoreError> {
        let state = self.read();
        let mut all: Vec<WebhookRecord> =
            state.webhooks.endpoints.values().filter(|r| &r.webhook.tenant == tenant).cloned().collect();
        all.sort_by_key(|r| (r.webhook.created_at, r.webhook.id));
        Ok(all)
    }

    async fn update_webhook(
        &self,
        record: &WebhookRecord,
        expected_version: u64,
        audit: &AuditEntry,
    ) -> Result<(), StoreError> {
        let mut state = self.write();
        let current = state.webhooks.endpoint(&record.webhook.tenant, record.webhook.id)?;
        if current.webhook.version != expected_version {
            return Err(StoreError::Conflict);
        }
        state.webhooks.endpoints.insert(record.webhook.id, stored(record));
        state.append_audit(audit);
        Ok(())
    }

    async fn delete_webhook(&self, tenant: &TenantId, id: WebhookId, audit: &AuditEntry) -> Result<(), StoreError> {
        let mut state = self.write();
        state.webhooks.endpoint(tenant, id)?;
        state.webhooks.endpoints.remove(&id);
        state.webhooks.rows.retain(|r| r.delivery.webhook != id);
        state.append_audit(audit);
        Ok(())
    }

    async fn enqueue_event(&self, event: &OutboxEvent, webhook: WebhookId) -> Result<Delivery, StoreError> {
        let mut state = self.write();
        state.webhooks.endpoint(&event.tenant, webhook)?;
        let mut event = event.clone();
        event.at = stored_instant(event.at);
        let delivery = state.webhooks.queue(&event, webhook, 1, event.at, event.at);
        state.webhooks.events.insert(event.id.clone(), event);
        Ok(delivery)
    }

    async fn announce(&self, event: &OutboxEvent) -> Result<u32, StoreError> {
        let mut state = self.write();
        let mut event = event.clone();
        event.state = event.key.and_then(|k| state.keys.get(&k)).map(|r| r.key.state);
        Ok(state.webhooks.announce(event))
    }

    async fn announce_once(&self, event: &OutboxEvent, notice: &str) -> Result<bool, StoreError> {
        self.write().announce_once(event, notice)
    }

    async fn expiry_due(&self, now: DateTime<Utc>, limit: u32) -> Result<Vec<ExpiryDue>, StoreError> {
        let state = self.read();
        let mut due: Vec<ExpiryDue> = state
            .keys
            .values()
            .filter(|r| matches!(r.key.state, KeyState::Active | KeyState::Suspended | KeyState::RevocationPending))
            .filter_map(|r| {
                let lead = state.tenants.get(&r.key.tenant)?.policy.webhook_expiry_lead_days.as_days();
                let at = r.key.expiry.at().filter(|at| *at <= now + chrono::Duration::days(i64::from(lead)))?;
                let event_type = if at <= now { EventType::KeyExpired } else { EventType::KeyExpiring };
                let given = state.webhooks.notices.contains(&(r.key.id, event_type.as_str().to_owned()));
                (!given).then(|| ExpiryDue { tenant: r.key.tenant.clone(), key: r.key.id, expires_at: at, event_type })
            })
            .collect();
        due.sort_by_key(|d| (d.expires_at, d.key));
        due.truncate(usize::try_from(limit).unwrap_or(usize::MAX));
        Ok(due)
    }

    async fn redeliver(
        &self,
        tenant: &TenantId,
        webhook: WebhookId,
        delivery: &str,
        at: DateTime<Utc>,
    ) -> Result<Delivery, StoreError> {
        let mut state = self.write();
        let hooks = &mut state.webhooks;
        hooks.endpoint(tenant, webhook)?;
        let event_id = hooks
            .rows
            .iter()
            .find(|r| r.delivery.id == delivery && r.delivery.webhook == webhook && &r.delivery.tenant == tenant)
            .map(|r| r.delivery.event_id.clone())
            .ok_or(StoreError::NotFound)?;
        let event = hooks.events.get(&event_id).cloned().ok_or(StoreError::NotFound)?;
        Ok(hooks.queue(&event, webhook, 1, at, at))
    }

    async fn deliveries(
        &self,
        tenant: &TenantId,
        webhook: WebhookId,
        status: Option<DeliveryStatus>,
        cursor: Option<DeliveryCursor>,
        limit: u32,
    ) -> Result<Page<Delivery, DeliveryCursor>, StoreError> {
        let state = self.read();
        state.webhooks.endpoint(tenant, webhook)?;
        let mut rows: Vec<&Delivery> = state
            .webhooks
            .rows
            .iter()
            .map(|r| &r.delivery)
            .filter(|d| d.webhook == webhook && status.is_none_or(|s| d.status == s))
            .filter(|d| cursor.as_ref().is_none_or(|c| (d.created_at, d.id.as_str()) < (c.created_at, c.id.as_str())))
            .collect();
        rows.sort_by(|a, b| (b.created_at, &b.id).cmp(&(a.created_at, &a.id)));
        let limit = usize::try_from(limit.max(1)).unwrap_or(usize::MAX);
        let more = rows.len() > limit;
        let items: Vec<Delivery> = rows.into_iter().take(limit).cloned().collect();
        let next = if more {
            items.last().map(|d| DeliveryCursor { created_at: d.created_at, id: d.id.clone() })
        } else {
            None
        };
        Ok(Page { items, next })
    }

    async fn claim_deliveries(
        &self,
        now: DateTime<Utc>,
        lease_until: DateTime<Utc>,
        lease_token: &str,
        limit: u32,
    ) -> Result<Vec<ClaimedDelivery>, StoreError> {
        let mut state = self.write();
        let hooks = &mut state.webhooks;
        let mut due: Vec<usize> = hooks
            .rows
            .iter()
            .enumerate()
            .filter(|(_, r)| {
                r.delivery.status == DeliveryStatus::Pending
                    && r.delivery.next_attempt_at.is_some_and(|at| at <= now)
                    && r.lease.as_ref().is_none_or(|(_, until)| *until <= now)
                    && hooks.endpoints.get(&r.delivery.webhook).is_some_and(|e| e.webhook.sends())
            })
            .map(|(i, _)| i)
            .collect();
        due.sort_by_key(|i| hooks.rows[*i].delivery.next_attempt_at);
        due.truncate(usize::try_from(limit).unwrap_or(usize::MAX));
        let mut claimed = Vec::with_capacity(due.len());
        for i in due {
            let row = &mut hooks.rows[i];
            row.lease = Some((lease_token.to_owned(), stored_instant(lease_until)));
            let (Some(event), Some(webhook)) =
                (hooks.events.get(&row.delivery.event_id), hooks.endpoints.get(&row.delivery.webhook))
            else {
                continue;
            };
            claimed.push(ClaimedDelivery {
                delivery: row.delivery.clone(),
                event: event.clone(),
                webhook: webhook.clone(),
            });
        }
        Ok(claimed)
    }

    async fn finish_delivery(&self, report: &DeliveryReport) -> Result<bool, StoreError> {
        let mut state = self.write();
        let hooks = &mut state.webhooks;
        let Some(row) = hooks.rows.iter_mut().find(|r| {
            r.delivery.id == report.delivery_id
                && r.delivery.tenant == report.tenant
                && r.delivery.status == DeliveryStatus::Pending
                && r.lease.as_ref().is_some_and(|(token, _)| *token == report.lease_token)
        }) else {
            return Ok(false);
        };
        let d = &mut row.delivery;
        d.status = report.status;
        d.response_status = report.response_status;
        d.response_body.clone_from(&report.response_body);
        d.latency_ms = Some(report.latency_ms);
        d.error.clone_from(&report.error);
        d.next_attempt_at = report.retry_at.map(stored_instant);
        row.lease = None;
        let (webhook, attempt, event_id) = (d.webhook, d.attempt, d.event_id.clone());
        if let (Some(retry_at), Some(event)) = (report.retry_at, hooks.events.get(&event_id).cloned()) {
            hooks.queue(&event, webhook, attempt + 1, retry_at, report.at);
        }
        let mut disabled = None;
        if let Some(endpoint) = hooks.endpoints.get_mut(&webhook) {
            endpoint.webhook.failing_since = match report.status {
                DeliveryStatus::Delivered => None,
                _ => Some(endpoint.webhook.failing_since.unwrap_or(stored_instant(report.at))),
            };
            if let Some((next, entry)) = &report.disable {
                if endpoint.webhook.version + 1 == next.version && endpoint.webhook.sends() {
                    let failing_since = endpoint.webhook.failing_since;
                    endpoint.webhook = next.clone();
                    endpoint.webhook.failing_since = failing_since;
                    disabled = Some(entry.clone());
                }
            }
        }
        if let Some(entry) = disabled {
            state.append_audit(&entry);
        }
        Ok(true)
    }
}

/// What the store keeps of a record: instants to the microsecond, as PostgreSQL keeps them.
fn stored(record: &WebhookRecord) -> WebhookRecord {
    let mut record = record.clone();
    let w = &mut record.webhook;
    w.created_at = stored_instant(w.created_at);
    w.updated_at = stored_instant(w.updated_at);
    w.failing_since = w.failing_since.map(stored_instant);
    if let Some(p) = w.pending.as_mut() {
        p.requested_at = stored_instant(p.requested_at);
    }
    if let Some((_, until)) = record.previous_secret.as_mut() {
        *until = stored_instant(*until);
    }
    record
}
