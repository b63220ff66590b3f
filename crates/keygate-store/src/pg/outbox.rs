//! The outbox and the delivery queue: an event written with the change it announces (inside that
//! change's transaction), a test event or a redelivery for one endpoint, the delivery log, the claim
//! of due rows under a lease (`FOR UPDATE SKIP LOCKED`, so processes claiming at once each get other
//! rows), and the report of how an attempt ended.
//!
//! It must never queue an event for an endpoint that does not send or does not subscribe to it,
//! never hand a row to a second live lease, and never record a report made under a lease that is no
//! longer the row's.

use chrono::{DateTime, Utc};
use keygate_domain::webhook::EventType;
use keygate_domain::{ActorId, KeyId, KeyState, TenantId, WebhookId};
use sqlx::postgres::PgRow;
use sqlx::{PgConnection, PgPool, Postgres, QueryBuilder};

use super::audit::append;
use super::convert::{from_db, from_db_u32, to_db};
use super::failure::{corrupt, fail};
use super::rows::{get, parsed, parsed_opt};
use super::webhooks;
use crate::error::StoreError;
use crate::model::Page;
use crate::webhook_model::{ClaimedDelivery, Delivery, DeliveryCursor, DeliveryReport, DeliveryStatus, OutboxEvent};

/// A fresh delivery id, drawn by PostgreSQL (one per row of a multi-row insert).
const NEW_DELIVERY_ID: &str = "'dlv_' || replace(gen_random_uuid()::text, '-', '')";

/// Writes `event` for every endpoint of its tenant that sends and subscribes to it: the key's next
/// sequence number, the event with its key's state as this transaction sees it, one pending delivery
/// per endpoint. Nothing at all when no endpoint wants it. Answers the deliveries queued.
pub(super) async fn announce(conn: &mut PgConnection, event: &OutboxEvent) -> Result<u32, StoreError> {
    let sql = format!(
        "WITH targets AS (SELECT webhook_id FROM webhooks WHERE tenant_id = $1 AND status = 'active' \
           AND ($2 = ANY (events) OR '*' = ANY (events))), \
         seq AS (INSERT INTO webhook_sequences AS s (tenant_id, key_id, last) \
           SELECT $1, $4, 1 WHERE $4::text IS NOT NULL AND EXISTS (SELECT 1 FROM targets) \
           ON CONFLICT (tenant_id, key_id) DO UPDATE SET last = s.last + 1 RETURNING last), \
         event AS (INSERT INTO webhook_events (tenant_id, event_id, event_type, action, key_id, actor, key_state, \
             sequence, audit_seq, reason, details, occurred_at) \
           SELECT $1, $3, $2, $5, $4, $6, (SELECT state FROM keys WHERE tenant_id = $1 AND key_id = $4), \
             (SELECT last FROM seq), $7, $8, $9, $10 WHERE EXISTS (SELECT 1 FROM targets) RETURNING event_id) \
         INSERT INTO webhook_deliveries (tenant_id, delivery_id, webhook_id, event_id, attempt, status, \
           next_attempt_at, created_at) \
         SELECT $1, {NEW_DELIVERY_ID}, t.webhook_id, e.event_id, 1, 'pending', $10, $10 FROM targets t CROSS JOIN event e"
    );
    let done = sqlx::query(&sql)
        .bind(event.tenant.as_str())
        .bind(event.event_type.as_str())
        .bind(&event.id)
        .bind(event.key.map(|k| k.to_string()))
        .bind(event.action.as_deref())
        .bind(event.actor.to_string())
        .bind(event.audit_seq.map(|s| to_db(s, "audit_seq")).transpose()?)
        .bind(event.reason.as_deref())
        .bind(event.details.as_deref())
        .bind(event.at)
        .execute(conn)
        .await
        .map_err(fail)?;
    Ok(u32::try_from(done.rows_affected()).unwrap_or(u32::MAX))
}

/// [`announce`] in a transaction of its own (an event that comes from no audit entry).
pub(super) async fn announce_alone(pool: &PgPool, event: &OutboxEvent) -> Result<u32, StoreError> {
    let mut tx = pool.begin().await.map_err(fail)?;
    let queued = announce(&mut tx, event).await?;
    tx.commit().await.map_err(fail)?;
    Ok(queued)
}

