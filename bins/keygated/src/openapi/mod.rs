//! The OpenAPI 3.1 document, derived from the code: every path from the `#[utoipa::path]` attribute on
//! its handler, every schema from the request and response types the handlers use, every problem
//! response from the one status table (`crate::error::CODES`). `docs/openapi.json` is this document,
//! written by `cargo xtask openapi`; a test fails when the two differ. Nothing here is written by hand
//! but the prose.

mod problems;

use problems::Problems;

use utoipa::openapi::security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

use crate::dto;
use crate::routes;

/// The document's root: its paths, its schemas and the modifiers that finish it.
#[derive(OpenApi)]
#[openapi(
    info(
        title = "keygate",
        description = "API key authority: issue keys under maker-checker dual control, show each secret \
            once, store only hashes, verify on every request. Errors are RFC 9457 problem+json with a stable \
            `code`; each route lists the codes it can answer. Authenticate management calls with \
            `Authorization: Bearer <token>` or `X-API-KEY: <token>`: the system admin token, an operator \
            token, or an API key holding `api-keys:read|write|approve` (an integrator). `/v1/verify` takes a \
            service credential (`{prefix}svc_live_…`).",
        license(name = "Apache-2.0", identifier = "Apache-2.0"),
    ),
    paths(
        routes::tenants::create,
        routes::tenants::get,
        routes::tenants::update,
        routes::operators::create,
        routes::operators::list,
        routes::operators::patch,
        routes::operators::approve,
        routes::operators::reject,
        routes::operators::disable,
        routes::operators::enable,
        routes::operators::reinvite,
        routes::operators::claim,
        routes::operators::replace_token,
        routes::tenants::approve_policy,
        routes::tenants::reject_policy,
        routes::tenants::put_currency,
        routes::scopes::get,
        routes::scopes::put,
        routes::scopes::delete,
        routes::keys::create,
        routes::keys::list,
        routes::keys::get,
        routes::keys::patch,
        routes::lifecycle::delete,
        routes::lifecycle::approve,
        routes::lifecycle::reject,
        routes::lifecycle::revoke,
        routes::lifecycle::approve_revocation,
        routes::lifecycle::reject_revocation,
        routes::lifecycle::approve_change,
        routes::lifecycle::reject_change,
        routes::suspension::suspend,
        routes::suspension::resume,
        routes::suspension::approve_resume,
        routes::suspension::reject_resume,
        routes::keys::rotate,
        routes::keys::reveal,
        routes::keys::usage,
        routes::requests::list,
        routes::requests::for_key,
        routes::tenants::audit,
        routes::tenants::verify_audit,
        routes::verify::verify,
        routes::verify::verify_signed,
        routes::verify::release,
        routes::authorize::authorize,
        routes::authorize::authorize_path,
        routes::leaks::report,
        routes::services::create,
        routes::services::list,
        routes::services::disable,
        routes::webhooks::create,
        routes::webhooks::list,
        routes::webhooks::get,
        routes::webhooks::patch,
        routes::webhooks::delete,
        routes::webhooks::approve,
        routes::webhooks::rotate_secret,
        routes::webhooks::test,
        routes::webhooks::deliveries,
        routes::webhooks::redeliver,
        routes::health::healthz,
        routes::health::readyz,
        routes::health::metrics,
        routes::health::openapi,
    ),
    components(schemas(dto::problem::ProblemView)),
    modifiers(&Security, &Problems),
    tags(
        (name = "tenants", description = "Tenants and their policy (system admin, tenant admins)"),
        (name = "operators", description = "The people who ask and approve"),
        (name = "keys", description = "API keys: create, read, edit, usage"),
        (name = "lifecycle", description = "Dual control: approve, reject, revoke, rotate"),
        (name = "audit", description = "The tenant's append-only audit log"),
        (name = "requests", description = "The request log: every verification of a key, allowed or refused"),
        (name = "verify", description = "The verdict for gateways and services in other languages"),
        (name = "leaks", description = "Leaked tokens reported by secret scanners (GitHub's partner programme, \
            the platform's own)"),
        (name = "services", description = "Service credentials: who may ask for a verdict (system admin)"),
        (name = "webhooks", description = "Webhook endpoints for the tenant's events, and their delivery log"),
        (name = "operations", description = "Health, readiness, metrics, this document"),
    )
)]
pub struct ApiDoc;

/// The two ways to present a management credential.
struct Security;

impl Modify for Security {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some("The system admin token, an operator token or an integrator API key"))
                    .build(),
            ),
        );
        components.add_security_scheme("apiKey", SecurityScheme::ApiKey(ApiKey::Header(ApiKeyValue::new("X-API-KEY"))));
        components.add_security_scheme(
            "githubSignature",
            SecurityScheme::ApiKey(ApiKey::Header(ApiKeyValue::with_description(
                "Github-Public-Key-Signature",
                "A leak report signed by GitHub's secret-scanning partner programme: the signature of the raw \
                 body by the key `Github-Public-Key-Identifier` names, one of `KEYGATE_LEAK_PUBLIC_KEYS`",
            ))),
        );
    }
}

/// The document as served at `/openapi.json` and written to `docs/openapi.json`: pretty JSON with a
/// final newline, so the committed file diffs line by line.
pub fn json() -> String {
    // Serialising a tree of maps and strings cannot fail; the fallback keeps the route total anyway.
    let mut text = ApiDoc::openapi().to_pretty_json().unwrap_or_else(|_| String::from("{}"));
    text.push('\n');
    text
}
