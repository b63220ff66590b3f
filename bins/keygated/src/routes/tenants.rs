//! Tenant routes and the audit log.

use actix_web::{web, HttpRequest, HttpResponse};
use keygate_store::AuditCursor;
use keygate_verifier::manage::{Management, Permission, TenantPatch};

use super::{caller, page_limit, query, tenant_caller};
use crate::body::Body;
use crate::dto::audit::{AuditList, AuditQuery, AuditView, ChainView};
use crate::dto::operator::{InvitedOperator, OperatorView};
use crate::dto::schema::CurrencyText;
use crate::dto::schema::TenantIdText;
use crate::dto::tenant::{currency_code, CreateTenant, CreatedTenant, PutCurrency, TenantView, UpdateTenant};
use crate::error::ApiError;

/// Create a tenant (system admin).
#[utoipa::path(operation_id = "createTenant", post, path = "/v1/tenants", tag = "tenants", request_body = CreateTenant,
    responses((status = 201, description = "The tenant and its first admins' invitations, shown once", body = CreatedTenant), (status = 409, description = "ALREADY_EXISTS")),
    security(("bearer" = []), ("apiKey" = [])))]
pub async fn create(manage: web::Data<Management>, req: HttpRequest, body: Body) -> Result<HttpResponse, ApiError> {
    let who = caller(&manage, &req, None).await?;
    if !who.is_system() {
        return Err(ApiError::Forbidden("only the system administrator creates tenants".to_owned()));
    }
    let (id, patch, admins) = body.json::<CreateTenant>()?.try_into()?;
    let (tenant, invited) = manage.create_tenant(&who, patch, id, admins).await?;
    Ok(HttpResponse::Created().json(CreatedTenant {
        tenant: TenantView::from(&tenant),
        invitations: invited
            .iter()
            .map(|(o, i)| InvitedOperator { operator: OperatorView::from(o), invitation: Some(i.expose().to_owned()) })
            .collect(),
    }))
}

/// Approve the pending policy widening (an admin other than the one who asked).
#[utoipa::path(operation_id = "approvePolicy", post, path = "/v1/tenants/{tenant}/policy/approve", tag = "tenants",
    params(("tenant" = TenantIdText, Path, description = "The tenant")),
    responses((status = 200, description = "The tenant with the widening in force", body = TenantView),
        (status = 403, description = "SELF_APPROVAL"), (status = 409, description = "INVALID_STATE, CONFLICT")),
    security(("bearer" = []), ("apiKey" = [])))]
pub async fn approve_policy(
    manage: web::Data<Management>,
    req: HttpRequest,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let (who, tenant) = tenant_caller(&manage, &req, &path, Permission::Administer).await?;
    Ok(HttpResponse::Ok().json(TenantView::from(&manage.approve_policy(&who, &tenant).await?)))
}

/// Reject the pending policy widening (an admin other than the one who asked).
#[utoipa::path(operation_id = "rejectPolicy", post, path = "/v1/tenants/{tenant}/policy/reject", tag = "tenants",
    params(("tenant" = TenantIdText, Path, description = "The tenant")),
    responses((status = 200, description = "The tenant without the pending widening", body = TenantView),
        (status = 403, description = "SELF_APPROVAL"), (status = 409, description = "INVALID_STATE, CONFLICT")),
    security(("bearer" = []), ("apiKey" = [])))]
pub async fn reject_policy(
    manage: web::Data<Management>,
    req: HttpRequest,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let (who, tenant) = tenant_caller(&manage, &req, &path, Permission::Administer).await?;
    Ok(HttpResponse::Ok().json(TenantView::from(&manage.reject_policy(&who, &tenant).await?)))
}

/// Read a tenant and its policy.
#[utoipa::path(operation_id = "getTenant", get, path = "/v1/tenants/{tenant}", tag = "tenants", params(("tenant" = TenantIdText, Path, description = "The tenant")),
    responses((status = 200, description = "The tenant", body = TenantView)), security(("bearer" = []), ("apiKey" = [])))]
pub async fn get(
    manage: web::Data<Management>,
    req: HttpRequest,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let (who, tenant) = tenant_caller(&manage, &req, &path, Permission::Read).await?;
    Ok(HttpResponse::Ok().json(TenantView::from(&manage.tenant(&who, &tenant).await?)))
}

