//! Service credentials on the wire. The token appears only in the creation response.

use chrono::{DateTime, Utc};
use keygate_domain::{OperatorName, TenantId};
use keygate_store::Service;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::ToSchema;

use super::field;
use super::schema::DisplayNameText;
use crate::error::ApiError;

/// `POST /v1/services`: a service bound to some tenants (`["acme"]`) or to all (`"*"`).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(examples(json!({"name": "edge-gateway", "tenants": ["acme"]})))]
pub struct CreateService {
    #[schema(value_type = DisplayNameText)]
    name: String,
    /// The tenant ids whose keys it may verify, or `"*"` for every tenant.
    #[schema(value_type = Object)]
    tenants: Value,
}

impl TryFrom<CreateService> for (OperatorName, Option<Vec<TenantId>>) {
    type Error = ApiError;
    fn try_from(body: CreateService) -> Result<Self, ApiError> {
        let name = field("name", &body.name, OperatorName::parse)?;
        let tenants = match &body.tenants {
            Value::String(all) if all == "*" => None,
            Value::Array(items) if !items.is_empty() => Some(
                items
                    .iter()
                    .enumerate()
                    .map(|(i, t)| {
                        let text =
                            t.as_str().ok_or_else(|| ApiError::invalid(format!("tenants[{i}]"), "must be a string"))?;
                        TenantId::parse(text).map_err(|e| ApiError::invalid(format!("tenants[{i}]"), e))
                    })
                    .collect::<Result<Vec<_>, _>>()?,
            ),
            _ => return Err(ApiError::invalid("tenants", "must be a non-empty list of tenant ids, or \"*\"")),
        };
        Ok((name, tenants))
    }
}

/// A service credential, never its token.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = Service, examples(json!({
    "id": "3kQ9dLq0Xv7tRb2Nw8Yk1e", "name": "edge-gateway", "tenants": ["acme"],
    "state": "active", "created_at": "2026-11-28T18:40:00Z", "disabled_at": null
})))]
pub struct ServiceView {
    /// 22 base62 characters.
    id: String,
    #[schema(value_type = DisplayNameText)]
    name: String,
    /// The tenants it serves, or `"*"`.
    #[schema(value_type = Object)]
    tenants: Value,
    /// `active` or `disabled`.
    state: &'static str,
    created_at: DateTime<Utc>,
    disabled_at: Option<DateTime<Utc>>,
}

impl From<&Service> for ServiceView {
    fn from(s: &Service) -> Self {
        Self {
            id: s.id.to_string(),
            name: s.name.to_string(),
            tenants: s.tenants.as_ref().map_or_else(
                || Value::from("*"),
                |t| Value::from(t.iter().map(|t| t.as_str().to_owned()).collect::<Vec<_>>()),
            ),
            state: if s.disabled_at.is_some() { "disabled" } else { "active" },
            created_at: s.created_at,
            disabled_at: s.disabled_at,
        }
    }
}

/// The creation response: the service and its token, shown this once.
// No `Debug`: it holds the token in clear.
#[derive(Serialize, ToSchema)]
#[schema(examples(json!({
    "service": {"id": "3kQ9dLq0Xv7tRb2Nw8Yk1e", "name": "edge-gateway", "tenants": ["acme"], "state": "active",
                "created_at": "2026-11-28T18:40:00Z", "disabled_at": null},
    "token": "kgsvc_live_1…"
})))]
pub struct CreatedService {
    /// The service.
    pub service: ServiceView,
    /// Its bearer token for `/v1/verify` (`{prefix}svc_live_…`), shown once.
    pub token: String,
}

/// `GET /v1/services`.
#[derive(Debug, Serialize, ToSchema)]
#[schema(examples(json!({"items": []})))]
pub struct ServiceList {
    /// Oldest first.
    pub items: Vec<ServiceView>,
}
