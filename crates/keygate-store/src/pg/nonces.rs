//! Signature nonces on PostgreSQL: one unique insert per verified signature, so every process on the
//! database agrees on which use of a nonce came first; rows past their expiry are pruned now and then.

use std::sync::atomic::{AtomicU32, Ordering};

use chrono::{DateTime, Utc};
use keygate_domain::KeyId;
use sqlx::PgPool;

use super::failure::fail;
use crate::error::StoreError;

/// One record in this many also prunes expired rows (a bounded batch), so the table stays the size of
/// the skew window's traffic without a task of its own.
const PRUNE_EVERY: u32 = 256;
const PRUNE_BATCH: i64 = 5_000;

static RECORDED: AtomicU32 = AtomicU32::new(0);

/// `true` if this use of the nonce is the first one not yet expired at `now`. An expired row is taken
/// over in the same statement; a live one is left alone and nothing is returned. Two racing inserts
/// serialize on the primary key: the second sees the first's row.
pub(super) async fn record_nonce(
    pool: &PgPool,
    key: KeyId,
    nonce: &str,
    now: DateTime<Utc>,
    expires_at: DateTime<Utc>,
) -> Result<bool, StoreError> {
    let row = sqlx::query(
        "INSERT INTO signature_nonces (key_id, nonce, expires_at) VALUES ($1, $2, $3) \
         ON CONFLICT (key_id, nonce) DO UPDATE SET expires_at = EXCLUDED.expires_at \
         WHERE signature_nonces.expires_at < $4 RETURNING 1",
    )
    .bind(key.to_string())
    .bind(nonce)
    .bind(expires_at)
    .bind(now)
    .fetch_optional(pool)
    .await
    .map_err(fail)?;
    if RECORDED.fetch_add(1, Ordering::Relaxed) % PRUNE_EVERY == 0 {
        prune(pool, now).await?;
    }
    Ok(row.is_some())
}

async fn prune(pool: &PgPool, now: DateTime<Utc>) -> Result<u64, StoreError> {
    let done = sqlx::query(
        "DELETE FROM signature_nonces WHERE ctid IN \
         (SELECT ctid FROM signature_nonces WHERE expires_at < $1 LIMIT $2)",
    )
    .bind(now)
    .bind(PRUNE_BATCH)
    .execute(pool)
    .await
    .map_err(fail)?;
    Ok(done.rows_affected())
}
