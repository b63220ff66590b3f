//! The HTTP routes. Each handler authenticates the caller, converts the body into domain values,
//! calls one management or verification operation, and renders the result. No rule lives here.

pub(crate) mod authorize;
pub(crate) mod health;
pub(crate) mod keys;
pub(crate) mod leaks;
pub(crate) mod lifecycle;
pub(crate) mod operators;
pub(crate) mod requests;
pub(crate) mod scopes;
pub(crate) mod services;
pub(crate) mod suspension;
pub(crate) mod tenants;
pub(crate) mod verify;
pub(crate) mod webhooks;

pub use verify::VerifyAuth;

use actix_web::{web, HttpRequest};
use keygate_domain::{KeyId, TenantId};
use keygate_verifier::actix::{client_ip_of, presented_token};
use keygate_verifier::manage::{Caller, Management, Permission};

use crate::body::Body;
use crate::error::ApiError;

/// A lifecycle handler, boxed so the eleven `POST .../keys/{id}/<action>` routes register in one loop.
type Handler = fn(
    web::Data<Management>,
    HttpRequest,
    web::Path<(String, String)>,
    Body,
) -> std::pin::Pin<Box<dyn std::future::Future<Output = Result<actix_web::HttpResponse, ApiError>>>>;

/// Every route the server answers, as `(method, path)`; the OpenAPI document must list exactly these.
pub const ROUTES: &[(&str, &str)] = &[
    ("POST", "/v1/tenants"),
    ("GET", "/v1/tenants/{tenant}"),
    ("PATCH", "/v1/tenants/{tenant}"),
    ("POST", "/v1/tenants/{tenant}/operators"),
    ("GET", "/v1/tenants/{tenant}/operators"),
    ("PATCH", "/v1/tenants/{tenant}/operators/{id}"),
    ("POST", "/v1/tenants/{tenant}/operators/{id}/approve"),
    ("POST", "/v1/tenants/{tenant}/operators/{id}/reject"),
    ("POST", "/v1/tenants/{tenant}/operators/{id}/disable"),
    ("POST", "/v1/tenants/{tenant}/operators/{id}/enable"),
    ("POST", "/v1/tenants/{tenant}/operators/{id}/invite"),
    ("POST", "/v1/tenants/{tenant}/policy/approve"),
    ("POST", "/v1/tenants/{tenant}/policy/reject"),
    ("PUT", "/v1/tenants/{tenant}/currencies/{code}"),
    ("GET", "/v1/tenants/{tenant}/scopes"),
    ("PUT", "/v1/tenants/{tenant}/scopes"),
    ("DELETE", "/v1/tenants/{tenant}/scopes"),
    ("POST", "/v1/operators/claim"),
    ("POST", "/v1/operators/me/token"),
    ("POST", "/v1/tenants/{tenant}/keys"),
    ("GET", "/v1/tenants/{tenant}/keys"),
    ("GET", "/v1/tenants/{tenant}/keys/{id}"),
    ("PATCH", "/v1/tenants/{tenant}/keys/{id}"),
    ("DELETE", "/v1/tenants/{tenant}/keys/{id}"),
    ("POST", "/v1/tenants/{tenant}/keys/{id}/approve"),
    ("POST", "/v1/tenants/{tenant}/keys/{id}/reject"),
    ("POST", "/v1/tenants/{tenant}/keys/{id}/revoke"),
    ("POST", "/v1/tenants/{tenant}/keys/{id}/suspend"),
    ("POST", "/v1/tenants/{tenant}/keys/{id}/resume"),
    ("POST", "/v1/tenants/{tenant}/keys/{id}/resume/approve"),
    ("POST", "/v1/tenants/{tenant}/keys/{id}/resume/reject"),
    ("POST", "/v1/tenants/{tenant}/keys/{id}/revocation/approve"),
    ("POST", "/v1/tenants/{tenant}/keys/{id}/revocation/reject"),
    ("POST", "/v1/tenants/{tenant}/keys/{id}/change/approve"),
    ("POST", "/v1/tenants/{tenant}/keys/{id}/change/reject"),
    ("POST", "/v1/tenants/{tenant}/keys/{id}/rotate"),
    ("POST", "/v1/tenants/{tenant}/keys/{id}/secret"),
    ("GET", "/v1/tenants/{tenant}/keys/{id}/usage"),
    ("GET", "/v1/tenants/{tenant}/requests"),
    ("GET", "/v1/tenants/{tenant}/keys/{id}/requests"),
    ("GET", "/v1/tenants/{tenant}/audit"),
    ("GET", "/v1/tenants/{tenant}/audit/verify"),
    ("POST", "/v1/verify"),
    ("POST", "/v1/verify-signed"),
    ("GET", "/v1/authorize"),
    ("GET", "/v1/authorize/{tail}"),
    ("POST", "/v1/spends/{spend_id}/release"),
    ("POST", "/v1/leaks"),
    ("POST", "/v1/services"),
    ("GET", "/v1/services"),
    ("POST", "/v1/services/{id}/disable"),
    ("POST", "/v1/tenants/{tenant}/webhooks"),
    ("GET", "/v1/tenants/{tenant}/webhooks"),
    ("GET", "/v1/tenants/{tenant}/webhooks/{id}"),
    ("PATCH", "/v1/tenants/{tenant}/webhooks/{id}"),
    ("DELETE", "/v1/tenants/{tenant}/webhooks/{id}"),
    ("POST", "/v1/tenants/{tenant}/webhooks/{id}/approve"),
    ("POST", "/v1/tenants/{tenant}/webhooks/{id}/rotate-secret"),
    ("POST", "/v1/tenants/{tenant}/webhooks/{id}/test"),
    ("GET", "/v1/tenants/{tenant}/webhooks/{id}/deliveries"),
    ("POST", "/v1/tenants/{tenant}/webhooks/{id}/deliveries/{delivery}/redeliver"),
    ("GET", "/healthz"),
    ("GET", "/readyz"),
    ("GET", "/metrics"),
    ("GET", "/openapi.json"),
];

