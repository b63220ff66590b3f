//! Spend totals per window: the charge that adds a spend to its day, week and month all or none, each
//! only up to its limit (a step of `spends::record`), and the give-back of a release.
//!
//! It must never read and then write: the charge is one conditional upsert of the three rows, so
//! however many callers race on a window, PostgreSQL's row lock orders them and none takes the total
//! over the limit. It must never take two spends' locks in different orders: the charge and the
//! give-back both lock a spend's rows day, week, month (each spend has one row per window), so racing
//! spends and releases wait for each other instead of deadlocking.

use keygate_domain::{Currency, PerWindow, Window};
use rust_decimal::Decimal;
use sqlx::{PgConnection, PgPool, Row};

use super::convert::to_db;
use super::failure::{corrupt, fail, violation, Violation};
use super::rows::get;
use super::spends::KEY_VERSION;
use crate::error::StoreError;
use crate::model::{NewSpend, SpendRecord};
use crate::notices::THRESHOLDS;

/// Adds `$4` to the key's (`$1`, `$2`) totals in currency `$3` for the windows `$5` starting on `$6`
/// with limits `$7` (null: none), only while the key's version is still `$8`; returns each window whose
/// new total is within its limit, with the total. A window missing from the answer would have gone
/// over: the caller rolls the transaction back, so the windows that did come back are undone too.
///
/// A new row is inserted only if the amount alone fits; an existing one is updated only if the total
/// after it fits. A conflicting insert waits for the other transaction's row lock, then re-checks the
/// `WHERE` against the committed total. Rows are taken in `ORDER BY` order, shortest window first, so
/// every spend locks in one order. The version test rides in the same statement and takes a share lock
/// on the key's row until the spend commits: a suspension or revocation committing meanwhile waits for
/// the spend (so once it has answered, no spend of the old version can still commit), and a spend that
/// meets a change in flight re-reads the row after it and finds the version moved.
const CHARGE: &str = "WITH w AS (SELECT * FROM unnest($5::text[], $6::date[], $7::numeric[]) \
         WITH ORDINALITY AS w (kind, starts_on, cap, ord)) \
     INSERT INTO spend_totals AS t (tenant_id, key_id, currency, window_kind, starts_on, spent) \
     SELECT $1, $2, $3, w.kind, w.starts_on, $4::numeric FROM w \
     WHERE (w.cap IS NULL OR $4::numeric <= w.cap) \
       AND EXISTS (SELECT 1 FROM keys WHERE tenant_id = $1 AND key_id = $2 AND version = $8 FOR SHARE) \
     ORDER BY w.ord \
     ON CONFLICT (tenant_id, key_id, currency, window_kind, starts_on) DO UPDATE SET spent = t.spent + EXCLUDED.spent \
     WHERE NOT EXISTS (SELECT 1 FROM w WHERE w.kind = EXCLUDED.window_kind AND t.spent + EXCLUDED.spent > w.cap) \
     RETURNING window_kind, spent";

/// What is spent in one window (no row: nothing).
const SPENT: &str = "SELECT spent FROM spend_totals \
     WHERE tenant_id = $1 AND key_id = $2 AND currency = $3 AND window_kind = $4 AND starts_on = $5";

/// Locks a spend's window totals shortest window first, the order [`CHARGE`] takes them in.
const LOCK: &str = "SELECT 1 FROM spend_totals t \
     JOIN unnest($4::text[], $5::date[]) WITH ORDINALITY AS w (kind, starts_on, ord) \
       ON t.window_kind = w.kind AND t.starts_on = w.starts_on \
     WHERE t.tenant_id = $1 AND t.key_id = $2 AND t.currency = $3 ORDER BY w.ord FOR UPDATE OF t";

/// Gives `$6` back to the locked totals, never below zero.
const GIVE_BACK: &str = "UPDATE spend_totals t SET spent = GREATEST(t.spent - $6, 0) \
     FROM unnest($4::text[], $5::date[]) AS w (kind, starts_on) \
     WHERE t.tenant_id = $1 AND t.key_id = $2 AND t.currency = $3 \
       AND t.window_kind = w.kind AND t.starts_on = w.starts_on";

