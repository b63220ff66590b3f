//! Tenants and their policy on the wire.

use chrono::{DateTime, Utc};
use keygate_domain::{Currency, CurrencyClass, CurrencySpec, TenantId, TenantName, Timezone};
use keygate_store::Tenant;
use keygate_verifier::manage::{NewOperator, TenantPatch};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::schema::{
    CurrencyClassView, CurrencyText, DisplayNameText, OnLeakView, RevealView, TenantIdText, TimezoneText,
};
use super::scopes::{resources, ScopeResourceView};
use super::{field, Nullable};
use crate::error::ApiError;

/// `POST /v1/tenants`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(examples(json!({"id": "acme", "name": "Acme Distribution", "policy": {"live_enabled": true}})))]
pub struct CreateTenant {
    /// Tenant id (`acme`, a UUID, ...).
    #[schema(value_type = TenantIdText)]
    pub id: String,
    /// Display name.
    #[schema(value_type = DisplayNameText)]
    pub name: String,
    /// Settings asked for. The tenant is born at its narrowest policy; a looser setting asked here
    /// becomes a pending policy change, for one of the first admins to approve once claimed.
    #[serde(default)]
    pub policy: PolicyInput,
    /// The tenant's first admins, invited by the system admin; their invitations are in the response.
    #[serde(default)]
    pub admins: Vec<super::operator::FirstAdmin>,
}

/// `PATCH /v1/tenants/{tenant}`.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(examples(json!({"policy": {"max_key_lifetime_days": 90}})))]
pub struct UpdateTenant {
    /// New display name.
    #[serde(default)]
    #[schema(value_type = Option<DisplayNameText>)]
    pub name: Option<String>,
    /// Settings to change.
    #[serde(default)]
    pub policy: PolicyInput,
}

/// Policy settings; each may be omitted (it keeps its value).
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(examples(json!({"dual_control": true, "live_enabled": true})))]
pub struct PolicyInput {
    /// Creation, revocation and widening need a second person (maker-checker).
    #[serde(default)]
    dual_control: Option<bool>,
    /// Live keys may be created.
    #[serde(default)]
    live_enabled: Option<bool>,
    /// The longest lifetime a new key may have; `null` removes the cap (10 years at most).
    #[serde(default)]
    #[schema(value_type = Option<u32>, minimum = 1, maximum = 3650)]
    max_key_lifetime_days: Nullable<u32>,
    /// Keys may be created with no expiry.
    #[serde(default)]
    allow_never_expiring: Option<bool>,
    /// Integrator keys holding `api-keys:approve` may approve and reject.
    #[serde(default)]
    integrator_approvals: Option<bool>,
    /// The IANA zone whose day, ISO week and month bound every volume. Any change waits for a second
    /// admin, then takes effect at the later of the old and new zone's next midnight.
    #[serde(default)]
    #[schema(value_type = Option<TimezoneText>)]
    timezone: Option<String>,
    /// What a key reported leaked gets: `suspend` (default), `suspend_and_revoke` or `notify` (record
    /// only: the widest, so moving to it waits for a second admin).
    #[serde(default)]
    #[schema(value_type = Option<OnLeakView>)]
    on_leak: Option<String>,
    /// Key names may change after creation (off by default; on is a widening).
    #[serde(default)]
    name_mutable: Option<bool>,
    /// Every new key must name an `account_id` (off by default). On narrows and applies at once; off
    /// again is a widening that waits for a second admin. Keys already made keep what they are.
    #[serde(default)]
    require_account: Option<bool>,
    /// When a new key's secret is drawn and shown: `on_create` (default) or `after_approval` (the first
    /// seed: none exists until a checker approved; the maker who asked draws it once with
    /// `POST .../keys/{id}/secret`). `after_approval` narrows and applies at once; back to `on_create`
    /// waits for a second admin. Keys already made keep what they were made with.
    #[serde(default)]
    #[schema(value_type = Option<RevealView>)]
    reveal: Option<String>,
    /// Hours after approval during which such a secret may be revealed (1 to 720, default 72); then the
    /// key must be rotated. Shorter applies at once; longer waits for a second admin. The window of a key
    /// is fixed when it is approved.
    #[serde(default)]
    #[schema(minimum = 1, maximum = 720)]
    reveal_window_hours: Option<u32>,
    /// Days before a key's expiry the tenant's webhook endpoints hear `key.expiring` (1 to 90, default
    /// 7). Longer applies at once; shorter (less time to rotate) waits for a second admin.
    #[serde(default)]
    #[schema(minimum = 1, maximum = 90)]
    webhook_expiry_lead_days: Option<u32>,
    /// Seconds a signed request's `created` may be off from now, either way (30 to 900, default 300).
    /// Shorter applies at once; longer (a captured request stays fresh longer) waits for a second admin.
    #[serde(default)]
    #[schema(minimum = 30, maximum = 900)]
    signature_skew_seconds: Option<u32>,
}

