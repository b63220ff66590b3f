//! Tenants and their operators: creation with the audit entry in the same transaction, the
//! compare-and-set policy update, and the reads.
//!
//! It must never write a tenant or an operator without its audit entry, never overwrite a tenant
//! someone else changed since the caller read it, and never put a token hash in an error or a log.

use keygate_domain::{OperatorId, TenantId};
use sqlx::PgPool;

use super::audit::append;
use super::convert::to_db;
use super::failure::{fail, violation, Violation};
use super::rows::{operator, tenant, OPERATOR_COLUMNS, TENANT_COLUMNS};
use crate::error::StoreError;
use crate::model::{AuditEntry, Operator, Tenant};

/// A tenant.
pub(super) async fn get_tenant(pool: &PgPool, id: &TenantId) -> Result<Tenant, StoreError> {
    let row = sqlx::query(&format!("SELECT {TENANT_COLUMNS} FROM tenants WHERE tenant_id = $1"))
        .bind(id.as_str())
        .fetch_optional(pool)
        .await
        .map_err(fail)?;
    row.as_ref().map(tenant).transpose()?.ok_or(StoreError::NotFound)
}

/// Replaces a tenant's name, policy, version and `updated_at` if its version is still `expected_version`.
pub(super) async fn update_tenant(
    pool: &PgPool,
    t: &Tenant,
    expected_version: u64,
    audit: &AuditEntry,
) -> Result<(), StoreError> {
    let mut tx = pool.begin().await.map_err(fail)?;
    let updated = sqlx::query(
        "UPDATE tenants SET name = $2, dual_control = $3, live_enabled = $4, max_key_lifetime_days = $5, \
         allow_never_expiring = $6, version = $7, updated_at = $8 WHERE tenant_id = $1 AND version = $9",
    )
    .bind(t.id.as_str())
    .bind(t.name.as_str())
    .bind(t.policy.dual_control)
    .bind(t.policy.live_enabled)
    .bind(t.policy.max_key_lifetime_days.map(i64::from))
    .bind(t.policy.allow_never_expiring)
    .bind(to_db(t.version, "version")?)
    .bind(t.updated_at)
    .bind(to_db(expected_version, "expected_version")?)
    .execute(&mut *tx)
    .await
    .map_err(fail)?;
    if updated.rows_affected() == 0 {
        let exists = sqlx::query("SELECT 1 FROM tenants WHERE tenant_id = $1")
            .bind(t.id.as_str())
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
    let rows = sqlx::query(&format!(
        "SELECT {OPERATOR_COLUMNS} FROM operators WHERE tenant_id = $1 ORDER BY created_at, operator_id"
    ))
    .bind(tenant.as_str())
    .fetch_all(pool)
    .await
    .map_err(fail)?;
    rows.iter().map(operator).collect()
}

/// An operator by id, whatever its tenant.
pub(super) async fn get_operator(pool: &PgPool, id: OperatorId) -> Result<Operator, StoreError> {
    let row = sqlx::query(&format!("SELECT {OPERATOR_COLUMNS} FROM operators WHERE operator_id = $1"))
        .bind(id.to_string())
        .fetch_optional(pool)
        .await
        .map_err(fail)?;
    row.as_ref().map(operator).transpose()?.ok_or(StoreError::NotFound)
}
