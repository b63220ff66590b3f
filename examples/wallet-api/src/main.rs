//! wallet-api: a distributor wallet protected by keygate, in the few lines any actix-web service needs.
//! With `KEYGATE_DATABASE_URL` it verifies against keygate's PostgreSQL store; without, it seeds an
//! in-memory store with tenant `demo` and one key, and prints that key's token once. Then try
//! `curl -H "Authorization: Bearer <token>" http://127.0.0.1:8090/api/v1/distributors/demo/balance`.

use std::sync::Arc;

use actix_web::{web, App, HttpServer};
use keygate_domain::Environment;
use keygate_store::{KeyStore, MemoryStore, PgStore, PgStoreOptions};
use keygate_verifier::actix::Keygate;
use keygate_verifier::{SystemClock, Verifier, VerifierConfig};
use wallet_api::{demo, routes, unprotected_routes};

#[actix_web::main]
#[allow(clippy::print_stdout)] // the demo token is shown once to its owner, as keygate shows a new key; never logged
async fn main() -> std::io::Result<()> {
    tracing_subscriber::fmt().with_env_filter(tracing_subscriber::EnvFilter::from_default_env()).init();
    let database = std::env::var("KEYGATE_DATABASE_URL").ok();
    let store: Arc<dyn KeyStore> = match &database {
        Some(url) => Arc::new(PgStore::connect(PgStoreOptions::new(url)).await.map_err(std::io::Error::other)?),
        None => Arc::new(MemoryStore::new()),
    };
    let verifier = Verifier::new(store, VerifierConfig::default(), Arc::new(SystemClock));
    if database.is_none() {
        let token = demo::seed(&verifier).await.map_err(std::io::Error::other)?;
        println!("demo API key for distributor `demo` (shown once): {}", token.expose());
    }
    let keygate = web::Data::new(Keygate::new(verifier.clone()).environment(Environment::Live));
    let wallet = web::Data::new(demo::wallet(verifier.clock().clone()).map_err(std::io::Error::other)?);
    let listen = std::env::var("WALLET_LISTEN").unwrap_or_else(|_| "127.0.0.1:8090".to_owned());
    tracing::info!(%listen, "wallet-api listening");
    let routes = if std::env::var_os("WALLET_UNPROTECTED").is_some() { unprotected_routes } else { routes }; // bench only
    HttpServer::new(move || App::new().app_data(keygate.clone()).app_data(wallet.clone()).configure(routes))
        .bind(&listen)?
        .run()
        .await?;
    verifier.shutdown().await;
    Ok(())
}