/// The delivery columns with the event's type.
const DELIVERY_SELECT: &str = "SELECT d.tenant_id, d.delivery_id, d.webhook_id, d.event_id, d.attempt, d.status, \
     d.response_status, d.response_body, d.latency_ms, d.error, d.next_attempt_at, d.created_at, e.event_type \
     FROM webhook_deliveries d JOIN webhook_events e ON e.tenant_id = d.tenant_id AND e.event_id = d.event_id";

fn delivery(row: &PgRow) -> Result<Delivery, StoreError> {
    Ok(Delivery {
        id: get(row, "delivery_id")?,
        tenant: parsed(row, "tenant_id", TenantId::parse)?,
        webhook: parsed(row, "webhook_id", WebhookId::parse)?,
        event_id: get(row, "event_id")?,
        event_type: parsed(row, "event_type", |t| EventType::parse(t).ok_or("unknown event"))?,
        attempt: from_db_u32(i64::from(get::<i32>(row, "attempt")?), "attempt")?,
        status: parsed(row, "status", |t| DeliveryStatus::parse(t).ok_or("unknown status"))?,
        response_status: get::<Option<i32>>(row, "response_status")?
            .map(|s| u16::try_from(s).map_err(|e| corrupt("response_status", e)))
            .transpose()?,
        response_body: get(row, "response_body")?,
        latency_ms: get::<Option<i64>>(row, "latency_ms")?.map(|l| from_db(l, "latency_ms")).transpose()?,
        error: get(row, "error")?,
        next_attempt_at: get(row, "next_attempt_at")?,
        created_at: get(row, "created_at")?,
    })
}

async fn delivery_by_id(pool: &PgPool, tenant: &TenantId, id: &str) -> Result<Delivery, StoreError> {
    let row = sqlx::query(&format!("{DELIVERY_SELECT} WHERE d.tenant_id = $1 AND d.delivery_id = $2"))
        .bind(tenant.as_str())
        .bind(id)
        .fetch_optional(pool)
        .await
        .map_err(fail)?;
    row.as_ref().map(delivery).transpose()?.ok_or(StoreError::NotFound)
}

/// Writes `event` for one endpoint, whatever it subscribes to.
pub(super) async fn enqueue(pool: &PgPool, event: &OutboxEvent, webhook: WebhookId) -> Result<Delivery, StoreError> {
    let sql = format!(
        "WITH event AS (INSERT INTO webhook_events (tenant_id, event_id, event_type, action, key_id, actor, \
             key_state, sequence, audit_seq, reason, details, occurred_at) \
           SELECT tenant_id, $3, $4, $5, $6, $7, NULL, NULL, NULL, $8, $9, $10 FROM webhooks \
           WHERE tenant_id = $1 AND webhook_id = $2 RETURNING event_id) \
         INSERT INTO webhook_deliveries (tenant_id, delivery_id, webhook_id, event_id, attempt, status, \
           next_attempt_at, created_at) \
         SELECT $1, {NEW_DELIVERY_ID}, $2, event_id, 1, 'pending', $10, $10 FROM event RETURNING delivery_id"
    );
    let row = sqlx::query(&sql)
        .bind(event.tenant.as_str())
        .bind(webhook.to_string())
        .bind(&event.id)
        .bind(event.event_type.as_str())
        .bind(event.action.as_deref())
        .bind(event.key.map(|k| k.to_string()))
        .bind(event.actor.to_string())
        .bind(event.reason.as_deref())
        .bind(event.details.as_deref())
        .bind(event.at)
        .fetch_optional(pool)
        .await
        .map_err(fail)?
        .ok_or(StoreError::NotFound)?;
    delivery_by_id(pool, &event.tenant, &get::<String>(&row, "delivery_id")?).await
}

