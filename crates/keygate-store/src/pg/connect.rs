//! Connecting: options, the pool, migrations and the start of the invalidation listener.
//!
//! It must never print the database password (options and errors show the URL redacted) and never
//! hand out a store whose schema is not migrated: `connect` fails with `Unavailable` instead.

use std::fmt;
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use sqlx::postgres::{PgConnectOptions, PgListener, PgPoolOptions};
use sqlx::PgPool;
use tokio::sync::oneshot;

use super::failure::fail;
use super::url::redact;
use super::{listen, Inner, PgStore};
use crate::error::StoreError;

/// Options for [`PgStore::connect`].
#[derive(Clone)]
pub struct PgStoreOptions {
    /// `postgres://user:password@host:port/database`.
    pub url: String,
    /// Most connections the pool opens (the invalidation listener holds one of them). Default 16.
    pub max_connections: u32,
    /// How long a call waits for a connection before failing with `Unavailable`. Default 2 s: when the
    /// database is down, calls fail within about this time.
    pub acquire_timeout: Duration,
}

impl PgStoreOptions {
    /// Options for `url`, with the defaults for the rest.
    pub fn new(url: impl Into<String>) -> Self {
        Self { url: url.into(), max_connections: 16, acquire_timeout: Duration::from_secs(2) }
    }
}

impl fmt::Debug for PgStoreOptions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PgStoreOptions")
            .field("url", &redact(&self.url))
            .field("max_connections", &self.max_connections)
            .field("acquire_timeout", &self.acquire_timeout)
            .finish()
    }
}

impl PgStore {
    /// Connects, runs the migrations (`migrations/`) and starts listening for other processes' key
    /// changes. Fails with `Unavailable` if the database cannot be reached within about
    /// `acquire_timeout` or the schema cannot be brought up to date.
    pub async fn connect(options: PgStoreOptions) -> Result<Self, StoreError> {
        let (pool, target) = lazy_pool(&options)?;
        let mut migrator = sqlx::migrate!("./migrations");
        // A binary one release behind must still start against a schema the next release migrated
        // (rolling deploys); migrations are forward-only and additive, so it can.
        migrator.set_ignore_missing(true);
        migrator.run(&pool).await.map_err(|e| match e {
            sqlx::migrate::MigrateError::Execute(e) => fail(e),
            other => StoreError::Unavailable(Box::new(other)),
        })?;
        // LISTEN before returning, so every change committed after `connect` is heard.
        let listener = listen::subscribe(&pool).await.map_err(fail)?;
        Ok(Self::start(pool, target, &options, Some(listener)))
    }

    /// A store on a database another store already migrated, with its own pool, connecting on first
    /// use; its listener subscribes in the background. Must be called within a Tokio runtime.
    #[cfg(feature = "testing")]
    pub(crate) fn connect_lazy_migrated(options: &PgStoreOptions) -> Result<Self, StoreError> {
        let (pool, target) = lazy_pool(options)?;
        Ok(Self::start(pool, target, options, None))
    }

    fn start(pool: PgPool, target: String, options: &PgStoreOptions, listener: Option<PgListener>) -> Self {
        let invalidations = crate::invalidations::InvalidationSender::new();
        let (shutdown, shutdown_rx) = oneshot::channel();
        tokio::spawn(listen::run(listener, pool.clone(), invalidations.clone(), shutdown_rx));
        Self {
            inner: Arc::new(Inner {
                pool,
                invalidations,
                target,
                max_connections: options.max_connections,
                _shutdown: shutdown,
            }),
        }
    }
}

/// A pool that connects on first use, and its `host:port/database` for `Debug`.
fn lazy_pool(options: &PgStoreOptions) -> Result<(PgPool, String), StoreError> {
    let connect_options = PgConnectOptions::from_str(&options.url).map_err(fail)?;
    let target = format!(
        "{}:{}/{}",
        connect_options.get_host(),
        connect_options.get_port(),
        connect_options.get_database().unwrap_or("")
    );
    let pool = PgPoolOptions::new()
        .max_connections(options.max_connections)
        .acquire_timeout(options.acquire_timeout)
        // sqlx's default, kept on purpose: a ping before handing out an idle connection costs about
        // 25 µs locally, and spares a request failing on a connection a database restart killed.
        .test_before_acquire(true)
        .connect_lazy_with(connect_options);
    Ok((pool, target))
}
