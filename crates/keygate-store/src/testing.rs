//! Test support (feature `testing`): a fresh, migrated PostgreSQL database per test, made on the server
//! that `KEYGATE_TEST_DATABASE_URL` points at and dropped when the test is done.
//!
//! It must never be used outside tests, never skip silently when the variable is set (a PostgreSQL
//! test that cannot reach its server panics, so CI fails rather than passes without testing), and
//! never print the database password.

// Panicking is how test support reports a broken setup: the test fails with the message.
#![allow(clippy::panic)]

use std::sync::{Mutex, PoisonError};
use std::time::Duration;

use rand_core::{OsRng, RngCore};
use sqlx::{Connection, Executor, PgConnection};

use crate::pg::url::redact;
use crate::{PgStore, PgStoreOptions};

/// The variable naming the server (and an existing database to connect to for CREATE and DROP),
/// e.g. `postgres://postgres@127.0.0.1:5432/postgres`.
pub const DATABASE_URL_VAR: &str = "KEYGATE_TEST_DATABASE_URL";

/// How long to wait for the server before calling the setup broken.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// A fresh PostgreSQL database for one test: created with a random name from
/// `KEYGATE_TEST_DATABASE_URL`'s server, migrated, dropped by [`TestDatabase::drop_database`].
///
/// Each [`TestDatabase::store`] has a pool and a listener of its own, like separate server processes
/// sharing the database. If a test never calls `drop_database` (it panicked, or forgot), dropping the
/// value drops the database anyway, so test runs do not pile up `keygate_test_…` databases.
pub struct TestDatabase {
    admin_url: String,
    name: String,
    url: String,
    /// The store `create` migrated with; each `store()` is a fresh one beside it.
    first: PgStore,
    /// Every pool handed out, to close before the database is dropped.
    pools: Mutex<Vec<sqlx::PgPool>>,
    /// Set by `drop_database`, so `Drop` has nothing left to do.
    dropped: bool,
}

impl TestDatabase {
    /// `None` when `KEYGATE_TEST_DATABASE_URL` is unset (plain `cargo test` on a machine without
    /// PostgreSQL). When it is set and the server cannot be reached, this panics with a clear message.
    pub async fn create() -> Option<Self> {
        let admin_url = std::env::var(DATABASE_URL_VAR).ok().filter(|url| !url.trim().is_empty())?;
        let name = random_name();
        admin_execute(&admin_url, &format!("CREATE DATABASE \"{name}\"")).await;
        let url = with_database(&admin_url, &name);
        let first = PgStore::connect(store_options(&url)).await.unwrap_or_else(|e| {
            panic!("cannot connect to or migrate test database {} ({}): {e:?}", name, redact(&admin_url))
        });
        let pools = Mutex::new(vec![first.pool().clone()]);
        Some(Self { admin_url, name, url, first, pools, dropped: false })
    }

    /// URL of the fresh database (for a second store in the same test, or a server under test).
    pub fn url(&self) -> &str {
        &self.url
    }

    /// A store on the fresh, migrated database, with a pool and a listener of its own (two stores are
    /// like two server processes). It connects on first use. Must be called within a Tokio runtime.
    pub fn store(&self) -> PgStore {
        assert!(
            tokio::runtime::Handle::try_current().is_ok(),
            "TestDatabase::store must be called within a Tokio runtime (it starts a listener task)"
        );
        let store = PgStore::connect_lazy_migrated(&store_options(&self.url))
            .unwrap_or_else(|e| panic!("cannot open a pool on test database {}: {e:?}", self.name));
        self.pools.lock().unwrap_or_else(PoisonError::into_inner).push(store.pool().clone());
        store
    }

    /// Closes every pool handed out and drops the database, closing any other connection to it.
    pub async fn drop_database(mut self) {
        let pools = std::mem::take(&mut *self.pools.lock().unwrap_or_else(PoisonError::into_inner));
        for pool in pools {
            pool.close().await;
        }
        admin_execute(&self.admin_url, &drop_statement(&self.name)).await;
        self.dropped = true;
    }
}

