//! Notices on PostgreSQL: an event announced once per key and notice (`webhook_notices`' primary key,
//! `ON CONFLICT DO NOTHING`, in the event's own transaction), and the expiry scan's read.
//!
//! It must never write an event whose notice row it did not write in the same transaction.

use chrono::{DateTime, Utc};
use keygate_domain::webhook::EventType;
use keygate_domain::{KeyId, TenantId};
use sqlx::{PgConnection, PgPool};

use super::failure::{corrupt, fail};
use super::outbox::announce;
use super::rows::{get, parsed};
use crate::error::StoreError;
use crate::notices::ExpiryDue;
use crate::webhook_model::OutboxEvent;

/// The states of a key that still works, or may again: its expiry is news.
const LIVE: &str = "('active', 'suspended', 'revocation_pending')";

/// Writes the notice, and the event only if the notice is new; on `conn` (the caller's transaction).
pub(super) async fn announce_once(
    conn: &mut PgConnection,
    event: &OutboxEvent,
    notice: &str,
) -> Result<bool, StoreError> {
    let key = event.key.ok_or_else(|| corrupt("webhook_notices.key_id", "a notice names a key"))?;
    let written = sqlx::query(
        "INSERT INTO webhook_notices (tenant_id, key_id, notice, event_id, noticed_at) VALUES ($1, $2, $3, $4, $5) \
         ON CONFLICT (tenant_id, key_id, notice) DO NOTHING",
    )
    .bind(event.tenant.as_str())
    .bind(key.to_string())
    .bind(notice)
    .bind(&event.id)
    .bind(event.at)
    .execute(&mut *conn)
    .await
    .map_err(fail)?;
    if written.rows_affected() == 0 {
        return Ok(false);
    }
    announce(conn, event).await?;
    Ok(true)
}

/// [`announce_once`] in a transaction of its own.
pub(super) async fn announce_once_alone(pool: &PgPool, event: &OutboxEvent, notice: &str) -> Result<bool, StoreError> {
    let mut tx = pool.begin().await.map_err(fail)?;
    let written = announce_once(&mut tx, event, notice).await?;
    tx.commit().await.map_err(fail)?;
    Ok(written)
}

/// The keys whose expiry is to be announced.
pub(super) async fn expiry_due(pool: &PgPool, now: DateTime<Utc>, limit: u32) -> Result<Vec<ExpiryDue>, StoreError> {
    let rows = sqlx::query(&format!(
        "SELECT k.tenant_id, k.key_id, k.expires_at, \
           CASE WHEN k.expires_at <= $1 THEN 'key.expired' ELSE 'key.expiring' END AS event_type \
         FROM keys k JOIN tenants t ON t.tenant_id = k.tenant_id \
         WHERE k.expires_at IS NOT NULL AND k.state IN {LIVE} \
           AND k.expires_at <= $1 + make_interval(days => t.webhook_expiry_lead_days) \
           AND NOT EXISTS (SELECT 1 FROM webhook_notices n WHERE n.tenant_id = k.tenant_id AND n.key_id = k.key_id \
             AND n.notice = CASE WHEN k.expires_at <= $1 THEN 'key.expired' ELSE 'key.expiring' END) \
         ORDER BY k.expires_at LIMIT $2"
    ))
    .bind(now)
    .bind(i64::from(limit))
    .fetch_all(pool)
    .await
    .map_err(fail)?;
    rows.iter()
        .map(|row| {
            Ok(ExpiryDue {
                tenant: parsed(row, "tenant_id", TenantId::parse)?,
                key: parsed(row, "key_id", KeyId::parse)?,
                expires_at: get(row, "expires_at")?,
                event_type: parsed(row, "event_type", |t| EventType::parse(t).ok_or("unknown event"))?,
            })
        })
        .collect()
}
