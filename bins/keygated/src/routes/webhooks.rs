//! Webhook routes: a tenant's endpoints (admins manage, admins and auditors read), a test event, and
//! the delivery log with its redelivery. The signing secret is in the registration's and the
//! rotation's response only.

use actix_web::{web, HttpRequest, HttpResponse};
use keygate_domain::WebhookId;
use keygate_store::{DeliveryCursor, DeliveryStatus, WebhookRecord};
use keygate_verifier::manage::{Management, Permission, WebhookPatchSpec, WebhookSpec};

use super::{page_limit, query, tenant_caller};
use crate::body::Body;
use crate::dto::schema::TenantIdText;
use crate::dto::webhook::{
    CreateWebhook, DeliveryList, DeliveryQuery, DeliveryView, PatchWebhook, WebhookList, WebhookView, WebhookWithSecret,
};
use crate::error::ApiError;

type TenantWebhook = web::Path<(String, String)>;

/// A webhook id from the path; an id that cannot exist is 404.
fn webhook_id(text: &str) -> Result<WebhookId, ApiError> {
    WebhookId::parse(text).map_err(|_| ApiError::NotFound)
}

fn with_secret(record: &WebhookRecord, secret: &str) -> WebhookWithSecret {
    WebhookWithSecret { webhook: WebhookView::from(record), secret: secret.to_owned() }
}

/// Register a webhook endpoint (admin). Under dual control it sends nothing until another admin
/// approves it. The signing secret is in this response only. 400 naming `KEYGATE_WEBHOOK_KEY` when
/// the installation has no key to seal secrets with.
#[utoipa::path(operation_id = "createWebhook", post, path = "/v1/tenants/{tenant}/webhooks", tag = "webhooks",
    params(("tenant" = TenantIdText, Path, description = "The tenant")), request_body = CreateWebhook,
    responses((status = 201, description = "The endpoint and its secret, shown once", body = WebhookWithSecret)),
    security(("bearer" = []), ("apiKey" = [])))]
pub async fn create(
    manage: web::Data<Management>,
    req: HttpRequest,
    path: web::Path<String>,
    body: Body,
) -> Result<HttpResponse, ApiError> {
    let (who, tenant) = tenant_caller(&manage, &req, &path, Permission::Administer).await?;
    let spec = WebhookSpec::try_from(body.json::<CreateWebhook>()?)?;
    let (record, secret) = manage.create_webhook(&who, &tenant, spec).await?;
    Ok(HttpResponse::Created().json(with_secret(&record, &secret)))
}

/// The tenant's webhook endpoints (admin, auditor), oldest first.
#[utoipa::path(operation_id = "listWebhooks", get, path = "/v1/tenants/{tenant}/webhooks", tag = "webhooks",
    params(("tenant" = TenantIdText, Path, description = "The tenant")),
    responses((status = 200, description = "Oldest first", body = WebhookList)), security(("bearer" = []), ("apiKey" = [])))]
pub async fn list(
    manage: web::Data<Management>,
    req: HttpRequest,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let (who, tenant) = tenant_caller(&manage, &req, &path, Permission::Oversee).await?;
    let hooks = manage.webhooks(&who, &tenant).await?;
    Ok(HttpResponse::Ok().json(WebhookList { items: hooks.iter().map(WebhookView::from).collect() }))
}

/// One webhook endpoint (admin, auditor).
#[utoipa::path(operation_id = "getWebhook", get, path = "/v1/tenants/{tenant}/webhooks/{id}", tag = "webhooks",
    params(("tenant" = TenantIdText, Path), ("id" = String, Path)),
    responses((status = 200, description = "The endpoint", body = WebhookView)), security(("bearer" = []), ("apiKey" = [])))]
pub async fn get(
    manage: web::Data<Management>,
    req: HttpRequest,
    path: TenantWebhook,
) -> Result<HttpResponse, ApiError> {
    let (who, tenant) = tenant_caller(&manage, &req, &path.0, Permission::Oversee).await?;
    let record = manage.webhook(&who, &tenant, webhook_id(&path.1)?).await?;
    Ok(HttpResponse::Ok().json(WebhookView::from(&record)))
}

