//! Operators on the wire. The token appears only in the creation response.

use chrono::{DateTime, Utc};
use keygate_domain::{Email, OperatorName, Role, RoleSet};
use keygate_store::Operator;
use keygate_verifier::manage::NewOperator;
use serde::{Deserialize, Serialize};

use super::field;
use crate::error::ApiError;

/// `POST /v1/tenants/{tenant}/operators`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CreateOperator {
    name: String,
    email: String,
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
#[derive(Debug, Serialize)]
pub struct OperatorView {
    id: String,
    tenant_id: String,
    name: String,
    email: String,
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
#[derive(Debug, Serialize)]
pub struct CreatedOperator {
    /// The operator.
    #[serde(flatten)]
    pub operator: OperatorView,
    /// Its bearer token.
    pub token: String,
}

/// `GET /v1/tenants/{tenant}/operators`.
#[derive(Debug, Serialize)]
pub struct OperatorList {
    /// Oldest first.
    pub items: Vec<OperatorView>,
}
