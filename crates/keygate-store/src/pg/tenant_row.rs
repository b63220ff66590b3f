//! A [`Tenant`] to and from its `tenants` columns: the policy (its time zone and currency entries
//! included), the pending policy widening with who asked, for whom and when, and a scheduled change of
//! time zone.
//!
//! It must never write a value [`tenant`] could not read back into the same `Tenant`, and never
//! guess: a pending policy, a pending currency entry or a scheduled change that is partly there is
//! `StoreError::Corrupt`.

use chrono::{DateTime, Utc};
use keygate_domain::{
    ActorId, Currency, CurrencySpec, OnLeak, PolicyPatch, PolicyRequest, RevealPolicy, RevealWindow, ScopeCatalogue,
    TenantId, TenantName, TenantPolicy, Timezone, TimezoneChange,
};
use serde_json::Value;
use sqlx::postgres::{PgArguments, PgRow, Postgres};
use sqlx::query::Query;

use super::catalogue_json::{catalogue, catalogue_value};
use super::convert::{from_db, from_db_u32, to_db};
use super::failure::corrupt;
use super::json::{currencies, currencies_value, currency_spec};
use super::rows::{get, parsed, parsed_opt};
use crate::error::StoreError;
use crate::model::{PendingPolicy, Tenant};

/// The columns every tenant write sets and [`tenant`] reads, in the order `$1..$36` of
/// [`TenantParams::bind`].
pub(super) const TENANT_FIELDS: [&str; 44] = [
    "tenant_id",
    "name",
    "dual_control",
    "live_enabled",
    "max_key_lifetime_days",
    "allow_never_expiring",
    "integrator_approvals",
    "timezone",
    "currencies",
    "pending_dual_control",
    "pending_live_enabled",
    "pending_max_key_lifetime_set",
    "pending_max_key_lifetime_days",
    "pending_allow_never_expiring",
    "pending_integrator_approvals",
    "pending_timezone",
    "pending_currency",
    "pending_currency_class",
    "pending_currency_scale",
    "pending_requested_by",
    "pending_requested_for",
    "pending_requested_at",
    "timezone_from",
    "timezone_effective_at",
    "version",
    "created_at",
    "updated_at",
    "on_leak",
    "pending_on_leak",
    "name_mutable",
    "pending_name_mutable",
    "require_account",
    "pending_require_account",
    "reveal",
    "reveal_window_hours",
    "pending_reveal",
    "pending_reveal_window_hours",
    "scope_catalogue",
    "pending_scope_catalogue_set",
    "pending_scope_catalogue",
    "webhook_expiry_lead_days",
    "pending_webhook_expiry_lead_days",
    "signature_skew_seconds",
    "pending_signature_skew_seconds",
];

/// A tenant's fields as owned parameter values.
pub(super) struct TenantParams {
    id: String,
    name: String,
    policy: TenantPolicy,
    currencies: Value,
    scope_catalogue: Option<Value>,
    pending_scope_catalogue: Option<Value>,
    patch: Option<PolicyPatch>,
    requested_by: Option<String>,
    requested_for: Option<String>,
    requested_at: Option<DateTime<Utc>>,
    timezone_change: Option<TimezoneChange>,
    version: i64,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
}

impl TenantParams {
    /// The parameters that write `t`.
    pub(super) fn new(t: &Tenant) -> Result<Self, StoreError> {
        let pending = t.pending_policy.as_ref();
        Ok(Self {
            id: t.id.as_str().to_owned(),
            name: t.name.as_str().to_owned(),
            policy: t.policy.clone(),
            currencies: currencies_value(&t.policy.currencies, "currencies")?,
            scope_catalogue: t
                .policy
                .scope_catalogue
                .as_ref()
                .map(|c| catalogue_value(c, "scope_catalogue"))
                .transpose()?,
            pending_scope_catalogue: pending
                .and_then(|p| p.request.patch.scope_catalogue.as_ref())
                .and_then(Option::as_ref)
                .map(|c| catalogue_value(c, "pending_scope_catalogue"))
                .transpose()?,
            patch: pending.map(|p| p.request.patch.clone()),
            requested_by: pending.map(|p| p.request.requested_by.to_string()),
            requested_for: pending.map(|p| p.request.requested_for.to_string()),
            requested_at: pending.map(|p| p.requested_at),
            timezone_change: t.timezone_change,
            version: to_db(t.version, "version")?,
            created_at: t.created_at,
            updated_at: t.updated_at,
        })
    }

