//! Operators: creation and the compare-and-set update, each with its audit entry in the same
//! transaction, and the reads (a tenant's operators, one by id alone to authenticate its token).
//!
//! It must never write an operator without its audit entry, never overwrite an account someone else
//! moved since the caller read it, and never put a token or invitation hash in an error or a log.

use std::sync::LazyLock;

use keygate_domain::{OperatorId, TenantId};
use sqlx::{PgConnection, PgPool};

use super::audit::append;
use super::convert::to_db;
use super::failure::{fail, violation, Violation};
use super::operator_row::{operator, OperatorParams, OPERATOR_FIELDS};
use super::tenants::placeholders;
use crate::error::StoreError;
use crate::model::{AuditEntry, Operator};

static INSERT_OPERATOR: LazyLock<String> = LazyLock::new(|| {
    format!("INSERT INTO operators ({}) VALUES ({})", OPERATOR_FIELDS.join(", "), placeholders(OPERATOR_FIELDS.len()))
});

/// Sets every field but the tenant and the id (which never change) if the version is still `$25`.
static UPDATE_OPERATOR: LazyLock<String> = LazyLock::new(|| {
    let sets: Vec<String> =
        OPERATOR_FIELDS.iter().enumerate().skip(2).map(|(i, c)| format!("{c} = ${}", i + 1)).collect();
    format!("UPDATE operators SET {} WHERE tenant_id = $1 AND operator_id = $2 AND version = $25", sets.join(", "))
});

static SELECT_OPERATORS: LazyLock<String> = LazyLock::new(|| {
    format!(
        "SELECT {} FROM operators WHERE tenant_id = $1 ORDER BY created_at, operator_id",
        OPERATOR_FIELDS.join(", ")
    )
});

static SELECT_OPERATOR: LazyLock<String> =
    LazyLock::new(|| format!("SELECT {} FROM operators WHERE operator_id = $1", OPERATOR_FIELDS.join(", ")));

/// What a write's violation means: a taken e-mail or id is `AlreadyExists`, an unknown tenant `NotFound`.
fn refused(e: sqlx::Error) -> StoreError {
    match violation(&e) {
        Some(Violation::Unique(_)) => StoreError::AlreadyExists,
        Some(Violation::ForeignKey(_)) => StoreError::NotFound,
        None => fail(e),
    }
}

/// Inserts an operator inside the caller's transaction (no audit entry: the caller appends it).
pub(super) async fn insert_operator(conn: &mut PgConnection, o: &Operator) -> Result<(), StoreError> {
    let params = OperatorParams::new(o)?;
    params.bind(sqlx::query(&INSERT_OPERATOR)).execute(conn).await.map_err(refused).map(drop)
}

/// Creates an operator and its audit entry.
pub(super) async fn create_operator(pool: &PgPool, o: &Operator, audit: &AuditEntry) -> Result<(), StoreError> {
    let mut tx = pool.begin().await.map_err(fail)?;
    insert_operator(&mut tx, o).await?;
    append(&mut tx, audit).await?;
    tx.commit().await.map_err(fail)
}

/// Replaces an operator if its version is still `expected_version`, with its audit entry.
pub(super) async fn update_operator(
    pool: &PgPool,
    o: &Operator,
    expected_version: u64,
    audit: &AuditEntry,
) -> Result<(), StoreError> {
    let params = OperatorParams::new(o)?;
    let expected = to_db(expected_version, "expected_version")?;
    let mut tx = pool.begin().await.map_err(fail)?;
    let updated = params.bind(sqlx::query(&UPDATE_OPERATOR)).bind(expected).execute(&mut *tx).await.map_err(refused)?;
    if updated.rows_affected() == 0 {
        let exists = sqlx::query("SELECT 1 FROM operators WHERE tenant_id = $1 AND operator_id = $2")
            .bind(o.tenant().as_str())
            .bind(params.operator_id())
            .fetch_optional(&mut *tx)
            .await
            .map_err(fail)?;
        return Err(if exists.is_some() { StoreError::Conflict } else { StoreError::NotFound });
    }
    append(&mut tx, audit).await?;
    tx.commit().await.map_err(fail)
}

/// A tenant's operators, oldest first.
pub(super) async fn operators(pool: &PgPool, tenant: &TenantId) -> Result<Vec<Operator>, StoreError> {
    let rows = sqlx::query(&SELECT_OPERATORS).bind(tenant.as_str()).fetch_all(pool).await.map_err(fail)?;
    rows.iter().map(operator).collect()
}

/// An operator by id, whatever its tenant.
pub(super) async fn get_operator(pool: &PgPool, id: OperatorId) -> Result<Operator, StoreError> {
    let row = sqlx::query(&SELECT_OPERATOR).bind(id.to_string()).fetch_optional(pool).await.map_err(fail)?;
    row.as_ref().map(operator).transpose()?.ok_or(StoreError::NotFound)
}

/// Sets an operator's `last_seen_at` (usage, not a change: no version, no audit entry).
pub(super) async fn seen(pool: &PgPool, id: OperatorId, at: chrono::DateTime<chrono::Utc>) -> Result<(), StoreError> {
    sqlx::query("UPDATE operators SET last_seen_at = $2 WHERE operator_id = $1")
        .bind(id.to_string())
        .bind(at)
        .execute(pool)
        .await
        .map_err(fail)?;
    Ok(())
}