/// A spend as one statement, one round trip: `keygate_spend` (migration `20261129000004`) claims
/// its idempotency key if it has one, runs [`CHARGE`] and inserts the spend's row, or raises [`DECIDE_IN_TRANSACTION`] with nothing written whenever the transaction
/// would do more or other (a claim already held, a refusal, a stale or unknown key, a volume
/// threshold crossed).
const ONE_STATEMENT: &str = "SELECT charged_window, charged_total \
     FROM keygate_spend($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)";

/// The SQLSTATE of `keygate_spend` declining to decide alone.
const DECIDE_IN_TRANSACTION: &str = "KG001";

/// Charges and records spend `s` in one statement: what remains of each window's limit when it did,
/// `None` when it must be decided in a transaction (nothing was written).
pub(super) async fn spend_in_one_statement(
    pool: &PgPool,
    s: &NewSpend,
) -> Result<Option<PerWindow<Option<Decimal>>>, StoreError> {
    let thresholds: Vec<Decimal> = THRESHOLDS.iter().map(|percent| Decimal::from(*percent)).collect();
    let rows = sqlx::query(ONE_STATEMENT)
        .bind(s.tenant.as_str())
        .bind(s.key.to_string())
        .bind(currency_column(s.currency))
        .bind(s.amount)
        .bind(kinds())
        .bind(array(&s.starts))
        .bind(array(&s.limits))
        .bind(to_db(s.key_version, "version")?)
        .bind(s.id.to_string())
        .bind(s.currency.as_ref().map(Currency::as_str))
        .bind(s.at)
        .bind(thresholds)
        .bind(s.idempotency.as_ref().map(|i| i.key.as_str()))
        .bind(s.idempotency.as_ref().map(|i| &i.fingerprint[..]))
        .fetch_all(pool)
        .await;
    if let Err(sqlx::Error::Database(db)) = &rows {
        if db.code().as_deref() == Some(DECIDE_IN_TRANSACTION) {
            return Ok(None);
        }
    }
    let rows = rows.map_err(|e| match violation(&e) {
        Some(Violation::Unique(_)) => StoreError::AlreadyExists,
        Some(Violation::ForeignKey(_)) => StoreError::NotFound,
        None => fail(e),
    })?;
    let charged = charged_totals(&rows)?;
    let (Some(day), Some(week), Some(month)) = (charged.day, charged.week, charged.month) else {
        return Err(corrupt("keygate_spend", "a window is missing from a spend it recorded"));
    };
    Ok(Some(remaining_after(s, &PerWindow { day, week, month })?))
}

/// The windows a charge returned, with their new totals.
fn charged_totals(rows: &[sqlx::postgres::PgRow]) -> Result<PerWindow<Option<Decimal>>, StoreError> {
    let returned = rows
        .iter()
        .map(|row| {
            let kind = row.try_get::<&str, _>(0).map_err(fail)?;
            let window = kind.parse::<Window>().map_err(|e| corrupt("window_kind", e))?;
            Ok((window, row.try_get::<Decimal, _>(1).map_err(fail)?))
        })
        .collect::<Result<Vec<_>, StoreError>>()?;
    Ok(PerWindow::from_fn(|w| returned.iter().find(|(window, _)| *window == w).map(|(_, spent)| *spent)))
}

/// What remains of each window's limit (`None`: no limit) once its total is `spent`.
fn remaining_after(s: &NewSpend, spent: &PerWindow<Decimal>) -> Result<PerWindow<Option<Decimal>>, StoreError> {
    let left = |w: Window| s.limits.get(w).map(|limit| remaining(limit, *spent.get(w))).transpose();
    Ok(PerWindow { day: left(Window::Day)?, week: left(Window::Week)?, month: left(Window::Month)? })
}

/// What [`charge`] did.
pub(super) enum Charged {
    /// Added to all three windows; this much of each window's limit remains (`None`: no limit).
    Spent { remaining: PerWindow<Option<Decimal>> },
    /// Over the limit of `window` (the shortest such): this much of it remains (never below zero).
    /// Some other windows may have been charged: the caller must roll the transaction back.
    Refused { window: Window, remaining: Decimal },
    /// The key's version moved: nothing added.
    Stale,
}

/// The totals' currency column: the code, or `''` for none (so it can be part of the primary key).
fn currency_column(currency: Option<Currency>) -> String {
    currency.map_or_else(String::new, |code| code.as_str().to_owned())
}