/// Queues a delivery's event again for its endpoint.
pub(super) async fn redeliver(
    pool: &PgPool,
    tenant: &TenantId,
    webhook: WebhookId,
    id: &str,
    at: DateTime<Utc>,
) -> Result<Delivery, StoreError> {
    let sql = format!(
        "INSERT INTO webhook_deliveries (tenant_id, delivery_id, webhook_id, event_id, attempt, status, \
           next_attempt_at, created_at) \
         SELECT tenant_id, {NEW_DELIVERY_ID}, webhook_id, event_id, 1, 'pending', $4, $4 FROM webhook_deliveries \
         WHERE tenant_id = $1 AND webhook_id = $2 AND delivery_id = $3 RETURNING delivery_id"
    );
    let row = sqlx::query(&sql)
        .bind(tenant.as_str())
        .bind(webhook.to_string())
        .bind(id)
        .bind(at)
        .fetch_optional(pool)
        .await
        .map_err(fail)?
        .ok_or(StoreError::NotFound)?;
    delivery_by_id(pool, tenant, &get::<String>(&row, "delivery_id")?).await
}

/// An endpoint's deliveries, newest first.
pub(super) async fn deliveries(
    pool: &PgPool,
    tenant: &TenantId,
    webhook: WebhookId,
    status: Option<DeliveryStatus>,
    cursor: Option<DeliveryCursor>,
    limit: u32,
) -> Result<Page<Delivery, DeliveryCursor>, StoreError> {
    webhooks::get(pool, tenant, webhook).await?;
    let limit = limit.max(1);
    let mut query = QueryBuilder::<Postgres>::new(DELIVERY_SELECT);
    query.push(" WHERE d.tenant_id = ").push_bind(tenant.as_str());
    query.push(" AND d.webhook_id = ").push_bind(webhook.to_string());
    if let Some(status) = status {
        query.push(" AND d.status = ").push_bind(status.as_str());
    }
    if let Some(cursor) = cursor {
        query.push(" AND (d.created_at, d.delivery_id) < (").push_bind(cursor.created_at);
        query.push(", ").push_bind(cursor.id).push(")");
    }
    query.push(" ORDER BY d.created_at DESC, d.delivery_id DESC LIMIT ").push_bind(i64::from(limit) + 1);
    let rows = query.build().fetch_all(pool).await.map_err(fail)?;
    let limit = usize::try_from(limit).unwrap_or(usize::MAX);
    let more = rows.len() > limit;
    let items = rows.iter().take(limit).map(delivery).collect::<Result<Vec<_>, _>>()?;
    let next =
        if more { items.last().map(|d| DeliveryCursor { created_at: d.created_at, id: d.id.clone() }) } else { None };
    Ok(Page { items, next })
}

/// Leases up to `limit` due rows to `token`.
pub(super) async fn claim(
    pool: &PgPool,
    now: DateTime<Utc>,
    lease_until: DateTime<Utc>,
    token: &str,
    limit: u32,
) -> Result<Vec<ClaimedDelivery>, StoreError> {
    let claimed = sqlx::query(
        "WITH due AS (SELECT d.tenant_id, d.delivery_id FROM webhook_deliveries d \
           JOIN webhooks w ON w.tenant_id = d.tenant_id AND w.webhook_id = d.webhook_id \
           WHERE d.status = 'pending' AND d.next_attempt_at <= $1 AND (d.lease_until IS NULL OR d.lease_until <= $1) \
             AND w.status = 'active' \
           ORDER BY d.next_attempt_at LIMIT $4 FOR UPDATE OF d SKIP LOCKED) \
         UPDATE webhook_deliveries d SET lease_token = $3, lease_until = $2 FROM due \
         WHERE d.tenant_id = due.tenant_id AND d.delivery_id = due.delivery_id RETURNING d.tenant_id, d.delivery_id",
    )
    .bind(now)
    .bind(lease_until)
    .bind(token)
    .bind(i64::from(limit))
    .fetch_all(pool)
    .await
    .map_err(fail)?;
    let mut out = Vec::with_capacity(claimed.len());
    for row in &claimed {
        let tenant = parsed(row, "tenant_id", TenantId::parse)?;
        let delivery = delivery_by_id(pool, &tenant, get::<&str>(row, "delivery_id")?).await?;
        let event = event(pool, &tenant, &delivery.event_id).await?;
        let webhook = webhooks::get(pool, &tenant, delivery.webhook).await?;
        out.push(ClaimedDelivery { delivery, event, webhook });
    }
    Ok(out)
}

