//! Reading columns back into the model: the shared column readers, and audit entries (keys are in
//! `key_row`, tenants in `tenant_row`, operators in `operator_row`).
//!
//! It must never panic or guess: every stored text goes through the domain's parser, and a row that
//! does not parse is `StoreError::Corrupt` naming the column, never the value.

use std::net::IpAddr;

use keygate_credential::SecretHash;
use keygate_domain::{ActorId, KeyId, Reason, TenantId};
use sqlx::postgres::PgRow;
use sqlx::{Decode, Postgres, Row, Type};

use super::convert::from_db;
use super::failure::{corrupt, fail};
use crate::audit_chain::AuditHash;
use crate::error::StoreError;
use crate::model::{AuditEntry, AuditKind};

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

/// A hash that may be absent (a key whose secret is revealed after approval has none before).
pub(super) fn hash_opt(row: &PgRow, name: &str) -> Result<Option<SecretHash>, StoreError> {
    get::<Option<&[u8]>>(row, name)?
        .map(|bytes| SecretHash::from_slice(bytes).ok_or_else(|| corrupt(name, "not 32 bytes")))
        .transpose()
}

/// An address stored as `inet` and selected as `host(...)` text.
pub(super) fn ip(row: &PgRow, name: &str) -> Result<Option<IpAddr>, StoreError> {
    parsed_opt(row, name, str::parse::<IpAddr>)
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
