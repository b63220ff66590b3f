//! `POST /v1/leaks`: tokens found where they should not be, reported by GitHub's secret-scanning
//! partner programme (signed with one of the keys of `KEYGATE_LEAK_PUBLIC_KEYS`) or by the platform's
//! own scanners (a service credential), each answered with its label and, for a live key, acted on by
//! its tenant's `on_leak`.
//!
//! It must never parse a report before its sender is established (a signature over the exact bytes
//! received, or a service credential), never fall back from a signature that fails to another way
//! in, and never answer with a token it was not sent.

use actix_web::http::header::HeaderMap;
use actix_web::{web, HttpRequest, HttpResponse};
use keygate_domain::TenantId;
use keygate_verifier::actix::presented_token;
use keygate_verifier::manage::{Leak, Management};

use crate::body::LeakBody;
use crate::dto::leak::{LeakAnswer, LeakEntry, MAX_TOKENS};
use crate::error::ApiError;
use crate::leak_keys::LeakKeys;

/// The header naming the partner's key that signed the report.
pub const KEY_IDENTIFIER: &str = "Github-Public-Key-Identifier";

/// The header holding the signature: base64 of an ASN.1 DER ECDSA P-256 signature over SHA-256 of
/// the raw body.
pub const KEY_SIGNATURE: &str = "Github-Public-Key-Signature";

/// Report leaked tokens: GitHub's secret-scanning partner format, a JSON array of at most 1,000
/// `{"token", "type", "url", "source"}`, answered with a label for each in the same order. A live key
/// (active, suspended, awaiting its revocation) is a `true_positive` and is acted on by its tenant's
/// `on_leak` (suspend, suspend and ask the revocation as `leak-report`, or only record), once per key
/// and url, with a `key.leaked` audit entry; anything else is a `false_positive`. Signed with the
/// `Github-Public-Key-*` headers by a key of `KEYGATE_LEAK_PUBLIC_KEYS`, or sent with a service
/// credential (a service bound to some tenants acts only on their keys; another tenant's key is a
/// `false_positive`); otherwise 401. Bodies up to 256 KiB.
#[utoipa::path(operation_id = "reportLeaks", post, path = "/v1/leaks", tag = "leaks", request_body = [LeakEntry],
    params(
        ("Github-Public-Key-Identifier" = Option<String>, Header,
            description = "Which key of `KEYGATE_LEAK_PUBLIC_KEYS` signed the report (matched exactly)"),
        ("Github-Public-Key-Signature" = Option<String>, Header,
            description = "Base64 of the ASN.1 DER ECDSA P-256 signature, over SHA-256, of the raw body"),
    ),
    responses((status = 200, description = "One label per token, in the report's order", body = [LeakAnswer]),
        (status = 413, description = "TOO_MANY_TOKENS")),
    security(("githubSignature" = []), ("bearer" = [])))]
pub async fn report(
    manage: web::Data<Management>,
    keys: Option<web::Data<LeakKeys>>,
    req: HttpRequest,
    body: LeakBody,
) -> Result<HttpResponse, ApiError> {
    // Started without the keys (an embedding that registers the routes alone): no signature verifies.
    let empty = LeakKeys::default();
    let keys = keys.as_ref().map_or(&empty, |k| k.get_ref());
    let within = sender(&manage, keys, req.headers(), body.bytes()).await?;
    let entries = body.json::<Vec<LeakEntry>>()?;
    if entries.len() > MAX_TOKENS {
        return Err(ApiError::TooManyTokens);
    }
    let mut answers = Vec::with_capacity(entries.len());
    for entry in &entries {
        let leak = Leak { token: &entry.token, token_type: &entry.token_type, url: &entry.url, source: &entry.source };
        let label = manage.report_leak(&leak, within.as_deref()).await?;
        answers.push(LeakAnswer { token_raw: &entry.token, token_type: &entry.token_type, label: label.as_str() });
    }
    Ok(HttpResponse::Ok().json(answers))
}

/// Who sent the report, as the tenants it may act on: the partner (every tenant, `None`) when either
/// signature header is present and the signature verifies; else a service credential (its tenants).
/// A report that carries a signature is judged by it alone.
async fn sender(
    manage: &Management,
    keys: &LeakKeys,
    headers: &HeaderMap,
    body: &[u8],
) -> Result<Option<Vec<TenantId>>, ApiError> {
    let identifier = headers.get(KEY_IDENTIFIER);
    let signature = headers.get(KEY_SIGNATURE);
    if identifier.is_some() || signature.is_some() {
        let (Some(identifier), Some(signature)) = (identifier, signature) else {
            return Err(ApiError::Unauthenticated);
        };
        return if keys.verify(identifier.as_bytes(), signature.as_bytes(), body) {
            Ok(None)
        } else {
            Err(ApiError::Unauthenticated)
        };
    }
    let token = presented_token(headers).ok_or(ApiError::Unauthenticated)?;
    Ok(manage.authenticate_service(token).await?.tenants)
}
