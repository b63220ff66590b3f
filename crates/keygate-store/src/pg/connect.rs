//! Connecting: options, the pool (on the primary among the URL's hosts, `primary`), migrations and
//! the start of the invalidation listener and of the primary's watcher.
//!
//! It must never print the database password (options and errors show the URL redacted) and never
//! hand out a store whose schema is not migrated: `connect` fails with `Unavailable` instead.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use sqlx::postgres::{PgListener, PgPoolOptions};
use sqlx::PgPool;
use tokio::sync::oneshot;

use super::failure::fail;
use super::hosts::DatabaseUrl;
use super::primary::{self, Primary};
use super::url::redact;
use super::{listen, Inner, PgStore};
use crate::error::StoreError;

/// Options for [`PgStore::connect`].
#[derive(Clone)]
pub struct PgStoreOptions {
    /// `postgres://user:password@host:port/database`, or with several hosts as libpq writes them:
    /// `postgres://user@host1:5432,host2:5433/database?target_session_attrs=read-write` (the default;
    /// `any` also accepts a standby).
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
    /// Connects to the first host that accepts writes, runs the migrations (`migrations/`) and starts
    /// listening for other processes' key changes and watching where the primary is. Fails with
    /// `Unavailable` if the URL does not parse, or the database cannot be reached within about
    /// `acquire_timeout` or the schema cannot be brought up to date.
    pub async fn connect(options: PgStoreOptions) -> Result<Self, StoreError> {
        let primary = primary_of(&options)?;
        // Start on the primary if one answers now; else on the first host, and the watcher moves on.
        let current = primary.find().await.unwrap_or(0);
        let pool = primary.pool(current, pool_options(&options));
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
        Ok(Self::start(pool, primary, current, &options, Some(listener)))
    }

    /// A store on a database another store already migrated, with its own pool, connecting on first
    /// use; its listener subscribes in the background. Must be called within a Tokio runtime.
    #[cfg(feature = "testing")]
    pub(crate) fn connect_lazy_migrated(options: &PgStoreOptions) -> Result<Self, StoreError> {
        let primary = primary_of(options)?;
        let pool = primary.pool(0, pool_options(options));
        Ok(Self::start(pool, primary, 0, options, None))
    }

    fn start(
        pool: PgPool,
        primary: Arc<Primary>,
        current: usize,
        options: &PgStoreOptions,
        listener: Option<PgListener>,
    ) -> Self {
        let invalidations = crate::invalidations::InvalidationSender::new();
        let (shutdown, shutdown_rx) = oneshot::channel();
        let (watch_shutdown, watch_shutdown_rx) = oneshot::channel();
        tokio::spawn(listen::run(listener, pool.clone(), primary.clone(), invalidations.clone(), shutdown_rx));
        tokio::spawn(primary::watch(primary.clone(), pool.clone(), current, watch_shutdown_rx));
        Self {
            inner: Arc::new(Inner {
                pool,
                invalidations,
                target: primary.label(),
                primary,
                max_connections: options.max_connections,
                parts: std::sync::Mutex::default(),
                _shutdown: (shutdown, watch_shutdown),
            }),
        }
    }
}

/// The hosts of the URL, each with its connect options.
fn primary_of(options: &PgStoreOptions) -> Result<Arc<Primary>, StoreError> {
    let url = DatabaseUrl::parse(&options.url).map_err(|e| StoreError::Unavailable(Box::new(e)))?;
    Ok(Arc::new(Primary::new(&url, options.acquire_timeout).map_err(fail)?))
}

fn pool_options(options: &PgStoreOptions) -> PgPoolOptions {
    PgPoolOptions::new().max_connections(options.max_connections).acquire_timeout(options.acquire_timeout)
}
