//! `POST /v1/verify`: keygate's verdict for gateways and services in other languages.

use std::net::IpAddr;

use chrono::{DateTime, Utc};
use keygate_domain::{AccountId, Amount, Currency, Environment, ExternalId, KeyId, Scope, ScopeSet, TenantId, Window};
use keygate_verifier::{Denial, Money, RequestContext, Verified, VerifyError};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::field;
use super::schema::{
    AccountIdText, AmountText, CurrencyText, EnvironmentView, KeyIdText, ScopeText, SecretText, TenantIdText,
};
use crate::error::ApiError;

/// The request. Everything but `key` is optional; what is omitted is not checked. No `Debug`: it holds
/// the presented key in clear.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(examples(json!({
    "key": "kg_live_1Ky9Pf34qY6Nb3wWD25RQ4F8IQ9Y7aJZqhB6baeCN6Zj4a3dDVhYRnKTbxTNJFoBinF5aJXVu",
    "tenant_id": "acme", "account_id": "shop-4711", "required_scopes": ["operations:write"], "amount": "250.00",
    "currency": "XOF"
})))]
pub struct VerifyRequest {
    /// The presented token, as the client sent it.
    #[schema(value_type = SecretText)]
    pub key: String,
    /// The key must belong to this tenant.
    #[serde(default)]
    #[schema(value_type = Option<TenantIdText>)]
    pub(crate) tenant_id: Option<String>,
    /// The account inside the tenant acted on: a key bound to another account is refused
    /// `WRONG_ACCOUNT`; a key of the whole tenant passes for any account.
    #[serde(default)]
    #[schema(value_type = Option<AccountIdText>)]
    pub(crate) account_id: Option<String>,
    /// The key must hold every one of these.
    #[serde(default)]
    #[schema(value_type = Vec<ScopeText>)]
    pub(crate) required_scopes: Vec<String>,
    /// The key must be of this environment.
    #[serde(default)]
    #[schema(value_type = Option<EnvironmentView>)]
    pub(crate) environment: Option<String>,
    /// The client's address, checked against the key's allow list.
    #[serde(default)]
    pub(crate) client_ip: Option<String>,
    /// An amount to hold to the key's limits and spend from today's volume.
    #[serde(default)]
    #[schema(value_type = Option<AmountText>)]
    pub(crate) amount: Option<String>,
    /// The amount's currency; only with `amount`.
    #[serde(default)]
    #[schema(value_type = Option<CurrencyText>)]
    pub(crate) currency: Option<String>,
    /// 1 to 128 printable characters: a repeat with the same key and API key within 24 hours answers
    /// the first verdict (same `spend_id`) without spending again; a repeat that asks anything else is
    /// 409 `IDEMPOTENCY_MISMATCH`. Only with `amount`.
    #[serde(default)]
    #[schema(min_length = 1, max_length = 128, pattern = "^[ -~]{1,128}$")]
    pub(crate) idempotency_key: Option<String>,
}

impl VerifyRequest {
    /// The idempotency key, if one was sent (checked by `TryFrom`).
    pub fn idempotency_key(&self) -> Option<&str> {
        self.idempotency_key.as_deref()
    }
}

impl TryFrom<&VerifyRequest> for RequestContext {
    type Error = ApiError;
    fn try_from(body: &VerifyRequest) -> Result<Self, ApiError> {
        let required_scopes = body
            .required_scopes
            .iter()
            .enumerate()
            .map(|(i, s)| field(&format!("required_scopes[{i}]"), s, Scope::parse))
            .collect::<Result<Vec<_>, _>>()?;
        let currency = body.currency.as_deref().map(|c| field("currency", c, Currency::parse)).transpose()?;
        let amount = body.amount.as_deref().map(|a| field("amount", a, Amount::parse)).transpose()?;
        if amount.is_none() && currency.is_some() {
            return Err(ApiError::invalid("currency", "is only meaningful with an amount"));
        }
        if let Some(key) = body.idempotency_key.as_deref() {
            if !keygate_verifier::spend::valid_idempotency_key(key) {
                return Err(ApiError::invalid("idempotency_key", "must be 1 to 128 printable ASCII characters"));
            }
            if amount.is_none() {
                return Err(ApiError::invalid("idempotency_key", "is only meaningful with an amount"));
            }
        }
        Ok(Self {
            tenant: body.tenant_id.as_deref().map(|t| field("tenant_id", t, TenantId::parse)).transpose()?,
            account_id: body.account_id.as_deref().map(|a| field("account_id", a, AccountId::parse)).transpose()?,
            required_scopes,
            environment: body
                .environment
                .as_deref()
                .map(|e| field("environment", e, str::parse::<Environment>))
                .transpose()?,
            client_ip: body.client_ip.as_deref().map(|ip| field("client_ip", ip, str::parse::<IpAddr>)).transpose()?,
            amount: amount.map(|amount| Money { amount, currency }),
        })
    }
}

