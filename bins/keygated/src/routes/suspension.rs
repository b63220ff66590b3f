//! Suspension routes: one person stops a key at once; a maker asks to resume it and a checker who
//! neither asked nor suspended approves. Each turns the request into one domain `Event`.

use actix_web::{web, HttpRequest, HttpResponse};
use keygate_domain::Event;
use keygate_verifier::manage::{Management, Permission};

use super::lifecycle::apply;
use crate::body::Body;
use crate::dto::key::{KeyView, ReasonBody};
use crate::dto::schema::{KeyIdText, TenantIdText};
use crate::error::ApiError;

type TenantKey = web::Path<(String, String)>;

/// Suspend a key at once (any maker, checker or admin of the tenant, or an integrator key that may
/// write), with a reason: it is refused as `SUSPENDED` on every process within milliseconds, under
/// dual control or not.
#[utoipa::path(operation_id = "suspendKey", post, path = "/v1/tenants/{tenant}/keys/{id}/suspend", tag = "lifecycle",
    params(("tenant" = TenantIdText, Path), ("id" = KeyIdText, Path)),
    request_body(content = ReasonBody, description = "`reason` is required"),
    responses((status = 200, description = "The key, now suspended", body = KeyView),
        (status = 409, description = "INVALID_STATE, CONFLICT")),
    security(("bearer" = []), ("apiKey" = [])))]
pub async fn suspend(
    m: web::Data<Management>,
    r: HttpRequest,
    p: TenantKey,
    b: Body,
) -> Result<HttpResponse, ApiError> {
    apply(m, r, p, b, Permission::Stop, |b, _| Ok(Event::Suspend { reason: b.required()? })).await
}

/// Ask to resume a suspended key (maker), with a reason; without dual control it resumes at once.
#[utoipa::path(operation_id = "resumeKey", post, path = "/v1/tenants/{tenant}/keys/{id}/resume", tag = "lifecycle",
    params(("tenant" = TenantIdText, Path), ("id" = KeyIdText, Path)),
    request_body(content = ReasonBody, description = "`reason` is required"),
    responses((status = 200, description = "The key, still suspended with the resume pending (or resumed)", body = KeyView),
        (status = 409, description = "INVALID_STATE, CONFLICT")),
    security(("bearer" = []), ("apiKey" = [])))]
pub async fn resume(m: web::Data<Management>, r: HttpRequest, p: TenantKey, b: Body) -> Result<HttpResponse, ApiError> {
    apply(m, r, p, b, Permission::Request, |b, _| Ok(Event::RequestResume { reason: b.required()? })).await
}

/// Approve a resume (checker, neither the one who asked it nor the one who suspended the key).
#[utoipa::path(operation_id = "approveResume", post, path = "/v1/tenants/{tenant}/keys/{id}/resume/approve", tag = "lifecycle",
    params(("tenant" = TenantIdText, Path), ("id" = KeyIdText, Path)),
    request_body(content = Option<ReasonBody>, description = "Optional"),
    responses((status = 200, description = "The key, working again", body = KeyView),
        (status = 403, description = "SELF_APPROVAL"), (status = 409, description = "INVALID_STATE, CONFLICT")),
    security(("bearer" = []), ("apiKey" = [])))]
pub async fn approve_resume(
    m: web::Data<Management>,
    r: HttpRequest,
    p: TenantKey,
    b: Body,
) -> Result<HttpResponse, ApiError> {
    apply(m, r, p, b, Permission::Approve, |_, _| Ok(Event::ApproveResume)).await
}

/// Reject a resume (checker, neither the one who asked it nor the one who suspended the key): the key
/// stays suspended.
#[utoipa::path(operation_id = "rejectResume", post, path = "/v1/tenants/{tenant}/keys/{id}/resume/reject", tag = "lifecycle",
    params(("tenant" = TenantIdText, Path), ("id" = KeyIdText, Path)),
    request_body(content = Option<ReasonBody>, description = "Optional"),
    responses((status = 200, description = "The key, still suspended", body = KeyView),
        (status = 403, description = "SELF_APPROVAL"), (status = 409, description = "INVALID_STATE, CONFLICT")),
    security(("bearer" = []), ("apiKey" = [])))]
pub async fn reject_resume(
    m: web::Data<Management>,
    r: HttpRequest,
    p: TenantKey,
    b: Body,
) -> Result<HttpResponse, ApiError> {
    apply(m, r, p, b, Permission::Approve, |b, _| Ok(Event::RejectResume { reason: b.optional()? })).await
}
