//! When the store cannot answer, nothing is allowed that needs it: fail closed. A cached key without an
//! amount keeps working until the cache TTL, and a token that cannot be a key never reaches the store.

use std::time::Duration;

use keygate_credential::Token;
use keygate_domain::Environment;
use keygate_store::{KeyStore, PgStore, PgStoreOptions, StoreError};
use keygate_verifier::{RequestContext, VerifierConfig, VerifyError};

use crate::support::{acme, config, limits, money, FlakyStore, Harness, KeySpec, Stores};

fn short_ttl() -> VerifierConfig {
    VerifierConfig { cache_ttl: Duration::from_millis(200), ..config() }
}

fn paying() -> RequestContext {
    RequestContext { amount: Some(money("10", Some("XOF"))), ..acme() }
}

/// A PostgreSQL server that is down: the store is `Unavailable` within a bounded time, never a store
/// that answers "no such key".
pub async fn a_store_on_a_database_that_is_down_is_unavailable() {
    let mut options = PgStoreOptions::new("postgres://postgres@127.0.0.1:1/x");
    options.acquire_timeout = Duration::from_millis(300);
    let started = std::time::Instant::now();
    let outcome = match PgStore::connect(options).await {
        Err(error) => Err(error),
        Ok(store) => store.find_key(Token::generate(Environment::Live).key_id()).await.map(|_| ()),
    };
    assert!(matches!(outcome, Err(StoreError::Unavailable(_))), "unavailable, not an answer: {outcome:?}");
    assert!(started.elapsed() < Duration::from_secs(5), "within a bounded time: {:?}", started.elapsed());
}

pub async fn an_uncached_key_is_unavailable_while_the_store_is_down(stores: Stores) {
    let flaky = FlakyStore::new(stores.first);
    let h = Harness::start(flaky.clone()).await;
    let key = h.issue(KeySpec::active("pos")).await;
    let unknown = Token::generate(Environment::Live).to_plain(h.verifier.prefix()).expose().to_owned();
    flaky.set_down(true);
    let cases = [(&key.token, "a key never verified before"), (&unknown, "a well-formed token of no key")];
    for (token, why) in cases {
        let got = h.verify(token, &acme()).await.map(|_| ());
        assert_eq!(got, Err(VerifyError::Unavailable), "{why}: unavailable, never allowed or not-found");
    }
    flaky.set_down(false);
    assert_eq!(h.verify(&key.token, &acme()).await.map(|_| ()), Ok(()), "verifies again once the store is back");
}

pub async fn a_cached_key_keeps_verifying_until_the_cache_ttl_while_the_store_is_down(stores: Stores) {
    let flaky = FlakyStore::new(stores.first);
    let h = Harness::start_with(flaky.clone(), short_ttl()).await;
    let key = h.issue(KeySpec::active("pos")).await;
    h.settle().await;
    assert_eq!(h.verify(&key.token, &acme()).await.map(|_| ()), Ok(()), "verified once: cached");
    flaky.set_down(true);
    assert_eq!(h.verify(&key.token, &acme()).await.map(|_| ()), Ok(()), "within the TTL the cached key verifies");
    tokio::time::sleep(Duration::from_millis(300)).await;
    let got = h.verify(&key.token, &acme()).await.map(|_| ());
    assert_eq!(got, Err(VerifyError::Unavailable), "past the 200 ms TTL it is unavailable");
}

pub async fn an_amount_is_never_allowed_while_the_store_is_down_even_for_a_cached_key(stores: Stores) {
    let flaky = FlakyStore::new(stores.first);
    let h = Harness::start(flaky.clone()).await;
    let capped = h.issue(KeySpec::active("capped").limits(limits(Some("XOF"), None, Some("1000"), &[]))).await;
    let plain = h.issue(KeySpec::active("plain").limits(limits(Some("XOF"), None, None, &[]))).await;
    h.settle().await;
    for key in [&capped, &plain] {
        assert_eq!(h.verify(&key.token, &acme()).await.map(|_| ()), Ok(()), "cached");
    }
    flaky.set_down(true);
    let cases = [(&capped, "a key with a daily volume"), (&plain, "a key without one")];
    for (key, why) in cases {
        assert_eq!(h.verify(&key.token, &acme()).await.map(|_| ()), Ok(()), "{why}: no amount, the cache answers");
        let got = h.verify(&key.token, &paying()).await.map(|_| ());
        assert_eq!(got, Err(VerifyError::Unavailable), "{why}: an amount needs the store");
        let verified = h.verify(&key.token, &acme()).await.unwrap();
        let charged = h.verifier.charge(&verified, money("10", Some("XOF"))).await.map(|_| ());
        assert_eq!(charged, Err(VerifyError::Unavailable), "{why}: charging needs the store too");
    }
}

pub async fn a_token_that_cannot_be_a_key_never_reaches_the_store(stores: Stores) {
    let flaky = FlakyStore::new(stores.first);
    let h = Harness::start(flaky.clone()).await;
    let key = h.issue(KeySpec::active("pos")).await;
    // A change notice arriving during a look-up keeps its answer out of the cache; let them arrive.
    h.settle().await;
    let mut garbled = key.token.clone();
    garbled.pop();
    garbled.push(if key.token.ends_with('A') { 'B' } else { 'A' });
    let unknown = Token::generate(Environment::Live).to_plain(h.verifier.prefix()).expose().to_owned();
    let cases = [
        (garbled.as_str(), 0, "a bad checksum is refused offline"),
        ("kg_live_short", 0, "a wrong length is refused offline"),
        ("not a token at all", 0, "garbage is refused offline"),
        (unknown.as_str(), 1, "a well-formed unknown token is looked up once"),
        (unknown.as_str(), 0, "and then answered from the cache"),
    ];
    for (token, calls, why) in cases {
        let before = flaky.calls();
        let _ = h.verify(token, &acme()).await;
        assert_eq!(flaky.calls() - before, calls, "{why}");
    }
}
