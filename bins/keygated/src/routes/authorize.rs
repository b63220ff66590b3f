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
use keygate_verifier::{SignedRequest, Verified, VerifyError, VerifyOptions};

use super::client_address;
use super::verify::VerifyAuth;
use crate::error::ApiError;
use crate::gateway_routes::GatewayRoutes;

/// The header carrying the gateway's service credential.
pub const SERVICE_HEADER: &str = "x-keygate-service";

/// May this request pass? Answers 200 with `X-Keygate-Key-Id`, `X-Keygate-Tenant`,
/// `X-Keygate-Account` (empty for a key of the whole tenant), `X-Keygate-Environment`,
/// `X-Keygate-Scopes`, `X-Keygate-Spend-Id` and `X-Keygate-Remaining` (empty unless an amount was
/// spent); 401, 403, 429 or 503 otherwise. Any method is accepted (Envoy forwards the
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
        Some(token) => Some(manage.authenticate_service(token).await.map_err(|e| api_problem(&ApiError::from(e)))?),
        None if auth.is_none_or(|a| a.required) => {
            return Err(Problem::new(
                StatusCode::UNAUTHORIZED,
                "UNAUTHENTICATED",
                "the gateway's service credential is missing: send it in X-Keygate-Service",
            ))
        }
        None => None,
    };
    refuse_ambiguous_headers(headers)?;
    // A header sent twice is no header: an upstream might read the other value than keygate did.
    let header = |name: &str| {
        let mut values = headers.get_all(name);
        let first = values.next()?;
        values.next().is_none().then(|| first.to_str().ok()).flatten()
    };
    let tail = req.path().strip_prefix("/v1/authorize").unwrap_or_default();
    let original = original(header, req.method().as_str(), tail, req.query_string())
        .map_err(|e| api_problem(&ApiError::NoRoute(format!("the original request is unknown: {e}"))))?;
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
    let signed = signed_request(headers, &original, header);
    let (outcome, subject) = match &signed {
        Some(signed) => verifier.verify_signed_with_subject(signed, &ctx, options).await,
        None => verifier.verify_with_subject(raw, &ctx, options).await,
    };
    if let Some(log) = log {
        log.note(subject.as_ref(), &ctx, &outcome, started.elapsed(), service.as_ref().map(|s| s.id));
    }
    metrics::histogram!("keygate_verify_seconds").record(started.elapsed().as_secs_f64());
    outcome.map_err(|error| denied(&error, raw.is_empty() && signed.is_none()))
}

/// SHA-256 of nothing: a gateway forwards no body to its authorization request, so the request keygate
/// judges has none. A signature whose `Content-Digest` states a body fails `DIGEST_MISMATCH`: a signed
/// request passes a gateway only without a body (docs/gateways.md).
const EMPTY_BODY_SHA256: [u8; 32] = [
    0xe3, 0xb0, 0xc4, 0x42, 0x98, 0xfc, 0x1c, 0x14, 0x9a, 0xfb, 0xf4, 0xc8, 0x99, 0x6f, 0xb9, 0x24, 0x27, 0xae, 0x41,
    0xe4, 0x64, 0x9b, 0x93, 0x4c, 0xa4, 0x95, 0x99, 0x1b, 0x78, 0x52, 0xb8, 0x55,
];

/// The original request as a signed one, when it carries `Signature-Input`: its method, path and query,
/// the authority the client addressed (`X-Forwarded-Host`, which the gateway sets, else `Host`), and its
/// headers (but the gateway's own credential).
fn signed_request<'h>(
    headers: &'h actix_web::http::header::HeaderMap,
    original: &keygate_gateway::Original,
    header: impl Fn(&str) -> Option<&'h str>,
) -> Option<SignedRequest> {
    header("signature-input")?;
    let authority = header("x-forwarded-host").or_else(|| header("host")).unwrap_or_default().to_owned();
    let fields = headers
        .iter()
        .filter(|(name, _)| name.as_str() != SERVICE_HEADER)
        .filter_map(|(name, value)| Some((name.as_str().to_owned(), value.to_str().ok()?.to_owned())))
        .collect();
    Some(SignedRequest {
        method: original.method.clone(),
        authority,
        path: original.path.clone(),
        query: original.query.clone(),
        headers: fields,
        body_sha256: Some(EMPTY_BODY_SHA256),
    })
}

/// Headers that make the original request mean something other than what keygate is told: a method
/// override (an upstream honouring it runs another route than the one judged), and a convention's
/// header sent twice.
const AMBIGUOUS: &[&str] = &["x-http-method-override", "x-http-method", "x-method-override"];
const ONCE: &[&str] = &["x-original-method", "x-original-uri", "x-forwarded-method", "x-forwarded-uri"];

fn refuse_ambiguous_headers(headers: &actix_web::http::header::HeaderMap) -> Result<(), Problem> {
    let refuse = |why: String| api_problem(&ApiError::NoRoute(why));
    if let Some(name) = AMBIGUOUS.iter().find(|n| headers.contains_key(**n)) {
        return Err(refuse(format!(
            "a method override ({name}) is refused: the route judged must be the route served"
        )));
    }
    match ONCE.iter().find(|n| headers.get_all(**n).count() > 1) {
        Some(name) => Err(refuse(format!("{name} was sent more than once"))),
        None => Ok(()),
    }
}

/// 200 and the key's headers: every one of them on every answer (empty when it does not apply), so a
/// gateway that copies them upstream always replaces a client's own header of that name.
fn passed(verified: &Verified) -> HttpResponse {
    let tightest =
        [verified.remaining_daily_volume, verified.remaining_weekly_volume, verified.remaining_monthly_volume]
            .into_iter()
            .flatten()
            .min()
            .filter(|_| verified.spent.is_some());
    let scopes = verified.scopes.iter().map(ToString::to_string).collect::<Vec<_>>().join(",");
    HttpResponse::Ok()
        .insert_header(("x-keygate-key-id", verified.key_id.to_string()))
        .insert_header(("x-keygate-tenant", verified.tenant.as_str()))
        .insert_header(("x-keygate-account", verified.account.as_ref().map_or("", |a| a.as_str())))
        .insert_header(("x-keygate-environment", verified.environment.as_str()))
        .insert_header(("x-keygate-scopes", scopes))
        .insert_header(("x-keygate-spend-id", verified.spend.map(|s| s.to_string()).unwrap_or_default()))
        .insert_header(("x-keygate-remaining", tightest.map(|r| r.to_string()).unwrap_or_default()))
        .finish()
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

/// A refusal of the table: `NO_ROUTE` and `AMOUNT_REQUIRED` from the status table; a tenant or
/// account segment that cannot exist with the policy's own code.
fn refused(refusal: &Refusal) -> Problem {
    match refusal {
        Refusal::AmountRequired { .. } => api_problem(&ApiError::AmountRequired(refusal.to_string())),
        Refusal::BadSegment(_) => Problem::new(StatusCode::FORBIDDEN, refusal.code(), refusal.to_string()),
        Refusal::NoRoute { .. } | Refusal::NotNormal | Refusal::CaseVariant => {
            api_problem(&ApiError::NoRoute(refusal.to_string()))
        }
    }
}

fn api_problem(error: &ApiError) -> Problem {
    let (status, code) = error.status_and_code();
    Problem::new(status, code, error.to_string())
}

#[cfg(test)]
mod tests {
    use sha2::Digest;

    #[test]
    fn the_empty_body_digest_is_sha256_of_nothing() {
        assert_eq!(super::EMPTY_BODY_SHA256, <[u8; 32]>::from(sha2::Sha256::digest(b"")));
    }
}
