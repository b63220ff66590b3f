//! Leased request budget: one conditional upsert on the (key, limit name) row, whose row lock makes
//! racing processes take their slices one after the other, so the window's leased total never passes
//! the limit. The key's version is read in the same statement, so a stale lease writes nothing.

use sqlx::PgPool;

use super::convert::{from_db, to_db};
use super::failure::fail;
use super::rows::get;
use crate::error::StoreError;
use crate::rate::{Leased, RateLease};

/// `$1` key, `$2` name, `$3` window start, `$4` limit, `$5` give back, `$6` want, `$7` the key's
/// version (NULL: not checked). A newer window than the row's starts from nothing (a give-back to an
/// older window is moot); an older one grants nothing and leaves the row alone.
const LEASE: &str = "WITH k AS (SELECT version FROM keys WHERE key_id = $1), \
     up AS ( \
       INSERT INTO rate_leases AS r (key_id, name, window_start, leased, granted) \
       SELECT $1, $2, $3, LEAST($6, $4), LEAST($6, $4) FROM k WHERE $7::bigint IS NULL OR k.version = $7 \
       ON CONFLICT (key_id, name) DO UPDATE SET \
         window_start = GREATEST(r.window_start, $3), \
         granted = CASE WHEN r.window_start > $3 THEN 0 \
                        WHEN r.window_start < $3 THEN LEAST($6, $4) \
                        ELSE LEAST($6, GREATEST(0, $4 - GREATEST(0, r.leased - $5))) END, \
         leased = CASE WHEN r.window_start > $3 THEN r.leased \
                       WHEN r.window_start < $3 THEN LEAST($6, $4) \
                       ELSE GREATEST(0, r.leased - $5) + LEAST($6, GREATEST(0, $4 - GREATEST(0, r.leased - $5))) END \
       RETURNING granted) \
     SELECT (SELECT version FROM k) AS version, (SELECT granted FROM up) AS granted";

pub(super) async fn lease(pool: &PgPool, lease: &RateLease) -> Result<Leased, StoreError> {
    let version = lease.key_version.map(|v| to_db(v, "version")).transpose()?;
    let row = sqlx::query(LEASE)
        .bind(lease.key.to_string())
        .bind(&lease.name)
        .bind(lease.window_start)
        .bind(to_db(lease.limit, "limit")?)
        .bind(to_db(lease.give_back, "give_back")?)
        .bind(to_db(lease.want, "want")?)
        .bind(version)
        .fetch_one(pool)
        .await
        .map_err(fail)?;
    match get::<Option<i64>>(&row, "granted")? {
        Some(granted) => Ok(Leased::Granted(from_db(granted, "granted")?)),
        None if lease.key_version.is_none() => Ok(Leased::Granted(0)),
        None => Ok(Leased::Stale),
    }
}
