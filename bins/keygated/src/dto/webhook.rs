//! Webhook endpoints and their delivery log on the wire. The signing secret appears only in the
//! responses of the registration and of a rotation.

use chrono::{DateTime, Utc};
use keygate_domain::webhook::WebhookStatus;
use keygate_domain::Notes;
use keygate_store::{Delivery, WebhookRecord};
use keygate_verifier::manage::{WebhookPatchSpec, WebhookSpec};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::schema::CursorText;
use super::{field, Nullable};
use crate::error::ApiError;

/// `POST /v1/tenants/{tenant}/webhooks`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(examples(json!({"url": "https://hooks.example.com/keygate", "events": ["key.revoked", "key.leaked"],
    "description": "security team"})))]
pub struct CreateWebhook {
    /// `https` (or `http` where the installation allows it); its host must not resolve to a loopback,
    /// private, link-local or multicast address.
    url: String,
    /// Event names (see `docs/webhooks.md`), or `["*"]` for all.
    events: Vec<String>,
    /// Free text, up to 1,000 characters.
    description: Option<String>,
}

impl TryFrom<CreateWebhook> for WebhookSpec {
    type Error = ApiError;
    fn try_from(body: CreateWebhook) -> Result<Self, ApiError> {
        let description = body.description.as_deref().map(|d| field("description", d, Notes::parse)).transpose()?;
        Ok(Self { url: body.url, events: body.events, description })
    }
}

/// `PATCH /v1/tenants/{tenant}/webhooks/{id}`: each field optional.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(examples(json!({"events": ["*"], "enabled": true})))]
pub struct PatchWebhook {
    url: Option<String>,
    events: Option<Vec<String>>,
    /// `null` clears it.
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    description: Nullable<String>,
    /// `false` disables at once; `true` enables (under dual control, once another admin approves).
    enabled: Option<bool>,
}

impl TryFrom<PatchWebhook> for WebhookPatchSpec {
    type Error = ApiError;
    fn try_from(body: PatchWebhook) -> Result<Self, ApiError> {
        let description = body.description.map_some(|d| field("description", &d, Notes::parse))?;
        Ok(Self { url: body.url, events: body.events, description, enabled: body.enabled })
    }
}

/// A change waiting for another admin.
#[derive(Debug, Serialize, ToSchema)]
#[schema(examples(json!({"url": "https://hooks.example.com/v2", "events": ["*"], "enable": false,
    "requested_by": "operator:5ZR3qa7yEeeby3abP3E2Zs", "requested_at": "2026-11-28T18:40:00Z"})))]
pub struct PendingWebhookView {
    url: String,
    events: Vec<&'static str>,
    /// Whether approving it also enables the endpoint.
    enable: bool,
    requested_by: String,
    requested_at: DateTime<Utc>,
}

/// A webhook endpoint, never its secret.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = Webhook, examples(json!({
    "id": "3kQ9dLq0Xv7tRb2Nw8Yk1e", "url": "https://hooks.example.com/keygate", "events": ["key.revoked"],
    "description": "security team", "status": "active", "enabled": true, "disabled_by": null,
    "failing_since": null, "pending": null, "created_by": "operator:5ZR3qa7yEeeby3abP3E2Zs",
    "previous_secret_until": null, "created_at": "2026-11-28T18:40:00Z", "updated_at": "2026-11-28T18:40:00Z"
})))]
pub struct WebhookView {
    /// 22 base62 characters.
    id: String,
    url: String,
    /// Event names, or `["*"]`.
    events: Vec<&'static str>,
    description: Option<String>,
    /// `pending_approval`, `active` or `disabled`.
    status: &'static str,
    /// Whether events are sent to it now.
    enabled: bool,
    /// For a disabled endpoint: `operator`, or `failures` (every attempt failed for three days).
    disabled_by: Option<&'static str>,
    /// The first failed attempt since the last delivered one.
    failing_since: Option<DateTime<Utc>>,
    pending: Option<PendingWebhookView>,
    created_by: String,
    /// After a rotation, until when the old secret still signs alongside the new one.
    previous_secret_until: Option<DateTime<Utc>>,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
}