fn patch(name: Option<&str>, policy: PolicyInput) -> Result<TenantPatch, ApiError> {
    let max_key_lifetime_days = policy.max_key_lifetime_days.map_some(|days| {
        if (1..=3650).contains(&days) {
            Ok(days)
        } else {
            Err(ApiError::invalid("policy.max_key_lifetime_days", "must be between 1 and 3650"))
        }
    })?;
    Ok(TenantPatch {
        name: name.map(|n| field("name", n, TenantName::parse)).transpose()?,
        dual_control: policy.dual_control,
        live_enabled: policy.live_enabled,
        max_key_lifetime_days,
        allow_never_expiring: policy.allow_never_expiring,
        integrator_approvals: policy.integrator_approvals,
        timezone: policy.timezone.map(|z| field("policy.timezone", &z, Timezone::parse)).transpose()?,
        currency: None,
        on_leak: policy.on_leak.map(|v| field("policy.on_leak", &v, str::parse)).transpose()?,
        name_mutable: policy.name_mutable,
        require_account: policy.require_account,
        reveal: policy.reveal.map(|v| field("policy.reveal", &v, str::parse)).transpose()?,
        reveal_window_hours: policy
            .reveal_window_hours
            .map(|h| {
                keygate_domain::RevealWindow::hours(h).map_err(|e| ApiError::invalid("policy.reveal_window_hours", e))
            })
            .transpose()?,
        scope_catalogue: None,
        webhook_expiry_lead_days: policy
            .webhook_expiry_lead_days
            .map(|d| {
                keygate_domain::webhook::ExpiryLead::days(d)
                    .map_err(|e| ApiError::invalid("policy.webhook_expiry_lead_days", e))
            })
            .transpose()?,
        signature_skew_seconds: policy
            .signature_skew_seconds
            .map(|s| {
                keygate_domain::SignatureSkew::seconds(s)
                    .map_err(|e| ApiError::invalid("policy.signature_skew_seconds", e))
            })
            .transpose()?,
    })
}

/// `PUT /v1/tenants/{tenant}/currencies/{code}`: one currency of the tenant's table.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = CurrencyInput, examples(json!({"class": "crypto", "scale": 18})))]
pub struct PutCurrency {
    /// `fiat` or `crypto`.
    #[schema(value_type = CurrencyClassView)]
    class: String,
    /// Decimal places an amount may have, 0 to 18.
    #[schema(minimum = 0, maximum = 18)]
    scale: u32,
}

impl PutCurrency {
    /// The description, checked.
    pub fn spec(&self) -> Result<CurrencySpec, ApiError> {
        let class: CurrencyClass = field("class", &self.class, str::parse)?;
        let scale = u8::try_from(self.scale).map_err(|_| ApiError::invalid("scale", "must be at most 18"))?;
        CurrencySpec::new(class, scale).map_err(|e| ApiError::invalid("scale", e))
    }
}

/// The `{code}` of a currency route.
pub fn currency_code(text: &str) -> Result<Currency, ApiError> {
    field("code", text, Currency::parse)
}

/// One currency of a tenant's table.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = CurrencyEntry, examples(json!({"currency": "MATIC", "class": "crypto", "scale": 18})))]
pub struct CurrencyView {
    #[schema(value_type = CurrencyText)]
    currency: String,
    #[schema(value_type = CurrencyClassView)]
    class: &'static str,
    scale: u8,
}

impl CurrencyView {
    fn new(code: Currency, spec: CurrencySpec) -> Self {
        Self { currency: code.to_string(), class: spec.class().as_str(), scale: spec.scale() }
    }
}

