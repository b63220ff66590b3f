//! `POST /v1/verify`: asked by a service holding a service credential (`Authorization: Bearer`), unless
//! `KEYGATE_VERIFY_AUTH=none`. The client address in the body is believed only from a service; without
//! one, the client is whoever connected (the peer, or `X-Forwarded-For` from a trusted proxy). Each
//! verdict about an existing key is noted in the request log (when it is on), behind the answer.

use std::time::Instant;

use actix_web::{web, HttpRequest, HttpResponse};
use keygate_verifier::actix::presented_token;
use keygate_verifier::manage::Management;
use keygate_verifier::request_log::RequestLog;
use keygate_verifier::{RequestContext, VerifyError, VerifyOptions};

use super::client_address;
use crate::body::Body;
use crate::dto::signing::VerifySignedRequest;
use crate::dto::verify::{ReleasedView, VerifyRequest, VerifyResponse};
use crate::error::ApiError;

/// Whether `/v1/verify` requires a service credential (`KEYGATE_VERIFY_AUTH`).
#[derive(Debug, Clone, Copy)]
pub struct VerifyAuth {
    /// `required` (the default) or not (`none`).
    pub required: bool,
}

/// Verify a key: may it do this? Always 200 with the verdict (`valid`, and `code` and `status` on
/// refusal); 401 without a valid service credential; 503 when the store cannot answer, so a caller
/// fails closed. A service bound to some tenants gets `NOT_FOUND` for any other tenant's key.
#[utoipa::path(operation_id = "verify", post, path = "/v1/verify", tag = "verify", request_body = VerifyRequest,
    responses((status = 200, description = "The verdict", body = VerifyResponse), (status = 409, description = "IDEMPOTENCY_MISMATCH")),
    security(("bearer" = [])))]
pub async fn verify(
    manage: web::Data<Management>,
    auth: Option<web::Data<VerifyAuth>>,
    log: Option<web::Data<RequestLog>>,
    req: HttpRequest,
    body: Body,
) -> Result<HttpResponse, ApiError> {
    let service = asking_service(&manage, auth.as_ref().map(|a| &***a), &req).await?;
    let request = body.json::<VerifyRequest>()?;
    let mut ctx = RequestContext::try_from(&request)?;
    if service.is_none() {
        // Only a service is believed about its client's address; anyone else is its own client.
        ctx.client_ip = client_address(&req);
    }
    let started = Instant::now();
    let verifier = manage.verifier();
    let caller = idempotency_caller(service.as_ref(), request.idempotency_key());
    let options = VerifyOptions {
        within: service.as_ref().and_then(|s| s.tenants.as_deref()),
        idempotency: request.idempotency_key(),
        caller: &caller,
    };
    let outcome = match log.as_deref() {
        None => verifier.verify_with(request.key.as_bytes(), &ctx, options).await,
        Some(log) => {
            let (outcome, subject) = verifier.verify_with_subject(request.key.as_bytes(), &ctx, options).await;
            log.note(subject.as_ref(), &ctx, &outcome, started.elapsed(), service.as_ref().map(|s| s.id));
            outcome
        }
    };
    verify_seconds().record(started.elapsed().as_secs_f64());
    let verdict = match outcome {
        Ok(allowed) => VerifyResponse::from(allowed),
        Err(error) => VerifyResponse::refused(&error)?,
    };
    Ok(HttpResponse::Ok().json(verdict))
}

/// Verify a signed request (RFC 9421 HTTP Message Signatures with an RFC 9530 `Content-Digest`), for a
/// gateway or a service in another language: the request's method, authority, path, query and the
/// signature's fields, and the usual context. Answers like `/v1/verify`: always 200 with the verdict,
/// the signature's own refusals being `SIGNATURE_INCOMPLETE`, `STALE_SIGNATURE`, `DIGEST_MISMATCH`,
/// `BAD_SIGNATURE` (also for an unknown `keyid`) and `REPLAYED`.
#[utoipa::path(operation_id = "verifySigned", post, path = "/v1/verify-signed", tag = "verify", request_body = VerifySignedRequest,
    responses((status = 200, description = "The verdict", body = VerifyResponse), (status = 409, description = "IDEMPOTENCY_MISMATCH")),
    security(("bearer" = [])))]
