//! `/v1/authorize` (and `/v1/authorize/{tail}`, any method): the answer an API gateway asks for
//! before it lets a request through (nginx `auth_request`, Traefik `ForwardAuth`, Envoy `ext_authz`).
//!
//! The gateway presents its service credential in `X-Keygate-Service` (`Authorization` carries the
//! client's key); the original request comes from the gateway's headers (`keygate_gateway::original`);
//! what it needs, from the route table (`KEYGATE_ROUTES`). The verification is the same `Verifier`
//! call as `/v1/verify`'s: same cache, metrics and request log. 200 with `X-Keygate-*` headers lets
//! the request pass; every refusal is a problem+json with a status a gateway denies on (401 with
//! `WWW-Authenticate`, 403, 429 with `Retry-After`) or 503: never 200 on an error. A verification
//! refusal that `/v1/verify` reports as 400 (an amount that is not money in its currency) is 403 here,
//! because nginx turns any status but 2xx, 401 and 403 into its own 500.

use std::time::Instant;

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use keygate_gateway::{original, Refusal};
use keygate_verifier::actix::{presented_token, Problem};
use keygate_verifier::manage::Management;
use keygate_verifier::request_log::RequestLog;
use keygate_verifier::{Verified, VerifyError, VerifyOptions};

use super::client_address;
use super::verify::VerifyAuth;
use crate::error::ApiError;
use crate::gateway_routes::GatewayRoutes;

/// The header carrying the gateway's service credential.
pub const SERVICE_HEADER: &str = "x-keygate-service";

/// May this request pass? Answers 200 with `X-Keygate-Key-Id`, `X-Keygate-Tenant`,
/// `X-Keygate-Environment`, `X-Keygate-Scopes` (and `X-Keygate-Spend-Id`, `X-Keygate-Remaining` when an
/// amount was spent); 401, 403, 429 or 503 otherwise. Any method is accepted (Envoy forwards the
/// original one); the gateway's service credential goes in `X-Keygate-Service`.
#[utoipa::path(operation_id = "authorize", get, path = "/v1/authorize", tag = "verify",
    params(
        ("X-Keygate-Service" = Option<String>, Header, description = "The gateway's service credential"),
        ("X-Original-Method" = Option<String>, Header, description = "nginx: the original method"),
        ("X-Original-URI" = Option<String>, Header, description = "nginx: the original URI"),
        ("X-Forwarded-Method" = Option<String>, Header, description = "Traefik: the original method"),
        ("X-Forwarded-Uri" = Option<String>, Header, description = "Traefik: the original URI"),
    ),
    responses(
        (status = 200, description = "The request may pass; the X-Keygate-* headers say which key"),
        (status = 403, description = "NO_ROUTE, AMOUNT_REQUIRED"),
    ),
    security(("bearer" = [])))]
pub async fn authorize(
    manage: web::Data<Management>,
    auth: Option<web::Data<VerifyAuth>>,
    log: Option<web::Data<RequestLog>>,
    routes: web::Data<GatewayRoutes>,
    req: HttpRequest,
) -> HttpResponse {
    match decide(&manage, auth.as_ref().map(|a| &***a), log.as_ref().map(|l| &***l), &routes, &req).await {
        Ok(verified) => passed(&verified),
        Err(problem) => problem.response(),
    }
}

/// `/v1/authorize/{tail}`: Envoy appends the original path to the service's path prefix.
#[utoipa::path(operation_id = "authorizePath", get, path = "/v1/authorize/{tail}", tag = "verify",
    params(
        ("tail" = String, Path, description = "The original request's path (Envoy appends it)"),
        ("X-Keygate-Service" = Option<String>, Header, description = "The gateway's service credential"),
    ),
    responses(
        (status = 200, description = "The request may pass; the X-Keygate-* headers say which key"),
        (status = 403, description = "NO_ROUTE, AMOUNT_REQUIRED"),
    ),
    security(("bearer" = [])))]
pub async fn authorize_path(
    manage: web::Data<Management>,
    auth: Option<web::Data<VerifyAuth>>,
    log: Option<web::Data<RequestLog>>,
    routes: web::Data<GatewayRoutes>,
    req: HttpRequest,
) -> HttpResponse {
    authorize(manage, auth, log, routes, req).await
}

