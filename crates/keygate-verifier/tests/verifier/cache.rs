//! The key cache as the store sees it: a key in use is read again in the background before its entry
//! expires, with the other keys due at about the same time in one read, so its verifications never
//! wait on the store; an idle key's entry expires and is read on the request path.

use std::time::{Duration, Instant};

use keygate_verifier::VerifierConfig;

use crate::support::{acme, config, FlakyStore, Harness, KeySpec, Stores};

/// Polls `calls` until it reaches `want` or a second has passed; what it reached.
async fn wait_for(flaky: &FlakyStore, want: usize) -> usize {
    let deadline = Instant::now() + Duration::from_secs(1);
    while flaky.calls() < want && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    flaky.calls()
}

pub async fn a_key_in_use_is_renewed_before_its_entry_expires_and_an_idle_one_is_read_again(stores: Stores) {
    let flaky = FlakyStore::new(stores.first);
    let ttl = Duration::from_millis(1200);
    // No usage flush during the test: the store's calls are the cache's alone.
    let settings = VerifierConfig { cache_ttl: ttl, usage_flush_interval: Duration::from_secs(3600), ..config() };
    let h = Harness::start_with(flaky.clone(), settings).await;
    let busy = h.issue(KeySpec::active("busy")).await;
    let also_busy = h.issue(KeySpec::active("also-busy")).await;
    let idle = h.issue(KeySpec::active("idle")).await;
    h.settle().await;

    let before = flaky.calls();
    let cached_at = Instant::now();
    for key in [&busy, &also_busy, &idle] {
        assert_eq!(h.verify(&key.token, &acme()).await.map(|_| ()), Ok(()), "{}", key.key.name.as_str());
    }
    assert_eq!(flaky.calls() - before, 3, "each key read once, then cached");

    // In the second half of the TTL a hit is answered from the cache and renews the entry behind it.
    tokio::time::sleep_until((cached_at + ttl * 5 / 6).into()).await;
    let before = flaky.calls();
    for key in [&busy, &also_busy, &busy] {
        assert_eq!(h.verify(&key.token, &acme()).await.map(|_| ()), Ok(()), "a hit late in the TTL");
    }
    assert_eq!(wait_for(&flaky, before + 1).await - before, 1, "both keys renewed in one read in the background");
    tokio::time::sleep(Duration::from_millis(50)).await;
    assert_eq!(flaky.calls() - before, 1, "a key being renewed is read once, not once per hit");

    // Past the first entries' expiry: the renewed key is still answered without the store, the idle
    // one is read on the request path.
    tokio::time::sleep_until((cached_at + ttl + Duration::from_millis(150)).into()).await;
    let before = flaky.calls();
    for key in [&busy, &also_busy] {
        assert_eq!(h.verify(&key.token, &acme()).await.map(|_| ()), Ok(()), "busy key after the first TTL");
    }
    assert_eq!(flaky.calls() - before, 0, "renewed ahead: no store read on the request path");
    assert_eq!(h.verify(&idle.token, &acme()).await.map(|_| ()), Ok(()), "idle key after the TTL");
    assert_eq!(flaky.calls() - before, 1, "an idle key's entry expired and is read again");
}