impl TryFrom<CreateTenant> for (TenantId, TenantPatch, Vec<NewOperator>) {
    type Error = ApiError;
    fn try_from(body: CreateTenant) -> Result<Self, ApiError> {
        let id = field("id", &body.id, TenantId::parse)?;
        let admins = body.admins.iter().map(NewOperator::try_from).collect::<Result<Vec<_>, _>>()?;
        Ok((id, patch(Some(&body.name), body.policy)?, admins))
    }
}

impl TryFrom<UpdateTenant> for TenantPatch {
    type Error = ApiError;
    fn try_from(body: UpdateTenant) -> Result<Self, ApiError> {
        patch(body.name.as_deref(), body.policy)
    }
}

/// A tenant.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = Tenant, examples(json!({
    "id": "acme", "name": "Acme Distribution",
    "policy": {"dual_control": true, "live_enabled": true, "max_key_lifetime_days": 365, "allow_never_expiring": false, "integrator_approvals": false, "timezone": "Africa/Dakar", "on_leak": "suspend", "name_mutable": false, "require_account": false, "reveal": "on_create", "reveal_window_hours": 72, "webhook_expiry_lead_days": 7, "signature_skew_seconds": 300, "currencies": [], "scope_catalogue": null},
    "pending_policy": null, "timezone_change": null, "created_at": "2026-11-28T18:40:00Z", "updated_at": "2026-11-28T18:40:00Z"
})))]
pub struct TenantView {
    #[schema(value_type = TenantIdText)]
    id: String,
    #[schema(value_type = DisplayNameText)]
    name: String,
    policy: PolicyView,
    /// A widening asked by one admin, waiting for another (`POST .../policy/approve`).
    pending_policy: Option<PendingPolicyView>,
    /// An approved change of time zone that has not yet taken effect: windows stay in `from` until
    /// `effective_at`.
    timezone_change: Option<TimezoneChangeView>,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
}

/// The settings a pending widening would change (absent ones stay), who asked and when.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = PendingPolicy, examples(json!({"settings": {"live_enabled": true}, "requested_by": "system", "requested_at": "2026-11-28T18:40:00Z"})))]
struct PendingPolicyView {
    #[schema(value_type = Object)]
    settings: serde_json::Value,
    #[schema(value_type = super::schema::ActorText)]
    requested_by: String,
    requested_at: DateTime<Utc>,
}

/// A change of time zone waiting for its midnight.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = TimezoneChange, examples(json!({"from": "UTC", "effective_at": "2026-11-29T00:00:00Z"})))]
struct TimezoneChangeView {
    #[schema(value_type = TimezoneText)]
    from: &'static str,
    effective_at: DateTime<Utc>,
}

/// `POST /v1/tenants`: the tenant, and its first admins' invitations, shown once.
// No `Debug`: it holds invitation codes in clear.
#[derive(Serialize, ToSchema)]
#[schema(examples(json!({"id": "acme", "name": "Acme Distribution", "invitations": []})))]
pub struct CreatedTenant {
    /// The tenant.
    #[serde(flatten)]
    pub tenant: TenantView,
    /// Each first admin and its invitation, for the system admin to hand over.
    pub invitations: Vec<super::operator::InvitedOperator>,
}

/// The rules in force for the tenant's keys.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = Policy, examples(json!({"dual_control": true, "live_enabled": true, "max_key_lifetime_days": 365, "allow_never_expiring": false, "integrator_approvals": false, "timezone": "UTC", "on_leak": "suspend", "name_mutable": false, "require_account": false, "reveal": "on_create", "reveal_window_hours": 72, "webhook_expiry_lead_days": 7, "signature_skew_seconds": 300, "currencies": [{"currency": "MATIC", "class": "crypto", "scale": 18}], "scope_catalogue": [{"name": "payouts", "description": "Payouts", "actions": ["read", "write", "approve"]}]})))]
// The policy's settings as they are on the wire: one boolean each, by design.
#[allow(clippy::struct_excessive_bools)]
struct PolicyView {
    dual_control: bool,
    live_enabled: bool,
    max_key_lifetime_days: Option<u32>,
    allow_never_expiring: bool,
    integrator_approvals: bool,
    #[schema(value_type = TimezoneText)]
    timezone: &'static str,
    #[schema(value_type = OnLeakView)]
    on_leak: &'static str,
    name_mutable: bool,
    /// Every new key must be bound to an account.
    require_account: bool,
    /// When a new key's secret is drawn and shown.
    #[schema(value_type = RevealView)]
    reveal: &'static str,
    /// Hours after approval a secret revealed after approval may still be drawn.
    reveal_window_hours: u32,
    /// The tenant's own currency entries, over keygate's built-in table (ISO 4217 fiat scales; `BTC` 8,
    /// `ETH` 18, `USDT` 6, `USDC` 6).
    currencies: Vec<CurrencyView>,
    /// The scopes keys may be given (`PUT .../scopes`); `null`: any well-formed scope.
    scope_catalogue: Option<Vec<ScopeResourceView>>,
    /// Days before a key's expiry its tenant's webhook endpoints hear `key.expiring`.
    webhook_expiry_lead_days: u32,
    /// Seconds a signed request's `created` may be off from now.
    signature_skew_seconds: u32,
}