impl From<&WebhookRecord> for WebhookView {
    fn from(r: &WebhookRecord) -> Self {
        let w = &r.webhook;
        Self {
            id: w.id.to_string(),
            url: w.url.to_string(),
            events: w.events.names(),
            description: w.description.as_ref().map(|d| d.as_str().to_owned()),
            status: w.status.as_str(),
            enabled: w.sends(),
            disabled_by: match w.status {
                WebhookStatus::Disabled(by) => Some(by.as_str()),
                WebhookStatus::Active | WebhookStatus::PendingApproval => None,
            },
            failing_since: w.failing_since,
            pending: w.pending.as_ref().map(|p| PendingWebhookView {
                url: p.url.to_string(),
                events: p.events.names(),
                enable: p.enable,
                requested_by: p.requested_by.to_string(),
                requested_at: p.requested_at,
            }),
            created_by: w.created_by.to_string(),
            previous_secret_until: r.previous_secret.as_ref().map(|(_, until)| *until),
            created_at: w.created_at,
            updated_at: w.updated_at,
        }
    }
}

/// An endpoint and its signing secret, shown this once.
#[derive(Serialize, ToSchema)]
#[schema(examples(json!({"webhook": {"id": "3kQ9dLq0Xv7tRb2Nw8Yk1e", "url": "https://hooks.example.com/keygate",
    "events": ["*"], "description": null, "status": "active", "enabled": true, "disabled_by": null,
    "failing_since": null, "pending": null, "created_by": "operator:5ZR3qa7yEeeby3abP3E2Zs",
    "previous_secret_until": null, "created_at": "2026-11-28T18:40:00Z", "updated_at": "2026-11-28T18:40:00Z"},
    "secret": "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSwMfKQ9r8GKYo="})))]
pub struct WebhookWithSecret {
    /// The endpoint.
    pub webhook: WebhookView,
    /// `whsec_<base64 of 32 random bytes>`: verify signatures with it; it is never shown again.
    pub secret: String,
}

impl std::fmt::Debug for WebhookWithSecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WebhookWithSecret").field("webhook", &self.webhook).finish_non_exhaustive()
    }
}

/// A tenant's endpoints, oldest first.
#[derive(Debug, Serialize, ToSchema)]
#[schema(examples(json!({"items": []})))]
pub struct WebhookList {
    /// Oldest first.
    pub items: Vec<WebhookView>,
}

/// One attempt to deliver an event.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = WebhookDelivery, examples(json!({
    "id": "dlv_6f1c0e1a9b7d4c2e8f3a5b6c7d8e9f01", "event_id": "msg_0b1c2d3e4f5a6b7c8d9e0f1a2b3c4d5e",
    "event_type": "key.revoked", "attempt": 1, "status": "delivered", "response_status": 200,
    "response_body": "ok", "latency_ms": 42, "error": null, "next_attempt_at": null,
    "created_at": "2026-11-28T18:40:00Z"})))]
pub struct DeliveryView {
    id: String,
    /// The `webhook-id` header: the same for every attempt and redelivery of the event.
    event_id: String,
    event_type: &'static str,
    /// 1 for a first attempt (or a redelivery), up to 8.
    attempt: u32,
    /// `pending`, `delivered` or `failed`.
    status: &'static str,
    response_status: Option<u16>,
    /// The first KiB of the endpoint's answer.
    response_body: Option<String>,
    latency_ms: Option<u64>,
    /// Why the attempt got no answer.
    error: Option<String>,
    /// Pending: when it is due; failed: when its retry is due (null: given up).
    next_attempt_at: Option<DateTime<Utc>>,
    created_at: DateTime<Utc>,
}

impl From<&Delivery> for DeliveryView {
    fn from(d: &Delivery) -> Self {
        Self {
            id: d.id.clone(),
            event_id: d.event_id.clone(),
            event_type: d.event_type.as_str(),
            attempt: d.attempt,
            status: d.status.as_str(),
            response_status: d.response_status,
            response_body: d.response_body.clone(),
            latency_ms: d.latency_ms,
            error: d.error.clone(),
            next_attempt_at: d.next_attempt_at,
            created_at: d.created_at,
        }
    }
}

/// A page of the delivery log, newest first.
#[derive(Debug, Serialize, ToSchema)]
#[schema(examples(json!({"items": [], "next_cursor": null})))]
pub struct DeliveryList {
    /// Newest first.
    pub items: Vec<DeliveryView>,
    /// Pass as `cursor` for the next page; null on the last.
    pub next_cursor: Option<String>,
}

/// `GET .../webhooks/{id}/deliveries` query.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct DeliveryQuery {
    /// `pending`, `delivered` or `failed`.
    pub status: Option<String>,
    /// From a previous page's `next_cursor`.
    #[param(value_type = Option<CursorText>)]
    pub cursor: Option<String>,
    /// Page size, 1 to 200 (default 50).
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<u32>,
}
