//! Reading rows back into the model: tenants, operators and audit entries (keys are in `key_row`).
//!
//! It must never panic or guess: every stored text goes through the domain's parser, and a row that
//! does not parse is `StoreError::Corrupt` naming the column, never the value.

use std::net::IpAddr;

use chrono::{DateTime, Utc};
use keygate_credential::SecretHash;
use keygate_domain::{
    ActorId, Email, KeyId, OperatorId, OperatorName, Reason, Role, RoleSet, TenantId, TenantName, TenantPolicy,
};
use sqlx::postgres::PgRow;
use sqlx::{Decode, Postgres, Row, Type};

use super::convert::{from_db, from_db_u32};
use super::failure::{corrupt, fail};
use crate::audit_chain::AuditHash;
use crate::error::StoreError;
use crate::model::{AuditEntry, AuditKind, Operator, Tenant};

/// The value of column `name`.
pub(super) fn get<'r, T>(row: &'r PgRow, name: &str) -> Result<T, StoreError>
where
    T: Decode<'r, Postgres> + Type<Postgres>,
{
    row.try_get(name).map_err(fail)
}

/// The parsed value of a text column.
pub(super) fn parsed<T, E: std::fmt::Display>(
    row: &PgRow,
    name: &str,
    parse: impl FnOnce(&str) -> Result<T, E>,
) -> Result<T, StoreError> {
    parse(get::<&str>(row, name)?).map_err(|e| corrupt(name, e))
}

/// The parsed value of a nullable text column.
pub(super) fn parsed_opt<T, E: std::fmt::Display>(
    row: &PgRow,
    name: &str,
    parse: impl FnOnce(&str) -> Result<T, E>,
) -> Result<Option<T>, StoreError> {
    get::<Option<&str>>(row, name)?.map(parse).transpose().map_err(|e| corrupt(name, e))
}

/// A stored 32-byte hash.
pub(super) fn hash(row: &PgRow, name: &str) -> Result<SecretHash, StoreError> {
    SecretHash::from_slice(get::<&[u8]>(row, name)?).ok_or_else(|| corrupt(name, "not 32 bytes"))
}

/// An address stored as `inet` and selected as `host(...)` text.
pub(super) fn ip(row: &PgRow, name: &str) -> Result<Option<IpAddr>, StoreError> {
    parsed_opt(row, name, str::parse::<IpAddr>)
}

/// The columns [`tenant`] reads.
pub(super) const TENANT_COLUMNS: &str = "tenant_id, name, dual_control, live_enabled, max_key_lifetime_days, \
     allow_never_expiring, version, created_at, updated_at";

/// A `tenants` row.
pub(super) fn tenant(row: &PgRow) -> Result<Tenant, StoreError> {
    let max_key_lifetime_days = get::<Option<i64>>(row, "max_key_lifetime_days")?
        .map(|days| from_db_u32(days, "max_key_lifetime_days"))
        .transpose()?;
    Ok(Tenant {
        id: parsed(row, "tenant_id", TenantId::parse)?,
        name: parsed(row, "name", TenantName::parse)?,
        policy: TenantPolicy {
            dual_control: get(row, "dual_control")?,
            live_enabled: get(row, "live_enabled")?,
            max_key_lifetime_days,
            allow_never_expiring: get(row, "allow_never_expiring")?,
            // TODO(wiring): persist `integrator_approvals`; until then it reads as off (narrow).
            integrator_approvals: false,
        },
        pending_policy: None, // STUB: replaced by the wt-store branch
        created_at: get(row, "created_at")?,
        updated_at: get(row, "updated_at")?,
        version: from_db(get(row, "version")?, "version")?,
    })
}

/// The columns [`operator`] reads.
pub(super) const OPERATOR_COLUMNS: &str = "tenant_id, operator_id, name, email, roles, token_hash, created_at";

/// An `operators` row.
pub(super) fn operator(row: &PgRow) -> Result<Operator, StoreError> {
    let _ = row;
    Err(StoreError::NotFound) // STUB: replaced by the wt-store branch
}

/// The columns [`audit_entry`] reads.
pub(super) const AUDIT_COLUMNS: &str = "tenant_id, seq, key_id, actor, action, reason, details, at, hash";

/// An `audit_log` row.
pub(super) fn audit_entry(row: &PgRow) -> Result<AuditEntry, StoreError> {
    Ok(AuditEntry {
        tenant: parsed(row, "tenant_id", TenantId::parse)?,
        key: parsed_opt(row, "key_id", KeyId::parse)?,
        actor: parsed(row, "actor", str::parse::<ActorId>)?,
        action: parsed(row, "action", |text| AuditKind::parse(text).ok_or("unknown action"))?,
        reason: parsed_opt(row, "reason", Reason::parse)?,
        details: get::<Option<String>>(row, "details")?,
        at: get(row, "at")?,
        seq: from_db(get(row, "seq")?, "seq")?,
        hash: AuditHash::from_slice(get::<&[u8]>(row, "hash")?).ok_or_else(|| corrupt("hash", "not 32 bytes"))?,
    })
}
