//! Key routes: create, list, read, edit, rotate, usage.

use actix_web::{web, HttpRequest, HttpResponse};
use keygate_store::{KeyCursor, KeyFilter};
use keygate_verifier::manage::{KeyPatch, KeySpec, Management, Permission};

use super::{key_id, page_limit, query, tenant_caller};
use crate::body::Body;
use crate::dto::field;
use crate::dto::key::{
    CreateKey, CreatedKey, KeyList, KeyView, ListKeys, PatchKey, RevealedSecret, RotateBody, UsageView,
};
use crate::dto::schema::{KeyIdText, TenantIdText};
use crate::error::ApiError;

type TenantKey = web::Path<(String, String)>;

/// Ask for a key (maker). Under dual control it waits for a checker; the secret is in this response only.
#[utoipa::path(operation_id = "createKey", post, path = "/v1/tenants/{tenant}/keys", tag = "keys", params(("tenant" = TenantIdText, Path, description = "The tenant")), request_body = CreateKey,
    responses((status = 201, description = "The key and its secret, shown once", body = CreatedKey), (status = 409, description = "NAME_TAKEN")),
    security(("bearer" = []), ("apiKey" = [])))]
pub async fn create(
    manage: web::Data<Management>,
    req: HttpRequest,
    path: web::Path<String>,
    body: Body,
) -> Result<HttpResponse, ApiError> {
    let (who, tenant) = tenant_caller(&manage, &req, &path, Permission::Request).await?;
    let spec = KeySpec::try_from(body.json::<CreateKey>()?)?;
    let (record, secret) = manage.create_key(&who, &tenant, spec).await?;
    Ok(HttpResponse::Created().json(created(&manage, &record, secret)))
}

/// Reveal a key's secret (the maker who asked for it, once a checker approved), where the tenant's
/// policy has `"reveal": "after_approval"`. The secret is drawn now and shown this once.
#[utoipa::path(operation_id = "revealKeySecret", post, path = "/v1/tenants/{tenant}/keys/{id}/secret", tag = "keys", params(("tenant" = TenantIdText, Path, description = "The tenant"), ("id" = KeyIdText, Path, description = "The key")),
    responses((status = 200, description = "The secret, shown once", body = RevealedSecret),
        (status = 409, description = "INVALID_STATE, CONFLICT"),
        (status = 410, description = "SECRET_ALREADY_REVEALED, REVEAL_WINDOW_CLOSED")),
    security(("bearer" = []), ("apiKey" = [])))]
pub async fn reveal(
    manage: web::Data<Management>,
    req: HttpRequest,
    path: TenantKey,
) -> Result<HttpResponse, ApiError> {
    let (who, tenant) = tenant_caller(&manage, &req, &path.0, Permission::Request).await?;
    let (record, secret) = manage.reveal(&who, &tenant, key_id(&path.1)?).await?;
    let bearer = record.signing.as_ref().is_none_or(keygate_domain::Signing::bearer);
    let signing_secret = manage.verifier().signing_secret(&record).map(|s| s.render().to_string());
    Ok(HttpResponse::Ok()
        .insert_header(("cache-control", "no-store"))
        .json(RevealedSecret { secret: bearer.then(|| secret.expose().to_owned()), signing_secret }))
}

/// The creation (or rotation) response: the key, its bearer token and its HMAC signing secret, when
/// it has them.
fn created(
    manage: &Management,
    record: &keygate_store::KeyRecord,
    secret: Option<keygate_credential::PlainToken>,
) -> CreatedKey {
    let now = manage.verifier().clock().now();
    CreatedKey {
        key: KeyView::new(record, now),
        secret: secret.map(|s| s.expose().to_owned()),
        signing_secret: manage.verifier().signing_secret(record).map(|s| s.render().to_string()),
    }
}

/// The tenant's keys, in creation order.
#[utoipa::path(operation_id = "listKeys", get, path = "/v1/tenants/{tenant}/keys", tag = "keys", params(("tenant" = TenantIdText, Path, description = "The tenant"), ListKeys),
    responses((status = 200, description = "A page of keys", body = KeyList)), security(("bearer" = []), ("apiKey" = [])))]
