//! The signed request the middleware checks: method, authority, path and query as the client addressed
//! them, every header, and the SHA-256 of the body, which is read here (bounded by the app's
//! `web::PayloadConfig`, 256 KiB by default) and handed back to the handler untouched.

use actix_web::dev::{Payload, ServiceRequest};
use actix_web::http::StatusCode;
use actix_web::web;

use super::problem::Problem;
use crate::signed::SignedRequest;

/// Which credentials a route accepts.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(super) enum Accepts {
    /// A bearer key only (the default).
    #[default]
    Bearer,
    /// A signed request only: a bearer key is `SIGNATURE_REQUIRED`.
    Signed,
    /// Either; a request carrying `Signature-Input` or `Signature` is checked as signed.
    Either,
}

/// Whether the request carries a signature.
pub(super) fn is_signed(req: &ServiceRequest) -> bool {
    req.headers().contains_key("signature-input") || req.headers().contains_key("signature")
}

/// The request as [`crate::Verifier::verify_signed`] takes it; the body is read, hashed and put back.
pub(super) async fn signed_request(req: &mut ServiceRequest) -> Result<SignedRequest, Problem> {
    let body = req.extract::<web::Bytes>().await.map_err(|error| {
        let status = error.as_response_error().status_code();
        let status = if status.is_client_error() { status } else { StatusCode::BAD_REQUEST };
        Problem::new(status, "BODY_UNREADABLE", "The request body could not be read")
    })?;
    let body_sha256 = Some(keygate_credential::signing::sha256(&body));
    req.set_payload(Payload::from(body));
    let uri = req.uri();
    // HTTP/1.1 carries the authority in Host; HTTP/2 in the request target.
    let authority = uri
        .authority()
        .map(ToString::to_string)
        .or_else(|| req.headers().get("host").and_then(|h| h.to_str().ok()).map(str::to_owned))
        .unwrap_or_default();
    let headers = req
        .headers()
        .iter()
        .filter_map(|(name, value)| value.to_str().ok().map(|v| (name.as_str().to_owned(), v.to_owned())))
        .collect();
    Ok(SignedRequest {
        method: req.method().as_str().to_owned(),
        authority,
        path: uri.path().to_owned(),
        query: uri.query().unwrap_or_default().to_owned(),
        headers,
        body_sha256,
    })
}
