//! Behaviours only a networked backend has.

use std::time::{Duration, Instant};

use keygate_domain::TenantId;
use keygate_store::{KeyStore, PgStore, PgStoreOptions, StoreError};

#[tokio::test]
async fn a_store_pointed_at_a_server_that_is_down_is_unavailable_within_a_bounded_time() {
    let mut options = PgStoreOptions::new("postgres://postgres@127.0.0.1:1/keygate");
    options.acquire_timeout = Duration::from_secs(1);
    let started = Instant::now();
    let outcome = match PgStore::connect(options).await {
        Err(error) => Err(error),
        Ok(store) => store.tenant(&TenantId::parse("acme").unwrap()).await.map(|_| ()),
    };
    assert!(matches!(outcome, Err(StoreError::Unavailable(_))), "unavailable, not not-found: {outcome:?}");
    assert!(started.elapsed() < Duration::from_secs(5), "answered in {:?}", started.elapsed());
}