/// Change an endpoint (admin): `description` and `enabled: false` at once; `url`, `events` and
/// `enabled: true` at once without dual control, else waiting for another admin (`pending`).
#[utoipa::path(operation_id = "patchWebhook", patch, path = "/v1/tenants/{tenant}/webhooks/{id}", tag = "webhooks",
    params(("tenant" = TenantIdText, Path), ("id" = String, Path)), request_body = PatchWebhook,
    responses((status = 200, description = "The endpoint", body = WebhookView),
        (status = 409, description = "INVALID_STATE, CONFLICT")),
    security(("bearer" = []), ("apiKey" = [])))]
pub async fn patch(
    manage: web::Data<Management>,
    req: HttpRequest,
    path: TenantWebhook,
    body: Body,
) -> Result<HttpResponse, ApiError> {
    let (who, tenant) = tenant_caller(&manage, &req, &path.0, Permission::Administer).await?;
    let id = webhook_id(&path.1)?;
    let spec = WebhookPatchSpec::try_from(body.json::<PatchWebhook>()?)?;
    let record = manage.update_webhook(&who, &tenant, id, spec).await?;
    Ok(HttpResponse::Ok().json(WebhookView::from(&record)))
}

/// Delete an endpoint and its delivery log (admin), at once.
#[utoipa::path(operation_id = "deleteWebhook", delete, path = "/v1/tenants/{tenant}/webhooks/{id}", tag = "webhooks",
    params(("tenant" = TenantIdText, Path), ("id" = String, Path)),
    responses((status = 204, description = "Deleted")), security(("bearer" = []), ("apiKey" = [])))]
pub async fn delete(
    manage: web::Data<Management>,
    req: HttpRequest,
    path: TenantWebhook,
) -> Result<HttpResponse, ApiError> {
    let (who, tenant) = tenant_caller(&manage, &req, &path.0, Permission::Administer).await?;
    manage.delete_webhook(&who, &tenant, webhook_id(&path.1)?).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Approve an endpoint's pending creation or change (an admin other than the one who asked).
#[utoipa::path(operation_id = "approveWebhook", post, path = "/v1/tenants/{tenant}/webhooks/{id}/approve", tag = "webhooks",
    params(("tenant" = TenantIdText, Path), ("id" = String, Path)),
    responses((status = 200, description = "The endpoint", body = WebhookView),
        (status = 403, description = "SELF_APPROVAL"), (status = 409, description = "INVALID_STATE, CONFLICT")),
    security(("bearer" = []), ("apiKey" = [])))]
pub async fn approve(
    manage: web::Data<Management>,
    req: HttpRequest,
    path: TenantWebhook,
) -> Result<HttpResponse, ApiError> {
    let (who, tenant) = tenant_caller(&manage, &req, &path.0, Permission::Administer).await?;
    let record = manage.approve_webhook(&who, &tenant, webhook_id(&path.1)?).await?;
    Ok(HttpResponse::Ok().json(WebhookView::from(&record)))
}

/// Give an endpoint a new signing secret (admin), in this response only; the old one keeps signing
/// alongside for 24 hours (both signatures are sent).
#[utoipa::path(operation_id = "rotateWebhookSecret", post, path = "/v1/tenants/{tenant}/webhooks/{id}/rotate-secret",
    tag = "webhooks", params(("tenant" = TenantIdText, Path), ("id" = String, Path)),
    responses((status = 200, description = "The endpoint and its new secret, shown once", body = WebhookWithSecret),
        (status = 400, description = "INVALID_REQUEST"),
        (status = 409, description = "CONFLICT")),
    security(("bearer" = []), ("apiKey" = [])))]