pub async fn list(
    manage: web::Data<Management>,
    req: HttpRequest,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let (who, tenant) = tenant_caller(&manage, &req, &path, Permission::Read).await?;
    let query: ListKeys = query(&req)?;
    let now = manage.verifier().clock().now();
    let expiring = match query.expiring_within_days {
        None => None,
        Some(days @ 1..=3650) => Some((now, now + chrono::Duration::days(i64::from(days)))),
        Some(_) => return Err(ApiError::invalid("expiring_within_days", "must be between 1 and 3650")),
    };
    let state = query.state.as_deref().map(|s| field("state", s, str::parse)).transpose()?;
    let filter = KeyFilter {
        // Keys about to expire are the ones to rotate: active ones, unless another state is asked.
        state: state.or(expiring.map(|_| keygate_domain::KeyState::Active)),
        environment: query.environment.as_deref().map(|e| field("environment", e, str::parse)).transpose()?,
        account: query
            .account_id
            .as_deref()
            .map(|a| field("account_id", a, keygate_domain::AccountId::parse))
            .transpose()?,
        external_id: query
            .external_id
            .as_deref()
            .map(|e| field("external_id", e, keygate_domain::ExternalId::parse))
            .transpose()?,
        expiring,
    };
    let cursor = query.cursor.as_deref().map(|c| field("cursor", c, str::parse::<KeyCursor>)).transpose()?;
    let page = manage.keys(&who, &tenant, filter, cursor, page_limit(query.limit)?).await?;
    Ok(HttpResponse::Ok().json(KeyList {
        items: page.items.iter().map(|r| KeyView::new(r, now)).collect(),
        next_cursor: page.next.map(|c| c.to_string()),
    }))
}

/// Read a key (never its secret).
#[utoipa::path(operation_id = "getKey", get, path = "/v1/tenants/{tenant}/keys/{id}", tag = "keys", params(("tenant" = TenantIdText, Path, description = "The tenant"), ("id" = KeyIdText, Path, description = "The key")),
    responses((status = 200, description = "The key", body = KeyView)), security(("bearer" = []), ("apiKey" = [])))]
pub async fn get(manage: web::Data<Management>, req: HttpRequest, path: TenantKey) -> Result<HttpResponse, ApiError> {
    let (who, tenant) = tenant_caller(&manage, &req, &path.0, Permission::Read).await?;
    let record = manage.key(&who, &tenant, key_id(&path.1)?).await?;
    Ok(HttpResponse::Ok().json(KeyView::new(&record, manage.verifier().clock().now())))
}

/// Edit a key's notes, scopes or limits (maker). Widening waits for a checker.
#[utoipa::path(operation_id = "patchKey", patch, path = "/v1/tenants/{tenant}/keys/{id}", tag = "keys", params(("tenant" = TenantIdText, Path, description = "The tenant"), ("id" = KeyIdText, Path, description = "The key")), request_body = PatchKey,
    responses((status = 200, description = "The key as it is now", body = KeyView), (status = 409, description = "INVALID_STATE, CONFLICT")),
    security(("bearer" = []), ("apiKey" = [])))]
pub async fn patch(
    manage: web::Data<Management>,
    req: HttpRequest,
    path: TenantKey,
    body: Body,
) -> Result<HttpResponse, ApiError> {
    let (who, tenant) = tenant_caller(&manage, &req, &path.0, Permission::Request).await?;
    let id = key_id(&path.1)?;
    let changes = KeyPatch::try_from(body.json::<PatchKey>()?)?;
    let record = manage.patch_key(&who, &tenant, id, changes).await?;
    Ok(HttpResponse::Ok().json(KeyView::new(&record, manage.verifier().clock().now())))
}

/// Rotate a key (maker): a successor with the same settings, whose secret is in this response only.
/// Once the successor is active, this key expires after `overlap_seconds`.
#[utoipa::path(operation_id = "rotateKey", post, path = "/v1/tenants/{tenant}/keys/{id}/rotate", tag = "lifecycle", params(("tenant" = TenantIdText, Path, description = "The tenant"), ("id" = KeyIdText, Path, description = "The key")),
    request_body(content = Option<RotateBody>, description = "Optional"),
    responses((status = 201, description = "The successor and its secret, shown once", body = CreatedKey),
        (status = 409, description = "INVALID_STATE, NAME_TAKEN, CONFLICT")),
    security(("bearer" = []), ("apiKey" = [])))]
pub async fn rotate(
    manage: web::Data<Management>,
    req: HttpRequest,
    path: TenantKey,
    body: Body,
) -> Result<HttpResponse, ApiError> {
    let (who, tenant) = tenant_caller(&manage, &req, &path.0, Permission::Request).await?;
    let id = key_id(&path.1)?;
    let overlap = body.json::<RotateBody>()?.overlap()?;
    let (record, secret) = manage.rotate(&who, &tenant, id, overlap).await?;
    Ok(HttpResponse::Created().json(created(&manage, &record, secret)))
}

/// A key's use over the last 31 days.
#[utoipa::path(operation_id = "getKeyUsage", get, path = "/v1/tenants/{tenant}/keys/{id}/usage", tag = "keys", params(("tenant" = TenantIdText, Path, description = "The tenant"), ("id" = KeyIdText, Path, description = "The key")),
    responses((status = 200, description = "Requests and spend per day", body = UsageView)), security(("bearer" = []), ("apiKey" = [])))]
pub async fn usage(manage: web::Data<Management>, req: HttpRequest, path: TenantKey) -> Result<HttpResponse, ApiError> {
    let (who, tenant) = tenant_caller(&manage, &req, &path.0, Permission::Read).await?;
    let usage = manage.usage(&who, &tenant, key_id(&path.1)?, 31).await?;
    Ok(HttpResponse::Ok().json(UsageView::new(&path.1, &usage)))
}
