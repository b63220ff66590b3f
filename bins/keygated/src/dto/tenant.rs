//! Tenants and their policy on the wire.

use chrono::{DateTime, Utc};
use keygate_domain::{TenantId, TenantName};
use keygate_store::Tenant;
use keygate_verifier::manage::TenantPatch;
use serde::{Deserialize, Serialize};

use super::{field, Nullable};
use crate::error::ApiError;

/// `POST /v1/tenants`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CreateTenant {
    /// Tenant id (`acme`, a UUID, ...).
    pub id: String,
    /// Display name.
    pub name: String,
    /// Policy; omitted settings take their defaults.
    #[serde(default)]
    pub policy: PolicyInput,
}

/// `PATCH /v1/tenants/{tenant}`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UpdateTenant {
    /// New display name.
    #[serde(default)]
    pub name: Option<String>,
    /// Settings to change.
    #[serde(default)]
    pub policy: PolicyInput,
}

/// Policy settings; each may be omitted.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PolicyInput {
    #[serde(default)]
    dual_control: Option<bool>,
    #[serde(default)]
    live_enabled: Option<bool>,
    #[serde(default)]
    max_key_lifetime_days: Nullable<u32>,
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
#[derive(Debug, Serialize)]
pub struct TenantView {
    id: String,
    name: String,
    policy: PolicyView,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
}

#[derive(Debug, Serialize)]
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