    /// Binds `$1..$44` in the order of [`TENANT_FIELDS`].
    pub(super) fn bind<'q>(&'q self, query: Query<'q, Postgres, PgArguments>) -> Query<'q, Postgres, PgArguments> {
        let patch = self.patch.clone().unwrap_or_default();
        // `Some(None)` (remove the cap) is "set, no days"; `None` (leave it) is "not set".
        let lifetime_set = patch.max_key_lifetime_days.map(|_| true);
        let lifetime_days = patch.max_key_lifetime_days.flatten().map(i64::from);
        let (currency, spec) = patch.currency.unzip();
        query
            .bind(&self.id)
            .bind(&self.name)
            .bind(self.policy.dual_control)
            .bind(self.policy.live_enabled)
            .bind(self.policy.max_key_lifetime_days.map(i64::from))
            .bind(self.policy.allow_never_expiring)
            .bind(self.policy.integrator_approvals)
            .bind(self.policy.timezone.as_str())
            .bind(&self.currencies)
            .bind(patch.dual_control)
            .bind(patch.live_enabled)
            .bind(lifetime_set)
            .bind(lifetime_days)
            .bind(patch.allow_never_expiring)
            .bind(patch.integrator_approvals)
            .bind(patch.timezone.map(|tz| tz.as_str()))
            .bind(currency.map(|code| code.as_str().to_owned()))
            .bind(spec.map(|spec| spec.class().as_str()))
            .bind(spec.map(|spec| i16::from(spec.scale())))
            .bind(&self.requested_by)
            .bind(&self.requested_for)
            .bind(self.requested_at)
            .bind(self.timezone_change.map(|change| change.from.as_str()))
            .bind(self.timezone_change.map(|change| change.effective_at))
            .bind(self.version)
            .bind(self.created_at)
            .bind(self.updated_at)
            .bind(self.policy.on_leak.as_str())
            .bind(patch.on_leak.map(OnLeak::as_str))
            .bind(self.policy.name_mutable)
            .bind(patch.name_mutable)
            .bind(self.policy.require_account)
            .bind(patch.require_account)
            .bind(self.policy.reveal.as_str())
            .bind(i32::try_from(self.policy.reveal_window_hours.as_hours()).unwrap_or(i32::MAX))
            .bind(patch.reveal.map(RevealPolicy::as_str))
            .bind(patch.reveal_window_hours.map(|w| i32::try_from(w.as_hours()).unwrap_or(i32::MAX)))
            .bind(&self.scope_catalogue)
            // As the cap: `Some(None)` (remove the catalogue) is "set, no catalogue".
            .bind(patch.scope_catalogue.as_ref().map(|_| true))
            .bind(&self.pending_scope_catalogue)
            .bind(i32::try_from(self.policy.webhook_expiry_lead_days.as_days()).unwrap_or(i32::MAX))
            .bind(patch.webhook_expiry_lead_days.map(|d| i32::try_from(d.as_days()).unwrap_or(i32::MAX)))
            .bind(i32::try_from(self.policy.signature_skew_seconds.as_seconds()).unwrap_or(i32::MAX))
            .bind(patch.signature_skew_seconds.map(|s| i32::try_from(s.as_seconds()).unwrap_or(i32::MAX)))
    }
}

