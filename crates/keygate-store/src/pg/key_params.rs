//! A [`Key`] as the query parameters that write it: text, arrays and jsonb values in the column order
//! of [`KEY_FIELDS`], so the insert and the compare-and-set update bind exactly the same values.
//!
//! It must never write a value the reader in `key_row` could not parse back into the same `Key`.

use chrono::{DateTime, Utc};
use keygate_domain::{Key, Limits, Reveal};
use serde_json::Value;
use sqlx::postgres::{PgArguments, Postgres};
use sqlx::query::Query;

use super::convert::to_db;
use super::json::{amounts_value, rate_value};
use crate::error::StoreError;

/// The columns every key write sets, in the order `$1..$48` of [`KeyParams::bind`]. The two `inet[]`
/// columns are bound as text and cast in SQL (`$9::text[]::inet[]`, `$22::text[]::inet[]`).
pub(super) const KEY_FIELDS: [&str; 48] = [
    "key_id",
    "tenant_id",
    "name",
    "notes",
    "environment",
    "scopes",
    "amounts",
    "currency_class",
    "allowed_ips",
    "expires_at",
    "state",
    "created_by",
    "approved_by",
    "created_at",
    "updated_at",
    "revocation_requested_by",
    "revocation_reason",
    "revocation_requested_at",
    "pending_scopes",
    "pending_amounts",
    "pending_currency_class",
    "pending_allowed_ips",
    "pending_requested_by",
    "pending_requested_at",
    "replaces_key_id",
    "rotation_overlap_seconds",
    "version",
    "created_for",
    "revocation_requested_for",
    "pending_requested_for",
    "suspended_by",
    "suspended_for",
    "suspension_reason",
    "suspended_at",
    "resume_requested_by",
    "resume_requested_for",
    "resume_reason",
    "resume_requested_at",
    "account_id",
    "reveal_state",
    "reveal_until",
    "revealed_at",
    "external_id",
    "metadata",
    "pending_external_id",
    "pending_metadata",
    "rate",
    "pending_rate",
];

/// The SQL expression that sets column `index` (0-based) of [`KEY_FIELDS`] from its parameter.
pub(super) fn key_field_value(index: usize) -> String {
    let column = KEY_FIELDS.get(index).copied().unwrap_or("");
    let n = index + 1;
    if column.ends_with("allowed_ips") {
        format!("${n}::text[]::inet[]")
    } else {
        format!("${n}")
    }
}

/// Limits as column values.
struct LimitParams {
    amounts: Value,
    currency_class: Option<&'static str>,
    allowed_ips: Vec<String>,
    rate: Value,
}

impl LimitParams {
    /// `limits` as the values of the columns `amounts`, `currency_class` and `allowed_ips` carrying
    /// `prefix` (`""` or `"pending_"`).
    fn new(limits: &Limits, prefix: &str) -> Result<Self, StoreError> {
        Ok(Self {
            amounts: amounts_value(limits.amounts(), &format!("{prefix}amounts"))?,
            currency_class: limits.currency_class().map(keygate_domain::CurrencyClass::as_str),
            allowed_ips: limits.allowed_ips().networks().iter().map(ToString::to_string).collect(),
            rate: rate_value(limits.rate()),
        })
    }
}

/// A key's fields as owned parameter values.
pub(super) struct KeyParams {
    key_id: String,
    tenant_id: String,
    name: String,
    notes: Option<String>,
    environment: &'static str,
    scopes: Vec<String>,
    limits: LimitParams,
    expires_at: Option<DateTime<Utc>>,
    state: &'static str,
    created_by: String,
    approved_by: Option<String>,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
    revocation_requested_by: Option<String>,
    revocation_reason: Option<String>,
    revocation_requested_at: Option<DateTime<Utc>>,
    pending_scopes: Option<Vec<String>>,
    pending_limits: Option<LimitParams>,
    pending_requested_by: Option<String>,
    pending_requested_at: Option<DateTime<Utc>>,
    replaces_key_id: Option<String>,
    rotation_overlap_seconds: Option<i64>,
    version: i64,
    created_for: String,
    revocation_requested_for: Option<String>,
    pending_requested_for: Option<String>,
    suspension: Option<[String; 3]>,
    suspended_at: Option<DateTime<Utc>>,
    resume: Option<[String; 3]>,
    resume_requested_at: Option<DateTime<Utc>>,
    account_id: Option<String>,
    reveal_state: Option<&'static str>,
    reveal_until: Option<DateTime<Utc>>,
    revealed_at: Option<DateTime<Utc>>,
    external_id: Option<String>,
    metadata: Option<String>,
    pending_external_id: Option<String>,
    pending_metadata: Option<String>,
}

