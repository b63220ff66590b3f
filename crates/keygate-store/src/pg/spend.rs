//! Daily spend: the atomic, limit-bounded add (on its own, or as one step of `spends::record`) and its
//! release.
//!
//! It must never read and then write: the add is one conditional upsert, so however many callers
//! race on one (key, day), PostgreSQL's row lock orders them and none takes the total over the limit.

use chrono::NaiveDate;
use keygate_domain::{KeyId, TenantId};
use rust_decimal::Decimal;
use sqlx::{PgConnection, PgPool};

use super::convert::to_db;
use super::failure::{corrupt, fail, violation, Violation};
use super::rows::get;
use crate::error::StoreError;
use crate::model::SpendOutcome;

/// Adds `$4` to the (key, day) total unless the result would exceed `$5` (no bound when `$5` is null)
/// or the key's version is no longer `$6`; returns the new total, or no row if refused. A conflicting
/// insert waits for the other transaction's row lock, then re-checks the `WHERE` against the committed
/// total. The version test rides in the same statement, so a key revoked since the caller's cached read
/// cannot move money.
const SPEND: &str = "INSERT INTO daily_spend (tenant_id, key_id, day, spent) SELECT $1, $2, $3, $4 \
     WHERE ($5::numeric IS NULL OR $4 <= $5) \
     AND EXISTS (SELECT 1 FROM keys WHERE tenant_id = $1 AND key_id = $2 AND version = $6) \
     ON CONFLICT (tenant_id, key_id, day) DO UPDATE SET spent = daily_spend.spent + EXCLUDED.spent \
     WHERE $5::numeric IS NULL OR daily_spend.spent + EXCLUDED.spent <= $5 RETURNING spent";

/// What is spent on a key that day (0 if nothing) and the key's version, or no row if the tenant has
/// no such key.
const SPENT: &str = "SELECT COALESCE(s.spent, 0) AS spent, k.version FROM keys k LEFT JOIN daily_spend s \
     ON s.tenant_id = k.tenant_id AND s.key_id = k.key_id AND s.day = $3 WHERE k.tenant_id = $1 AND k.key_id = $2";

const RELEASE: &str = "UPDATE daily_spend SET spent = GREATEST(spent - $4, 0) \
     WHERE tenant_id = $1 AND key_id = $2 AND day = $3 RETURNING spent";

/// One spend's arguments.
pub(super) struct Spend<'a> {
    pub tenant: &'a TenantId,
    pub key: KeyId,
    pub key_version: u64,
    pub day: NaiveDate,
    pub amount: Decimal,
    /// The day's limit; `None`: no limit.
    pub limit: Option<Decimal>,
}

/// What [`add`] did.
pub(super) enum Added {
    /// Added; the day's total is now this.
    Spent(Decimal),
    /// Over the limit: nothing added; this much of the limit remains (never below zero).
    Refused(Decimal),
    /// The key's version moved: nothing added.
    Stale,
}

/// Atomically adds the amount to the key's spend for the day unless that would exceed the limit or the
/// key changed since the caller read it.
pub(super) async fn spend(pool: &PgPool, s: Spend<'_>) -> Result<SpendOutcome, StoreError> {
    // `KeyStore::spend` always has a limit to report against; `None` is a bug in the hand-over.
    let Some(limit) = s.limit else {
        return Err(corrupt("limit", "a daily spend needs a limit"));
    };
    let mut conn = pool.acquire().await.map_err(fail)?;
    Ok(match add(&mut conn, &s).await? {
        Added::Spent(spent) => SpendOutcome::Spent { remaining: remaining(limit, spent)? },
        Added::Refused(remaining) => SpendOutcome::Refused { remaining },
        Added::Stale => SpendOutcome::Stale,
    })
}

/// The version-conditional, limit-bounded add, on `conn` (a transaction's, when the add is one step
/// of a larger write).
pub(super) async fn add(conn: &mut PgConnection, s: &Spend<'_>) -> Result<Added, StoreError> {
    let key = s.key.to_string();
    let version = to_db(s.key_version, "version")?;
    let row = sqlx::query(SPEND)
        .bind(s.tenant.as_str())
        .bind(&key)
        .bind(s.day)
        .bind(s.amount)
        .bind(s.limit)
        .bind(version)
        .fetch_optional(&mut *conn)
        .await
        .map_err(|e| match violation(&e) {
            // The first spend of a day inserts, and the key reference fails for a key the tenant lacks.
            Some(Violation::ForeignKey(_)) => StoreError::NotFound,
            _ => fail(e),
        })?;
    if let Some(row) = row {
        return Ok(Added::Spent(get(&row, "spent")?));
    }
    // Refused. Read the total to report what remains, and the version to tell a stale key apart.
    let row = sqlx::query(SPENT)
        .bind(s.tenant.as_str())
        .bind(&key)
        .bind(s.day)
        .fetch_optional(&mut *conn)
        .await
        .map_err(fail)?
        .ok_or(StoreError::NotFound)?;
    if get::<i64>(&row, "version")? != version {
        return Ok(Added::Stale);
    }
    let Some(limit) = s.limit else {
        // Only the version test can refuse an unbounded add, and it passed: the stored rows contradict
        // each other.
        return Err(corrupt("daily_spend", "an unbounded add was refused"));
    };
    Ok(Added::Refused(remaining(limit, get(&row, "spent")?)?.max(Decimal::ZERO)))
}

/// Gives back `amount` (never below zero); returns what is now spent that day (`NotFound` if the
/// tenant has no such key).
pub(super) async fn release(
    pool: &PgPool,
    tenant: &TenantId,
    key: KeyId,
    day: NaiveDate,
    amount: Decimal,
) -> Result<Decimal, StoreError> {
    let key = key.to_string();
    let row = sqlx::query(RELEASE).bind(tenant.as_str()).bind(&key).bind(day).bind(amount).fetch_optional(pool).await;
    if let Some(row) = row.map_err(fail)? {
        return get(&row, "spent");
    }
    // Nothing spent that day: zero, if the tenant has the key at all.
    let row = sqlx::query(SPENT).bind(tenant.as_str()).bind(&key).bind(day).fetch_optional(pool).await;
    row.map_err(fail)?.ok_or(StoreError::NotFound).and_then(|row| get(&row, "spent"))
}

/// What remains of `limit` once `spent` is spent.
pub(super) fn remaining(limit: Decimal, spent: Decimal) -> Result<Decimal, StoreError> {
    limit.checked_sub(spent).ok_or_else(|| corrupt("spent", "out of range"))
}
