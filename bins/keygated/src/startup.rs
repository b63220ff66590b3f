//! Wiring: configuration in, a running server out. Store, verifier, management, routes.

use std::net::{SocketAddr, TcpListener};
use std::sync::Arc;

use actix_web::dev::Server;
use actix_web::{middleware, web, App, HttpServer};
use keygate_credential::signing::SigningMasterKey;
use keygate_credential::WebhookKey;
use keygate_credential::{Pepper, PlainToken, Token, TokenPrefix};
use keygate_domain::Environment;
use keygate_store::{KeyStore, MemoryStore, PgStore, PgStoreOptions};
use keygate_verifier::manage::{AdminToken, Management, WebhookSettings};
use keygate_verifier::request_log::{RequestLog, RequestLogOptions};
use keygate_verifier::{SystemClock, Verifier, VerifierConfig};
use keygate_webhooks::{ExpiryScan, RetrySchedule, ScanOptions, Sender, SenderOptions, Worker, WorkerOptions};

use crate::config::Config;
use crate::error::ApiError;
use crate::gateway_routes::GatewayRoutes;
use crate::leak_keys::LeakKeys;
use crate::{console, routes, telemetry};

/// Why the server could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    /// A setting is unusable.
    #[error("bad setting {name}: {reason}")]
    Setting {
        /// The environment variable.
        name: &'static str,
        /// Why.
        reason: String,
    },
    /// PostgreSQL could not be reached or migrated.
    #[error("cannot use KEYGATE_DATABASE_URL: {0}")]
    Database(String),
    /// The listen address could not be bound.
    #[error("cannot listen on KEYGATE_LISTEN {addr}: {source}")]
    Listen {
        /// The address.
        addr: SocketAddr,
        /// The error.
        source: std::io::Error,
    },
}

/// A started server.
pub struct Running {
    /// Where it listens.
    pub addr: SocketAddr,
    /// The server future; await it (or spawn it).
    pub server: Server,
    /// The admin token, if it was generated (to print once).
    pub generated_admin_token: Option<PlainToken>,
    /// The verifier, to flush its usage buffer after the server stops.
    pub verifier: Verifier,
    /// What the store is, for the start-up banner (`the in-memory store`, `PostgreSQL`).
    pub store: &'static str,
    /// The request log (unless `KEYGATE_REQUEST_LOG=false`), to write its last lines after the server stops.
    pub request_log: Option<RequestLog>,
}

/// A secret setting: the variable's value, or the named file's content without its final newline.
fn secret(
    value: Option<&str>,
    file: Option<&std::path::Path>,
    name: &'static str,
) -> Result<Option<String>, StartError> {
    match (value, file) {
        (Some(value), _) => Ok(Some(value.to_owned())),
        (None, Some(path)) => std::fs::read_to_string(path)
            .map(|text| {
                Some(text.strip_suffix('\n').map_or(text.as_str(), |t| t.strip_suffix('\r').unwrap_or(t)).to_owned())
            })
            .map_err(|e| StartError::Setting { name, reason: format!("cannot read {}: {e}", path.display()) }),
        (None, None) => Ok(None),
    }
}

/// The webhook settings: the sealing key (`KEYGATE_WEBHOOK_KEY` or its file) and the two overrides.
fn webhook_settings(config: &Config) -> Result<WebhookSettings, StartError> {
    let text = secret(config.webhook_key.as_deref(), config.webhook_key_file.as_deref(), "KEYGATE_WEBHOOK_KEY_FILE")?;
    let key = text
        .map(|t| WebhookKey::parse_hex(&t))
        .transpose()
        .map_err(|e| StartError::Setting { name: "KEYGATE_WEBHOOK_KEY", reason: e.to_string() })?;
    Ok(WebhookSettings { key, allow_http: config.webhook_allow_http, allow_private: config.webhook_allow_private })
}

