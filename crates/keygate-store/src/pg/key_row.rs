//! Reading a `keys` row back into a [`KeyRecord`].
//!
//! It must never panic or guess: every stored text goes through the domain's parser, the parts that
//! come in groups (a revocation request, a pending change, a rotation) are whole or absent, and anything
//! else is `StoreError::Corrupt` naming the column, never the value.

use chrono::{DateTime, Utc};
use keygate_domain::{
    AccountId, ActorId, CurrencyClass, Environment, Expiry, ExternalId, IpAllowList, Key, KeyId, KeyName, KeyState,
    Limits, Metadata, Notes, Owner, PendingChange, Privileges, Reason, ResumeRequest, Reveal, RevocationRequest,
    Rotation, ScopeSet, Signing, SigningAlgorithm, Suspension, TenantId,
};
use serde_json::Value;
use sqlx::postgres::PgRow;

use super::convert::{from_db, from_db_u32};
use super::failure::corrupt;
use super::json::{amounts, rate_limits};
use super::rows::{get, hash_opt, ip, parsed, parsed_opt};
use crate::error::StoreError;
use crate::model::KeyRecord;

/// The select list [`key_record`] reads, as a literal so queries can be built with `concat!`.
/// `inet` values come back as text (no sqlx network feature needed); `host()` drops the `/32`.
macro_rules! key_columns {
    () => {
        "key_id, tenant_id, name, notes, environment, scopes, amounts, currency_class, \
         allowed_ips::text[] AS allowed_ips, expires_at, state, created_by, approved_by, created_at, updated_at, \
         revocation_requested_by, revocation_reason, revocation_requested_at, pending_scopes, pending_amounts, \
         pending_currency_class, pending_allowed_ips::text[] AS pending_allowed_ips, \
         pending_requested_by, pending_requested_at, replaces_key_id, rotation_overlap_seconds, version, \
         created_for, revocation_requested_for, pending_requested_for, suspended_by, suspended_for, \
         suspension_reason, suspended_at, resume_requested_by, resume_requested_for, resume_reason, \
         resume_requested_at, account_id, reveal_state, reveal_until, revealed_at, external_id, metadata, \
         pending_external_id, pending_metadata, rate, pending_rate, secret_hash, masked, last_used_at, \
         host(last_used_ip) AS last_used_ip, signing_algorithm, signing_public_key, bearer"
    };
}
pub(super) use key_columns;

/// A `keys` row selected with [`key_columns!`].
pub(super) fn key_record(row: &PgRow) -> Result<KeyRecord, StoreError> {
    let key = Key {
        id: parsed(row, "key_id", KeyId::parse)?,
        tenant: parsed(row, "tenant_id", TenantId::parse)?,
        account: parsed_opt(row, "account_id", AccountId::parse)?,
        name: parsed(row, "name", KeyName::parse)?,
        notes: parsed_opt(row, "notes", Notes::parse)?,
        environment: parsed(row, "environment", str::parse::<Environment>)?,
        privileges: privileges(
            get(row, "scopes")?,
            get(row, "amounts")?,
            parsed_opt(row, "currency_class", str::parse::<CurrencyClass>)?,
            get(row, "allowed_ips")?,
            get(row, "rate")?,
            "",
        )?,
        owner: owner(row, "")?,
        expiry: get::<Option<DateTime<Utc>>>(row, "expires_at")?.map_or(Expiry::Never, Expiry::At),
        state: parsed(row, "state", str::parse::<KeyState>)?,
        created_by: parsed(row, "created_by", str::parse::<ActorId>)?,
        created_for: parsed(row, "created_for", str::parse::<ActorId>)?,
        approved_by: parsed_opt(row, "approved_by", str::parse::<ActorId>)?,
        created_at: get(row, "created_at")?,
        updated_at: get(row, "updated_at")?,
        revocation: revocation(row)?.map(Box::new),
        pending_change: pending_change(row)?.map(Box::new),
        suspension: suspension(row)?.map(Box::new),
        rotation: rotation(row)?,
        reveal: reveal(row)?,
        version: from_db(get(row, "version")?, "version")?,
    };
    let secret_hash = hash_opt(row, "secret_hash")?;
    // A key has a hash exactly when it has a secret: from creation, or from its reveal.
    if key.has_secret() != secret_hash.is_some() {
        return Err(corrupt("secret_hash", "does not match the reveal state"));
    }
    Ok(KeyRecord {
        key,
        secret_hash,
        masked: get(row, "masked")?,
        signing: signing(row)?,
        last_used_at: get(row, "last_used_at")?,
        last_used_ip: ip(row, "last_used_ip")?,
    })
}

