//! Operator routes. Operators are invited, never handed a token: the invitation (or each half of it)
//! is in the response of the move that issued it, the token in the claim's response only.

use actix_web::{web, HttpRequest, HttpResponse};
use keygate_domain::operator::OperatorEvent;
use keygate_domain::{ActorId, OperatorId, Reason};
use keygate_verifier::manage::{Invitation, Management, NewOperator, OperatorDecision, Permission};

use super::{caller, client_address, tenant_caller};
use crate::body::Body;
use crate::dto::field;
use crate::dto::operator::{
    roles, Claim, ClaimedOperator, CreateOperator, DecidedOperator, DisableOperator, InvitedOperator, OperatorList,
    OperatorView, PatchOperator,
};
use crate::dto::schema::TenantIdText;
use crate::error::ApiError;

type TenantOperator = web::Path<(String, String)>;

/// Invite an operator (admin). Under dual control it waits for a second admin, and this response
/// holds the invitation's first half; without, the whole invitation. Never a token.
#[utoipa::path(operation_id = "createOperator", post, path = "/v1/tenants/{tenant}/operators", tag = "operators",
    params(("tenant" = TenantIdText, Path, description = "The tenant")), request_body = CreateOperator,
    responses((status = 201, description = "The operator and its invitation (or first half), shown once", body = InvitedOperator),
        (status = 409, description = "ALREADY_EXISTS")),
    security(("bearer" = []), ("apiKey" = [])))]
pub async fn create(
    manage: web::Data<Management>,
    req: HttpRequest,
    path: web::Path<String>,
    body: Body,
) -> Result<HttpResponse, ApiError> {
    let (who, tenant) = tenant_caller(&manage, &req, &path, Permission::Administer).await?;
    let new = NewOperator::try_from(body.json::<CreateOperator>()?)?;
    let decided = manage.invite_operator(&who, &tenant, new).await?;
    Ok(HttpResponse::Created().json(InvitedOperator {
        operator: OperatorView::from(&decided.operator),
        invitation: decided.invitation.map(|i| i.expose().to_owned()),
    }))
}

/// The tenant's operators (admin, auditor; never an integrator key).
#[utoipa::path(operation_id = "listOperators", get, path = "/v1/tenants/{tenant}/operators", tag = "operators",
    params(("tenant" = TenantIdText, Path, description = "The tenant")),
    responses((status = 200, description = "Oldest first", body = OperatorList)), security(("bearer" = []), ("apiKey" = [])))]
pub async fn list(
    manage: web::Data<Management>,
    req: HttpRequest,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let (who, tenant) = tenant_caller(&manage, &req, &path, Permission::Oversee).await?;
    let operators = manage.operators(&who, &tenant).await?;
    Ok(HttpResponse::Ok().json(OperatorList { items: operators.iter().map(OperatorView::from).collect() }))
}

/// Approve what another admin asked for this operator (its invitation, re-enabling, re-invitation,
/// wider roles); an invitation's second half is in this response only.
#[utoipa::path(operation_id = "approveOperator", post, path = "/v1/tenants/{tenant}/operators/{id}/approve", tag = "operators",
    params(("tenant" = TenantIdText, Path), ("id" = String, Path)),
    responses((status = 200, description = "The operator, and the invitation's second half", body = DecidedOperator),
        (status = 403, description = "SELF_APPROVAL"), (status = 409, description = "INVALID_STATE, CONFLICT")),
    security(("bearer" = []), ("apiKey" = [])))]
pub async fn approve(m: web::Data<Management>, r: HttpRequest, p: TenantOperator) -> Result<HttpResponse, ApiError> {
    decide(m, r, p, MayMove::Admins, |_| Ok(OperatorEvent::Approve), None).await
}

