//! Keys on the wire. A key view never holds the secret or its hash; the creation response holds the
//! secret once.

use chrono::{DateTime, NaiveDate, Utc};
use keygate_domain::{
    Amount, Currency, Environment, ExpiryRequest, IpAllowList, Key, KeyName, Limits, Notes, Privileges, Reason,
    ScopeSet,
};
use keygate_store::{KeyRecord, KeyUsage};
use keygate_verifier::manage::{KeyPatch, KeySpec};
use serde::{Deserialize, Serialize};

use super::{field, Nullable};
use crate::error::ApiError;

/// Limits as sent: amounts are JSON strings (`"100000.00"`), never numbers.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LimitsInput {
    #[serde(default)]
    currency: Option<String>,
    #[serde(default)]
    max_amount: Option<String>,
    #[serde(default)]
    daily_volume: Option<String>,
    #[serde(default)]
    allowed_ips: Vec<String>,
}

fn limits(input: LimitsInput) -> Result<Limits, ApiError> {
    let amount = |name: &str, text: Option<String>| {
        text.map(|t| field(&format!("limits.{name}"), &t, Amount::parse)).transpose()
    };
    let currency = input.currency.map(|c| field("limits.currency", &c, Currency::parse)).transpose()?;
    let max_amount = amount("max_amount", input.max_amount)?;
    let daily_volume = amount("daily_volume", input.daily_volume)?;
    let ips = IpAllowList::parse(&input.allowed_ips).map_err(|e| match e {
        keygate_domain::LimitsError::Network { index } => {
            ApiError::invalid(format!("limits.allowed_ips[{index}]"), "is not an IP address or CIDR network")
        }
        other => ApiError::invalid("limits.allowed_ips", other),
    })?;
    Limits::new(currency, max_amount, daily_volume, ips).map_err(|e| ApiError::invalid("limits", e))
}

fn scopes(texts: &[String]) -> Result<ScopeSet, ApiError> {
    let parsed = texts
        .iter()
        .enumerate()
        .map(|(i, t)| field(&format!("scopes[{i}]"), t, keygate_domain::Scope::parse))
        .collect::<Result<Vec<_>, _>>()?;
    ScopeSet::new(parsed).map_err(|e| ApiError::invalid("scopes", e))
}

fn environment(text: Option<&str>) -> Result<Environment, ApiError> {
    text.map_or(Ok(Environment::Test), |t| field("environment", t, str::parse))
}

/// `POST /v1/tenants/{tenant}/keys`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CreateKey {
    name: String,
    #[serde(default)]
    notes: Option<String>,
    /// `test` (default) or `live`.
    #[serde(default)]
    environment: Option<String>,
    scopes: Vec<String>,
    #[serde(default)]
    limits: LimitsInput,
    #[serde(default)]
    expires_at: Option<DateTime<Utc>>,
    #[serde(default)]
    expires_in_days: Option<u32>,
    #[serde(default)]
    never_expires: Option<bool>,
}

impl TryFrom<CreateKey> for KeySpec {
    type Error = ApiError;
    fn try_from(body: CreateKey) -> Result<Self, ApiError> {
        let expiry = match (body.expires_at, body.expires_in_days, body.never_expires) {
            (None, None, None | Some(false)) => ExpiryRequest::Default,
            (Some(at), None, None | Some(false)) => ExpiryRequest::At(at),
            (None, Some(days), None | Some(false)) => ExpiryRequest::InDays(days),
            (None, None, Some(true)) => ExpiryRequest::Never,
            _ => {
                return Err(ApiError::invalid(
                    "expires_at",
                    "give at most one of expires_at, expires_in_days, never_expires",
                ))
            }
        };
        Ok(Self {
            name: field("name", &body.name, KeyName::parse)?,
            notes: body.notes.map(|n| field("notes", &n, Notes::parse)).transpose()?,
            environment: environment(body.environment.as_deref())?,
            privileges: Privileges { scopes: scopes(&body.scopes)?, limits: limits(body.limits)? },
            expiry,
        })
    }
}

/// `PATCH /v1/tenants/{tenant}/keys/{id}`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PatchKey {
    #[serde(default)]
    name: Option<serde_json::Value>,
    #[serde(default)]
    notes: Nullable<String>,
    #[serde(default)]
    scopes: Option<Vec<String>>,
    #[serde(default)]
    limits: Option<LimitsInput>,
}

impl TryFrom<PatchKey> for KeyPatch {
    type Error = ApiError;
    fn try_from(body: PatchKey) -> Result<Self, ApiError> {
        if body.name.is_some() {
            return Err(ApiError::invalid("name", "a key's name cannot be changed after creation"));
        }
        Ok(Self {
            notes: body.notes.map_some(|n| field("notes", &n, Notes::parse))?,
            scopes: body.scopes.as_deref().map(scopes).transpose()?,
            limits: body.limits.map(limits).transpose()?,
        })
    }
}

/// `{"reason": "..."}` for reject and revoke.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReasonBody {
    #[serde(default)]
    reason: Option<String>,
}

impl ReasonBody {
    /// The reason, required.
    pub fn required(&self) -> Result<Reason, ApiError> {
        let text = self.reason.as_deref().ok_or_else(|| ApiError::invalid("reason", "is required"))?;
        field("reason", text, Reason::parse)
    }

    /// The reason, if given.
    pub fn optional(&self) -> Result<Option<Reason>, ApiError> {
        self.reason.as_deref().map(|t| field("reason", t, Reason::parse)).transpose()
    }
}

