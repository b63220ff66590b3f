//! Tenants and their policy on the wire.

use chrono::{DateTime, Utc};
use keygate_domain::{TenantId, TenantName};
use keygate_store::Tenant;
use keygate_verifier::manage::TenantPatch;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::schema::{DisplayNameText, TenantIdText};
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
    /// Policy; omitted settings take their defaults.
    #[serde(default)]
    pub policy: PolicyInput,
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
    })
}

impl TryFrom<CreateTenant> for (TenantId, TenantPatch) {
    type Error = ApiError;
    fn try_from(body: CreateTenant) -> Result<Self, ApiError> {
        let id = field("id", &body.id, TenantId::parse)?;
        Ok((id, patch(Some(&body.name), body.policy)?))
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
    "policy": {"dual_control": true, "live_enabled": true, "max_key_lifetime_days": null, "allow_never_expiring": false},
    "created_at": "2026-11-28T18:40:00Z", "updated_at": "2026-11-28T18:40:00Z"
})))]
pub struct TenantView {
    #[schema(value_type = TenantIdText)]
    id: String,
    #[schema(value_type = DisplayNameText)]
    name: String,
    policy: PolicyView,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
}

/// The rules in force for the tenant's keys.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = Policy, examples(json!({"dual_control": true, "live_enabled": true, "max_key_lifetime_days": null, "allow_never_expiring": false})))]
struct PolicyView {
    dual_control: bool,
    live_enabled: bool,
    max_key_lifetime_days: Option<u32>,
    allow_never_expiring: bool,
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
            },
            created_at: t.created_at,
            updated_at: t.updated_at,
        }
    }
}
