//! Operators on the wire. A token appears only in the claim (and token replacement) response; an
//! invitation code or half only in the response of the move that issued it.

use chrono::{DateTime, Utc};
use keygate_domain::{Email, OperatorName, Role, RoleSet};
use keygate_store::Operator;
use keygate_verifier::manage::NewOperator;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::field;
use super::schema::{ActorText, DisplayNameText, OperatorTokenText, ReasonText, RoleView, TenantIdText};
use crate::error::ApiError;

/// `POST /v1/tenants/{tenant}/operators`, and each of `admins` in `POST /v1/tenants`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(examples(json!({"name": "Mary Maker", "email": "mary@acme.test", "roles": ["maker"]})))]
pub struct CreateOperator {
    #[schema(value_type = DisplayNameText)]
    name: String,
    /// Unique in the tenant.
    #[schema(format = "email", max_length = 254)]
    email: String,
    /// `admin`, or any of `maker` and `checker` (never with `admin`); `auditor` with anything.
    #[schema(value_type = Vec<RoleView>, min_items = 1)]
    #[serde(default)]
    roles: Vec<String>,
}

/// `{"name","email"}` of a tenant's first admin.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(examples(json!({"name": "Ada Admin", "email": "ada@acme.test"})))]
pub struct FirstAdmin {
    #[schema(value_type = DisplayNameText)]
    name: String,
    #[schema(format = "email", max_length = 254)]
    email: String,
}

impl TryFrom<&FirstAdmin> for NewOperator {
    type Error = ApiError;
    fn try_from(body: &FirstAdmin) -> Result<Self, ApiError> {
        Ok(Self {
            name: field("admins.name", &body.name, OperatorName::parse)?,
            email: field("admins.email", &body.email, Email::parse)?,
            roles: RoleSet::of([Role::Admin]),
        })
    }
}

/// Roles as sent, parsed and checked for separation of duties.
pub fn roles(texts: &[String]) -> Result<RoleSet, ApiError> {
    if texts.is_empty() {
        return Err(ApiError::invalid("roles", "at least one role is required"));
    }
    let roles = texts
        .iter()
        .enumerate()
        .map(|(i, r)| r.parse::<Role>().map_err(|e| ApiError::invalid(format!("roles[{i}]"), e)))
        .collect::<Result<Vec<_>, _>>()?;
    let set = RoleSet::of(roles);
    set.check_separation().map_err(|e| ApiError::invalid("roles", e))?;
    Ok(set)
}

impl TryFrom<CreateOperator> for NewOperator {
    type Error = ApiError;
    fn try_from(body: CreateOperator) -> Result<Self, ApiError> {
        let roles = roles(&body.roles)?;
        Ok(Self {
            name: field("name", &body.name, OperatorName::parse)?,
            email: field("email", &body.email, Email::parse)?,
            roles,
        })
    }
}

/// `PATCH /v1/tenants/{tenant}/operators/{id}`: the whole new role list. Narrowing applies at once;
/// widening waits for a second admin under dual control.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(examples(json!({"roles": ["checker"]})))]
pub struct PatchOperator {
    /// The whole new role list.
    #[schema(value_type = Vec<RoleView>, min_items = 1)]
    pub roles: Vec<String>,
}

/// `POST /v1/operators/claim`: the invitation, and its second half where it was issued in two.
// No `Debug`: it holds a code or a token in clear.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(examples(json!({"invitation": "kgopinv_live_1…", "invitation_2": "kgopinv_live_1…"})))]
pub struct Claim {
    /// The invitation code, or its first half.
    pub invitation: String,
    /// The second half, where the invitation was issued under dual control.
    #[serde(default)]
    pub invitation_2: Option<String>,
}

/// `{"reason": "..."}` to disable an operator.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(examples(json!({"reason": "left the company"})))]
pub struct DisableOperator {
    /// Why; kept in the audit log.
    #[serde(default)]
    #[schema(value_type = Option<ReasonText>)]
    pub reason: Option<String>,
}

/// An operator. Never its token or its invitation.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = Operator, examples(json!({
    "id": "5ZR3qa7yEeeby3abP3E2Zs", "tenant_id": "acme", "name": "Mary Maker", "email": "mary@acme.test",
    "roles": ["maker"], "state": "active", "created_by": "operator:3mC9dLq0Xv7tRb2Nw8Yk1e",
    "approved_by": "operator:7hT2kLp9Qw4eRt6Yu8Io0p", "claimed_at": "2026-11-28T18:45:00Z", "last_seen_at": null,
    "created_at": "2026-11-28T18:40:00Z"
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
    /// `pending_approval` (waits for a second admin), `invited` (until claimed), `active`, `disabled`.
    #[schema(schema_with = super::schema::operator_state)]
    state: &'static str,
    #[schema(value_type = ActorText)]
    created_by: String,
    #[schema(value_type = Option<ActorText>)]
    approved_by: Option<String>,
    claimed_at: Option<DateTime<Utc>>,
    last_seen_at: Option<DateTime<Utc>>,
    created_at: DateTime<Utc>,
}

impl From<&Operator> for OperatorView {
    fn from(o: &Operator) -> Self {
        let a = &o.account;
        Self {
            id: a.id.to_string(),
            tenant_id: a.tenant.to_string(),
            name: o.name.to_string(),
            email: o.email.to_string(),
            roles: a.roles.iter().map(Role::as_str).collect(),
            state: a.state.as_str(),
            created_by: a.created_by.to_string(),
            approved_by: a.approved_by.map(|x| x.to_string()),
            claimed_at: a.claimed_at,
            last_seen_at: o.last_seen_at,
            created_at: a.created_at,
        }
    }
}

/// An operator and the invitation code (or its first half) issued with it, shown this once.
// No `Debug`: it holds a code or a token in clear.
#[derive(Serialize, ToSchema)]
#[schema(examples(json!({"operator": {"id": "5ZR3qa7yEeeby3abP3E2Zs", "state": "pending_approval"}, "invitation": "kgopinv_live_1…"})))]
pub struct InvitedOperator {
    /// The operator.
    pub operator: OperatorView,
    /// The invitation, or its first half under dual control; `null` when this move issued none.
    pub invitation: Option<String>,
}

/// An operator after a move, and the second half of its invitation where the move issued one.
// No `Debug`: it holds a code or a token in clear.
#[derive(Serialize, ToSchema)]
#[schema(examples(json!({"operator": {"id": "5ZR3qa7yEeeby3abP3E2Zs", "state": "invited"}, "invitation_2": "kgopinv_live_1…"})))]
pub struct DecidedOperator {
    /// The operator.
    pub operator: OperatorView,
    /// The invitation's second half (approval of an invitation under dual control), shown once.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub invitation_2: Option<String>,
    /// A whole new invitation (re-invitation or re-enabling without dual control), shown once.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub invitation: Option<String>,
}

/// The claim (or token replacement) response: the operator and its token, shown this once.
// No `Debug`: it holds a code or a token in clear.
#[derive(Serialize, ToSchema)]
#[schema(examples(json!({
    "operator": {"id": "5ZR3qa7yEeeby3abP3E2Zs", "state": "active"},
    "token": "kgop_live_1hqSIjOugM1yTMAd7V3DnI8lFPPwtV5ASPZHu8qRtZHjQMhuOzE95B9EgE0VrbBGI09QYNdaK"
})))]
pub struct ClaimedOperator {
    /// The operator.
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
