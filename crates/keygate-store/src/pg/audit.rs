//! The audit log: appending an entry to its tenant's hash chain inside the caller's transaction,
//! reading a tenant's log newest first, and re-computing the chain.
//!
//! Each append also writes the webhook event its entry announces (`outbox`), in the same transaction.
//!
//! It must never change or remove an entry (the schema's trigger refuses it anyway: the log is
//! evidence), never append outside the transaction of the change the entry records, and never read
//! the previous hash without holding the tenant's chain-head lock (two appends would fork the chain).

use keygate_domain::{KeyId, TenantId};
use sqlx::postgres::PgRow;
use sqlx::{PgConnection, PgPool};

use super::convert::{from_db, to_db};
use super::failure::{corrupt, fail, violation, Violation};
use super::rows::{audit_entry, get, AUDIT_COLUMNS};
use crate::audit_chain::{chain_hash, stored_instant, AuditChainReport, AuditHash, ChainWalk};
use crate::cursor::AuditCursor;
use crate::error::StoreError;
use crate::model::{AuditEntry, Page};
use crate::webhook_model::OutboxEvent;

/// Takes the tenant's chain head (creating it at seq 0 and zero bytes before a tenant's first entry)
/// and locks it until the transaction ends: the conflict arm updates the row to itself, which locks it
/// and returns its current values even when another transaction just created it.
const LOCK_HEAD: &str = "INSERT INTO audit_heads AS h (tenant_id, seq, hash) VALUES ($1, 0, $2) \
     ON CONFLICT (tenant_id) DO UPDATE SET seq = h.seq RETURNING h.seq, h.hash";

/// Inserts the entry and moves the head to it, in one statement.
const INSERT_ENTRY: &str = "WITH entry AS (INSERT INTO audit_log \
     (tenant_id, seq, key_id, actor, action, reason, details, at, hash) \
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING tenant_id, seq, hash) \
     UPDATE audit_heads h SET seq = entry.seq, hash = entry.hash FROM entry WHERE h.tenant_id = entry.tenant_id";

/// Appends `entry` to its tenant's chain inside the caller's transaction (its `seq` and `hash` are
/// ignored: they are computed here under the chain head's lock). An unknown tenant is `NotFound`.
pub(super) async fn append(conn: &mut PgConnection, entry: &AuditEntry) -> Result<(), StoreError> {
    let not_found = |e: sqlx::Error| match violation(&e) {
        Some(Violation::ForeignKey(_)) => StoreError::NotFound,
        _ => fail(e),
    };
    let head = sqlx::query(LOCK_HEAD)
        .bind(entry.tenant.as_str())
        .bind(&AuditHash::ZERO.as_bytes()[..])
        .fetch_one(&mut *conn)
        .await
        .map_err(not_found)?;
    let (seq, previous) = chain_head(&head)?;
    let mut entry = entry.clone();
    entry.seq = seq.checked_add(1).ok_or_else(|| corrupt("audit_heads.seq", "out of range"))?;
    entry.at = stored_instant(entry.at);
    entry.hash = chain_hash(&previous, &entry);
    sqlx::query(INSERT_ENTRY)
        .bind(entry.tenant.as_str())
        .bind(to_db(entry.seq, "seq")?)
        .bind(entry.key.map(|k| k.to_string()))
        .bind(entry.actor.to_string())
        .bind(entry.action.as_str())
        .bind(entry.reason.as_ref().map(keygate_domain::Reason::as_str))
        .bind(entry.details.as_deref())
        .bind(entry.at)
        .bind(&entry.hash.as_bytes()[..])
        .execute(&mut *conn)
        .await
        .map_err(not_found)?;
    // The event the entry announces, if any, in the same transaction: a change that rolls back
    // announces nothing, a committed one is announced even if the process dies right after.
    if let Some(event_type) = entry.action.event_type() {
        super::outbox::announce(conn, &OutboxEvent::from_audit(&entry, event_type, None)).await?;
    }
    Ok(())
}

/// A chain head row: (`seq`, `hash`).
fn chain_head(row: &PgRow) -> Result<(u64, AuditHash), StoreError> {
    let seq = from_db(get(row, "seq")?, "audit_heads.seq")?;
    let hash =
        AuditHash::from_slice(get::<&[u8]>(row, "hash")?).ok_or_else(|| corrupt("audit_heads.hash", "not 32 bytes"))?;
    Ok((seq, hash))
}

/// How many entries a verification reads at a time.
const VERIFY_PAGE: i64 = 1000;

/// Re-computes a tenant's chain up to the head it had when the check began.
pub(super) async fn verify(pool: &PgPool, tenant: &TenantId) -> Result<AuditChainReport, StoreError> {
    // One statement, one snapshot: a tenant and its head are created in one transaction, so a tenant
    // without a head has never had an entry (it predates the chain) and must have none now.
    let row = sqlx::query(
        "SELECT h.seq, h.hash FROM tenants t LEFT JOIN audit_heads h ON h.tenant_id = t.tenant_id \
         WHERE t.tenant_id = $1",
    )
    .bind(tenant.as_str())
    .fetch_optional(pool)
    .await
    .map_err(fail)?
    .ok_or(StoreError::NotFound)?;
    let head = get::<Option<i64>>(&row, "seq")?.map(|_| chain_head(&row)).transpose()?;
    // Entries appended after the head was read are not this check's business; with no head, read all,
    // so rows that should not be there are seen.
    let until = match head {
        Some((seq, _)) => to_db(seq, "seq")?,
        None => i64::MAX,
    };
    let recorded = head.unwrap_or((0, AuditHash::ZERO));
    let mut walk = ChainWalk::default();
    loop {
        let rows = sqlx::query(&format!(
            "SELECT {AUDIT_COLUMNS} FROM audit_log WHERE tenant_id = $1 AND seq > $2 AND seq <= $3 \
             ORDER BY seq LIMIT $4"
        ))
        .bind(tenant.as_str())
        .bind(to_db(walk.last_seq(), "seq")?)
        .bind(until)
        .bind(VERIFY_PAGE)
        .fetch_all(pool)
        .await
        .map_err(fail)?;
        for row in &rows {
            if let Err(first_bad_sequence) = walk.push(&audit_entry(row)?) {
                return Ok(AuditChainReport::Broken { first_bad_sequence });
            }
        }
        if rows.len() < usize::try_from(VERIFY_PAGE).unwrap_or(usize::MAX) {
            break;
        }
    }
    Ok(walk.finish(Some(recorded)))
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