impl Drop for TestDatabase {
    /// The fallback for a test that did not call `drop_database`: drops the database on a thread of its
    /// own (a `Drop` cannot await, and may run inside or outside a runtime). Never panics (it may run
    /// while a failed test unwinds); a failure only leaves the database behind.
    fn drop(&mut self) {
        if self.dropped {
            return;
        }
        let (admin_url, statement) = (self.admin_url.clone(), drop_statement(&self.name));
        let cleanup = std::thread::spawn(move || {
            let Ok(runtime) = tokio::runtime::Builder::new_current_thread().enable_all().build() else { return };
            drop(runtime.block_on(try_admin_execute(&admin_url, &statement)));
        });
        drop(cleanup.join());
    }
}

impl std::fmt::Debug for TestDatabase {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TestDatabase")
            .field("admin_url", &redact(&self.admin_url))
            .field("name", &self.name)
            .field("url", &redact(&self.url))
            .field("first", &self.first)
            .finish_non_exhaustive()
    }
}

/// Options for a test store: fewer connections than production, as several tests run at once
/// against one server.
fn store_options(url: &str) -> PgStoreOptions {
    PgStoreOptions { max_connections: 8, ..PgStoreOptions::new(url) }
}

fn drop_statement(name: &str) -> String {
    format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)")
}

/// Runs one statement on the admin database, or panics saying why.
async fn admin_execute(admin_url: &str, statement: &str) {
    if let Err(why) = try_admin_execute(admin_url, statement).await {
        panic!("{why}");
    }
}

/// Runs one statement on the admin database; the error says what failed, without the password.
async fn try_admin_execute(admin_url: &str, statement: &str) -> Result<(), String> {
    let shown = redact(admin_url);
    let mut conn = match tokio::time::timeout(CONNECT_TIMEOUT, PgConnection::connect(admin_url)).await {
        Ok(Ok(conn)) => conn,
        Ok(Err(e)) => {
            return Err(format!("{DATABASE_URL_VAR} is set but PostgreSQL at {shown} cannot be reached: {e}"))
        }
        Err(elapsed) => {
            return Err(format!("{DATABASE_URL_VAR} is set but PostgreSQL at {shown} did not answer: {elapsed}"))
        }
    };
    let outcome = conn.execute(statement).await.map(drop).map_err(|e| format!("`{statement}` failed on {shown}: {e}"));
    // The statement is done (or failed); a failed goodbye does not matter.
    drop(conn.close().await);
    outcome
}

/// `keygate_test_` and 16 hex characters from the OS RNG.
fn random_name() -> String {
    let mut bytes = [0u8; 8];
    if let Err(e) = OsRng.try_fill_bytes(&mut bytes) {
        panic!("the OS random number generator failed: {e}");
    }
    format!("keygate_test_{:016x}", u64::from_be_bytes(bytes))
}

/// `url` with its database (the path) replaced by `database`, keeping the parameters.
fn with_database(url: &str, database: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((base, query)) => (base, Some(query)),
        None => (url, None),
    };
    let authority_start = base.find("://").map_or(0, |i| i + 3);
    let path_start = base[authority_start..].find('/').map_or(base.len(), |i| authority_start + i);
    let mut out = format!("{}/{database}", &base[..path_start]);
    if let Some(query) = query {
        out.push('?');
        out.push_str(query);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn test_database_urls_keep_the_server_and_parameters() {
        let cases = [
            ("postgres://postgres@127.0.0.1:5432/postgres", "postgres://postgres@127.0.0.1:5432/db", "plain"),
            ("postgres://u:p@h/postgres?sslmode=disable", "postgres://u:p@h/db?sslmode=disable", "parameters kept"),
            ("postgres://u@h:5432", "postgres://u@h:5432/db", "no database in the URL"),
            ("postgres://u@h?application_name=t", "postgres://u@h/db?application_name=t", "parameters, no path"),
        ];
        for (url, expected, why) in cases {
            assert_eq!(with_database(url, "db"), expected, "{why}");
        }
    }

    #[test]
    fn random_names_are_fresh_and_shaped_for_sql() {
        let (a, b) = (random_name(), random_name());
        assert_ne!(a, b, "two draws differ");
        assert_eq!(a.len(), "keygate_test_".len() + 16, "16 hex characters");
        assert!(a.bytes().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == b'_'), "needs no quoting");
    }
}