/// Reject what another admin asked for this operator.
#[utoipa::path(operation_id = "rejectOperator", post, path = "/v1/tenants/{tenant}/operators/{id}/reject", tag = "operators",
    params(("tenant" = TenantIdText, Path), ("id" = String, Path)),
    request_body(content = Option<DisableOperator>, description = "Optional reason"),
    responses((status = 200, description = "The operator", body = DecidedOperator),
        (status = 403, description = "SELF_APPROVAL"), (status = 409, description = "INVALID_STATE, CONFLICT")),
    security(("bearer" = []), ("apiKey" = [])))]
pub async fn reject(
    m: web::Data<Management>,
    r: HttpRequest,
    p: TenantOperator,
    b: Body,
) -> Result<HttpResponse, ApiError> {
    decide(m, r, p, MayMove::Admins, |b| Ok(OperatorEvent::Reject { reason: reason(b, "rejected")? }), Some(b)).await
}

/// Disable an operator at once (an admin, or the operator itself): its token stops working.
#[utoipa::path(operation_id = "disableOperator", post, path = "/v1/tenants/{tenant}/operators/{id}/disable", tag = "operators",
    params(("tenant" = TenantIdText, Path), ("id" = String, Path)),
    request_body(content = Option<DisableOperator>, description = "Optional reason"),
    responses((status = 200, description = "The operator, disabled", body = DecidedOperator),
        (status = 409, description = "INVALID_STATE, CONFLICT")),
    security(("bearer" = []), ("apiKey" = [])))]
pub async fn disable(
    m: web::Data<Management>,
    r: HttpRequest,
    p: TenantOperator,
    b: Body,
) -> Result<HttpResponse, ApiError> {
    decide(m, r, p, MayMove::AdminsOrItself, |b| Ok(OperatorEvent::Disable { reason: reason(b, "disabled")? }), Some(b))
        .await
}

/// Ask to re-enable a disabled operator (admin); under dual control another admin approves, and the
/// approval issues a new invitation in halves (the old token stays dead).
#[utoipa::path(operation_id = "enableOperator", post, path = "/v1/tenants/{tenant}/operators/{id}/enable", tag = "operators",
    params(("tenant" = TenantIdText, Path), ("id" = String, Path)),
    responses((status = 200, description = "The operator", body = DecidedOperator),
        (status = 409, description = "INVALID_STATE, CONFLICT")),
    security(("bearer" = []), ("apiKey" = [])))]
pub async fn enable(m: web::Data<Management>, r: HttpRequest, p: TenantOperator) -> Result<HttpResponse, ApiError> {
    decide(m, r, p, MayMove::Admins, |_| Ok(OperatorEvent::RequestEnable), None).await
}

/// Re-issue an invitation (admin), under the same rule as the first.
#[utoipa::path(operation_id = "reinviteOperator", post, path = "/v1/tenants/{tenant}/operators/{id}/invite", tag = "operators",
    params(("tenant" = TenantIdText, Path), ("id" = String, Path)),
    responses((status = 200, description = "The operator, and its new invitation where issued at once", body = DecidedOperator),
        (status = 409, description = "INVALID_STATE, CONFLICT")),
    security(("bearer" = []), ("apiKey" = [])))]
pub async fn reinvite(m: web::Data<Management>, r: HttpRequest, p: TenantOperator) -> Result<HttpResponse, ApiError> {
    decide(m, r, p, MayMove::Admins, |_| Ok(OperatorEvent::Reinvite), None).await
}

/// Change an operator's roles (admin): narrowing at once, widening waits for a second admin.
#[utoipa::path(operation_id = "patchOperator", patch, path = "/v1/tenants/{tenant}/operators/{id}", tag = "operators",
    params(("tenant" = TenantIdText, Path), ("id" = String, Path)), request_body = PatchOperator,
    responses((status = 200, description = "The operator", body = DecidedOperator),
        (status = 409, description = "INVALID_STATE, CONFLICT")),
    security(("bearer" = []), ("apiKey" = [])))]
