//! Request rate limits across processes: two verifiers on one store (two processes' worth) allow
//! exactly the limit per window, count a request in all of a key's limits or in none, give back their
//! leases at a graceful stop, strand at most a slice when killed, and stop a revoked key within the
//! lease's second even when the change notice was lost.

use chrono::Duration;
use keygate_domain::{Event, Limits, RateLimit};
use keygate_verifier::{Denial, RequestContext, Verifier, VerifyError};

use crate::support::{acme, limits, maker, money, scopes, FlakyStore, Harness, KeySpec, Stores};

fn rated(rates: &[(&str, u64, u32)]) -> Limits {
    let rates = rates.iter().map(|(name, limit, window)| RateLimit::new(name, *limit, *window).unwrap()).collect();
    Limits::none().with_rate(rates).unwrap()
}

fn limited(limit: &str, retry_after: u64) -> VerifyError {
    VerifyError::Denied(Denial::RateLimited { limit: limit.to_owned(), retry_after })
}

/// `n` verifications of `token` at once, spread over `verifiers` in turn; the allowed count and every
/// refusal.
async fn burst(verifiers: &[&Verifier], token: &str, n: usize, ctx: &RequestContext) -> (usize, Vec<VerifyError>) {
    let tasks: Vec<_> = (0..n)
        .map(|i| {
            let (verifier, token, ctx) = (verifiers[i % verifiers.len()].clone(), token.to_owned(), ctx.clone());
            tokio::spawn(async move { verifier.verify(token.as_bytes(), &ctx).await })
        })
        .collect();
    let (mut allowed, mut refused) = (0, Vec::new());
    for task in tasks {
        match task.await.unwrap() {
            Ok(_) => allowed += 1,
            Err(e) => refused.push(e),
        }
    }
    (allowed, refused)
}

/// Caches the key in each verifier with a request another check refuses (so it counts nowhere), so a
/// burst measures the leases rather than a thousand cold reads racing for the pool.
async fn warm(verifiers: &[&Verifier], token: &str) {
    let unscoped = RequestContext { required_scopes: scopes(&["payouts:write"]), ..acme() };
    for verifier in verifiers {
        let refused = verifier.verify(token.as_bytes(), &unscoped).await.unwrap_err();
        assert_eq!(refused.code(), "INSUFFICIENT_SCOPE");
    }
}

pub async fn two_processes_allow_exactly_the_limit_per_window(stores: Stores) {
    let h = Harness::start(stores.first).await;
    let other = h.second_verifier(stores.second);
    let key = h.issue(KeySpec::active("hot").limits(rated(&[("burst", 100, 10)]))).await;
    warm(&[&h.verifier, &other], &key.token).await;
    let (allowed, refused) = burst(&[&h.verifier, &other], &key.token, 1_000, &acme()).await;
    assert_eq!(allowed, 100, "1,000 requests at once over two processes: exactly the limit");
    // t0 is 12:00:00, a window start: the window ends in 10 s.
    let odd: Vec<_> = refused.iter().filter(|e| **e != limited("burst", 10)).collect();
    assert!(odd.is_empty(), "every other one refused, naming the limit: {odd:?}");
    h.advance(Duration::seconds(10));
    let (allowed, _) = burst(&[&h.verifier, &other], &key.token, 300, &acme()).await;
    assert_eq!(allowed, 100, "the next window: the limit again, the leases of the last one forgotten");
}

pub async fn a_request_counts_in_every_limit_or_in_none(stores: Stores) {
    let h = Harness::start(stores.first).await;
    let rates = rated(&[("a-short", 5, 10), ("b-long", 8, 60)]);
    let xof = limits(Some("XOF"), None, Some("100"), &[]);
    let key = h.issue(KeySpec::active("two").limits(xof.with_rate(rates.rate().to_vec()).unwrap())).await;
    // Refused by an earlier check: counted nowhere.
    let unscoped = RequestContext { required_scopes: scopes(&["payouts:write"]), ..acme() };
    let (allowed, _) = burst(&[&h.verifier], &key.token, 20, &unscoped).await;
    assert_eq!(allowed, 0);
    // A spend refused by its daily volume hands its count back.
    let paying = |amount: &str| RequestContext { amount: Some(money(amount, Some("XOF"))), ..acme() };
    h.verifier.verify(key.token.as_bytes(), &paying("100")).await.unwrap();
    let over = h.verifier.verify(key.token.as_bytes(), &paying("1")).await.unwrap_err();
    assert_eq!(over.code(), "DAILY_VOLUME_EXCEEDED");
    let (allowed, refused) = burst(&[&h.verifier], &key.token, 10, &acme()).await;
    assert_eq!(allowed, 4, "5 per 10 s: the spend counted, the refused ones did not");
    assert!(refused.iter().all(|e| *e == limited("a-short", 10)), "refused by the short limit");
    h.advance(Duration::seconds(10));
    let (allowed, refused) = burst(&[&h.verifier], &key.token, 10, &acme()).await;
    assert_eq!(allowed, 3, "8 per minute: 5 counted, and none of the requests the short limit refused");
    assert!(refused.iter().all(|e| *e == limited("b-long", 50)), "refused by the long limit now");
}

pub async fn leases_are_given_back_at_a_graceful_stop_and_a_killed_process_strands_at_most_its_slice(stores: Stores) {
    let h = Harness::start(stores.first).await;
    let key = h.issue(KeySpec::active("shared").limits(rated(&[("ten-s", 100, 10)]))).await;
    let stopping = h.second_verifier(stores.second.clone());
    stopping.verify(key.token.as_bytes(), &acme()).await.unwrap();
    stopping.shutdown().await;
    drop(stopping);
    let killed = h.second_verifier(stores.second.clone());
    killed.verify(key.token.as_bytes(), &acme()).await.unwrap();
    drop(killed); // No shutdown: its unused slice stays leased.
    warm(&[&h.verifier], &key.token).await;
    let (allowed, _) = burst(&[&h.verifier], &key.token, 200, &acme()).await;
    let slice = usize::try_from(keygate_verifier::rate::slice(100)).unwrap();
    assert_eq!(allowed, 100 - 2 - (slice - 1), "the stopped process gave back its slice, the killed one did not");
    h.advance(Duration::seconds(10));
    let (allowed, _) = burst(&[&h.verifier], &key.token, 200, &acme()).await;
    assert_eq!(allowed, 100, "the stranded slice is gone with its window");
}

pub async fn a_key_stopped_mid_lease_is_refused_within_the_lease_even_without_its_change_notice(stores: Stores) {
    let deaf = FlakyStore::deaf(stores.first);
    let h = Harness::start(deaf).await;
    let key = h.issue(KeySpec::active("leased").limits(rated(&[("minute", 1_000, 60)]))).await;
    h.verifier.verify(key.token.as_bytes(), &acme()).await.unwrap();
    h.apply(&key.key, Event::Suspend { reason: keygate_domain::Reason::parse("stolen").unwrap() }, &maker()).await;
    let served = h.verifier.verify(key.token.as_bytes(), &acme()).await.map(|_| ());
    assert_eq!(served, Ok(()), "unheard, the change is not seen while the lease lasts");
    h.advance(keygate_verifier::rate::LEASE_TTL);
    let stopped = h.verifier.verify(key.token.as_bytes(), &acme()).await.map(|_| ());
    assert_eq!(stopped, Err(VerifyError::Denied(Denial::Suspended)), "at the lease's end the store says stale");
}
