//! Leak reports: the report of a key at a url, its `key.leaked` entry and the key changes the
//! tenant's `on_leak` asked for, in one transaction, once per key and url.
//!
//! It must never write part of a report (the row, the entry and the changes commit together or not at
//! all), never record one report twice however many callers race (the primary key decides, and a
//! second insert waits for the first transaction and then finds the row), and never store the token.

use sqlx::PgPool;

use super::audit::append;
use super::failure::{fail, violation, Violation};
use super::keys;
use crate::error::StoreError;
use crate::leak::LeakRecord;
use crate::model::{AuditEntry, KeyChange};

/// Locks the reported key's row until the transaction ends; no row if the tenant has no such key.
const LOCK_KEY: &str = "SELECT 1 FROM keys WHERE tenant_id = $1 AND key_id = $2 FOR UPDATE";

/// Inserts the report unless the tenant holds one of this key at this url; returns a row only if it
/// inserted.
const INSERT_REPORT: &str = "INSERT INTO leak_reports (tenant_id, key_id, url, source, token_type, reported_at) \
     VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT ON CONSTRAINT leak_reports_pkey DO NOTHING RETURNING 1";

/// Records the report with its entry and changes; `false` (nothing written) if it was recorded before.
pub(super) async fn record(
    pool: &PgPool,
    leak: &LeakRecord,
    audit: &AuditEntry,
    changes: &[KeyChange],
) -> Result<bool, StoreError> {
    let mut tx = pool.begin().await.map_err(fail)?;
    // The key's row first, as every commit takes it before the tenant's chain head: taking the head
    // first (the entry below) would let a report and an operator's move on the key deadlock.
    let key = sqlx::query(LOCK_KEY)
        .bind(leak.tenant.as_str())
        .bind(leak.key.to_string())
        .fetch_optional(&mut *tx)
        .await
        .map_err(fail)?;
    if key.is_none() {
        return Err(StoreError::NotFound);
    }
    let inserted = sqlx::query(INSERT_REPORT)
        .bind(leak.tenant.as_str())
        .bind(leak.key.to_string())
        .bind(&leak.url)
        .bind(&leak.source)
        .bind(&leak.token_type)
        .bind(leak.reported_at)
        .fetch_optional(&mut *tx)
        .await
        .map_err(|e| match violation(&e) {
            Some(Violation::ForeignKey(_)) => StoreError::NotFound,
            _ => fail(e),
        })?;
    if inserted.is_none() {
        // Recorded before: dropping `tx` rolls back, and nothing of this call is written.
        return Ok(false);
    }
    append(&mut tx, audit).await?;
    keys::apply(&mut tx, changes).await?;
    tx.commit().await.map_err(fail)?;
    Ok(true)
}
