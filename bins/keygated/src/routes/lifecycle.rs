//! Lifecycle routes: each turns the request into one domain `Event` and hands it to management.

use actix_web::{web, HttpRequest, HttpResponse};
use keygate_domain::{Event, Reason};
use keygate_verifier::manage::{Management, Permission};
use serde::Deserialize;
use utoipa::IntoParams;

use super::{key_id, query, tenant_caller};
use crate::body::Body;
use crate::dto::field;
use crate::dto::key::{KeyView, ReasonBody, RevokeBody};
use crate::dto::schema::{KeyIdText, ReasonText, TenantIdText};
use crate::error::ApiError;

type TenantKey = web::Path<(String, String)>;

/// Approve a pending key (checker, not the maker).
#[utoipa::path(operation_id = "approveKey", post, path = "/v1/tenants/{tenant}/keys/{id}/approve", tag = "lifecycle",
    params(("tenant" = TenantIdText, Path), ("id" = KeyIdText, Path)),
    request_body(content = Option<ReasonBody>, description = "Optional"),
    responses((status = 200, description = "The key, now active", body = KeyView),
        (status = 403, description = "SELF_APPROVAL"), (status = 409, description = "INVALID_STATE, CONFLICT")),
    security(("bearer" = []), ("apiKey" = [])))]
pub async fn approve(
    m: web::Data<Management>,
    r: HttpRequest,
    p: TenantKey,
    b: Body,
) -> Result<HttpResponse, ApiError> {
    apply(m, r, p, b, Permission::Approve, |_, _| Ok(Event::Approve)).await
}

/// Reject a pending key (checker, not the maker), with a reason.
#[utoipa::path(operation_id = "rejectKey", post, path = "/v1/tenants/{tenant}/keys/{id}/reject", tag = "lifecycle",
    params(("tenant" = TenantIdText, Path), ("id" = KeyIdText, Path)),
    request_body(content = ReasonBody, description = "`reason` is required"),
    responses((status = 200, description = "The key, now rejected", body = KeyView),
        (status = 403, description = "SELF_APPROVAL"), (status = 409, description = "INVALID_STATE, CONFLICT")),
    security(("bearer" = []), ("apiKey" = [])))]
pub async fn reject(m: web::Data<Management>, r: HttpRequest, p: TenantKey, b: Body) -> Result<HttpResponse, ApiError> {
    apply(m, r, p, b, Permission::Approve, |b, _| Ok(Event::Reject { reason: b.required()? })).await
}

/// Ask to revoke an active or suspended key (maker), with a reason; without dual control it is revoked
/// at once. With `"suspend": true` the key is also suspended at once, in the same commit: refused from
/// this instant while the revocation waits for a checker.
#[utoipa::path(operation_id = "revokeKey", post, path = "/v1/tenants/{tenant}/keys/{id}/revoke", tag = "lifecycle",
    params(("tenant" = TenantIdText, Path), ("id" = KeyIdText, Path)),
    request_body(content = RevokeBody, description = "`reason` is required"),
    responses((status = 200, description = "The key, revocation pending (or revoked), suspended if asked", body = KeyView),
        (status = 409, description = "INVALID_STATE, CONFLICT")),
    security(("bearer" = []), ("apiKey" = [])))]
pub async fn revoke(
    manage: web::Data<Management>,
    req: HttpRequest,
    path: TenantKey,
    body: Body,
) -> Result<HttpResponse, ApiError> {
    let (who, tenant) = tenant_caller(&manage, &req, &path.0, Permission::Request).await?;
    let id = key_id(&path.1)?;
    let body = body.json::<RevokeBody>()?;
    let reason = body.reason()?;
    let record = if body.suspend.unwrap_or(false) {
        manage.suspend_and_revoke(&who, &tenant, id, reason).await?
    } else {
        manage.transition(&who, &tenant, id, Event::RequestRevocation { reason }).await?
    };
    Ok(HttpResponse::Ok().json(KeyView::new(&record, manage.verifier().clock().now())))
}

/// `DELETE .../keys/{id}` query: the reason may come here instead of in a body.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct DeleteQuery {
    /// Why; when neither this nor a body gives one, the audit log records "deleted".
    #[param(value_type = Option<ReasonText>)]
    reason: Option<String>,
}

/// Delete a key (the second seed's word for revoke): asks its revocation like `revoke`, with the reason
/// from the optional body or `?reason=`, "deleted" when neither gives one.
#[utoipa::path(operation_id = "deleteKey", delete, path = "/v1/tenants/{tenant}/keys/{id}", tag = "lifecycle",
    params(("tenant" = TenantIdText, Path), ("id" = KeyIdText, Path), DeleteQuery),
    request_body(content = Option<ReasonBody>, description = "Optional"),
    responses((status = 200, description = "The key, revocation pending (or revoked)", body = KeyView),
        (status = 409, description = "INVALID_STATE, CONFLICT")),
    security(("bearer" = []), ("apiKey" = [])))]
