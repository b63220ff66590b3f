//! Webhook endpoints: created, read, replaced (compare-and-set on the version) and deleted, each with
//! its audit entry in the same transaction.
//!
//! It must never write an endpoint without its entry, and never decide whether a change may be made
//! (the domain's `Webhook` did).

use std::sync::LazyLock;

use keygate_domain::{TenantId, WebhookId};
use sqlx::PgPool;

use super::audit::append;
use super::convert::to_db;
use super::failure::{fail, violation, Violation};
use super::webhook_row::{bind, webhook_record, WEBHOOK_FIELDS};
use crate::error::StoreError;
use crate::model::AuditEntry;
use crate::webhook_model::WebhookRecord;

static INSERT: LazyLock<String> = LazyLock::new(|| {
    let values: Vec<String> = (1..=WEBHOOK_FIELDS.len()).map(|i| format!("${i}")).collect();
    format!("INSERT INTO webhooks ({}) VALUES ({})", WEBHOOK_FIELDS.join(", "), values.join(", "))
});

/// Sets every field but the two that identify the row ($1, $2) if the version is still the parameter
/// after the fields.
static UPDATE: LazyLock<String> = LazyLock::new(|| {
    let sets: Vec<String> = (2..WEBHOOK_FIELDS.len()).map(|i| format!("{} = ${}", WEBHOOK_FIELDS[i], i + 1)).collect();
    format!(
        "UPDATE webhooks SET {} WHERE tenant_id = $1 AND webhook_id = $2 AND version = ${}",
        sets.join(", "),
        WEBHOOK_FIELDS.len() + 1
    )
});

const SELECT: &str = "SELECT * FROM webhooks";

pub(super) async fn create(pool: &PgPool, record: &WebhookRecord, audit: &AuditEntry) -> Result<(), StoreError> {
    let mut tx = pool.begin().await.map_err(fail)?;
    bind(sqlx::query(&INSERT), record)?.execute(&mut *tx).await.map_err(|e| match violation(&e) {
        Some(Violation::Unique(_)) => StoreError::AlreadyExists,
        Some(Violation::ForeignKey(_)) => StoreError::NotFound,
        None => fail(e),
    })?;
    append(&mut tx, audit).await?;
    tx.commit().await.map_err(fail)
}

pub(super) async fn get(pool: &PgPool, tenant: &TenantId, id: WebhookId) -> Result<WebhookRecord, StoreError> {
    let row = sqlx::query(&format!("{SELECT} WHERE tenant_id = $1 AND webhook_id = $2"))
        .bind(tenant.as_str())
        .bind(id.to_string())
        .fetch_optional(pool)
        .await
        .map_err(fail)?;
    row.as_ref().map(webhook_record).transpose()?.ok_or(StoreError::NotFound)
}

pub(super) async fn list(pool: &PgPool, tenant: &TenantId) -> Result<Vec<WebhookRecord>, StoreError> {
    let rows = sqlx::query(&format!("{SELECT} WHERE tenant_id = $1 ORDER BY created_at, webhook_id"))
        .bind(tenant.as_str())
        .fetch_all(pool)
        .await
        .map_err(fail)?;
    rows.iter().map(webhook_record).collect()
}

pub(super) async fn update(
    pool: &PgPool,
    record: &WebhookRecord,
    expected_version: u64,
    audit: &AuditEntry,
) -> Result<(), StoreError> {
    let mut tx = pool.begin().await.map_err(fail)?;
    let updated = bind(sqlx::query(&UPDATE), record)?
        .bind(to_db(expected_version, "expected_version")?)
        .execute(&mut *tx)
        .await
        .map_err(fail)?;
    if updated.rows_affected() == 0 {
        let exists = sqlx::query("SELECT 1 FROM webhooks WHERE tenant_id = $1 AND webhook_id = $2")
            .bind(record.webhook.tenant.as_str())
            .bind(record.webhook.id.to_string())
            .fetch_optional(&mut *tx)
            .await
            .map_err(fail)?;
        return Err(if exists.is_some() { StoreError::Conflict } else { StoreError::NotFound });
    }
    append(&mut tx, audit).await?;
    tx.commit().await.map_err(fail)
}

pub(super) async fn delete(
    pool: &PgPool,
    tenant: &TenantId,
    id: WebhookId,
    audit: &AuditEntry,
) -> Result<(), StoreError> {
    let mut tx = pool.begin().await.map_err(fail)?;
    // Its delivery log goes with it (ON DELETE CASCADE); the events stay, as other endpoints' may
    // refer to them.
    let deleted = sqlx::query("DELETE FROM webhooks WHERE tenant_id = $1 AND webhook_id = $2")
        .bind(tenant.as_str())
        .bind(id.to_string())
        .execute(&mut *tx)
        .await
        .map_err(fail)?;
    if deleted.rows_affected() == 0 {
        return Err(StoreError::NotFound);
    }
    append(&mut tx, audit).await?;
    tx.commit().await.map_err(fail)
}