/// A `tenants` row selected with [`TENANT_FIELDS`].
pub(super) fn tenant(row: &PgRow) -> Result<Tenant, StoreError> {
    Ok(Tenant {
        id: parsed(row, "tenant_id", TenantId::parse)?,
        name: parsed(row, "name", TenantName::parse)?,
        policy: TenantPolicy {
            dual_control: get(row, "dual_control")?,
            live_enabled: get(row, "live_enabled")?,
            max_key_lifetime_days: days(row, "max_key_lifetime_days")?,
            allow_never_expiring: get(row, "allow_never_expiring")?,
            integrator_approvals: get(row, "integrator_approvals")?,
            timezone: parsed(row, "timezone", Timezone::parse)?,
            currencies: currencies(get(row, "currencies")?, "currencies")?,
            on_leak: parsed(row, "on_leak", str::parse::<OnLeak>)?,
            name_mutable: get(row, "name_mutable")?,
            require_account: get(row, "require_account")?,
            reveal: parsed(row, "reveal", str::parse::<RevealPolicy>)?,
            reveal_window_hours: window(get(row, "reveal_window_hours")?, "reveal_window_hours")?,
            scope_catalogue: get::<Option<Value>>(row, "scope_catalogue")?
                .map(|v| catalogue(v, "scope_catalogue"))
                .transpose()?,
            webhook_expiry_lead_days: lead(get(row, "webhook_expiry_lead_days")?, "webhook_expiry_lead_days")?,
            signature_skew_seconds: skew(get(row, "signature_skew_seconds")?, "signature_skew_seconds")?,
        },
        pending_policy: pending_policy(row)?,
        timezone_change: timezone_change(row)?,
        created_at: get(row, "created_at")?,
        updated_at: get(row, "updated_at")?,
        version: from_db(get(row, "version")?, "version")?,
    })
}

/// A webhook expiry lead's days.
fn lead(days: i32, name: &str) -> Result<keygate_domain::webhook::ExpiryLead, StoreError> {
    u32::try_from(days)
        .ok()
        .and_then(|d| keygate_domain::webhook::ExpiryLead::days(d).ok())
        .ok_or_else(|| corrupt(name, "out of range"))
}

/// A signature skew's seconds.
fn skew(seconds: i32, name: &str) -> Result<keygate_domain::SignatureSkew, StoreError> {
    u32::try_from(seconds)
        .ok()
        .and_then(|s| keygate_domain::SignatureSkew::seconds(s).ok())
        .ok_or_else(|| corrupt(name, "out of range"))
}

/// A reveal window's hours.
fn window(hours: i32, name: &str) -> Result<RevealWindow, StoreError> {
    u32::try_from(hours).ok().and_then(|h| RevealWindow::hours(h).ok()).ok_or_else(|| corrupt(name, "out of range"))
}

/// A nullable day count.
fn days(row: &PgRow, name: &str) -> Result<Option<u32>, StoreError> {
    get::<Option<i64>>(row, name)?.map(|days| from_db_u32(days, name)).transpose()
}