/// Registers every route of [`ROUTES`].
pub fn configure(cfg: &mut web::ServiceConfig) {
    use web::{delete, get, patch, post, put};
    // The hot route first: actix tries resources in registration order (and `match_pattern`, which the
    // metrics middleware calls, walks them again), and every `{param}` pattern is a regex match. No
    // other pattern can match `/v1/verify`, so the order changes no answer, only what a verify costs.
    cfg.service(resource("/v1/verify", [post().to(verify::verify)]))
        .service(resource("/v1/verify-signed", [post().to(verify::verify_signed)]))
        .service(resource("/v1/tenants", [post().to(tenants::create)]))
        .service(resource("/v1/spends/{spend_id}/release", [post().to(verify::release)]))
        // Any method: Envoy forwards the original one; nginx and Traefik send theirs in headers.
        .service(web::resource("/v1/authorize").route(web::route().to(authorize::authorize)))
        .service(web::resource("/v1/authorize/{tail:.*}").route(web::route().to(authorize::authorize_path)))
        .service(resource("/v1/leaks", [post().to(leaks::report)]))
        .service(resource("/v1/services", [post().to(services::create), get().to(services::list)]))
        .service(resource("/v1/services/{id}/disable", [post().to(services::disable)]))
        .service(resource("/v1/tenants/{tenant}", [get().to(tenants::get), patch().to(tenants::update)]))
        .service(resource("/v1/tenants/{tenant}/policy/approve", [post().to(tenants::approve_policy)]))
        .service(resource("/v1/tenants/{tenant}/policy/reject", [post().to(tenants::reject_policy)]))
        .service(resource("/v1/tenants/{tenant}/currencies/{code}", [put().to(tenants::put_currency)]))
        .service(resource(
            "/v1/tenants/{tenant}/scopes",
            [get().to(scopes::get), put().to(scopes::put), delete().to(scopes::delete)],
        ))
        .service(resource("/v1/tenants/{tenant}/operators", [post().to(operators::create), get().to(operators::list)]))
        .service(resource("/v1/operators/claim", [post().to(operators::claim)]))
        .service(resource("/v1/operators/me/token", [post().to(operators::replace_token)]))
        .service(resource("/v1/tenants/{tenant}/operators/{id}", [patch().to(operators::patch)]))
        .service(resource("/v1/tenants/{tenant}/operators/{id}/approve", [post().to(operators::approve)]))
        .service(resource("/v1/tenants/{tenant}/operators/{id}/reject", [post().to(operators::reject)]))
        .service(resource("/v1/tenants/{tenant}/operators/{id}/disable", [post().to(operators::disable)]))
        .service(resource("/v1/tenants/{tenant}/operators/{id}/enable", [post().to(operators::enable)]))
        .service(resource("/v1/tenants/{tenant}/operators/{id}/invite", [post().to(operators::reinvite)]))
        .service(resource("/v1/tenants/{tenant}/keys", [post().to(keys::create), get().to(keys::list)]))
        .service(resource(
            "/v1/tenants/{tenant}/keys/{id}",
            [get().to(keys::get), patch().to(keys::patch), delete().to(lifecycle::delete)],
        ));
    let actions: [(&str, Handler); 11] = [
        ("approve", |m, r, p, b| Box::pin(lifecycle::approve(m, r, p, b))),
        ("reject", |m, r, p, b| Box::pin(lifecycle::reject(m, r, p, b))),
        ("revoke", |m, r, p, b| Box::pin(lifecycle::revoke(m, r, p, b))),
        ("revocation/approve", |m, r, p, b| Box::pin(lifecycle::approve_revocation(m, r, p, b))),
        ("revocation/reject", |m, r, p, b| Box::pin(lifecycle::reject_revocation(m, r, p, b))),
        ("change/approve", |m, r, p, b| Box::pin(lifecycle::approve_change(m, r, p, b))),
        ("change/reject", |m, r, p, b| Box::pin(lifecycle::reject_change(m, r, p, b))),
        ("suspend", |m, r, p, b| Box::pin(suspension::suspend(m, r, p, b))),
        ("resume", |m, r, p, b| Box::pin(suspension::resume(m, r, p, b))),
        ("resume/approve", |m, r, p, b| Box::pin(suspension::approve_resume(m, r, p, b))),
        ("resume/reject", |m, r, p, b| Box::pin(suspension::reject_resume(m, r, p, b))),
    ];
    for (path, handler) in actions {
        cfg.service(resource(&format!("/v1/tenants/{{tenant}}/keys/{{id}}/{path}"), [post().to(handler)]));
    }
    cfg.service(resource("/v1/tenants/{tenant}/keys/{id}/rotate", [post().to(keys::rotate)]))
        .service(resource("/v1/tenants/{tenant}/keys/{id}/secret", [post().to(keys::reveal)]))
        .service(resource("/v1/tenants/{tenant}/keys/{id}/usage", [get().to(keys::usage)]))
        .service(resource("/v1/tenants/{tenant}/requests", [get().to(requests::list)]))
        .service(resource("/v1/tenants/{tenant}/keys/{id}/requests", [get().to(requests::for_key)]))
        .service(resource("/v1/tenants/{tenant}/audit", [get().to(tenants::audit)]))
        .service(resource("/v1/tenants/{tenant}/audit/verify", [get().to(tenants::verify_audit)]))
        .service(resource("/v1/tenants/{tenant}/webhooks", [post().to(webhooks::create), get().to(webhooks::list)]))
        .service(resource(
            "/v1/tenants/{tenant}/webhooks/{id}",
            [get().to(webhooks::get), patch().to(webhooks::patch), delete().to(webhooks::delete)],
        ))
        .service(resource("/v1/tenants/{tenant}/webhooks/{id}/approve", [post().to(webhooks::approve)]))
        .service(resource("/v1/tenants/{tenant}/webhooks/{id}/rotate-secret", [post().to(webhooks::rotate_secret)]))
        .service(resource("/v1/tenants/{tenant}/webhooks/{id}/test", [post().to(webhooks::test)]))
        .service(resource("/v1/tenants/{tenant}/webhooks/{id}/deliveries", [get().to(webhooks::deliveries)]))
        .service(resource(
            "/v1/tenants/{tenant}/webhooks/{id}/deliveries/{delivery}/redeliver",
            [post().to(webhooks::redeliver)],
        ))
        .service(resource("/healthz", [get().to(health::healthz)]))
        .service(resource("/readyz", [get().to(health::readyz)]))
        .service(resource("/metrics", [get().to(health::metrics)]))
        .service(resource("/openapi.json", [get().to(health::openapi)]));
}

