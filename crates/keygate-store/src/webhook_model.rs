//! What the store keeps for webhooks: endpoints with their sealed secrets, the outbox's events, and
//! the deliveries (one per attempt, the pending ones being the queue).
//!
//! Nothing here holds a secret in clear: a sealed secret is opaque bytes only the webhook key opens,
//! and its `Debug` shows nothing of it.

use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, Utc};
use keygate_domain::base62;
use keygate_domain::webhook::{EventType, Webhook};
use keygate_domain::{ActorId, KeyId, KeyState, TenantId, WebhookId};

use crate::cursor::CursorError;

/// A signing secret sealed under the installation's webhook key (nonce, ciphertext, tag).
#[derive(Clone, PartialEq, Eq)]
pub struct SealedSecret(pub Vec<u8>);

impl fmt::Debug for SealedSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SealedSecret(<sealed>)")
    }
}

/// An endpoint as stored: the domain record and its sealed secrets.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebhookRecord {
    /// The endpoint.
    pub webhook: Webhook,
    /// Its signing secret.
    pub secret: SealedSecret,
    /// The secret a rotation replaced and until when it still signs.
    pub previous_secret: Option<(SealedSecret, DateTime<Utc>)>,
}

/// An event in the outbox: what happened, as the change that announced it left things.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutboxEvent {
    /// `msg_…`: the `webhook-id` every delivery of it carries, retries and redeliveries included.
    pub id: String,
    /// Its tenant.
    pub tenant: TenantId,
    /// What kind of event.
    pub event_type: EventType,
    /// The audit action it comes from (`key.requested`, ...), if it comes from one.
    pub action: Option<String>,
    /// The key concerned, if any.
    pub key: Option<KeyId>,
    /// Who did it.
    pub actor: ActorId,
    /// The key's state once the change was made.
    pub state: Option<KeyState>,
    /// The key's events numbered 1, 2, 3…, in the order they were written.
    pub sequence: Option<u64>,
    /// The audit entry it comes from.
    pub audit_seq: Option<u64>,
    /// The audit entry's reason.
    pub reason: Option<String>,
    /// A JSON object text: the audit entry's details, or what the event itself says (a threshold).
    pub details: Option<String>,
    /// When it happened.
    pub at: DateTime<Utc>,
}

/// Where one attempt stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DeliveryStatus {
    /// Due at `next_attempt_at` (or being made under a lease).
    Pending,
    /// Answered 2xx in time.
    Delivered,
    /// Failed: retried by the next row if `next_attempt_at` is set, else given up.
    Failed,
}

impl DeliveryStatus {
    /// The name in storage and on the wire.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Delivered => "delivered",
            Self::Failed => "failed",
        }
    }

    /// Parses the name back.
    pub fn parse(text: &str) -> Option<Self> {
        [Self::Pending, Self::Delivered, Self::Failed].into_iter().find(|s| s.as_str() == text)
    }
}

/// One attempt to deliver an event to an endpoint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Delivery {
    /// `dlv_…`.
    pub id: String,
    /// Its tenant.
    pub tenant: TenantId,
    /// The endpoint.
    pub webhook: WebhookId,
    /// The event (its `webhook-id`).
    pub event_id: String,
    /// The event's type.
    pub event_type: EventType,
    /// 1 for the first attempt of a run, 2 for its first retry, …
    pub attempt: u32,
    /// Where it stands.
    pub status: DeliveryStatus,
    /// The endpoint's HTTP status, if it answered.
    pub response_status: Option<u16>,
    /// The first KiB of its answer.
    pub response_body: Option<String>,
    /// How long the attempt took.
    pub latency_ms: Option<u64>,
    /// Why it failed without an answer (time-out, refused address, connection error).
    pub error: Option<String>,
    /// For a pending row, when it is due; for a failed one, when its retry is due (`None`: given up).
    pub next_attempt_at: Option<DateTime<Utc>>,
    /// When the row was written.
    pub created_at: DateTime<Utc>,
}

/// A pending delivery claimed under a lease, with all its sender needs.
#[derive(Debug, Clone)]
pub struct ClaimedDelivery {
    /// The attempt.
    pub delivery: Delivery,
    /// Its event.
    pub event: OutboxEvent,
    /// Its endpoint as it is now.
    pub webhook: WebhookRecord,
}

