//! The request log: a tenant's verification lines, or one key's, newest first. The caller, its tenant
//! and its role are checked before the query is read.

use actix_web::{web, HttpRequest, HttpResponse};
use keygate_store::{RequestCursor, RequestFilter};
use keygate_verifier::manage::{Management, Permission};

use super::{key_id, page_limit, query, tenant_caller};
use crate::dto::request_log::{RequestLineView, RequestList, RequestQuery};
use crate::dto::schema::{KeyIdText, TenantIdText};
use crate::error::ApiError;

/// The tenant's request log, newest first: one line per verification of one of its keys, allowed or
/// refused (makers, checkers, admins, auditors, and integrator keys holding `api-keys:read`, which see
/// only their own environment's and account's keys' lines).
#[utoipa::path(operation_id = "listRequests", get, path = "/v1/tenants/{tenant}/requests", tag = "requests",
    params(("tenant" = TenantIdText, Path, description = "The tenant"), RequestQuery),
    responses((status = 200, description = "A page of lines", body = RequestList)), security(("bearer" = []), ("apiKey" = [])))]
pub async fn list(
    manage: web::Data<Management>,
    req: HttpRequest,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let (who, tenant) = tenant_caller(&manage, &req, &path, Permission::Read).await?;
    let query: RequestQuery = query(&req)?;
    let (filter, cursor) = parse(&query)?;
    let page = manage.request_log(&who, &tenant, None, filter, cursor, page_limit(query.limit)?).await?;
    Ok(HttpResponse::Ok().json(list_view(&page)))
}

/// One key's request log, newest first (the same readers; 404 for a key the caller may not see).
#[utoipa::path(operation_id = "listKeyRequests", get, path = "/v1/tenants/{tenant}/keys/{id}/requests", tag = "requests",
    params(("tenant" = TenantIdText, Path, description = "The tenant"), ("id" = KeyIdText, Path, description = "The key"), RequestQuery),
    responses((status = 200, description = "A page of the key's lines", body = RequestList)), security(("bearer" = []), ("apiKey" = [])))]
pub async fn for_key(
    manage: web::Data<Management>,
    req: HttpRequest,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, ApiError> {
    let (who, tenant) = tenant_caller(&manage, &req, &path.0, Permission::Read).await?;
    let id = key_id(&path.1)?;
    let query: RequestQuery = query(&req)?;
    let (filter, cursor) = parse(&query)?;
    if filter.key.is_some_and(|k| k != id) {
        return Err(ApiError::invalid("key_id", "names another key than the path's"));
    }
    let page = manage.request_log(&who, &tenant, Some(id), filter, cursor, page_limit(query.limit)?).await?;
    Ok(HttpResponse::Ok().json(list_view(&page)))
}

fn parse(query: &RequestQuery) -> Result<(RequestFilter, Option<RequestCursor>), ApiError> {
    let filter = RequestFilter::try_from(query)?;
    let cursor = query
        .cursor
        .as_deref()
        .map(|c| c.parse::<RequestCursor>().map_err(|e| ApiError::invalid("cursor", e)))
        .transpose()?;
    Ok((filter, cursor))
}

fn list_view(page: &keygate_store::Page<keygate_store::RequestLine, RequestCursor>) -> RequestList {
    RequestList {
        items: page.items.iter().map(RequestLineView::from).collect(),
        next_cursor: page.next.map(|c| c.to_string()),
    }
}