/// A resource answering `routes`, and 405 problem+json for any other method.
fn resource<const N: usize>(path: &str, routes: [actix_web::Route; N]) -> actix_web::Resource {
    let not_allowed = web::to(|| async { Err::<actix_web::HttpResponse, _>(ApiError::MethodNotAllowed) });
    routes.into_iter().fold(web::resource(path), actix_web::Resource::route).default_service(not_allowed)
}

/// The proxies whose `X-Forwarded-For` is believed (`KEYGATE_TRUSTED_PROXIES`).
#[derive(Debug, Clone, Default)]
pub struct TrustedProxies(pub Vec<ipnetwork::IpNetwork>);

/// The caller, authenticated for acting on `tenant`, from the address it really calls from (an
/// integrator key's allow list is checked against it).
async fn caller(manage: &Management, req: &HttpRequest, tenant: Option<&TenantId>) -> Result<Caller, ApiError> {
    Ok(manage.authenticate(presented_token(req.headers()), tenant, client_address(req)).await?)
}

/// The address the request really comes from: the peer, or `X-Forwarded-For` from a trusted proxy.
pub(crate) fn client_address(req: &HttpRequest) -> Option<std::net::IpAddr> {
    let trusted = req.app_data::<web::Data<TrustedProxies>>().map_or(&[][..], |p| p.0.as_slice());
    client_ip_of(req.peer_addr().map(|a| a.ip()), req.headers(), trusted)
}