async fn decide(
    manage: &Management,
    auth: Option<&VerifyAuth>,
    log: Option<&RequestLog>,
    routes: &GatewayRoutes,
    req: &HttpRequest,
) -> Result<Verified, Problem> {
    let headers = req.headers();
    let service = match headers.get(SERVICE_HEADER).map(actix_web::http::header::HeaderValue::as_bytes) {
        Some(token) => Some(manage.authenticate_service(token).await.map_err(|e| api_problem(ApiError::from(e)))?),
        None if auth.is_none_or(|a| a.required) => {
            return Err(Problem::new(
                StatusCode::UNAUTHORIZED,
                "UNAUTHENTICATED",
                "the gateway's service credential is missing: send it in X-Keygate-Service",
            ))
        }
        None => None,
    };
    let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    let tail = req.path().strip_prefix("/v1/authorize").unwrap_or_default();
    let original = original(header, req.method().as_str(), tail).map_err(|e| {
        Problem::new(StatusCode::FORBIDDEN, "NO_ROUTE", format!("the original request is unknown: {e}"))
    })?;
    let table = routes.current();
    let mut ctx = table.resolve(&original, header).map_err(|r| refused(&r))?.context;
    ctx.client_ip = client_address(req);
    let started = Instant::now();
    let raw = presented_token(headers).unwrap_or_default();
    let caller = service.as_ref().map(|s| s.id.to_string()).unwrap_or_default();
    let options = VerifyOptions {
        within: service.as_ref().and_then(|s| s.tenants.as_deref()),
        idempotency: None,
        caller: &caller,
    };
    let verifier = manage.verifier();
    let outcome = match log {
        None => verifier.verify_with(raw, &ctx, options).await,
        Some(log) => {
            let (outcome, subject) = verifier.verify_with_subject(raw, &ctx, options).await;
            log.note(subject.as_ref(), &ctx, &outcome, started.elapsed(), service.as_ref().map(|s| s.id));
            outcome
        }
    };
    metrics::histogram!("keygate_verify_seconds").record(started.elapsed().as_secs_f64());
    outcome.map_err(|error| denied(&error, raw.is_empty()))
}

/// 200 and the key's headers.
fn passed(verified: &Verified) -> HttpResponse {
    let mut response = HttpResponse::Ok();
    response
        .insert_header(("x-keygate-key-id", verified.key_id.to_string()))
        .insert_header(("x-keygate-tenant", verified.tenant.as_str()))
        .insert_header(("x-keygate-environment", verified.environment.as_str()))
        .insert_header((
            "x-keygate-scopes",
            verified.scopes.iter().map(ToString::to_string).collect::<Vec<_>>().join(","),
        ));
    if let Some(spend) = verified.spend {
        response.insert_header(("x-keygate-spend-id", spend.to_string()));
    }
    let tightest =
        [verified.remaining_daily_volume, verified.remaining_weekly_volume, verified.remaining_monthly_volume]
            .into_iter()
            .flatten()
            .min();
    if let Some(remaining) = tightest.filter(|_| verified.spent.is_some()) {
        response.insert_header(("x-keygate-remaining", remaining.to_string()));
    }
    response.finish()
}

/// A verification refusal as the gateway must see it: its own status, but 400 as 403, and a request
/// that presented no key at all challenged plainly.
fn denied(error: &VerifyError, no_key: bool) -> Problem {
    let mut problem = Problem::from(error);
    if problem.status == 400 {
        problem.status = 403;
        StatusCode::FORBIDDEN.canonical_reason().unwrap_or("Forbidden").clone_into(&mut problem.title);
    }
    if no_key && problem.status == 401 {
        "MISSING_CREDENTIAL".clone_into(&mut problem.code);
        "no API key: send it in Authorization: Bearer or X-API-KEY".clone_into(&mut problem.detail);
    }
    problem
}

fn refused(refusal: &Refusal) -> Problem {
    Problem::new(StatusCode::FORBIDDEN, refusal.code(), refusal.to_string())
}

fn api_problem(error: ApiError) -> Problem {
    use actix_web::ResponseError;
    Problem::new(error.status_code(), error_code(&error), error.to_string())
}

fn error_code(error: &ApiError) -> &'static str {
    match error {
        ApiError::Unavailable => "STORE_UNAVAILABLE",
        _ => "UNAUTHENTICATED",
    }
}