/// Scopes and limits from the values of their columns, whose names carry `prefix` (`""` or
/// `"pending_"`).
fn privileges(
    scopes: Vec<String>,
    amount_limits: Value,
    currency_class: Option<CurrencyClass>,
    allowed_ips: Vec<String>,
    rate: Option<Value>,
    prefix: &str,
) -> Result<Privileges, StoreError> {
    let column = |name: &str| format!("{prefix}{name}");
    let scopes = ScopeSet::parse(&scopes).map_err(|e| corrupt(&column("scopes"), e))?;
    let limits = Limits::new(
        amounts(amount_limits, &column("amounts"))?,
        currency_class,
        IpAllowList::parse(&allowed_ips).map_err(|e| corrupt(&column("allowed_ips"), e))?,
    )
    .map_err(|e| corrupt(&column("amounts"), e))?;
    // A pending change written before rate limits existed has none.
    let rate = rate.map(|v| rate_limits(v, &column("rate"))).transpose()?.unwrap_or_default();
    let limits = limits.with_rate(rate).map_err(|e| corrupt(&column("rate"), e))?;
    Ok(Privileges { scopes, limits })
}

fn signing(row: &PgRow) -> Result<Option<Signing>, StoreError> {
    let algorithm = parsed_opt(row, "signing_algorithm", str::parse::<SigningAlgorithm>)?;
    let public_key = get::<Option<Vec<u8>>>(row, "signing_public_key")?;
    let bearer = get::<bool>(row, "bearer")?;
    match algorithm {
        None if public_key.is_none() && bearer => Ok(None),
        None => Err(corrupt("signing_algorithm", "absent with signing columns set")),
        Some(algorithm) => Signing::new(algorithm, public_key.as_deref(), bearer)
            .map(Some)
            .map_err(|e| corrupt("signing_public_key", e)),
    }
}

fn revocation(row: &PgRow) -> Result<Option<RevocationRequest>, StoreError> {
    let requested_by = parsed_opt(row, "revocation_requested_by", str::parse::<ActorId>)?;
    let requested_for = parsed_opt(row, "revocation_requested_for", str::parse::<ActorId>)?;
    let reason = parsed_opt(row, "revocation_reason", Reason::parse)?;
    let requested_at = get(row, "revocation_requested_at")?;
    match (requested_by, requested_for, reason, requested_at) {
        (Some(requested_by), Some(requested_for), Some(reason), Some(requested_at)) => {
            Ok(Some(RevocationRequest { requested_by, requested_for, reason, requested_at }))
        }
        (None, None, None, None) => Ok(None),
        _ => Err(corrupt("revocation", "partly set")),
    }
}

fn suspension(row: &PgRow) -> Result<Option<Suspension>, StoreError> {
    let suspended_by = parsed_opt(row, "suspended_by", str::parse::<ActorId>)?;
    let suspended_for = parsed_opt(row, "suspended_for", str::parse::<ActorId>)?;
    let reason = parsed_opt(row, "suspension_reason", Reason::parse)?;
    let suspended_at = get(row, "suspended_at")?;
    let resume = resume(row)?;
    match (suspended_by, suspended_for, reason, suspended_at) {
        (Some(suspended_by), Some(suspended_for), Some(reason), Some(suspended_at)) => {
            Ok(Some(Suspension { suspended_by, suspended_for, reason, suspended_at, resume }))
        }
        (None, None, None, None) if resume.is_none() => Ok(None),
        _ => Err(corrupt("suspension", "partly set")),
    }
}

