//! Usage: adding the usage buffer's batches (request counts per day, last use) and reading a key's
//! usage back with its day windows' spend totals.
//!
//! It must never count a batch twice or half: one batch is one transaction. It never moves a key's
//! last use backwards, and never touches a key's version (usage is not a key transition).

use std::net::IpAddr;

use chrono::{DateTime, NaiveDate, Utc};
use keygate_domain::{Currency, KeyId, TenantId};
use rust_decimal::Decimal;
use sqlx::postgres::PgRow;
use sqlx::PgPool;

use super::convert::{from_db, to_db};
use super::failure::{corrupt, fail};
use super::rows::{get, ip};
use crate::error::StoreError;
use crate::model::{DayUsage, KeyUsage, UsageRecord};

/// Locks the batch's keys in one fixed order first, so two processes flushing batches that share keys
/// wait for each other instead of deadlocking.
const LOCK_KEYS: &str = "SELECT 1 FROM keys WHERE (tenant_id, key_id) IN \
     (SELECT * FROM unnest($1::text[], $2::text[])) ORDER BY tenant_id, key_id FOR NO KEY UPDATE";

/// Adds the counts, summed per (key, day) first (one upsert may not touch a row twice). Records of keys
/// that do not exist are dropped: the verifier only counts keys it found, and one stray record must not
/// make the buffer retry a whole batch forever.
const ADD_REQUESTS: &str = "INSERT INTO key_usage (tenant_id, key_id, day, requests) \
     SELECT u.tenant_id, u.key_id, u.day, sum(u.requests)::bigint \
     FROM unnest($1::text[], $2::text[], $3::date[], $4::bigint[]) AS u(tenant_id, key_id, day, requests) \
     JOIN keys k ON k.tenant_id = u.tenant_id AND k.key_id = u.key_id \
     GROUP BY u.tenant_id, u.key_id, u.day \
     ON CONFLICT (tenant_id, key_id, day) DO UPDATE SET requests = key_usage.requests + EXCLUDED.requests";

/// Moves each key's last use to the batch's latest, only forwards.
const SET_LAST_USED: &str = "UPDATE keys k SET last_used_at = u.at, last_used_ip = u.ip::inet \
     FROM (SELECT DISTINCT ON (tenant_id, key_id) tenant_id, key_id, at, ip \
           FROM unnest($1::text[], $2::text[], $3::timestamptz[], $4::text[]) AS u(tenant_id, key_id, at, ip) \
           ORDER BY tenant_id, key_id, at DESC) u \
     WHERE k.tenant_id = u.tenant_id AND k.key_id = u.key_id \
       AND (k.last_used_at IS NULL OR k.last_used_at < u.at)";

const KEY_LAST_USED: &str =
    "SELECT last_used_at, host(last_used_ip) AS last_used_ip FROM keys WHERE tenant_id = $1 AND key_id = $2";

/// Days with requests or spend, newest first; each with both (0 where one has no row), the day
/// windows' totals added up, and per currency (sorted: `''`, no currency, first, as `None` sorts in
/// Rust; the column's "C" collation orders codes as their text, as `Currency` does).
const DAYS: &str = "SELECT d.day, COALESCE(u.requests, 0) AS requests, COALESCE(s.spent, 0) AS spent, \
       COALESCE(s.currencies, ARRAY[]::text[]) AS currencies, COALESCE(s.amounts, ARRAY[]::numeric[]) AS amounts \
     FROM (SELECT day FROM key_usage WHERE tenant_id = $1 AND key_id = $2 \
           UNION SELECT starts_on FROM spend_totals WHERE tenant_id = $1 AND key_id = $2 AND window_kind = 'day') d \
     LEFT JOIN key_usage u ON u.tenant_id = $1 AND u.key_id = $2 AND u.day = d.day \
     LEFT JOIN (SELECT starts_on, sum(spent) AS spent, array_agg(currency ORDER BY currency) AS currencies, \
                       array_agg(spent ORDER BY currency) AS amounts \
                FROM spend_totals WHERE tenant_id = $1 AND key_id = $2 AND window_kind = 'day' \
                GROUP BY starts_on) s ON s.starts_on = d.day \
     ORDER BY d.day DESC LIMIT $3";

