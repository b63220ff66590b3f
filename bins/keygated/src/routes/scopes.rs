//! The tenant's scope catalogue: read it (anyone of the tenant who reads keys), set it or remove it
//! (admin; a widening waits in `pending_policy` for another admin).

use actix_web::{web, HttpRequest, HttpResponse};
use keygate_domain::ScopeCatalogue;
use keygate_verifier::manage::{Management, Permission};

use super::tenant_caller;
use crate::body::Body;
use crate::dto::schema::TenantIdText;
use crate::dto::scopes::{PutScopes, ScopeCatalogueView};
use crate::dto::tenant::TenantView;
use crate::error::ApiError;

/// The scopes a key of the tenant may be given (any operator of the tenant): the console lists them
/// when a key is asked for. `resources` is `null` when the tenant has no catalogue.
#[utoipa::path(operation_id = "getScopes", get, path = "/v1/tenants/{tenant}/scopes", tag = "tenants",
    params(("tenant" = TenantIdText, Path, description = "The tenant")),
    responses((status = 200, description = "The catalogue in force", body = ScopeCatalogueView)),
    security(("bearer" = []), ("apiKey" = [])))]
pub async fn get(
    manage: web::Data<Management>,
    req: HttpRequest,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let (who, tenant) = tenant_caller(&manage, &req, &path, Permission::Read).await?;
    let catalogue = manage.scope_catalogue(&who, &tenant).await?;
    Ok(HttpResponse::Ok().json(ScopeCatalogueView::from(catalogue.as_ref())))
}

/// Set the tenant's scope catalogue (admin): from then on a key may be given only scopes it offers
/// (`write` offered allows `read`; `*` needs write and approve). A first catalogue, or one offering
/// nothing the current one does not, applies at once; one offering any resource or action more is a
/// pending policy change for another admin to approve (`POST .../policy/approve`).
#[utoipa::path(operation_id = "putScopes", put, path = "/v1/tenants/{tenant}/scopes", tag = "tenants",
    params(("tenant" = TenantIdText, Path, description = "The tenant")),
    request_body = PutScopes,
    responses((status = 200, description = "The tenant: the catalogue in force, or waiting in `pending_policy`", body = TenantView),
        (status = 409, description = "INVALID_STATE, CONFLICT")),
    security(("bearer" = []), ("apiKey" = [])))]
pub async fn put(
    manage: web::Data<Management>,
    req: HttpRequest,
    path: web::Path<String>,
    body: Body,
) -> Result<HttpResponse, ApiError> {
    let (who, tenant) = tenant_caller(&manage, &req, &path, Permission::Administer).await?;
    let catalogue = ScopeCatalogue::try_from(body.json::<PutScopes>()?)?;
    Ok(HttpResponse::Ok().json(TenantView::from(&manage.put_scope_catalogue(&who, &tenant, Some(catalogue)).await?)))
}

/// Remove the tenant's scope catalogue (admin), so any well-formed scope may be given again: a
/// widening, held in `pending_policy` until another admin approves it. Without a catalogue it changes
/// nothing.
#[utoipa::path(operation_id = "deleteScopes", delete, path = "/v1/tenants/{tenant}/scopes", tag = "tenants",
    params(("tenant" = TenantIdText, Path, description = "The tenant")),
    responses((status = 200, description = "The tenant, with the removal waiting in `pending_policy`", body = TenantView),
        (status = 409, description = "INVALID_STATE, CONFLICT")),
    security(("bearer" = []), ("apiKey" = [])))]
pub async fn delete(
    manage: web::Data<Management>,
    req: HttpRequest,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let (who, tenant) = tenant_caller(&manage, &req, &path, Permission::Administer).await?;
    Ok(HttpResponse::Ok().json(TenantView::from(&manage.put_scope_catalogue(&who, &tenant, None).await?)))
}
