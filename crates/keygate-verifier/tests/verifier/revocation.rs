//! Revocation reaches verifiers that had the key cached: at once in the process that committed it,
//! within a second in another process sharing the store, and never lets a revoked key move money.

use std::time::Duration;

use keygate_verifier::{Denial, Verifier, VerifyError};

use crate::support::{acme, limits, money, within, FlakyStore, Harness, KeySpec, Stores};

fn revoked() -> Result<(), VerifyError> {
    Err(VerifyError::Denied(Denial::Revoked))
}

async fn outcome(verifier: &Verifier, token: &str) -> Result<(), VerifyError> {
    verifier.verify(token.as_bytes(), &acme()).await.map(|_| ())
}

pub async fn a_revocation_is_refused_at_once_by_the_verifier_sharing_the_store(stores: Stores) {
    let h = Harness::start(stores.first).await;
    let key = h.issue(KeySpec::active("leaked")).await;
    assert_eq!(outcome(&h.verifier, &key.token).await, Ok(()), "the key verifies, and is now cached");
    h.revoke(&key.key).await;
    assert_eq!(outcome(&h.verifier, &key.token).await, revoked(), "the very next verification refuses it");
}

pub async fn a_revocation_reaches_every_process_sharing_the_store_within_a_second(stores: Stores) {
    let h = Harness::start(stores.first).await;
    let other = h.second_verifier(stores.second);
    let key = h.issue(KeySpec::active("leaked")).await;
    assert_eq!(outcome(&h.verifier, &key.token).await, Ok(()), "cached by the first process");
    assert_eq!(outcome(&other, &key.token).await, Ok(()), "cached by the second process");

    h.revoke(&key.key).await;
    let limit = Duration::from_secs(1);
    let here = within(limit, || async { outcome(&h.verifier, &key.token).await == revoked() }).await;
    let there = within(limit, || async { outcome(&other, &key.token).await == revoked() }).await;
    assert!(here.is_some_and(|t| t < limit), "the committing process refuses it within 1 s (took {here:?})");
    assert!(there.is_some_and(|t| t < limit), "the other process refuses it within 1 s (took {there:?})");
}

/// If a change notice is lost, a cached key may keep authenticating until the cache TTL, but money
/// never rides on a cached answer alone: a revoked key must not pay, with or without a daily volume.
pub async fn a_revoked_key_never_moves_money_even_when_its_change_notice_was_lost(stores: Stores) {
    let deaf = FlakyStore::deaf(stores.first);
    let h = Harness::start(deaf).await;
    let capped = h.issue(KeySpec::active("capped").limits(limits(Some("XOF"), None, Some("1000"), &[]))).await;
    let plain = h.issue(KeySpec::active("plain").limits(limits(Some("XOF"), None, None, &[]))).await;
    for key in [&capped, &plain] {
        assert_eq!(outcome(&h.verifier, &key.token).await, Ok(()), "cached before the revocation");
        h.revoke(&key.key).await;
    }
    let paying = keygate_verifier::RequestContext { amount: Some(money("10", Some("XOF"))), ..acme() };
    let cases = [(&plain, "a key without a daily volume"), (&capped, "a key with a daily volume")];
    for (key, why) in cases {
        let got = h.verifier.verify(key.token.as_bytes(), &paying).await.map(|_| ());
        assert_eq!(got, revoked(), "{why} cannot spend once revoked");
    }
}
