//! A webhook endpoint to and from its `webhooks` row.
//!
//! It must never panic or guess: every stored text goes through the domain's parser (a URL is parsed
//! with `http` allowed, since whether `http` is allowed is the installation's rule, checked when the
//! URL was written), and a row that does not parse is `StoreError::Corrupt` naming the column.

use keygate_domain::webhook::{DisabledBy, EventFilter, Webhook, WebhookChange, WebhookStatus, WebhookUrl};
use keygate_domain::{ActorId, Notes, TenantId, WebhookId};
use sqlx::postgres::{PgArguments, PgRow};
use sqlx::query::Query;
use sqlx::Postgres;

use super::convert::{from_db, to_db};
use super::failure::corrupt;
use super::rows::{get, parsed, parsed_opt};
use crate::error::StoreError;
use crate::webhook_model::{SealedSecret, WebhookRecord};

/// Every column, in bind order ($1, $2, …).
pub(super) const WEBHOOK_FIELDS: [&str; 22] = [
    "tenant_id",
    "webhook_id",
    "url",
    "events",
    "description",
    "status",
    "disabled_by",
    "created_by",
    "created_for",
    "pending_url",
    "pending_events",
    "pending_enable",
    "pending_requested_by",
    "pending_requested_for",
    "pending_requested_at",
    "failing_since",
    "secret",
    "previous_secret",
    "previous_secret_until",
    "created_at",
    "updated_at",
    "version",
];

/// Binds every field of `record` in [`WEBHOOK_FIELDS`] order.
pub(super) fn bind<'q>(
    query: Query<'q, Postgres, PgArguments>,
    record: &'q WebhookRecord,
) -> Result<Query<'q, Postgres, PgArguments>, StoreError> {
    let w = &record.webhook;
    let disabled_by = match w.status {
        WebhookStatus::Disabled(by) => Some(by.as_str()),
        WebhookStatus::PendingApproval | WebhookStatus::Active => None,
    };
    let pending = w.pending.as_ref();
    let names = |events: &EventFilter| events.names().into_iter().map(str::to_owned).collect::<Vec<_>>();
    Ok(query
        .bind(w.tenant.as_str())
        .bind(w.id.to_string())
        .bind(w.url.as_str())
        .bind(names(&w.events))
        .bind(w.description.as_ref().map(Notes::as_str))
        .bind(w.status.as_str())
        .bind(disabled_by)
        .bind(w.created_by.to_string())
        .bind(w.created_for.to_string())
        .bind(pending.map(|p| p.url.as_str()))
        .bind(pending.map(|p| names(&p.events)))
        .bind(pending.map(|p| p.enable))
        .bind(pending.map(|p| p.requested_by.to_string()))
        .bind(pending.map(|p| p.requested_for.to_string()))
        .bind(pending.map(|p| p.requested_at))
        .bind(w.failing_since)
        .bind(&record.secret.0[..])
        .bind(record.previous_secret.as_ref().map(|(s, _)| &s.0[..]))
        .bind(record.previous_secret.as_ref().map(|(_, until)| *until))
        .bind(w.created_at)
        .bind(w.updated_at)
        .bind(to_db(w.version, "version")?))
}

fn events(row: &PgRow, name: &str) -> Result<Option<EventFilter>, StoreError> {
    get::<Option<Vec<String>>>(row, name)?
        .map(|names| EventFilter::parse(names.iter().map(String::as_str)).map_err(|e| corrupt(name, e)))
        .transpose()
}

/// A `webhooks` row.
pub(super) fn webhook_record(row: &PgRow) -> Result<WebhookRecord, StoreError> {
    let url = |text: &str| WebhookUrl::parse(text, true);
    let status = match get::<&str>(row, "status")? {
        "pending_approval" => WebhookStatus::PendingApproval,
        "active" => WebhookStatus::Active,
        "disabled" => WebhookStatus::Disabled(parsed(row, "disabled_by", |t| DisabledBy::parse(t).ok_or("unknown"))?),
        _ => return Err(corrupt("status", "unknown")),
    };
    let pending = match parsed_opt(row, "pending_url", url)? {
        Some(pending_url) => Some(WebhookChange {
            url: pending_url,
            events: events(row, "pending_events")?.ok_or_else(|| corrupt("pending_events", "missing"))?,
            enable: get::<Option<bool>>(row, "pending_enable")?.ok_or_else(|| corrupt("pending_enable", "missing"))?,
            requested_by: parsed(row, "pending_requested_by", str::parse::<ActorId>)?,
            requested_for: parsed(row, "pending_requested_for", str::parse::<ActorId>)?,
            requested_at: get::<Option<_>>(row, "pending_requested_at")?
                .ok_or_else(|| corrupt("pending_requested_at", "missing"))?,
        }),
        None => None,
    };
    let previous = match get::<Option<Vec<u8>>>(row, "previous_secret")? {
        Some(bytes) => Some((
            SealedSecret(bytes),
            get::<Option<_>>(row, "previous_secret_until")?
                .ok_or_else(|| corrupt("previous_secret_until", "missing"))?,
        )),
        None => None,
    };
    Ok(WebhookRecord {
        webhook: Webhook {
            id: parsed(row, "webhook_id", WebhookId::parse)?,
            tenant: parsed(row, "tenant_id", TenantId::parse)?,
            url: parsed(row, "url", url)?,
            events: events(row, "events")?.ok_or_else(|| corrupt("events", "missing"))?,
            description: parsed_opt(row, "description", Notes::parse)?,
            status,
            created_by: parsed(row, "created_by", str::parse::<ActorId>)?,
            created_for: parsed(row, "created_for", str::parse::<ActorId>)?,
            pending,
            failing_since: get(row, "failing_since")?,
            created_at: get(row, "created_at")?,
            updated_at: get(row, "updated_at")?,
            version: from_db(get(row, "version")?, "version")?,
        },
        secret: SealedSecret(get(row, "secret")?),
        previous_secret: previous,
    })
}