impl KeyParams {
    /// The parameters that write `key`.
    pub(super) fn new(key: &Key) -> Result<Self, StoreError> {
        let pending = key.pending_change.as_ref();
        let suspension = key.suspension.as_ref();
        let resume = suspension.and_then(|s| s.resume.as_ref());
        Ok(Self {
            key_id: key.id.to_string(),
            tenant_id: key.tenant.as_str().to_owned(),
            name: key.name.as_str().to_owned(),
            notes: key.notes.as_ref().map(|n| n.as_str().to_owned()),
            environment: key.environment.as_str(),
            scopes: key.privileges.scopes.iter().map(ToString::to_string).collect(),
            limits: LimitParams::new(&key.privileges.limits, "")?,
            expires_at: key.expiry.at(),
            state: key.state.as_str(),
            created_by: key.created_by.to_string(),
            approved_by: key.approved_by.map(|a| a.to_string()),
            created_at: key.created_at,
            updated_at: key.updated_at,
            revocation_requested_by: key.revocation.as_ref().map(|r| r.requested_by.to_string()),
            revocation_reason: key.revocation.as_ref().map(|r| r.reason.as_str().to_owned()),
            revocation_requested_at: key.revocation.as_ref().map(|r| r.requested_at),
            pending_scopes: pending.map(|p| p.privileges.scopes.iter().map(ToString::to_string).collect()),
            pending_limits: pending.map(|p| LimitParams::new(&p.privileges.limits, "pending_")).transpose()?,
            pending_requested_by: pending.map(|p| p.requested_by.to_string()),
            pending_requested_at: pending.map(|p| p.requested_at),
            replaces_key_id: key.rotation.map(|r| r.replaces.to_string()),
            rotation_overlap_seconds: key.rotation.map(|r| i64::from(r.overlap_seconds)),
            version: to_db(key.version, "version")?,
            created_for: key.created_for.to_string(),
            revocation_requested_for: key.revocation.as_ref().map(|r| r.requested_for.to_string()),
            pending_requested_for: pending.map(|p| p.requested_for.to_string()),
            suspension: suspension
                .map(|s| [s.suspended_by.to_string(), s.suspended_for.to_string(), s.reason.as_str().to_owned()]),
            suspended_at: suspension.map(|s| s.suspended_at),
            resume: resume
                .map(|r| [r.requested_by.to_string(), r.requested_for.to_string(), r.reason.as_str().to_owned()]),
            resume_requested_at: resume.map(|r| r.requested_at),
            account_id: key.account.as_ref().map(|a| a.as_str().to_owned()),
            reveal_state: key.reveal.map(|r| match r {
                Reveal::AwaitingApproval => "awaiting_approval",
                Reveal::Open { .. } => "open",
                Reveal::Revealed { .. } => "revealed",
            }),
            reveal_until: key.reveal.and_then(|r| match r {
                Reveal::Open { until } => Some(until),
                _ => None,
            }),
            revealed_at: key.reveal.and_then(|r| match r {
                Reveal::Revealed { at } => Some(at),
                _ => None,
            }),
            external_id: key.owner.external_id.as_ref().map(|e| e.as_str().to_owned()),
            metadata: key.owner.metadata.as_ref().map(|m| m.as_str().to_owned()),
            pending_external_id: pending.and_then(|p| p.owner.external_id.as_ref()).map(|e| e.as_str().to_owned()),
            pending_metadata: pending.and_then(|p| p.owner.metadata.as_ref()).map(|m| m.as_str().to_owned()),
        })
    }

    /// The key id parameter (`$1`).
    pub(super) fn key_id(&self) -> &str {
        &self.key_id
    }

    /// The tenant parameter (`$2`).
    pub(super) fn tenant_id(&self) -> &str {
        &self.tenant_id
    }

    /// Binds `$1..$48` in the order of [`KEY_FIELDS`].
    pub(super) fn bind<'q>(&'q self, query: Query<'q, Postgres, PgArguments>) -> Query<'q, Postgres, PgArguments> {
        let pending = self.pending_limits.as_ref();
        query
            .bind(&self.key_id)
            .bind(&self.tenant_id)
            .bind(&self.name)
            .bind(&self.notes)
            .bind(self.environment)
            .bind(&self.scopes)
            .bind(&self.limits.amounts)
            .bind(self.limits.currency_class)
            .bind(&self.limits.allowed_ips)
            .bind(self.expires_at)
            .bind(self.state)
            .bind(&self.created_by)
            .bind(&self.approved_by)
            .bind(self.created_at)
            .bind(self.updated_at)
            .bind(&self.revocation_requested_by)
            .bind(&self.revocation_reason)
            .bind(self.revocation_requested_at)
            .bind(&self.pending_scopes)
            .bind(pending.map(|l| &l.amounts))
            .bind(pending.and_then(|l| l.currency_class))
            .bind(pending.map(|l| &l.allowed_ips))
            .bind(&self.pending_requested_by)
            .bind(self.pending_requested_at)
            .bind(&self.replaces_key_id)
            .bind(self.rotation_overlap_seconds)
            .bind(self.version)
            .bind(&self.created_for)
            .bind(&self.revocation_requested_for)
            .bind(&self.pending_requested_for)
            .bind(self.suspension.as_ref().map(|s| &s[0]))
            .bind(self.suspension.as_ref().map(|s| &s[1]))
            .bind(self.suspension.as_ref().map(|s| &s[2]))
            .bind(self.suspended_at)
            .bind(self.resume.as_ref().map(|r| &r[0]))
            .bind(self.resume.as_ref().map(|r| &r[1]))
            .bind(self.resume.as_ref().map(|r| &r[2]))
            .bind(self.resume_requested_at)
            .bind(&self.account_id)
            .bind(self.reveal_state)
            .bind(self.reveal_until)
            .bind(self.revealed_at)
            .bind(&self.external_id)
            .bind(&self.metadata)
            .bind(&self.pending_external_id)
            .bind(&self.pending_metadata)
            .bind(&self.limits.rate)
            .bind(pending.map(|l| &l.rate))
    }
}
