//! actix-web glue: protect a route in one line.
//!
//! ```text
//! App::new()
//!     .app_data(web::Data::new(Keygate::new(verifier).environment(Environment::Live)))
//!     .service(
//!         web::resource("/api/v1/distributors/{id}/balance")
//!             .wrap(RequireScope::new("balance:read").tenant_from_path("id"))
//!             .route(web::get().to(balance)),
//!     );
//!
//! async fn balance(key: VerifiedKey) -> impl Responder { /* key.tenant, key.key_id, ... */ }
//! ```
//!
//! `.account_from_path("agent")` on a route under one of the tenant's accounts also refuses a key bound
//! to another account (`WRONG_ACCOUNT`); a key of the whole tenant passes for any of them.
//!
//! The middleware reads `Authorization: Bearer <token>` or `X-API-KEY: <token>`, takes the client
//! address from the peer (or from `X-Forwarded-For` only when the peer is a trusted proxy), verifies,
//! and answers refusals as RFC 9457 problem+json (with `WWW-Authenticate: Bearer error="invalid_token"`
//! on 401). It only knows HTTP; every decision is the verifier's.
//!
//! `.signed()` requires an RFC 9421 signed request on the route (a bearer key is `SIGNATURE_REQUIRED`);
//! `.signed_or_bearer()` accepts either, checking a request that carries `Signature-Input` as signed.
//! A signed request's body is read (within the app's `web::PayloadConfig` limit), hashed for its
//! `Content-Digest` and handed on to the handler unchanged.

mod client_ip;
mod credential;
mod keygate;
mod middleware;
mod problem;
mod signed;
mod verified_key;

pub use client_ip::{client_ip, client_ip_of, forwarded_client};
pub use credential::presented_token;
pub use keygate::Keygate;
pub use middleware::RequireScope;
pub use problem::Problem;
pub use verified_key::VerifiedKey;
