//! The wallet API of a payment platform's distributors, as an example of protecting a service with
//! keygate: every route is wrapped in one `RequireScope` line, and the handlers only ever see requests
//! whose key the verifier allowed. Cash-in and cash-out hold the key to its amount, currency and daily
//! limits with `Verifier::charge`, and give the daily volume back with `Verifier::release` when the
//! operation itself then fails.
//!
//! Money leaving the wallet needs more than a bearer key: cash-out requires a signed request (RFC 9421,
//! `.signed()`), so a copied token cannot move money and a captured request cannot be replayed; the
//! other routes accept either (`.signed_or_bearer()`), so a client that signs needs no bearer token.
//!
//! [`routes`] is the wiring shared by the binary (`main.rs`) and the end-to-end tests; [`wallet`] keeps
//! balances in memory; [`demo`] seeds a demo tenant and key. It never logs a token.
//! [`unprotected_routes`] is the balance route without its middleware, for `cargo xtask bench` only
//! (`WALLET_UNPROTECTED=1`): the floor the middleware's cost is measured against.

pub mod demo;
mod handlers;
pub mod wallet;

use actix_web::{web, HttpResponse};
use keygate_domain::TenantId;
use keygate_verifier::actix::RequireScope;

pub use wallet::Wallet;

/// The routes. The distributor is the `{id}` path segment, which must be the key's tenant.
pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::resource("/api/v1/distributors/{id}/balance")
            .wrap(RequireScope::new("balance:read").tenant_from_path("id").signed_or_bearer())
            .route(web::get().to(handlers::balance)),
    )
    .service(
        web::resource("/api/v1/distributors/{id}/transactions")
            .wrap(RequireScope::new("transactions:read").tenant_from_path("id").signed_or_bearer())
            .route(web::get().to(handlers::transactions)),
    )
    .service(
        web::resource("/api/v1/distributors/{id}/cash-in")
            .wrap(RequireScope::new("operations:write").tenant_from_path("id").signed_or_bearer())
            .route(web::post().to(handlers::cash_in)),
    )
    .service(
        web::resource("/api/v1/distributors/{id}/cash-out")
            .wrap(RequireScope::new("operations:write").tenant_from_path("id").signed())
            .route(web::post().to(handlers::cash_out)),
    );
}

/// Benchmark only, never for serving: the balance route with no `RequireScope`, answering what the
/// protected route answers (the distributor is the path segment, unverified). `cargo xtask bench`
/// measures the middleware's cost against it.
pub fn unprotected_routes(cfg: &mut web::ServiceConfig) {
    cfg.service(web::resource("/api/v1/distributors/{id}/balance").route(web::get().to(unprotected_balance)));
}

async fn unprotected_balance(id: web::Path<String>, wallet: web::Data<Wallet>) -> HttpResponse {
    match TenantId::parse(&id) {
        Ok(tenant) => HttpResponse::Ok().json(serde_json::json!({ "balance": wallet.balance(&tenant).to_string() })),
        Err(_) => HttpResponse::NotFound().finish(),
    }
}