async fn event(pool: &PgPool, tenant: &TenantId, id: &str) -> Result<OutboxEvent, StoreError> {
    let row = sqlx::query("SELECT * FROM webhook_events WHERE tenant_id = $1 AND event_id = $2")
        .bind(tenant.as_str())
        .bind(id)
        .fetch_optional(pool)
        .await
        .map_err(fail)?
        .ok_or(StoreError::NotFound)?;
    Ok(OutboxEvent {
        id: get(&row, "event_id")?,
        tenant: tenant.clone(),
        event_type: parsed(&row, "event_type", |t| EventType::parse(t).ok_or("unknown event"))?,
        action: get(&row, "action")?,
        key: parsed_opt(&row, "key_id", KeyId::parse)?,
        actor: parsed(&row, "actor", str::parse::<ActorId>)?,
        state: parsed_opt(&row, "key_state", str::parse::<KeyState>)?,
        sequence: get::<Option<i64>>(&row, "sequence")?.map(|s| from_db(s, "sequence")).transpose()?,
        audit_seq: get::<Option<i64>>(&row, "audit_seq")?.map(|s| from_db(s, "audit_seq")).transpose()?,
        reason: get(&row, "reason")?,
        details: get(&row, "details")?,
        at: get(&row, "occurred_at")?,
    })
}

/// Records how an attempt ended.
pub(super) async fn finish(pool: &PgPool, report: &DeliveryReport) -> Result<bool, StoreError> {
    let mut tx = pool.begin().await.map_err(fail)?;
    let row = sqlx::query(
        "UPDATE webhook_deliveries SET status = $3, response_status = $4, response_body = $5, latency_ms = $6, \
           error = $7, next_attempt_at = $8, lease_token = NULL, lease_until = NULL \
         WHERE tenant_id = $1 AND delivery_id = $2 AND status = 'pending' AND lease_token = $9 \
         RETURNING webhook_id, event_id, attempt",
    )
    .bind(report.tenant.as_str())
    .bind(&report.delivery_id)
    .bind(report.status.as_str())
    .bind(report.response_status.map(i32::from))
    .bind(report.response_body.as_deref())
    .bind(to_db(report.latency_ms, "latency_ms")?)
    .bind(report.error.as_deref())
    .bind(report.retry_at)
    .bind(&report.lease_token)
    .fetch_optional(&mut *tx)
    .await
    .map_err(fail)?;
    let Some(row) = row else { return Ok(false) };
    let webhook: String = get(&row, "webhook_id")?;
    if let Some(retry_at) = report.retry_at {
        sqlx::query(&format!(
            "INSERT INTO webhook_deliveries (tenant_id, delivery_id, webhook_id, event_id, attempt, status, \
               next_attempt_at, created_at) VALUES ($1, {NEW_DELIVERY_ID}, $2, $3, $4, 'pending', $5, $6)"
        ))
        .bind(report.tenant.as_str())
        .bind(&webhook)
        .bind(get::<String>(&row, "event_id")?)
        .bind(get::<i32>(&row, "attempt")?.saturating_add(1))
        .bind(retry_at)
        .bind(report.at)
        .execute(&mut *tx)
        .await
        .map_err(fail)?;
    }
    let delivered = report.status == DeliveryStatus::Delivered;
    sqlx::query(
        "UPDATE webhooks SET failing_since = CASE WHEN $3 THEN NULL ELSE coalesce(failing_since, $4) END \
         WHERE tenant_id = $1 AND webhook_id = $2",
    )
    .bind(report.tenant.as_str())
    .bind(&webhook)
    .bind(delivered)
    .bind(report.at)
    .execute(&mut *tx)
    .await
    .map_err(fail)?;
    if let Some((next, entry)) = &report.disable {
        let disabled = sqlx::query(
            "UPDATE webhooks SET status = 'disabled', disabled_by = 'failures', updated_at = $3, version = $4 \
             WHERE tenant_id = $1 AND webhook_id = $2 AND version = $4 - 1 AND status = 'active'",
        )
        .bind(report.tenant.as_str())
        .bind(&webhook)
        .bind(next.updated_at)
        .bind(to_db(next.version, "version")?)
        .execute(&mut *tx)
        .await
        .map_err(fail)?;
        if disabled.rows_affected() == 1 {
            append(&mut tx, entry).await?;
        }
    }
    tx.commit().await.map_err(fail)?;
    Ok(true)
}