/// Adds a batch in one transaction.
pub(super) async fn record_usage(pool: &PgPool, batch: &[UsageRecord]) -> Result<(), StoreError> {
    if batch.is_empty() {
        return Ok(());
    }
    let tenants: Vec<&str> = batch.iter().map(|r| r.tenant.as_str()).collect();
    let keys: Vec<String> = batch.iter().map(|r| r.key.to_string()).collect();
    let days: Vec<NaiveDate> = batch.iter().map(|r| r.day).collect();
    let requests = batch.iter().map(|r| to_db(r.requests, "requests")).collect::<Result<Vec<i64>, _>>()?;
    let used_at: Vec<DateTime<Utc>> = batch.iter().map(|r| r.last_used_at).collect();
    let used_ip: Vec<Option<String>> = batch.iter().map(|r| r.last_used_ip.map(|ip: IpAddr| ip.to_string())).collect();

    let mut tx = pool.begin().await.map_err(fail)?;
    sqlx::query(LOCK_KEYS).bind(&tenants).bind(&keys).execute(&mut *tx).await.map_err(fail)?;
    sqlx::query(ADD_REQUESTS)
        .bind(&tenants)
        .bind(&keys)
        .bind(&days)
        .bind(&requests)
        .execute(&mut *tx)
        .await
        .map_err(fail)?;
    sqlx::query(SET_LAST_USED)
        .bind(&tenants)
        .bind(&keys)
        .bind(&used_at)
        .bind(&used_ip)
        .execute(&mut *tx)
        .await
        .map_err(fail)?;
    tx.commit().await.map_err(fail)
}

/// A key's last use and its `days` most recent days (at least one) of requests and spend.
pub(super) async fn usage(pool: &PgPool, tenant: &TenantId, key: KeyId, days: u32) -> Result<KeyUsage, StoreError> {
    let key = key.to_string();
    let row = sqlx::query(KEY_LAST_USED)
        .bind(tenant.as_str())
        .bind(&key)
        .fetch_optional(pool)
        .await
        .map_err(fail)?
        .ok_or(StoreError::NotFound)?;
    let rows = sqlx::query(DAYS)
        .bind(tenant.as_str())
        .bind(&key)
        .bind(i64::from(days.max(1)))
        .fetch_all(pool)
        .await
        .map_err(fail)?;
    let days = rows.iter().map(day_usage).collect::<Result<Vec<_>, StoreError>>()?;
    Ok(KeyUsage { last_used_at: get(&row, "last_used_at")?, last_used_ip: ip(&row, "last_used_ip")?, days })
}

/// A [`DAYS`] row.
fn day_usage(row: &PgRow) -> Result<DayUsage, StoreError> {
    let currencies: Vec<String> = get(row, "currencies")?;
    let amounts: Vec<Decimal> = get(row, "amounts")?;
    if currencies.len() != amounts.len() {
        return Err(corrupt("spend_totals", "currencies and amounts differ in number"));
    }
    let spent_by_currency = currencies
        .iter()
        .zip(amounts)
        .map(|(code, spent)| {
            let currency = Some(code).filter(|code| !code.is_empty()).map(|code| Currency::parse(code)).transpose();
            Ok((currency.map_err(|e| corrupt("currency", e))?, spent))
        })
        .collect::<Result<Vec<_>, StoreError>>()?;
    Ok(DayUsage {
        day: get(row, "day")?,
        requests: from_db(get(row, "requests")?, "requests")?,
        spent: get(row, "spent")?,
        spent_by_currency,
    })
}
