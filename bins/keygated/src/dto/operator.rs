//! Operators on the wire. The token appears only in the creation response.

use chrono::{DateTime, Utc};
use keygate_domain::{Email, OperatorName, Role, RoleSet};
use keygate_store::Operator;
use keygate_verifier::manage::NewOperator;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::field;
use super::schema::{DisplayNameText, OperatorTokenText, RoleView, TenantIdText};
use crate::error::ApiError;

/// `POST /v1/tenants/{tenant}/operators`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(examples(json!({"name": "Mary Maker", "email": "mary@acme.test", "roles": ["maker"]})))]
pub struct CreateOperator {
    #[schema(value_type = DisplayNameText)]
    name: String,
    /// Unique in the tenant.
    #[schema(format = "email", max_length = 254)]
    email: String,
    #[schema(value_type = Vec<RoleView>, min_items = 1)]
    roles: Vec<String>,
}

impl TryFrom<CreateOperator> for NewOperator {
    type Error = ApiError;
    fn try_from(body: CreateOperator) -> Result<Self, ApiError> {
        if body.roles.is_empty() {
            return Err(ApiError::invalid("roles", "at least one role is required"));
        }
        let roles = body
            .roles
            .iter()
            .enumerate()
            .map(|(i, r)| r.parse::<Role>().map_err(|e| ApiError::invalid(format!("roles[{i}]"), e)))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Self {
            name: field("name", &body.name, OperatorName::parse)?,
            email: field("email", &body.email, Email::parse)?,
            roles: RoleSet::of(roles),
        })
    }
}

/// An operator, without its token.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = Operator, examples(json!({
    "id": "5ZR3qa7yEeeby3abP3E2Zs", "tenant_id": "acme", "name": "Mary Maker", "email": "mary@acme.test",
    "roles": ["maker"], "created_at": "2026-11-28T18:40:00Z"
})))]
pub struct OperatorView {
    /// Operator id: 22 base62 characters.
    id: String,
    #[schema(value_type = TenantIdText)]
    tenant_id: String,
    #[schema(value_type = DisplayNameText)]
    name: String,
    email: String,
    #[schema(value_type = Vec<RoleView>)]
    roles: Vec<&'static str>,
    created_at: DateTime<Utc>,
}

impl From<&Operator> for OperatorView {
    fn from(o: &Operator) -> Self {
        Self {
            id: o.id.to_string(),
            tenant_id: o.tenant.to_string(),
            name: o.name.to_string(),
            email: o.email.to_string(),
            roles: o.roles.iter().map(Role::as_str).collect(),
            created_at: o.created_at,
        }
    }
}

/// The creation response: the operator and its token, shown this once.
#[derive(Debug, Serialize, ToSchema)]
#[schema(examples(json!({
    "id": "5ZR3qa7yEeeby3abP3E2Zs", "tenant_id": "acme", "name": "Mary Maker", "email": "mary@acme.test",
    "roles": ["maker"], "created_at": "2026-11-28T18:40:00Z",
    "token": "kgop_live_1hqSIjOugM1yTMAd7V3DnI8lFPPwtV5ASPZHu8qRtZHjQMhuOzE95B9EgE0VrbBGI09QYNdaK"
})))]
pub struct CreatedOperator {
    /// The operator.
    #[serde(flatten)]
    pub operator: OperatorView,
    /// Its bearer token.
    #[schema(value_type = OperatorTokenText)]
    pub token: String,
}

/// `GET /v1/tenants/{tenant}/operators`.
#[derive(Debug, Serialize, ToSchema)]
#[schema(examples(json!({"items": []})))]
pub struct OperatorList {
    /// Oldest first.
    pub items: Vec<OperatorView>,
}