pub async fn delete(m: web::Data<Management>, r: HttpRequest, p: TenantKey, b: Body) -> Result<HttpResponse, ApiError> {
    apply(m, r, p, b, Permission::Request, |b, req| {
        let from_query = query::<DeleteQuery>(req)?.reason;
        let reason = match (b.optional()?, from_query) {
            (Some(reason), _) => reason,
            (None, Some(text)) => field("reason", &text, Reason::parse)?,
            (None, None) => Reason::parse("deleted").map_err(|e| ApiError::invalid("reason", e))?,
        };
        Ok(Event::RequestRevocation { reason })
    })
    .await
}

/// Approve a revocation (checker, not the one who asked): the key is refused from now on.
#[utoipa::path(operation_id = "approveRevocation", post, path = "/v1/tenants/{tenant}/keys/{id}/revocation/approve", tag = "lifecycle",
    params(("tenant" = TenantIdText, Path), ("id" = KeyIdText, Path)),
    request_body(content = Option<ReasonBody>, description = "Optional"),
    responses((status = 200, description = "The key, now revoked", body = KeyView),
        (status = 403, description = "SELF_APPROVAL"), (status = 409, description = "INVALID_STATE, CONFLICT")),
    security(("bearer" = []), ("apiKey" = [])))]
pub async fn approve_revocation(
    m: web::Data<Management>,
    r: HttpRequest,
    p: TenantKey,
    b: Body,
) -> Result<HttpResponse, ApiError> {
    apply(m, r, p, b, Permission::Approve, |_, _| Ok(Event::ApproveRevocation)).await
}

/// Reject a revocation (checker, not the one who asked): the key is active again, or stays suspended.
#[utoipa::path(operation_id = "rejectRevocation", post, path = "/v1/tenants/{tenant}/keys/{id}/revocation/reject", tag = "lifecycle",
    params(("tenant" = TenantIdText, Path), ("id" = KeyIdText, Path)),
    request_body(content = Option<ReasonBody>, description = "Optional"),
    responses((status = 200, description = "The key, active again (or still suspended)", body = KeyView),
        (status = 403, description = "SELF_APPROVAL"), (status = 409, description = "INVALID_STATE, CONFLICT")),
    security(("bearer" = []), ("apiKey" = [])))]
pub async fn reject_revocation(
    m: web::Data<Management>,
    r: HttpRequest,
    p: TenantKey,
    b: Body,
) -> Result<HttpResponse, ApiError> {
    apply(m, r, p, b, Permission::Approve, |b, _| Ok(Event::RejectRevocation { reason: b.optional()? })).await
}

/// Apply a pending privilege change (checker, not the one who asked).
#[utoipa::path(operation_id = "approveChange", post, path = "/v1/tenants/{tenant}/keys/{id}/change/approve", tag = "lifecycle",
    params(("tenant" = TenantIdText, Path), ("id" = KeyIdText, Path)),
    request_body(content = Option<ReasonBody>, description = "Optional"),
    responses((status = 200, description = "The key with the change in force", body = KeyView),
        (status = 403, description = "SELF_APPROVAL"), (status = 409, description = "INVALID_STATE, CONFLICT")),
    security(("bearer" = []), ("apiKey" = [])))]
pub async fn approve_change(
    m: web::Data<Management>,
    r: HttpRequest,
    p: TenantKey,
    b: Body,
) -> Result<HttpResponse, ApiError> {
    apply(m, r, p, b, Permission::Approve, |_, _| Ok(Event::ApproveChange)).await
}

/// Drop a pending privilege change (checker, not the one who asked).
#[utoipa::path(operation_id = "rejectChange", post, path = "/v1/tenants/{tenant}/keys/{id}/change/reject", tag = "lifecycle",
    params(("tenant" = TenantIdText, Path), ("id" = KeyIdText, Path)),
    request_body(content = Option<ReasonBody>, description = "Optional"),
    responses((status = 200, description = "The key without the change", body = KeyView),
        (status = 403, description = "SELF_APPROVAL"), (status = 409, description = "INVALID_STATE, CONFLICT")),
    security(("bearer" = []), ("apiKey" = [])))]
pub async fn reject_change(
    m: web::Data<Management>,
    r: HttpRequest,
    p: TenantKey,
    b: Body,
) -> Result<HttpResponse, ApiError> {
    apply(m, r, p, b, Permission::Approve, |b, _| Ok(Event::RejectChange { reason: b.optional()? })).await
}

/// Authenticates and authorizes the caller for the tenant before the body is parsed, then applies the
/// event the body makes.
pub(super) async fn apply(
    manage: web::Data<Management>,
    req: HttpRequest,
    path: TenantKey,
    body: Body,
    permission: Permission,
    event: impl FnOnce(&ReasonBody, &HttpRequest) -> Result<Event, ApiError>,
) -> Result<HttpResponse, ApiError> {
    let (who, tenant) = tenant_caller(&manage, &req, &path.0, permission).await?;
    let id = key_id(&path.1)?;
    let event = event(&body.json::<ReasonBody>()?, &req)?;
    let record = manage.transition(&who, &tenant, id, event).await?;
    Ok(HttpResponse::Ok().json(KeyView::new(&record, manage.verifier().clock().now())))
}