/// Authenticates, parses the tenant of the path (an id that cannot exist is 404), and checks that the
/// caller may act there with `permission`, all before the route reads its body: a caller from another
/// tenant, or without the role, is 403 whatever it sent.
async fn tenant_caller(
    manage: &Management,
    req: &HttpRequest,
    tenant: &str,
    permission: Permission,
) -> Result<(Caller, TenantId), ApiError> {
    let parsed = TenantId::parse(tenant).ok();
    let who = caller(manage, req, parsed.as_ref()).await?;
    let tenant = parsed.ok_or(ApiError::NotFound)?;
    who.may(&tenant, permission)?;
    Ok((who, tenant))
}

/// The query string as `T`, parsed after the caller was authorized (an extractor would parse it before).
fn query<T: serde::de::DeserializeOwned>(req: &HttpRequest) -> Result<T, ApiError> {
    web::Query::<T>::from_query(req.query_string())
        .map(web::Query::into_inner)
        .map_err(|e| ApiError::invalid("query", e))
}

/// A key id from the path; an id that cannot exist is 404.
fn key_id(text: &str) -> Result<KeyId, ApiError> {
    KeyId::parse(text).map_err(|_| ApiError::NotFound)
}

/// Page size: 1 to 200, default 50.
fn page_limit(limit: Option<u32>) -> Result<u32, ApiError> {
    match limit {
        None => Ok(50),
        Some(n @ 1..=200) => Ok(n),
        Some(_) => Err(ApiError::invalid("limit", "must be between 1 and 200")),
    }
}