impl From<&Tenant> for TenantView {
    fn from(t: &Tenant) -> Self {
        Self {
            id: t.id.to_string(),
            name: t.name.to_string(),
            policy: PolicyView {
                dual_control: t.policy.dual_control,
                live_enabled: t.policy.live_enabled,
                max_key_lifetime_days: t.policy.max_key_lifetime_days,
                allow_never_expiring: t.policy.allow_never_expiring,
                integrator_approvals: t.policy.integrator_approvals,
                timezone: t.policy.timezone.as_str(),
                on_leak: t.policy.on_leak.as_str(),
                name_mutable: t.policy.name_mutable,
                require_account: t.policy.require_account,
                reveal: t.policy.reveal.as_str(),
                reveal_window_hours: t.policy.reveal_window_hours.as_hours(),
                webhook_expiry_lead_days: t.policy.webhook_expiry_lead_days.as_days(),
                signature_skew_seconds: t.policy.signature_skew_seconds.as_seconds(),
                currencies: t.policy.currencies.iter().map(|(code, spec)| CurrencyView::new(code, spec)).collect(),
                scope_catalogue: t.policy.scope_catalogue.as_ref().map(resources),
            },
            pending_policy: t.pending_policy.as_ref().map(|p| {
                let w = &p.request.patch;
                let mut settings = serde_json::Map::new();
                let mut put = |name: &str, v: Option<serde_json::Value>| {
                    if let Some(v) = v {
                        settings.insert(name.to_owned(), v);
                    }
                };
                put("dual_control", w.dual_control.map(Into::into));
                put("live_enabled", w.live_enabled.map(Into::into));
                put("allow_never_expiring", w.allow_never_expiring.map(Into::into));
                put("integrator_approvals", w.integrator_approvals.map(Into::into));
                put(
                    "max_key_lifetime_days",
                    w.max_key_lifetime_days.map(|d| d.map_or(serde_json::Value::Null, Into::into)),
                );
                put("timezone", w.timezone.map(|z| z.as_str().into()));
                put("on_leak", w.on_leak.map(|v| v.as_str().into()));
                put("name_mutable", w.name_mutable.map(Into::into));
                put("require_account", w.require_account.map(Into::into));
                put("reveal", w.reveal.map(|v| v.as_str().into()));
                put("reveal_window_hours", w.reveal_window_hours.map(|h| h.as_hours().into()));
                put("webhook_expiry_lead_days", w.webhook_expiry_lead_days.map(|d| d.as_days().into()));
                put("signature_skew_seconds", w.signature_skew_seconds.map(|s| s.as_seconds().into()));
                put(
                    "currency",
                    w.currency.and_then(|(code, spec)| serde_json::to_value(CurrencyView::new(code, spec)).ok()),
                );
                // A catalogue to approve is shown whole; `null` asks for its removal.
                let catalogue = match &w.scope_catalogue {
                    None => None,
                    Some(None) => Some(serde_json::Value::Null),
                    Some(Some(c)) => serde_json::to_value(resources(c)).ok(),
                };
                put("scope_catalogue", catalogue);
                PendingPolicyView {
                    settings: serde_json::Value::Object(settings),
                    requested_by: p.request.requested_by.to_string(),
                    requested_at: p.requested_at,
                }
            }),
            timezone_change: t
                .timezone_change
                .map(|c| TimezoneChangeView { from: c.from.as_str(), effective_at: c.effective_at }),
            created_at: t.created_at,
            updated_at: t.updated_at,
        }
    }
}