/// `{"overlap_seconds": 3600}` for rotate.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RotateBody {
    /// Seconds both keys keep working once the new one is active (default 24 h, at most 30 days).
    #[serde(default)]
    pub overlap_seconds: Option<u32>,
}

impl RotateBody {
    /// The overlap, checked.
    pub fn overlap(&self) -> Result<u32, ApiError> {
        match self.overlap_seconds {
            None => Ok(86_400),
            Some(s) if s <= 30 * 86_400 => Ok(s),
            Some(_) => Err(ApiError::invalid("overlap_seconds", "must be at most 2592000 (30 days)")),
        }
    }
}

/// `GET .../keys` query.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ListKeys {
    /// Only keys in this state.
    pub state: Option<String>,
    /// Only keys of this environment.
    pub environment: Option<String>,
    /// Page size, 1 to 200 (default 50).
    pub limit: Option<u32>,
    /// From a previous page's `next_cursor`.
    pub cursor: Option<String>,
}

/// A key. Never the secret, never the hash.
#[derive(Debug, Serialize)]
pub struct KeyView {
    id: String,
    tenant_id: String,
    name: String,
    notes: Option<String>,
    environment: &'static str,
    state: &'static str,
    scopes: Vec<String>,
    limits: LimitsView,
    expires_at: Option<DateTime<Utc>>,
    expired: bool,
    masked: String,
    created_by: String,
    approved_by: Option<String>,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
    last_used_at: Option<DateTime<Utc>>,
    pending_change: Option<PendingChangeView>,
    revocation: Option<RevocationView>,
    rotation: Option<RotationView>,
}

#[derive(Debug, Serialize)]
struct LimitsView {
    currency: Option<String>,
    max_amount: Option<String>,
    daily_volume: Option<String>,
    allowed_ips: Vec<String>,
}

#[derive(Debug, Serialize)]
struct PendingChangeView {
    scopes: Vec<String>,
    limits: LimitsView,
    requested_by: String,
    requested_at: DateTime<Utc>,
}

#[derive(Debug, Serialize)]
struct RevocationView {
    requested_by: String,
    reason: String,
    requested_at: DateTime<Utc>,
}

#[derive(Debug, Serialize)]
struct RotationView {
    replaces: String,
    overlap_seconds: u32,
}

fn limits_view(l: &Limits) -> LimitsView {
    LimitsView {
        currency: l.currency().map(|c| c.to_string()),
        max_amount: l.max_amount().map(|a| a.to_string()),
        daily_volume: l.daily_volume().map(|a| a.to_string()),
        allowed_ips: l.allowed_ips().networks().iter().map(ToString::to_string).collect(),
    }
}

fn scope_texts(s: &ScopeSet) -> Vec<String> {
    s.iter().map(ToString::to_string).collect()
}

impl KeyView {
    /// The view of `record` at `now` (for `expired`).
    pub fn new(record: &KeyRecord, now: DateTime<Utc>) -> Self {
        let key: &Key = &record.key;
        Self {
            id: key.id.to_string(),
            tenant_id: key.tenant.to_string(),
            name: key.name.to_string(),
            notes: key.notes.as_ref().map(ToString::to_string),
            environment: key.environment.as_str(),
            state: key.state.as_str(),
            scopes: scope_texts(&key.privileges.scopes),
            limits: limits_view(&key.privileges.limits),
            expires_at: key.expiry.at(),
            expired: key.is_expired(now),
            masked: record.masked.clone(),
            created_by: key.created_by.to_string(),
            approved_by: key.approved_by.map(|a| a.to_string()),
            created_at: key.created_at,
            updated_at: key.updated_at,
            last_used_at: record.last_used_at,
            pending_change: key.pending_change.as_ref().map(|c| PendingChangeView {
                scopes: scope_texts(&c.privileges.scopes),
                limits: limits_view(&c.privileges.limits),
                requested_by: c.requested_by.to_string(),
                requested_at: c.requested_at,
            }),
            revocation: key.revocation.as_ref().map(|r| RevocationView {
                requested_by: r.requested_by.to_string(),
                reason: r.reason.to_string(),
                requested_at: r.requested_at,
            }),
            rotation: key
                .rotation
                .map(|r| RotationView { replaces: r.replaces.to_string(), overlap_seconds: r.overlap_seconds }),
        }
    }
}

/// The creation (and rotation) response: the key and its secret, shown this once.
#[derive(Debug, Serialize)]
pub struct CreatedKey {
    /// The key.
    pub key: KeyView,
    /// The token. It works once the key is active.
    pub secret: String,
}

/// A page of keys.
#[derive(Debug, Serialize)]
pub struct KeyList {
    /// In creation order.
    pub items: Vec<KeyView>,
    /// Pass as `cursor` for the next page; `null` on the last.
    pub next_cursor: Option<String>,
}

/// `GET .../keys/{id}/usage`.
#[derive(Debug, Serialize)]
pub struct UsageView {
    key_id: String,
    last_used_at: Option<DateTime<Utc>>,
    last_used_ip: Option<String>,
    days: Vec<DayView>,
}

#[derive(Debug, Serialize)]
struct DayView {
    day: NaiveDate,
    requests: u64,
    spent: String,
}

impl UsageView {
    /// The view of a key's usage.
    pub fn new(key: &str, usage: &KeyUsage) -> Self {
        Self {
            key_id: key.to_owned(),
            last_used_at: usage.last_used_at,
            last_used_ip: usage.last_used_ip.map(|ip| ip.to_string()),
            days: usage
                .days
                .iter()
                .map(|d| DayView { day: d.day, requests: d.requests, spent: d.spent.to_string() })
                .collect(),
        }
    }
}