/// How an attempt ended, as the sender reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeliveryReport {
    /// The attempt.
    pub delivery_id: String,
    /// Its tenant.
    pub tenant: TenantId,
    /// The lease it was claimed under: a report under a lease since taken by another process is
    /// ignored.
    pub lease_token: String,
    /// Delivered or failed.
    pub status: DeliveryStatus,
    /// The endpoint's HTTP status, if it answered.
    pub response_status: Option<u16>,
    /// The first KiB of its answer.
    pub response_body: Option<String>,
    /// How long it took.
    pub latency_ms: u64,
    /// Why it failed without an answer.
    pub error: Option<String>,
    /// For a failure, when the next attempt is due (a new pending row); `None` gives up.
    pub retry_at: Option<DateTime<Utc>>,
    /// When the attempt ended: the endpoint's `failing_since` starts here on a failure (if unset), and
    /// clears on a delivery.
    pub at: DateTime<Utc>,
    /// The endpoint as it should be now, if the sender decided to disable it (every attempt failed for
    /// three days), with the audit entry that records it; applied only if the endpoint's version is
    /// still the one claimed.
    pub disable: Option<(Webhook, crate::model::AuditEntry)>,
}

/// Position in a delivery log, newest first: the (`created_at`, id) of the last row returned.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct DeliveryCursor {
    /// Creation instant of the last row returned.
    pub created_at: DateTime<Utc>,
    /// Its id.
    pub id: String,
}

impl fmt::Display for DeliveryCursor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let micros = u64::try_from(self.created_at.timestamp_micros()).unwrap_or(0);
        let mut buf = [0u8; base62::U64_WIDTH];
        base62::encode_into(micros, &mut buf);
        f.write_str("d")?;
        f.write_str(std::str::from_utf8(&buf).map_err(|_| fmt::Error)?)?;
        f.write_str(&self.id)
    }
}

impl FromStr for DeliveryCursor {
    type Err = CursorError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let rest = s.strip_prefix('d').ok_or(CursorError)?;
        if rest.len() <= base62::U64_WIDTH || rest.len() > base62::U64_WIDTH + 64 {
            return Err(CursorError);
        }
        let (micros, id) = rest.split_at(base62::U64_WIDTH);
        if !id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_') {
            return Err(CursorError);
        }
        let micros = base62::decode(micros.as_bytes()).ok_or(CursorError)?;
        let micros = i64::try_from(micros).map_err(|_| CursorError)?;
        let created_at = DateTime::from_timestamp_micros(micros).ok_or(CursorError)?;
        Ok(Self { created_at, id: id.to_owned() })
    }
}

/// Fresh `{prefix}_<32 hex>` ids (128 bits from the OS RNG).
pub(crate) fn random_id(prefix: &str) -> String {
    use rand_core::{OsRng, RngCore};
    let mut bytes = [0u8; 16];
    OsRng.fill_bytes(&mut bytes);
    format!("{prefix}_{:032x}", u128::from_be_bytes(bytes))
}

impl OutboxEvent {
    /// The event an audit entry announces (`event_type` from [`crate::AuditKind::event_type`]), under
    /// a fresh id; `state` is the entry's key's state once its change was written. The sequence is the
    /// store's to fill.
    pub(crate) fn from_audit(entry: &crate::model::AuditEntry, event_type: EventType, state: Option<KeyState>) -> Self {
        Self {
            id: random_id("msg"),
            tenant: entry.tenant.clone(),
            event_type,
            action: Some(entry.action.as_str().to_owned()),
            key: entry.key,
            actor: entry.actor,
            state,
            sequence: None,
            audit_seq: Some(entry.seq),
            reason: entry.reason.as_ref().map(|r| r.as_str().to_owned()),
            details: entry.details.clone(),
            at: entry.at,
        }
    }

    /// An event that comes from no audit entry (a test event, a threshold, an expiry), under a fresh id.
    pub fn new(
        tenant: &TenantId,
        event_type: EventType,
        key: Option<KeyId>,
        actor: ActorId,
        at: DateTime<Utc>,
    ) -> Self {
        Self {
            id: random_id("msg"),
            tenant: tenant.clone(),
            event_type,
            action: None,
            key,
            actor,
            state: None,
            sequence: None,
            audit_seq: None,
            reason: None,
            details: None,
            at,
        }
    }
}