/// The windows' names, shortest first, as `window_kind` spells them.
fn kinds() -> Vec<&'static str> {
    Window::ALL.iter().map(|window| window.as_str()).collect()
}

/// A value per window as an array, shortest window first.
fn array<T: Copy>(values: &PerWindow<T>) -> Vec<T> {
    values.iter().map(|(_, value)| *value).collect()
}

/// Charges `s.amount` to its three windows within their limits and while the key is still at
/// `s.key_version`, on `conn` (the record's transaction, which must roll back unless this answers
/// `Spent`).
pub(super) async fn charge(conn: &mut PgConnection, s: &NewSpend) -> Result<Charged, StoreError> {
    let key = s.key.to_string();
    let currency = currency_column(s.currency);
    let version = to_db(s.key_version, "version")?;
    let rows = sqlx::query(CHARGE)
        .bind(s.tenant.as_str())
        .bind(&key)
        .bind(&currency)
        .bind(s.amount)
        .bind(kinds())
        .bind(array(&s.starts))
        .bind(array(&s.limits))
        .bind(version)
        .fetch_all(&mut *conn)
        .await
        .map_err(|e| match violation(&e) {
            // The version test already asks for the key, so this is a key gone since; as good as unknown.
            Some(Violation::ForeignKey(_)) => StoreError::NotFound,
            _ => fail(e),
        })?;
    let totals = charged_totals(&rows)?;
    if let (Some(day), Some(week), Some(month)) = (totals.day, totals.week, totals.month) {
        return Ok(Charged::Spent { remaining: remaining_after(s, &PerWindow { day, week, month })? });
    }
    if rows.is_empty() {
        // The version test refuses every row at once: tell a stale or unknown key from three refusals.
        let row = sqlx::query(KEY_VERSION)
            .bind(s.tenant.as_str())
            .bind(&key)
            .fetch_optional(&mut *conn)
            .await
            .map_err(fail)?
            .ok_or(StoreError::NotFound)?;
        if get::<i64>(&row, "version")? != version {
            return Ok(Charged::Stale);
        }
    }
    // The shortest window that did not come back, of those with a limit: only a limit refuses a row.
    let refused = Window::ALL.into_iter().find_map(|w| match (totals.get(w), s.limits.get(w)) {
        (None, Some(limit)) => Some((w, *limit)),
        _ => None,
    });
    let Some((window, limit)) = refused else {
        return Err(corrupt("spend_totals", "a window without a limit was refused"));
    };
    // This transaction did not touch the refused window's row (and holds its lock if it exists), so
    // this is the committed total.
    let spent = sqlx::query(SPENT)
        .bind(s.tenant.as_str())
        .bind(&key)
        .bind(&currency)
        .bind(window.as_str())
        .bind(s.starts.get(window))
        .fetch_optional(&mut *conn)
        .await
        .map_err(fail)?
        .map(|row| get::<Decimal>(&row, "spent"))
        .transpose()?
        .unwrap_or(Decimal::ZERO);
    Ok(Charged::Refused { window, remaining: remaining(limit, spent)?.max(Decimal::ZERO) })
}

/// Gives a released spend's amount back to each of its windows (never below zero), on `conn` (the
/// release's transaction), locking them in the charge's order first.
pub(super) async fn give_back(conn: &mut PgConnection, spend: &SpendRecord) -> Result<(), StoreError> {
    let key = spend.key.to_string();
    let currency = currency_column(spend.currency);
    let starts = array(&spend.starts);
    sqlx::query(LOCK)
        .bind(spend.tenant.as_str())
        .bind(&key)
        .bind(&currency)
        .bind(kinds())
        .bind(&starts)
        .execute(&mut *conn)
        .await
        .map_err(fail)?;
    sqlx::query(GIVE_BACK)
        .bind(spend.tenant.as_str())
        .bind(&key)
        .bind(&currency)
        .bind(kinds())
        .bind(&starts)
        .bind(spend.amount)
        .execute(&mut *conn)
        .await
        .map_err(fail)?;
    Ok(())
}

/// What remains of `limit` once `spent` is spent.
fn remaining(limit: Decimal, spent: Decimal) -> Result<Decimal, StoreError> {
    limit.checked_sub(spent).ok_or_else(|| corrupt("spent", "out of range"))
}