fn resume(row: &PgRow) -> Result<Option<ResumeRequest>, StoreError> {
    let requested_by = parsed_opt(row, "resume_requested_by", str::parse::<ActorId>)?;
    let requested_for = parsed_opt(row, "resume_requested_for", str::parse::<ActorId>)?;
    let reason = parsed_opt(row, "resume_reason", Reason::parse)?;
    let requested_at = get(row, "resume_requested_at")?;
    match (requested_by, requested_for, reason, requested_at) {
        (Some(requested_by), Some(requested_for), Some(reason), Some(requested_at)) => {
            Ok(Some(ResumeRequest { requested_by, requested_for, reason, requested_at }))
        }
        (None, None, None, None) => Ok(None),
        _ => Err(corrupt("resume", "partly set")),
    }
}

fn pending_change(row: &PgRow) -> Result<Option<PendingChange>, StoreError> {
    let scopes = get::<Option<Vec<String>>>(row, "pending_scopes")?;
    let amount_limits = get::<Option<Value>>(row, "pending_amounts")?;
    let currency_class = parsed_opt(row, "pending_currency_class", str::parse::<CurrencyClass>)?;
    let allowed_ips = get::<Option<Vec<String>>>(row, "pending_allowed_ips")?;
    let requested_by = parsed_opt(row, "pending_requested_by", str::parse::<ActorId>)?;
    let requested_for = parsed_opt(row, "pending_requested_for", str::parse::<ActorId>)?;
    let requested_at = get(row, "pending_requested_at")?;
    match (scopes, amount_limits, allowed_ips, requested_by, requested_for, requested_at) {
        (
            Some(scopes),
            Some(amount_limits),
            Some(allowed_ips),
            Some(requested_by),
            Some(requested_for),
            Some(requested_at),
        ) => {
            let rate = get::<Option<Value>>(row, "pending_rate")?;
            let privileges = privileges(scopes, amount_limits, currency_class, allowed_ips, rate, "pending_")?;
            let owner = owner(row, "pending_")?;
            Ok(Some(PendingChange { privileges, owner, requested_by, requested_for, requested_at }))
        }
        // A class or an owner is only ever part of a pending change: alone, it is a leftover.
        (None, None, None, None, None, None)
            if currency_class.is_none() && owner(row, "pending_")? == Owner::default() =>
        {
            Ok(None)
        }
        _ => Err(corrupt("pending change", "partly set")),
    }
}

/// The owner from the columns `external_id` and `metadata` carrying `prefix` (`""` or `"pending_"`).
fn owner(row: &PgRow, prefix: &str) -> Result<Owner, StoreError> {
    Ok(Owner {
        external_id: parsed_opt(row, &format!("{prefix}external_id"), ExternalId::parse)?,
        metadata: parsed_opt(row, &format!("{prefix}metadata"), Metadata::parse)?,
    })
}

fn reveal(row: &PgRow) -> Result<Option<Reveal>, StoreError> {
    let state = get::<Option<String>>(row, "reveal_state")?;
    let until = get::<Option<DateTime<Utc>>>(row, "reveal_until")?;
    let at = get::<Option<DateTime<Utc>>>(row, "revealed_at")?;
    match (state.as_deref(), until, at) {
        (None, None, None) => Ok(None),
        (Some("awaiting_approval"), None, None) => Ok(Some(Reveal::AwaitingApproval)),
        (Some("open"), Some(until), None) => Ok(Some(Reveal::Open { until })),
        (Some("revealed"), None, Some(at)) => Ok(Some(Reveal::Revealed { at })),
        _ => Err(corrupt("reveal_state", "not a reveal state with its instant")),
    }
}

fn rotation(row: &PgRow) -> Result<Option<Rotation>, StoreError> {
    let replaces = parsed_opt(row, "replaces_key_id", KeyId::parse)?;
    let overlap = get::<Option<i64>>(row, "rotation_overlap_seconds")?;
    match (replaces, overlap) {
        (Some(replaces), Some(overlap)) => {
            Ok(Some(Rotation { replaces, overlap_seconds: from_db_u32(overlap, "rotation_overlap_seconds")? }))
        }
        (None, None) => Ok(None),
        _ => Err(corrupt("rotation", "partly set")),
    }
}