pub async fn rotate_secret(
    manage: web::Data<Management>,
    req: HttpRequest,
    path: TenantWebhook,
) -> Result<HttpResponse, ApiError> {
    let (who, tenant) = tenant_caller(&manage, &req, &path.0, Permission::Administer).await?;
    let (record, secret) = manage.rotate_webhook_secret(&who, &tenant, webhook_id(&path.1)?).await?;
    Ok(HttpResponse::Ok().json(with_secret(&record, &secret)))
}

/// Send a `webhook.test` event to this endpoint (admin); it must be active.
#[utoipa::path(operation_id = "testWebhook", post, path = "/v1/tenants/{tenant}/webhooks/{id}/test", tag = "webhooks",
    params(("tenant" = TenantIdText, Path), ("id" = String, Path)),
    responses((status = 202, description = "The queued delivery", body = DeliveryView),
        (status = 409, description = "INVALID_STATE")),
    security(("bearer" = []), ("apiKey" = [])))]
pub async fn test(
    manage: web::Data<Management>,
    req: HttpRequest,
    path: TenantWebhook,
) -> Result<HttpResponse, ApiError> {
    let (who, tenant) = tenant_caller(&manage, &req, &path.0, Permission::Administer).await?;
    let delivery = manage.test_webhook(&who, &tenant, webhook_id(&path.1)?).await?;
    Ok(HttpResponse::Accepted().json(DeliveryView::from(&delivery)))
}

/// The endpoint's delivery log (admin, auditor), newest first, one row per attempt.
#[utoipa::path(operation_id = "listWebhookDeliveries", get, path = "/v1/tenants/{tenant}/webhooks/{id}/deliveries",
    tag = "webhooks", params(("tenant" = TenantIdText, Path), ("id" = String, Path), DeliveryQuery),
    responses((status = 200, description = "A page of attempts", body = DeliveryList)),
    security(("bearer" = []), ("apiKey" = [])))]
pub async fn deliveries(
    manage: web::Data<Management>,
    req: HttpRequest,
    path: TenantWebhook,
) -> Result<HttpResponse, ApiError> {
    let (who, tenant) = tenant_caller(&manage, &req, &path.0, Permission::Oversee).await?;
    let id = webhook_id(&path.1)?;
    let q: DeliveryQuery = query(&req)?;
    let status = q
        .status
        .as_deref()
        .map(|s| {
            DeliveryStatus::parse(s).ok_or_else(|| ApiError::invalid("status", "must be pending, delivered or failed"))
        })
        .transpose()?;
    let cursor = q
        .cursor
        .as_deref()
        .map(|c| c.parse::<DeliveryCursor>().map_err(|e| ApiError::invalid("cursor", e)))
        .transpose()?;
    let page = manage.webhook_deliveries(&who, &tenant, id, status, cursor, page_limit(q.limit)?).await?;
    Ok(HttpResponse::Ok().json(DeliveryList {
        items: page.items.iter().map(DeliveryView::from).collect(),
        next_cursor: page.next.map(|c| c.to_string()),
    }))
}

/// Queue a delivery's event again (admin), with the same `webhook-id`, as a new delivery.
#[utoipa::path(operation_id = "redeliverWebhook", post,
    path = "/v1/tenants/{tenant}/webhooks/{id}/deliveries/{delivery}/redeliver", tag = "webhooks",
    params(("tenant" = TenantIdText, Path), ("id" = String, Path), ("delivery" = String, Path)),
    responses((status = 202, description = "The queued delivery", body = DeliveryView)),
    security(("bearer" = []), ("apiKey" = [])))]
pub async fn redeliver(
    manage: web::Data<Management>,
    req: HttpRequest,
    path: web::Path<(String, String, String)>,
) -> Result<HttpResponse, ApiError> {
    let (who, tenant) = tenant_caller(&manage, &req, &path.0, Permission::Administer).await?;
    let delivery = manage.redeliver(&who, &tenant, webhook_id(&path.1)?, &path.2).await?;
    Ok(HttpResponse::Accepted().json(DeliveryView::from(&delivery)))
}