fn pending_policy(row: &PgRow) -> Result<Option<PendingPolicy>, StoreError> {
    let lifetime = match get::<Option<bool>>(row, "pending_max_key_lifetime_set")? {
        Some(true) => Some(days(row, "pending_max_key_lifetime_days")?),
        None if get::<Option<i64>>(row, "pending_max_key_lifetime_days")?.is_none() => None,
        _ => return Err(corrupt("pending_max_key_lifetime_set", "does not match the pending cap")),
    };
    let patch = PolicyPatch {
        dual_control: get(row, "pending_dual_control")?,
        live_enabled: get(row, "pending_live_enabled")?,
        max_key_lifetime_days: lifetime,
        allow_never_expiring: get(row, "pending_allow_never_expiring")?,
        integrator_approvals: get(row, "pending_integrator_approvals")?,
        timezone: parsed_opt(row, "pending_timezone", Timezone::parse)?,
        currency: pending_currency(row)?,
        on_leak: parsed_opt(row, "pending_on_leak", str::parse::<OnLeak>)?,
        name_mutable: get(row, "pending_name_mutable")?,
        require_account: get(row, "pending_require_account")?,
        reveal: parsed_opt(row, "pending_reveal", str::parse::<RevealPolicy>)?,
        reveal_window_hours: get::<Option<i32>>(row, "pending_reveal_window_hours")?
            .map(|hours| window(hours, "pending_reveal_window_hours"))
            .transpose()?,
        scope_catalogue: pending_scope_catalogue(row)?,
        webhook_expiry_lead_days: get::<Option<i32>>(row, "pending_webhook_expiry_lead_days")?
            .map(|days| lead(days, "pending_webhook_expiry_lead_days"))
            .transpose()?,
        signature_skew_seconds: get::<Option<i32>>(row, "pending_signature_skew_seconds")?
            .map(|seconds| skew(seconds, "pending_signature_skew_seconds"))
            .transpose()?,
    };
    let requested_by = parsed_opt(row, "pending_requested_by", str::parse::<ActorId>)?;
    let requested_for = parsed_opt(row, "pending_requested_for", str::parse::<ActorId>)?;
    let requested_at = get::<Option<DateTime<Utc>>>(row, "pending_requested_at")?;
    match (requested_by, requested_for, requested_at) {
        (Some(requested_by), Some(requested_for), Some(requested_at)) => {
            Ok(Some(PendingPolicy { request: PolicyRequest { patch, requested_by, requested_for }, requested_at }))
        }
        (None, None, None) if patch.is_empty() => Ok(None),
        _ => Err(corrupt("pending policy", "partly set")),
    }
}

/// The one currency entry a pending policy asks for: code, class and scale, or none of them.
fn pending_currency(row: &PgRow) -> Result<Option<(Currency, CurrencySpec)>, StoreError> {
    let code = parsed_opt(row, "pending_currency", Currency::parse)?;
    let class = get::<Option<&str>>(row, "pending_currency_class")?;
    let scale = get::<Option<i16>>(row, "pending_currency_scale")?;
    match (code, class, scale) {
        (Some(code), Some(class), Some(scale)) => {
            let scale = u8::try_from(scale).map_err(|e| corrupt("pending_currency_scale", e))?;
            Ok(Some((code, currency_spec(class, scale, "pending_currency")?)))
        }
        (None, None, None) => Ok(None),
        _ => Err(corrupt("pending currency", "partly set")),
    }
}

/// The scope catalogue a pending policy asks for: `Some(None)` its removal, `None` left alone.
// The shape of `PolicyPatch::scope_catalogue`, whose three cases are all meant.
#[allow(clippy::option_option)]
fn pending_scope_catalogue(row: &PgRow) -> Result<Option<Option<ScopeCatalogue>>, StoreError> {
    let asked = get::<Option<Value>>(row, "pending_scope_catalogue")?;
    match (get::<Option<bool>>(row, "pending_scope_catalogue_set")?, asked) {
        (Some(true), asked) => Ok(Some(asked.map(|v| catalogue(v, "pending_scope_catalogue")).transpose()?)),
        (None, None) => Ok(None),
        _ => Err(corrupt("pending_scope_catalogue_set", "does not match the pending catalogue")),
    }
}

/// A decided change of time zone not yet in effect: the zone in force and the instant, or neither.
fn timezone_change(row: &PgRow) -> Result<Option<TimezoneChange>, StoreError> {
    let from = parsed_opt(row, "timezone_from", Timezone::parse)?;
    let effective_at = get::<Option<DateTime<Utc>>>(row, "timezone_effective_at")?;
    match (from, effective_at) {
        (Some(from), Some(effective_at)) => Ok(Some(TimezoneChange { from, effective_at })),
        (None, None) => Ok(None),
        _ => Err(corrupt("timezone change", "partly set")),
    }
}