pub async fn patch(
    m: web::Data<Management>,
    r: HttpRequest,
    p: TenantOperator,
    b: Body,
) -> Result<HttpResponse, ApiError> {
    decide(
        m,
        r,
        p,
        MayMove::Admins,
        |b| {
            let body = b.ok_or_else(|| ApiError::invalid("roles", "is required"))?;
            Ok(OperatorEvent::ChangeRoles(roles(&body.json::<PatchOperator>()?.roles)?))
        },
        Some(b),
    )
    .await
}

/// Claim an invitation (no credential): both halves where it was issued in two. Answers the token,
/// shown once. A second claim, or a lapsed invitation, is 410.
#[utoipa::path(operation_id = "claimOperator", post, path = "/v1/operators/claim", tag = "operators", request_body = Claim,
    responses((status = 201, description = "The operator and its token, shown once", body = ClaimedOperator),
        (status = 401, description = "UNAUTHENTICATED"), (status = 410, description = "INVITATION_GONE"),
        (status = 409, description = "CONFLICT")))]
pub async fn claim(manage: web::Data<Management>, req: HttpRequest, body: Body) -> Result<HttpResponse, ApiError> {
    let claim = body.json::<Claim>()?;
    let second = claim.invitation_2.as_deref().map(str::as_bytes);
    let (operator, token) = manage.claim(claim.invitation.as_bytes(), second, client_address(&req)).await?;
    Ok(HttpResponse::Created()
        .json(ClaimedOperator { operator: OperatorView::from(&operator), token: token.expose().to_owned() }))
}

/// Replace the calling operator's own token: the old one stops at once, the new one is shown once.
#[utoipa::path(operation_id = "replaceOperatorToken", post, path = "/v1/operators/me/token", tag = "operators",
    responses((status = 201, description = "The operator and its new token, shown once", body = ClaimedOperator),
        (status = 409, description = "INVALID_STATE, CONFLICT")),
    security(("bearer" = []), ("apiKey" = [])))]
pub async fn replace_token(manage: web::Data<Management>, req: HttpRequest) -> Result<HttpResponse, ApiError> {
    let who = caller(&manage, &req, None).await?;
    let (operator, token) = manage.replace_token(&who).await?;
    Ok(HttpResponse::Created()
        .json(ClaimedOperator { operator: OperatorView::from(&operator), token: token.expose().to_owned() }))
}

fn reason(body: Option<&Body>, default: &str) -> Result<Reason, ApiError> {
    let given = body.map(Body::json::<DisableOperator>).transpose()?.and_then(|d| d.reason);
    field("reason", given.as_deref().unwrap_or(default), Reason::parse)
}

/// Who may make an operator move.
#[derive(Clone, Copy, PartialEq, Eq)]
enum MayMove {
    /// The tenant's admins.
    Admins,
    /// The tenant's admins, or the operator itself (disabling oneself only narrows).
    AdminsOrItself,
}

/// Checks who may move the operator before reading the body, then applies the event it makes.
async fn decide(
    manage: web::Data<Management>,
    req: HttpRequest,
    path: TenantOperator,
    may: MayMove,
    event: impl FnOnce(Option<&Body>) -> Result<OperatorEvent, ApiError>,
    body: Option<Body>,
) -> Result<HttpResponse, ApiError> {
    let (who, tenant) = tenant_caller(&manage, &req, &path.0, Permission::Read).await?;
    let id = OperatorId::parse(&path.1).map_err(|_| ApiError::NotFound)?;
    let itself = may == MayMove::AdminsOrItself && who.actor.id == ActorId::Operator(id);
    if !itself {
        who.may(&tenant, Permission::Administer)?;
    }
    let event = event(body.as_ref())?;
    let OperatorDecision { operator, invitation } = manage.operator_event(&who, &tenant, id, event).await?;
    let second_half = invitation.as_ref().is_some_and(Invitation::is_second_half);
    let code = invitation.map(|i| i.expose().to_owned());
    let (invitation, invitation_2) = if second_half { (None, code) } else { (code, None) };
    Ok(HttpResponse::Ok().json(DecidedOperator { operator: OperatorView::from(&operator), invitation_2, invitation }))
}
