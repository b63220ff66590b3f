//! The web console: the seeds' screens, server-rendered under `/console/`, for the people who run a
//! tenant (and the system administrator, who picks one).
//!
//! It holds no rule. A login opens a session through [`Management::open_session`] with the same
//! credential the JSON routes take; every page resolves its session to the same `Caller` and calls the
//! same `Management` operations as the JSON routes, building their bodies with the same DTOs, so dual
//! control, roles and tenant isolation hold identically (the browser tests drive forbidden moves
//! through it to show that). Pages are plain HTML forms and links (they work with JavaScript off);
//! `assets/console.js`, shipped in the binary, only adds the copy button, live filtering and the
//! permission grid's "Change ticks View". `maud` renders: templates are Rust, checked at compile time
//! and escaped by default, with no template files to keep in step.
//!
//! Every response carries a strict `Content-Security-Policy` (same-origin scripts and styles only, no
//! inline script), `X-Frame-Options: DENY`, `Referrer-Policy: no-referrer` and `Cache-Control:
//! no-store` (the assets excepted), set once here.
//!
//! [`Management::open_session`]: keygate_verifier::manage::Management::open_session

mod assets;
mod chart;
mod error;
mod form;
mod layout;
mod pages;
mod session;
mod view;

use actix_web::{middleware, web};

/// How the console sets its cookie.
#[derive(Debug, Clone, Copy)]
pub struct ConsoleSettings {
    /// Leave `Secure` off the session cookie (plain-HTTP local use).
    pub insecure_cookies: bool,
}

const CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; \
                   connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

/// Registers the console under `/console`.
pub fn configure(cfg: &mut web::ServiceConfig, settings: ConsoleSettings) {
    use web::{get, post};
    let headers = middleware::DefaultHeaders::new()
        .add(("content-security-policy", CSP))
        .add(("x-frame-options", "DENY"))
        .add(("referrer-policy", "no-referrer"))
        .add(("x-content-type-options", "nosniff"))
        .add(("cache-control", "no-store"));
    cfg.service(web::resource("/console").route(get().to(pages::home::to_slash)));
    cfg.service(
        web::scope("/console")
            .app_data(web::Data::new(settings))
            .app_data(web::PayloadConfig::new(64 * 1024))
            .wrap(headers)
            .route("/", get().to(pages::home::home))
            .route("/assets/{name}", get().to(assets::asset))
            .route("/login", get().to(pages::login::form))
            .route("/login", post().to(pages::login::submit))
            .route("/claim", get().to(pages::login::claim_form))
            .route("/claim", post().to(pages::login::claim))
            .route("/logout", post().to(pages::login::logout))
            .route("/tenants", get().to(pages::home::pick_tenant))
            .route("/tenants/{tenant}/keys", get().to(pages::keys::list))
            .route("/tenants/{tenant}/keys", post().to(pages::new_key::submit))
            .route("/tenants/{tenant}/keys/new", get().to(pages::new_key::form))
            .route("/tenants/{tenant}/keys/{id}", get().to(pages::key::detail))
            .route("/tenants/{tenant}/keys/{id}/{action:.+}", post().to(pages::key_actions::act))
            .route("/tenants/{tenant}/operators", get().to(pages::operators::list))
            .route("/tenants/{tenant}/operators", post().to(pages::operators::invite))
            .route("/tenants/{tenant}/operators/{id}/{action}", post().to(pages::operators::act))
            .route("/tenants/{tenant}/audit", get().to(pages::audit::list))
            .route("/tenants/{tenant}/webhooks", get().to(pages::webhooks::list))
            .route("/tenants/{tenant}/requests", get().to(pages::requests::list))
            .default_service(web::to(pages::home::not_found)),
    );
}
