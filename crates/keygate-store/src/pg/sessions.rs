//! Console sessions: open, read, touch, end and prune. Never a cookie id, only its hash.

use chrono::{DateTime, Utc};
use keygate_domain::OperatorId;
use sqlx::{PgPool, Row};

use super::failure::{fail, violation, Violation};
use crate::console_session::{ConsoleSession, SessionHash};
use crate::error::StoreError;

pub(super) async fn open(pool: &PgPool, s: &ConsoleSession) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO console_sessions (session_hash, operator_id, credential, created_at, last_seen_at) \
         VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(&s.id.0[..])
    .bind(s.operator.map(|o| o.to_string()))
    .bind(&s.credential[..])
    .bind(s.created_at)
    .bind(s.last_seen_at)
    .execute(pool)
    .await
    .map_err(|e| match violation(&e) {
        Some(Violation::Unique(_)) => StoreError::AlreadyExists,
        _ => fail(e),
    })?;
    Ok(())
}

pub(super) async fn get(pool: &PgPool, id: &SessionHash) -> Result<Option<ConsoleSession>, StoreError> {
    let row = sqlx::query(
        "SELECT operator_id, credential, created_at, last_seen_at FROM console_sessions WHERE session_hash = $1",
    )
    .bind(&id.0[..])
    .fetch_optional(pool)
    .await
    .map_err(fail)?;
    let Some(row) = row else { return Ok(None) };
    let operator: Option<String> = row.try_get("operator_id").map_err(fail)?;
    let operator = operator.map(|o| OperatorId::parse(&o).map_err(|_| corrupt("operator_id"))).transpose()?;
    let credential: Vec<u8> = row.try_get("credential").map_err(fail)?;
    Ok(Some(ConsoleSession {
        id: *id,
        operator,
        credential: credential.try_into().map_err(|_| corrupt("credential"))?,
        created_at: row.try_get("created_at").map_err(fail)?,
        last_seen_at: row.try_get("last_seen_at").map_err(fail)?,
    }))
}

pub(super) async fn touch(pool: &PgPool, id: &SessionHash, at: DateTime<Utc>) -> Result<(), StoreError> {
    sqlx::query("UPDATE console_sessions SET last_seen_at = GREATEST(last_seen_at, $2) WHERE session_hash = $1")
        .bind(&id.0[..])
        .bind(at)
        .execute(pool)
        .await
        .map_err(fail)?;
    Ok(())
}

pub(super) async fn end(pool: &PgPool, id: &SessionHash) -> Result<bool, StoreError> {
    let done = sqlx::query("DELETE FROM console_sessions WHERE session_hash = $1")
        .bind(&id.0[..])
        .execute(pool)
        .await
        .map_err(fail)?;
    Ok(done.rows_affected() > 0)
}

pub(super) async fn prune(
    pool: &PgPool,
    opened_before: DateTime<Utc>,
    seen_before: DateTime<Utc>,
) -> Result<u64, StoreError> {
    let done = sqlx::query("DELETE FROM console_sessions WHERE created_at < $1 OR last_seen_at < $2")
        .bind(opened_before)
        .bind(seen_before)
        .execute(pool)
        .await
        .map_err(fail)?;
    Ok(done.rows_affected())
}

fn corrupt(what: &'static str) -> StoreError {
    StoreError::Corrupt(format!("console_sessions.{what} does not parse"))
}
