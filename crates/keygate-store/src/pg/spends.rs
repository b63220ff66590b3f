//! Recorded spends: the record (idempotency claim, bounded add, the spend's row; one statement when it
//! can, else one transaction), the read by id, and the release that gives an amount back exactly once.
//!
//! It must never read and then decide outside a lock: the claim is an upsert whose row lock makes
//! racing retries of one request wait for each other, the charge is `totals`' conditional upsert, and
//! the release is a conditional update, so however many callers race each outcome happens once. Locks
//! are always taken in the same order (claim, then the windows' totals day, week, month, then the new
//! spend row, then for a volume threshold crossed the key's notice and webhook sequence; a release:
//! its spend row, then its totals day, week, month), so these writes cannot deadlock.

use keygate_domain::{Currency, KeyId, PerWindow, SpendId, TenantId};
use sqlx::postgres::PgRow;
use sqlx::{PgConnection, PgPool};

use super::failure::{corrupt, fail, violation, Violation};
use super::rows::{get, parsed, parsed_opt};
use super::totals::{charge, give_back, spend_in_one_statement, Charged};
use crate::error::StoreError;
use crate::model::{Idempotency, NewSpend, Recorded, SpendRecord, SpendState};

/// The columns [`spend_record`] reads.
const COLUMNS: &str = "tenant_id, spend_id, key_id, amount, currency, day, week, month, state, created_at";

/// Claims (tenant, key, idempotency key) for spend `$4`, or takes over a claim more than 24 hours older
/// than `$6` or whose spend was given back (a retry of a released spend spends anew); returns a row if the claim is now this spend's. A racing claim of the same key waits on
/// the other transaction's row lock, then sees its committed claim (and gets no row) or, if it rolled
/// back, inserts. A claim the `WHERE` keeps stays locked until this transaction ends.
const CLAIM: &str = "INSERT INTO spend_idempotency \
     (tenant_id, key_id, idempotency_key, spend_id, fingerprint, created_at) VALUES ($1, $2, $3, $4, $5, $6) \
     ON CONFLICT (tenant_id, key_id, idempotency_key) DO UPDATE \
     SET spend_id = EXCLUDED.spend_id, fingerprint = EXCLUDED.fingerprint, created_at = EXCLUDED.created_at \
     WHERE spend_idempotency.created_at < EXCLUDED.created_at - interval '24 hours' \
        OR EXISTS (SELECT 1 FROM spends s WHERE s.spend_id = spend_idempotency.spend_id AND s.state = 'released') \
     RETURNING spend_id";

/// The key's version, to hold a replay to the key as it is now (no row if the tenant has no such key).
pub(super) const KEY_VERSION: &str = "SELECT version FROM keys WHERE tenant_id = $1 AND key_id = $2";

/// The claim that [`CLAIM`] kept.
const CLAIMED: &str = "SELECT spend_id, fingerprint FROM spend_idempotency \
     WHERE tenant_id = $1 AND key_id = $2 AND idempotency_key = $3";

/// Marks a held spend released once: the conditional update lets one of any number of racing releases
/// through (the others wait on its row lock, then find it released). `released_at` is the database's
/// clock: the trait takes no instant for a release, and the store only keeps the column for people
/// reading the table.
static RELEASE: std::sync::LazyLock<String> = std::sync::LazyLock::new(|| {
    format!(
        "UPDATE spends SET state = 'released', released_at = now() WHERE spend_id = $1 AND state = 'held' \
         RETURNING {COLUMNS}"
    )
});

/// Records a spend: first as one statement (`totals::spend_in_one_statement`), then, when that declined
/// with nothing written, in one transaction: claim, charge, row, notices. Any early return drops the
/// transaction, which rolls back whatever it wrote (the claim included).
pub(super) async fn record(pool: &PgPool, s: &NewSpend) -> Result<Recorded, StoreError> {
    // Nearly every spend is a first try, allowed, crossing no threshold: one statement records it.
    // Any other is decided again below, where nothing of the first try was written.
    if let Some(remaining) = spend_in_one_statement(pool, s).await? {
        return Ok(Recorded::Spent { spend: s.held(), remaining });
    }
    let mut tx = pool.begin().await.map_err(fail)?;
    if let Some(idempotency) = &s.idempotency {
        // A replay answers for the key as it is now, like a spend: a key changed since the caller's
        // read (revoked, narrowed) is stale before any claim is looked at.
        let version = sqlx::query(KEY_VERSION)
            .bind(s.tenant.as_str())
            .bind(s.key.to_string())
            .fetch_optional(&mut *tx)
            .await
            .map_err(fail)?
            .ok_or(StoreError::NotFound)?;
        if super::convert::from_db(get::<i64>(&version, "version")?, "version")? != s.key_version {
            return Ok(Recorded::Stale);
        }
        if let Some(earlier) = claim(&mut tx, s, idempotency).await? {
            return Ok(earlier);
        }
    }
    let remaining = match charge(&mut tx, s).await? {
        Charged::Spent { remaining } => remaining,
        Charged::Refused { window, remaining } => return Ok(Recorded::Refused { window, remaining }),
        Charged::Stale => return Ok(Recorded::Stale),
    };
    let spend = insert(&mut tx, s).await?;
    // A volume threshold the charge crossed is announced with it, once per window (a release and a
    // new spend crossing it again announce nothing: the notice is kept).
    for (notice, event) in crate::notices::crossings(s, &remaining) {
        super::notices::announce_once(&mut tx, &event, &notice).await?;
    }
    tx.commit().await.map_err(fail)?;
    Ok(Recorded::Spent { spend, remaining })
}