/// Starts the delivery worker and the expiry scan when there is a key to open secrets with (without it
/// no endpoint exists to announce to); they run as long as the runtime.
fn start_webhook_worker(config: &Config, settings: &WebhookSettings, verifier: &Verifier) {
    let Some(key) = settings.key.clone() else { return };
    let sender = match Sender::new(SenderOptions { allow_private: settings.allow_private, ..SenderOptions::default() })
    {
        Ok(sender) => sender,
        Err(error) => {
            tracing::error!(%error, "webhook delivery cannot start: no HTTP client");
            return;
        }
    };
    let options = WorkerOptions {
        poll: std::time::Duration::from_millis(config.webhook_poll_ms),
        schedule: RetrySchedule::scaled_down(config.webhook_retry_divisor),
        ..WorkerOptions::default()
    };
    let worker = Worker::new(verifier.store().clone(), sender, key, verifier.clock().clone(), options);
    tokio::spawn(worker.run(std::future::pending()));
    // Every process scans: the store gives each key's expiry notices once between them.
    let scan_options =
        ScanOptions { interval: std::time::Duration::from_millis(config.webhook_scan_ms), ..ScanOptions::default() };
    let scan = ExpiryScan::new(verifier.store().clone(), verifier.clock().clone(), scan_options);
    tokio::spawn(scan.run(std::future::pending()));
}

/// What to say when the store cannot start: a URL that does not parse says why (its error never
/// holds the password); anything else only that the database is unavailable.
fn database_error(error: &keygate_store::StoreError) -> String {
    match std::error::Error::source(error).and_then(|s| s.downcast_ref::<keygate_store::UrlError>()) {
        Some(bad_url) => bad_url.to_string(),
        None => error.to_string(),
    }
}

/// Builds everything and binds the listener.
pub async fn start(config: Config) -> Result<Running, StartError> {
    start_at(config, Arc::new(SystemClock)).await
}

/// The verifier's settings from the server's.
fn verifier_config(config: &Config, pepper: Option<Pepper>, signing_key: Option<SigningMasterKey>) -> VerifierConfig {
    VerifierConfig {
        prefix: config.key_prefix.clone(),
        pepper,
        cache_capacity: config.cache_capacity,
        cache_ttl: config.cache_ttl(),
        signing_key,
        usage_flush_interval: std::time::Duration::from_millis(config.usage_flush_ms),
    }
}