/// The verdict: always 200 (with `valid` false and the code on refusal), except 503 when the store is down.
#[derive(Debug, Serialize, ToSchema)]
#[serde(untagged)]
pub enum VerifyResponse {
    /// Allowed.
    Valid(VerifiedView),
    /// Refused.
    Invalid(RefusedView),
}

/// The key may do this.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = Verified, examples(json!({
    "valid": true, "key_id": "Ky9Pf34qY6Nb3wWD25RQ4F", "tenant_id": "acme", "account_id": "shop-4711", "environment": "live",
    "external_id": "merchant-4711", "metadata": {"merchant_id": "m-4711"},
    "scopes": ["balance:read", "operations:write"], "expires_at": "2027-02-26T18:40:00Z",
    "remaining_daily_volume": "999750.00", "remaining_weekly_volume": "4999750.00", "spend_id": "7YtZ2mK9pQ4rLx8vNb3cDe"
})))]
pub struct VerifiedView {
    #[schema(schema_with = super::schema::valid_true)]
    valid: bool,
    #[serde(serialize_with = "as_text")]
    #[schema(value_type = KeyIdText)]
    key_id: KeyId,
    #[serde(serialize_with = "as_text")]
    #[schema(value_type = TenantIdText)]
    tenant_id: TenantId,
    /// The account the key is bound to; absent for a key of the whole tenant.
    #[serde(skip_serializing_if = "Option::is_none", serialize_with = "as_optional_text")]
    #[schema(value_type = Option<AccountIdText>)]
    account_id: Option<AccountId>,
    #[schema(value_type = EnvironmentView)]
    environment: &'static str,
    /// The platform's id for the key's owner; absent if none.
    #[serde(skip_serializing_if = "Option::is_none", serialize_with = "as_optional_text")]
    #[schema(value_type = Option<String>)]
    external_id: Option<ExternalId>,
    /// The key's metadata as it was set (a JSON object); absent if none.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Object>)]
    metadata: Option<Box<serde_json::value::RawValue>>,
    /// Every scope the key holds.
    #[serde(serialize_with = "scopes_as_text")]
    #[schema(value_type = Vec<ScopeText>)]
    scopes: ScopeSet,
    /// `null` for a key that never expires.
    expires_at: Option<DateTime<Utc>>,
    /// Today's remaining volume after this spend, when an amount was spent against a daily volume.
    #[schema(value_type = Option<AmountText>)]
    remaining_daily_volume: Option<String>,
    /// This ISO week's remaining volume after this spend, when the key has a weekly volume.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<AmountText>)]
    remaining_weekly_volume: Option<String>,
    /// This month's remaining volume after this spend, when the key has a monthly volume.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<AmountText>)]
    remaining_monthly_volume: Option<String>,
    /// The recorded spend, when an amount was spent: `POST /v1/spends/{spend_id}/release` gives it back.
    #[serde(skip_serializing_if = "Option::is_none")]
    spend_id: Option<String>,
}

/// The key may not do this: `code` says why, `status` is what a service should answer.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = Refused, examples(json!({"valid": false, "code": "INSUFFICIENT_SCOPE", "status": 403, "missing_scopes": ["payouts:write"]})))]
pub struct RefusedView {
    #[schema(schema_with = super::schema::valid_false)]
    valid: bool,
    #[schema(schema_with = super::schema::denial_code)]
    code: &'static str,
    /// 401 when the key does not authenticate, 403 when it may not do this, 429 when a volume is spent
    /// or a rate limit used up.
    #[schema(schema_with = super::schema::denial_status)]
    status: u16,
    /// The scopes missing, for `INSUFFICIENT_SCOPE`.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Vec<ScopeText>>)]
    missing_scopes: Option<Vec<String>>,
    /// What is left of today's volume, for `DAILY_VOLUME_EXCEEDED`.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<AmountText>)]
    remaining_daily_volume: Option<String>,
    /// What is left of this ISO week's volume, for `WEEKLY_VOLUME_EXCEEDED`.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<AmountText>)]
    remaining_weekly_volume: Option<String>,
    /// What is left of this month's volume, for `MONTHLY_VOLUME_EXCEEDED`.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<AmountText>)]
    remaining_monthly_volume: Option<String>,
    /// Whole seconds until the spent window resets (in the tenant's time zone), for the
    /// `..._VOLUME_EXCEEDED` codes; until the rate limit's window ends, for `RATE_LIMITED`.
    #[serde(skip_serializing_if = "Option::is_none")]
    retry_after: Option<u64>,
    /// The name of the key's rate limit that refused, for `RATE_LIMITED`.
    #[serde(skip_serializing_if = "Option::is_none")]
    limit: Option<String>,
    /// The currencies the key may move, for `CURRENCY_MISMATCH` (empty: any of its class).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Vec<CurrencyText>>)]
    accepted_currencies: Option<Vec<String>>,
    /// The class of currency the key may move, for `CURRENCY_MISMATCH` when it is bound to one.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<super::schema::CurrencyClassView>)]
    currency_class: Option<&'static str>,
}

