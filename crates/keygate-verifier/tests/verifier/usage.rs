//! Use is counted without waiting on the store: after `shutdown` the counts are in the store.

use keygate_verifier::RequestContext;

use crate::support::{acme, ip, t0, Harness, KeySpec, Stores};

pub async fn verifications_are_counted_in_the_store_after_shutdown(stores: Stores) {
    let h = Harness::start(stores.first).await;
    let busy = h.issue(KeySpec::active("busy")).await;
    let idle = h.issue(KeySpec::active("idle")).await;
    let from = RequestContext { client_ip: Some(ip("192.0.2.7")), ..acme() };
    for _ in 0..7 {
        h.verify(&busy.token, &from).await.unwrap();
    }
    h.verifier.shutdown().await;

    let usage = h.store.usage(&busy.key.tenant, busy.key.id, 7).await.unwrap();
    let counts: Vec<_> = usage.days.iter().map(|d| (d.day, d.requests)).collect();
    assert_eq!(counts, [(t0().date_naive(), 7)], "seven requests today");
    assert_eq!(usage.last_used_at, Some(t0()), "last used at the verifier's clock time");
    assert_eq!(usage.last_used_ip, Some(ip("192.0.2.7")), "from the client's address");
    let idle = h.store.usage(&idle.key.tenant, idle.key.id, 7).await.unwrap();
    assert!(idle.days.is_empty() && idle.last_used_at.is_none(), "a key never used has no usage: {idle:?}");
}