/// Claims the idempotency key for this spend; `None` if the claim is now this spend's, else what the
/// earlier claim answers.
async fn claim(conn: &mut PgConnection, s: &NewSpend, i: &Idempotency) -> Result<Option<Recorded>, StoreError> {
    let key = s.key.to_string();
    let claimed = sqlx::query(CLAIM)
        .bind(s.tenant.as_str())
        .bind(&key)
        .bind(&i.key)
        .bind(s.id.to_string())
        .bind(&i.fingerprint[..])
        .bind(s.at)
        .fetch_optional(&mut *conn)
        .await
        .map_err(|e| match violation(&e) {
            // The claim references the key, so a key the tenant lacks fails here first.
            Some(Violation::ForeignKey(_)) => StoreError::NotFound,
            _ => fail(e),
        })?;
    if claimed.is_some() {
        return Ok(None);
    }
    let row = sqlx::query(CLAIMED)
        .bind(s.tenant.as_str())
        .bind(&key)
        .bind(&i.key)
        .fetch_optional(&mut *conn)
        .await
        .map_err(fail)?
        // The upsert found the claim and locked it, and claims are never deleted.
        .ok_or_else(|| corrupt("spend_idempotency", "a claim that kept its spend is gone"))?;
    if get::<&[u8]>(&row, "fingerprint")? != i.fingerprint {
        return Ok(Some(Recorded::Mismatch));
    }
    let id = parsed(&row, "spend_id", SpendId::parse)?;
    let spend = find(&mut *conn, id).await?.ok_or_else(|| corrupt("spend_idempotency.spend_id", "no such spend"))?;
    Ok(Some(Recorded::Replayed { spend }))
}

async fn insert(conn: &mut PgConnection, s: &NewSpend) -> Result<SpendRecord, StoreError> {
    let row = sqlx::query(&format!(
        "INSERT INTO spends (tenant_id, spend_id, key_id, amount, currency, day, week, month, state, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 'held', $9) RETURNING {COLUMNS}"
    ))
    .bind(s.tenant.as_str())
    .bind(s.id.to_string())
    .bind(s.key.to_string())
    .bind(s.amount)
    .bind(s.currency.as_ref().map(Currency::as_str))
    .bind(s.starts.day)
    .bind(s.starts.week)
    .bind(s.starts.month)
    .bind(s.at)
    .fetch_one(conn)
    .await
    .map_err(|e| match violation(&e) {
        Some(Violation::Unique(_)) => StoreError::AlreadyExists,
        Some(Violation::ForeignKey(_)) => StoreError::NotFound,
        None => fail(e),
    })?;
    spend_record(&row)
}

/// A spend by id.
pub(super) async fn get_spend(pool: &PgPool, id: SpendId) -> Result<SpendRecord, StoreError> {
    let mut conn = pool.acquire().await.map_err(fail)?;
    find(&mut conn, id).await?.ok_or(StoreError::NotFound)
}

async fn find(conn: &mut PgConnection, id: SpendId) -> Result<Option<SpendRecord>, StoreError> {
    let row = sqlx::query(&format!("SELECT {COLUMNS} FROM spends WHERE spend_id = $1"))
        .bind(id.to_string())
        .fetch_optional(conn)
        .await
        .map_err(fail)?;
    row.as_ref().map(spend_record).transpose()
}

/// Releases a held spend and gives its amount back to its windows, in one transaction; `true` if this
/// call did.
pub(super) async fn release(pool: &PgPool, id: SpendId) -> Result<(SpendRecord, bool), StoreError> {
    let mut tx = pool.begin().await.map_err(fail)?;
    let row = sqlx::query(&RELEASE).bind(id.to_string()).fetch_optional(&mut *tx).await.map_err(fail)?;
    let Some(row) = row else {
        drop(tx);
        return Ok((get_spend(pool, id).await?, false));
    };
    let spend = spend_record(&row)?;
    give_back(&mut tx, &spend).await?;
    tx.commit().await.map_err(fail)?;
    Ok((spend, true))
}

/// A `spends` row.
fn spend_record(row: &PgRow) -> Result<SpendRecord, StoreError> {
    Ok(SpendRecord {
        id: parsed(row, "spend_id", SpendId::parse)?,
        tenant: parsed(row, "tenant_id", TenantId::parse)?,
        key: parsed(row, "key_id", KeyId::parse)?,
        amount: get(row, "amount")?,
        currency: parsed_opt(row, "currency", Currency::parse)?,
        starts: PerWindow { day: get(row, "day")?, week: get(row, "week")?, month: get(row, "month")? },
        state: parsed(row, "state", |text| SpendState::parse(text).ok_or("unknown state"))?,
        created_at: get(row, "created_at")?,
    })
}