impl From<Verified> for VerifyResponse {
    fn from(v: Verified) -> Self {
        Self::Valid(VerifiedView {
            valid: true,
            key_id: v.key_id,
            tenant_id: v.tenant,
            account_id: v.account,
            environment: v.environment.as_str(),
            external_id: v.owner.external_id,
            metadata: super::key::metadata_view(v.owner.metadata.as_ref()),
            scopes: v.scopes,
            expires_at: v.expires_at,
            remaining_daily_volume: v.remaining_daily_volume.map(|d| d.to_string()),
            remaining_weekly_volume: v.remaining_weekly_volume.map(|d| d.to_string()),
            remaining_monthly_volume: v.remaining_monthly_volume.map(|d| d.to_string()),
            spend_id: v.spend.map(|s| s.to_string()),
        })
    }
}

// The verdict's ids and scopes are written straight into the response as text (serde_json's
// `collect_str` formats into its output), instead of each being made a `String` first: a verdict is
// written on every verification.

fn as_text<T: std::fmt::Display, S: serde::Serializer>(value: &T, serializer: S) -> Result<S::Ok, S::Error> {
    serializer.collect_str(value)
}

// `serialize_with` hands the field by reference, so the `Option` arrives as `&Option<T>`.
#[allow(clippy::ref_option)]
fn as_optional_text<T: std::fmt::Display, S: serde::Serializer>(
    value: &Option<T>,
    serializer: S,
) -> Result<S::Ok, S::Error> {
    match value {
        Some(value) => serializer.collect_str(value),
        None => serializer.serialize_none(),
    }
}

fn scopes_as_text<S: serde::Serializer>(scopes: &ScopeSet, serializer: S) -> Result<S::Ok, S::Error> {
    use serde::ser::SerializeSeq;
    let mut seq = serializer.serialize_seq(Some(scopes.len()))?;
    for scope in scopes.iter() {
        seq.serialize_element(&Text(scope))?;
    }
    seq.end()
}

/// A value serialized as its `Display` text.
struct Text<'a, T>(&'a T);

impl<T: std::fmt::Display> Serialize for Text<'_, T> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self.0)
    }
}

impl VerifyResponse {
    /// The refusal body, or the error for the store being down.
    pub fn refused(error: &VerifyError) -> Result<Self, ApiError> {
        let denial = match error {
            VerifyError::Denied(denial) => denial,
            VerifyError::IdempotencyMismatch => return Err(ApiError::IdempotencyMismatch),
            VerifyError::Unavailable => return Err(ApiError::Unavailable),
        };
        Ok(Self::Invalid(RefusedView {
            valid: false,
            code: denial.code().as_str(),
            status: denial.status(),
            missing_scopes: match denial {
                keygate_policy::Denial::InsufficientScope { missing } => {
                    Some(missing.iter().map(ToString::to_string).collect())
                }
                _ => None,
            },
            remaining_daily_volume: remaining(denial, Window::Day),
            remaining_weekly_volume: remaining(denial, Window::Week),
            remaining_monthly_volume: remaining(denial, Window::Month),
            retry_after: match denial {
                Denial::VolumeExceeded { retry_after, .. } | Denial::RateLimited { retry_after, .. } => {
                    Some(*retry_after)
                }
                _ => None,
            },
            limit: match denial {
                Denial::RateLimited { limit, .. } => Some(limit.clone()),
                _ => None,
            },
            accepted_currencies: match denial {
                Denial::CurrencyMismatch { accepted, .. } => Some(accepted.iter().map(ToString::to_string).collect()),
                _ => None,
            },
            currency_class: match denial {
                Denial::CurrencyMismatch { class, .. } => class.map(keygate_domain::CurrencyClass::as_str),
                _ => None,
            },
        }))
    }
}

/// What remains of `window`'s volume, when `denial` refused for that window.
fn remaining(denial: &Denial, window: Window) -> Option<String> {
    match denial {
        Denial::VolumeExceeded { window: w, remaining, .. } if *w == window => Some(remaining.to_string()),
        _ => None,
    }
}

/// `POST /v1/spends/{spend_id}/release`: the spend and whether this call gave it back.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = Released, examples(json!({"spend_id": "Ky9Pf34qY6Nb3wWD25RQ4F", "released": true, "amount": "250", "currency": "XOF", "day": "2026-11-28"})))]
pub struct ReleasedView {
    spend_id: String,
    /// `true` when this call gave the amount back; `false` when it had been given back already.
    released: bool,
    #[schema(value_type = AmountText)]
    amount: String,
    #[schema(value_type = Option<CurrencyText>)]
    currency: Option<String>,
    /// The day the amount was charged to (and given back to).
    day: chrono::NaiveDate,
}

impl ReleasedView {
    /// The view of a release.
    pub fn new(record: &keygate_store::SpendRecord, released: bool) -> Self {
        Self {
            spend_id: record.id.to_string(),
            released,
            amount: record.amount.normalize().to_string(),
            currency: record.currency.map(|c| c.to_string()),
            day: record.starts.day,
        }
    }
}
