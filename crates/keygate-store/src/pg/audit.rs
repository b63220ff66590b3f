//! The audit log: appending an entry inside the caller's transaction, and reading a tenant's log
//! newest first.
//!
//! It must never change or remove an entry (the schema's trigger refuses it anyway: the log is
//! evidence) and never append outside the transaction of the change the entry records.

use keygate_domain::{KeyId, TenantId};
use sqlx::{PgConnection, PgPool};

use super::failure::fail;
use super::rows::{audit_entry, AUDIT_COLUMNS};
use crate::cursor::AuditCursor;
use crate::error::StoreError;
use crate::model::{AuditEntry, Page};

/// Appends `entry` (its `seq` is ignored: the database assigns it). Returns the raw error so the
/// caller can say what an unknown tenant means.
pub(super) async fn append(conn: &mut PgConnection, entry: &AuditEntry) -> Result<(), sqlx::Error> {
    sqlx::query("INSERT INTO audit_log (tenant_id, key_id, actor, action, reason, at) VALUES ($1, $2, $3, $4, $5, $6)")
        .bind(entry.tenant.as_str())
        .bind(entry.key.map(|k| k.to_string()))
        .bind(entry.actor.to_string())
        .bind(entry.action.as_str())
        .bind(entry.reason.as_ref().map(keygate_domain::Reason::as_str))
        .bind(entry.at)
        .execute(conn)
        .await
        .map(drop)
}

/// A page of a tenant's log, optionally for one key, newest first, before `cursor`.
pub(super) async fn audit(
    pool: &PgPool,
    tenant: &TenantId,
    key: Option<KeyId>,
    cursor: Option<AuditCursor>,
    limit: u32,
) -> Result<Page<AuditEntry, AuditCursor>, StoreError> {
    // No cursor: start above every sequence number (a plain bound keeps both indexes usable). A
    // cursor beyond `bigint` is above every sequence number too.
    let before = cursor.map_or(i64::MAX, |c| i64::try_from(c.0).unwrap_or(i64::MAX));
    // A page holds at least one item, as in the in-memory store.
    let limit = limit.max(1);
    // One more than asked, to know whether there is a next page.
    let fetch = i64::from(limit) + 1;
    let rows = match key {
        Some(key) => {
            sqlx::query(&format!(
                "SELECT {AUDIT_COLUMNS} FROM audit_log WHERE tenant_id = $1 AND key_id = $2 AND seq < $3 \
                 ORDER BY seq DESC LIMIT $4"
            ))
            .bind(tenant.as_str())
            .bind(key.to_string())
            .bind(before)
            .bind(fetch)
            .fetch_all(pool)
            .await
        }
        None => {
            sqlx::query(&format!(
                "SELECT {AUDIT_COLUMNS} FROM audit_log WHERE tenant_id = $1 AND seq < $2 ORDER BY seq DESC LIMIT $3"
            ))
            .bind(tenant.as_str())
            .bind(before)
            .bind(fetch)
            .fetch_all(pool)
            .await
        }
    }
    .map_err(fail)?;
    let limit = usize::try_from(limit).unwrap_or(usize::MAX);
    let more = rows.len() > limit;
    let items = rows.iter().take(limit).map(audit_entry).collect::<Result<Vec<_>, _>>()?;
    let next = if more { items.last().map(|e| AuditCursor(e.seq)) } else { None };
    Ok(Page { items, next })
}
