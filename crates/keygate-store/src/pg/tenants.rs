//! Tenants: creation with their first admins and every audit entry in one transaction, the
//! compare-and-set update, and the read.
//!
//! It must never write a tenant without its audit entry, never leave a tenant whose first admins
//! failed to be created, and never overwrite a tenant someone else changed since the caller read it.

use std::sync::LazyLock;

use keygate_domain::TenantId;
use sqlx::PgPool;

use super::audit::append;
use super::convert::to_db;
use super::failure::{fail, violation, Violation};
use super::operators::insert_operator;
use super::tenant_row::{tenant, TenantParams, TENANT_FIELDS};
use crate::error::StoreError;
use crate::model::{AuditEntry, Operator, Tenant};

/// `$1, $2, ..., $n`.
pub(super) fn placeholders(n: usize) -> String {
    (1..=n).map(|i| format!("${i}")).collect::<Vec<_>>().join(", ")
}

static INSERT_TENANT: LazyLock<String> = LazyLock::new(|| {
    format!("INSERT INTO tenants ({}) VALUES ({})", TENANT_FIELDS.join(", "), placeholders(TENANT_FIELDS.len()))
});

/// Sets every field but the id if the version is still the parameter after the fields.
static UPDATE_TENANT: LazyLock<String> = LazyLock::new(|| {
    let sets: Vec<String> =
        TENANT_FIELDS.iter().enumerate().skip(1).map(|(i, c)| format!("{c} = ${}", i + 1)).collect();
    let expected = TENANT_FIELDS.len() + 1;
    format!("UPDATE tenants SET {} WHERE tenant_id = $1 AND version = ${expected}", sets.join(", "))
});

static SELECT_TENANT: LazyLock<String> =
    LazyLock::new(|| format!("SELECT {} FROM tenants WHERE tenant_id = $1", TENANT_FIELDS.join(", ")));

/// Creates a tenant, then each of its first admins, then appends every audit entry in order, all in one
/// transaction: any failure (a taken id, an admin's duplicate e-mail) leaves nothing behind.
pub(super) async fn create_tenant(
    pool: &PgPool,
    t: &Tenant,
    admins: &[Operator],
    audit: &[AuditEntry],
) -> Result<(), StoreError> {
    let params = TenantParams::new(t)?;
    let mut tx = pool.begin().await.map_err(fail)?;
    params.bind(sqlx::query(&INSERT_TENANT)).execute(&mut *tx).await.map_err(|e| match violation(&e) {
        Some(Violation::Unique(_)) => StoreError::AlreadyExists,
        _ => fail(e),
    })?;
    for admin in admins {
        insert_operator(&mut tx, admin).await?;
    }
    for entry in audit {
        append(&mut tx, entry).await?;
    }
    // On any error above, dropping `tx` rolls the whole creation back.
    tx.commit().await.map_err(fail)
}

/// A tenant.
pub(super) async fn get_tenant(pool: &PgPool, id: &TenantId) -> Result<Tenant, StoreError> {
    let row = sqlx::query(&SELECT_TENANT).bind(id.as_str()).fetch_optional(pool).await.map_err(fail)?;
    row.as_ref().map(tenant).transpose()?.ok_or(StoreError::NotFound)
}

/// Replaces a tenant's name, policy, pending policy, version and `updated_at` if its version is still
/// `expected_version`.
pub(super) async fn update_tenant(
    pool: &PgPool,
    t: &Tenant,
    expected_version: u64,
    audit: &AuditEntry,
) -> Result<(), StoreError> {
    let params = TenantParams::new(t)?;
    let expected = to_db(expected_version, "expected_version")?;
    let mut tx = pool.begin().await.map_err(fail)?;
    let updated = params.bind(sqlx::query(&UPDATE_TENANT)).bind(expected).execute(&mut *tx).await.map_err(fail)?;
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