/// [`start`] with another clock: the one seam for tests that must cross a midnight or a week on cue.
pub async fn start_at(config: Config, clock: Arc<dyn keygate_domain::Clock>) -> Result<Running, StartError> {
    telemetry::init_metrics();
    let store: Arc<dyn KeyStore> = match &config.database_url {
        None => Arc::new(MemoryStore::with_request_lines(
            usize::try_from(config.request_log_memory_lines).unwrap_or(usize::MAX),
        )),
        Some(url) => {
            let mut options = PgStoreOptions::new(url.clone());
            options.acquire_timeout = config.store_timeout();
            options.max_connections = config.database_connections;
            Arc::new(PgStore::connect(options).await.map_err(|e| StartError::Database(database_error(&e)))?)
        }
    };
    let operator_prefix = TokenPrefix::parse(&format!("{}op", config.key_prefix))
        .map_err(|e| StartError::Setting { name: "KEYGATE_KEY_PREFIX", reason: e.to_string() })?;
    let admin_configured =
        secret(config.admin_token.as_deref(), config.admin_token_file.as_deref(), "KEYGATE_ADMIN_TOKEN_FILE")?;
    let pepper = secret(config.pepper.as_deref(), config.pepper_file.as_deref(), "KEYGATE_PEPPER_FILE")?;
    let (admin, generated_admin_token) = admin_token(admin_configured.as_deref(), &config.key_prefix)?;
    if !config.verify_auth_required() {
        tracing::warn!(
            "KEYGATE_VERIFY_AUTH=none: anyone who can reach /v1/verify may ask it; use this only on a closed network"
        );
    }
    let signing_key =
        secret(config.signing_key.as_deref(), config.signing_key_file.as_deref(), "KEYGATE_SIGNING_KEY_FILE")?
            .map(|t| SigningMasterKey::parse(&t))
            .transpose()
            .map_err(|e| StartError::Setting { name: "KEYGATE_SIGNING_KEY", reason: e.to_string() })?;
    let verifier_config =
        verifier_config(&config, pepper.as_ref().map(|p| Pepper::new(p.as_bytes().to_vec())), signing_key);
    let leak_keys = match &config.leak_public_keys {
        Some(path) => LeakKeys::load(path)
            .map_err(|e| StartError::Setting { name: "KEYGATE_LEAK_PUBLIC_KEYS", reason: e.to_string() })?,
        None => LeakKeys::default(),
    };
    let leak_keys = web::Data::new(leak_keys);
    let request_log = config.request_log.then(|| {
        let options = RequestLogOptions {
            retention: chrono::Duration::days(i64::from(config.request_log_days)),
            ..RequestLogOptions::default()
        };
        RequestLog::start(store.clone(), clock.clone(), options)
    });
    let verifier = Verifier::new(store, verifier_config, clock);
    let webhooks = webhook_settings(&config)?;
    start_webhook_worker(&config, &webhooks, &verifier);
    let manage =
        web::Data::new(Management::new(verifier.clone(), operator_prefix, Some(admin)).with_webhooks(webhooks));
    let proxies = web::Data::new(routes::TrustedProxies(config.trusted_proxies.clone()));
    let verify_auth = web::Data::new(routes::VerifyAuth { required: config.verify_auth_required() });
    let gateway = Arc::new(
        GatewayRoutes::load(config.routes.as_deref())
            .map_err(|reason| StartError::Setting { name: "KEYGATE_ROUTES", reason })?,
    );
    gateway.clone().reload_on_sighup();
    let gateway = web::Data::from(gateway);
    let logged = request_log.clone().map(web::Data::new);
    let console =
        config.console.then_some(console::ConsoleSettings { insecure_cookies: config.console_insecure_cookies });
    let store_name = if config.database_url.is_some() { "PostgreSQL" } else { "the in-memory store" };
    let listener =
        TcpListener::bind(config.listen).map_err(|source| StartError::Listen { addr: config.listen, source })?;
    let addr = listener.local_addr().map_err(|source| StartError::Listen { addr: config.listen, source })?;
    let mut server = HttpServer::new(move || {
        App::new()
            .app_data(manage.clone())
            .app_data(proxies.clone())
            .app_data(verify_auth.clone())
            .app_data(leak_keys.clone())
            .app_data(gateway.clone())
            .configure(|cfg| {
                // Registered only when on: `/v1/verify` notes its verdicts when it finds one.
                if let Some(log) = &logged {
                    cfg.app_data(log.clone());
                }
            })
            .app_data(web::QueryConfig::default().error_handler(|e, _| ApiError::invalid("query", e).into()))
            .app_data(web::PathConfig::default().error_handler(|_, _| ApiError::NotFound.into()))
            .wrap(middleware::from_fn(telemetry::observe))
            .configure(routes::configure)
            .configure(|cfg| {
                if let Some(settings) = console {
                    console::configure(cfg, settings);
                }
            })
            .default_service(web::to(|| async { Err::<actix_web::HttpResponse, _>(ApiError::NotFound) }))
    })
    .listen(listener)
    .map_err(|source| StartError::Listen { addr, source })?;
    if let Some(workers) = config.workers {
        server = server.workers(workers);
    }
    // Signals are ours (main.rs): actix treats SIGINT as a forced shutdown that drops requests in
    // flight, and keygated finishes them on Ctrl-C as on SIGTERM.
    let server = server.shutdown_timeout(10).disable_signals().run();
    Ok(Running { addr, server, generated_admin_token, verifier, store: store_name, request_log })
}

/// The configured admin token, or a generated one (`{prefix}adm_live_…`) to print once.
fn admin_token(configured: Option<&str>, prefix: &TokenPrefix) -> Result<(AdminToken, Option<PlainToken>), StartError> {
    let too_short = || StartError::Setting {
        name: "KEYGATE_ADMIN_TOKEN",
        reason: format!("must be at least {} characters", AdminToken::MIN_LEN),
    };
    if let Some(token) = configured {
        return Ok((AdminToken::new(token).ok_or_else(too_short)?, None));
    }
    let admin_prefix = TokenPrefix::parse(&format!("{prefix}adm")).unwrap_or_default();
    let plain = Token::generate(Environment::Live).to_plain(&admin_prefix);
    Ok((AdminToken::new(plain.expose()).ok_or_else(too_short)?, Some(plain)))
}