/// Change a tenant's name or policy (admin).
#[utoipa::path(operation_id = "updateTenant", patch, path = "/v1/tenants/{tenant}", tag = "tenants", params(("tenant" = TenantIdText, Path, description = "The tenant")), request_body = UpdateTenant,
    responses((status = 200, description = "The tenant as it is now", body = TenantView), (status = 409, description = "INVALID_STATE, CONFLICT")),
    security(("bearer" = []), ("apiKey" = [])))]
pub async fn update(
    manage: web::Data<Management>,
    req: HttpRequest,
    path: web::Path<String>,
    body: Body,
) -> Result<HttpResponse, ApiError> {
    let (who, tenant) = tenant_caller(&manage, &req, &path, Permission::Administer).await?;
    let changes = TenantPatch::try_from(body.json::<UpdateTenant>()?)?;
    Ok(HttpResponse::Ok().json(TenantView::from(&manage.update_tenant(&who, &tenant, changes).await?)))
}

/// Describe one currency of the tenant's table (admin): its class and decimal places. Fewer decimals
/// apply at once; a new currency, another class or more decimals is a pending policy change for
/// another admin to approve (`POST .../policy/approve`).
#[utoipa::path(operation_id = "putCurrency", put, path = "/v1/tenants/{tenant}/currencies/{code}", tag = "tenants",
    params(("tenant" = TenantIdText, Path, description = "The tenant"), ("code" = CurrencyText, Path, description = "The currency code")),
    request_body = PutCurrency,
    responses((status = 200, description = "The tenant: the entry in force, or waiting in `pending_policy`", body = TenantView),
        (status = 409, description = "INVALID_STATE, CONFLICT")),
    security(("bearer" = []), ("apiKey" = [])))]
pub async fn put_currency(
    manage: web::Data<Management>,
    req: HttpRequest,
    path: web::Path<(String, String)>,
    body: Body,
) -> Result<HttpResponse, ApiError> {
    let (who, tenant) = tenant_caller(&manage, &req, &path.0, Permission::Administer).await?;
    let code = currency_code(&path.1)?;
    let spec = body.json::<PutCurrency>()?.spec()?;
    Ok(HttpResponse::Ok().json(TenantView::from(&manage.put_currency(&who, &tenant, code, spec).await?)))
}

/// The tenant's audit log, newest first.
#[utoipa::path(operation_id = "listAudit", get, path = "/v1/tenants/{tenant}/audit", tag = "audit", params(("tenant" = TenantIdText, Path, description = "The tenant"), AuditQuery),
    responses((status = 200, description = "A page of entries", body = AuditList)), security(("bearer" = []), ("apiKey" = [])))]
pub async fn audit(
    manage: web::Data<Management>,
    req: HttpRequest,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let (who, tenant) = tenant_caller(&manage, &req, &path, Permission::Read).await?;
    let query: AuditQuery = query(&req)?;
    let key = query
        .key_id
        .as_deref()
        .map(|k| super::key_id(k).map_err(|_| ApiError::invalid("key_id", "is not a key id")))
        .transpose()?;
    let cursor = query
        .cursor
        .as_deref()
        .map(|c| c.parse::<AuditCursor>().map_err(|e| ApiError::invalid("cursor", e)))
        .transpose()?;
    let page = manage.audit_log(&who, &tenant, key, cursor, page_limit(query.limit)?).await?;
    Ok(HttpResponse::Ok().json(AuditList {
        items: page.items.iter().map(AuditView::from).collect(),
        next_cursor: page.next.map(|c| c.to_string()),
    }))
}

/// Walk the tenant's audit chain (admin, auditor, system admin): valid with its length and head, or the
/// `seq` of the first entry that does not match.
#[utoipa::path(operation_id = "verifyAudit", get, path = "/v1/tenants/{tenant}/audit/verify", tag = "audit",
    params(("tenant" = TenantIdText, Path, description = "The tenant")),
    responses((status = 200, description = "The chain's state", body = ChainView)), security(("bearer" = []), ("apiKey" = [])))]
pub async fn verify_audit(
    manage: web::Data<Management>,
    req: HttpRequest,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let (who, tenant) = tenant_caller(&manage, &req, &path, Permission::Oversee).await?;
    let report = manage.verify_audit(&who, &tenant).await?;
    Ok(HttpResponse::Ok().json(ChainView::from(&report)))
}
