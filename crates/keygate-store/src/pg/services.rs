//! Service credentials: creation, the reads, and disabling (which only ever narrows).
//!
//! It must never put a token hash in an error or a log.

use chrono::{DateTime, Utc};
use keygate_credential::SecretHash;
use keygate_domain::{OperatorName, ServiceId, TenantId};
use sqlx::postgres::PgRow;
use sqlx::{PgPool, Row};

use super::failure::{fail, violation, Violation};
use crate::error::StoreError;
use crate::model::Service;

const COLUMNS: &str = "service_id, name, all_tenants, tenants, token_hash, created_at, disabled_at";

/// Creates a service credential.
pub(super) async fn create(pool: &PgPool, s: &Service) -> Result<(), StoreError> {
    let tenants: Vec<&str> = s.tenants.iter().flatten().map(TenantId::as_str).collect();
    sqlx::query(&format!("INSERT INTO services ({COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7)"))
        .bind(s.id.to_string())
        .bind(s.name.as_str())
        .bind(s.tenants.is_none())
        .bind(tenants)
        .bind(&s.token_hash.as_bytes()[..])
        .bind(s.created_at)
        .bind(s.disabled_at)
        .execute(pool)
        .await
        .map_err(|e| match violation(&e) {
            Some(Violation::Unique(_)) => StoreError::AlreadyExists,
            _ => fail(e),
        })?;
    Ok(())
}

/// Every service, oldest first.
pub(super) async fn all(pool: &PgPool) -> Result<Vec<Service>, StoreError> {
    let rows = sqlx::query(&format!("SELECT {COLUMNS} FROM services ORDER BY created_at, service_id"))
        .fetch_all(pool)
        .await
        .map_err(fail)?;
    rows.iter().map(service).collect()
}

/// One service.
pub(super) async fn get(pool: &PgPool, id: ServiceId) -> Result<Service, StoreError> {
    let row = sqlx::query(&format!("SELECT {COLUMNS} FROM services WHERE service_id = $1"))
        .bind(id.to_string())
        .fetch_optional(pool)
        .await
        .map_err(fail)?;
    row.as_ref().map(service).transpose()?.ok_or(StoreError::NotFound)
}

/// Disables a service (keeps the first instant it was disabled at).
pub(super) async fn disable(pool: &PgPool, id: ServiceId, at: DateTime<Utc>) -> Result<Service, StoreError> {
    let row = sqlx::query(&format!(
        "UPDATE services SET disabled_at = COALESCE(disabled_at, $2) WHERE service_id = $1 RETURNING {COLUMNS}"
    ))
    .bind(id.to_string())
    .bind(at)
    .fetch_optional(pool)
    .await
    .map_err(fail)?;
    row.as_ref().map(service).transpose()?.ok_or(StoreError::NotFound)
}

fn corrupt(what: &'static str) -> StoreError {
    StoreError::Corrupt(format!("services.{what} does not parse"))
}

fn service(row: &PgRow) -> Result<Service, StoreError> {
    let get = |e: sqlx::Error| fail(e);
    let id: String = row.try_get("service_id").map_err(get)?;
    let name: String = row.try_get("name").map_err(get)?;
    let all: bool = row.try_get("all_tenants").map_err(get)?;
    let tenants: Vec<String> = row.try_get("tenants").map_err(get)?;
    let hash: Vec<u8> = row.try_get("token_hash").map_err(get)?;
    let tenants = if all {
        None
    } else {
        Some(tenants.iter().map(|t| TenantId::parse(t).map_err(|_| corrupt("tenants"))).collect::<Result<_, _>>()?)
    };
    Ok(Service {
        id: ServiceId::parse(&id).map_err(|_| corrupt("service_id"))?,
        name: OperatorName::parse(&name).map_err(|_| corrupt("name"))?,
        tenants,
        token_hash: SecretHash::from_slice(&hash).ok_or_else(|| corrupt("token_hash"))?,
        created_at: row.try_get("created_at").map_err(get)?,
        disabled_at: row.try_get("disabled_at").map_err(get)?,
    })
}
