//! wallet-api: a distributor wallet protected by keygate, in the few lines any actix-web service needs.
//! With `KEYGATE_DATABASE_URL` it verifies against keygate's PostgreSQL store; without, it seeds an
//! in-memory store with tenant `demo` and one key, and prints that key's token once. Then try
//! `curl -H "Authorization: Bearer <token>" http://127.0.0.1:8090/api/v1/distributors/demo/balance`.
//! Cash-out requires a signed request (see docs/signing.md): the demo also prints the key's HMAC
//! signing secret once. With a database, `KEYGATE_SIGNING_KEY` must be keygated's.

use std::sync::Arc;

use actix_web::{web, App, HttpServer};
use keygate_credential::signing::SigningMasterKey;
use keygate_domain::Environment;
use keygate_store::{KeyStore, MemoryStore, PgStore, PgStoreOptions};
use keygate_verifier::actix::Keygate;
use keygate_verifier::{SystemClock, Verifier, VerifierConfig};
use rand_core::{OsRng, RngCore};
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
    // HMAC signing keys' secrets derive from this key, as in keygated; the in-memory demo draws one.
    let signing_key = match std::env::var("KEYGATE_SIGNING_KEY") {
        Ok(hex) => SigningMasterKey::parse(&hex).map_err(std::io::Error::other)?,
        Err(_) if database.is_none() => {
            let mut bytes = [0u8; 32];
            OsRng.fill_bytes(&mut bytes);
            SigningMasterKey::from_bytes(bytes)
        }
        Err(_) => return Err(std::io::Error::other("KEYGATE_SIGNING_KEY is required with a database")),
    };
    let config = VerifierConfig { signing_key: Some(signing_key), ..VerifierConfig::default() };
    let verifier = Verifier::new(store, config, Arc::new(SystemClock));
    if database.is_none() {
        let issued = demo::seed(&verifier).await.map_err(std::io::Error::other)?;
        println!("demo API key for distributor `demo` (shown once): {}", issued.token.expose());
        if let Some(secret) = issued.signing_secret {
            println!(
                "its signing keyid: {} and hmac-sha256 secret (shown once): {}",
                issued.key.id,
                secret.render().as_str()
            );
        }
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