pub async fn verify_signed(
    manage: web::Data<Management>,
    auth: Option<web::Data<VerifyAuth>>,
    log: Option<web::Data<RequestLog>>,
    req: HttpRequest,
    body: Body,
) -> Result<HttpResponse, ApiError> {
    let service = asking_service(&manage, auth.as_ref().map(|a| &***a), &req).await?;
    let request = body.json::<VerifySignedRequest>()?;
    let context = request.context();
    let mut ctx = RequestContext::try_from(&context)?;
    let signed = request.request()?;
    if service.is_none() {
        ctx.client_ip = client_address(&req);
    }
    let started = Instant::now();
    let caller = idempotency_caller(service.as_ref(), context.idempotency_key());
    let options = VerifyOptions {
        within: service.as_ref().and_then(|s| s.tenants.as_deref()),
        idempotency: context.idempotency_key(),
        caller: &caller,
    };
    let (outcome, subject) = manage.verifier().verify_signed_with_subject(&signed, &ctx, options).await;
    if let Some(log) = log.as_deref() {
        log.note(subject.as_ref(), &ctx, &outcome, started.elapsed(), service.as_ref().map(|s| s.id));
    }
    verify_seconds().record(started.elapsed().as_secs_f64());
    let verdict = match outcome {
        Ok(allowed) => VerifyResponse::from(allowed),
        Err(error) => VerifyResponse::refused(&error)?,
    };
    Ok(HttpResponse::Ok().json(verdict))
}

/// Who asks, as an idempotency key is held to it: the service's id, written only when the request
/// carries an idempotency key (nothing else reads it, and most verifications carry none).
fn idempotency_caller(service: Option<&keygate_store::Service>, idempotency: Option<&str>) -> String {
    match (service, idempotency) {
        (Some(service), Some(_)) => service.id.to_string(),
        _ => String::new(),
    }
}

/// `keygate_verify_seconds`, registered once: `histogram!` looks its key up in the recorder on every call.
fn verify_seconds() -> &'static metrics::Histogram {
    static HISTOGRAM: std::sync::OnceLock<metrics::Histogram> = std::sync::OnceLock::new();
    HISTOGRAM.get_or_init(|| metrics::histogram!("keygate_verify_seconds"))
}

/// The service asking, its credential (`Authorization: Bearer`) authenticated before any body is read;
/// `None` only where `KEYGATE_VERIFY_AUTH=none` lets anyone ask without one.
async fn asking_service(
    manage: &Management,
    auth: Option<&VerifyAuth>,
    req: &HttpRequest,
) -> Result<Option<keygate_store::Service>, ApiError> {
    match presented_token(req.headers()) {
        Some(token) => Ok(Some(manage.authenticate_service(token).await?)),
        None if auth.is_none_or(|a| a.required) => Err(ApiError::Unauthenticated),
        None => Ok(None),
    }
}

/// Give a spend back (a service; always authenticated, even with `KEYGATE_VERIFY_AUTH=none`): the
/// amount returns to the window it was charged to, once. A second release answers `"released": false`
/// and changes nothing; a service bound to some tenants releases only their spends.
#[utoipa::path(operation_id = "releaseSpend", post, path = "/v1/spends/{spend_id}/release", tag = "verify",
    params(("spend_id" = String, Path, description = "The `spend_id` a verification answered")),
    responses((status = 200, description = "Whether this call gave the amount back", body = ReleasedView)),
    security(("bearer" = [])))]
pub async fn release(
    manage: web::Data<Management>,
    req: HttpRequest,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let token = presented_token(req.headers()).ok_or(ApiError::Unauthenticated)?;
    let service = manage.authenticate_service(token).await?;
    let id = keygate_domain::SpendId::parse(&path).map_err(|_| ApiError::NotFound)?;
    let (record, released) = manage.verifier().release_spend(id, service.tenants.as_deref()).await.map_err(|e| {
        if e == VerifyError::Unavailable {
            ApiError::Unavailable
        } else {
            ApiError::NotFound
        }
    })?;
    Ok(HttpResponse::Ok().json(ReleasedView::new(&record, released)))
}
