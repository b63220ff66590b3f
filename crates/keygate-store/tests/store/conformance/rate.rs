//! Leased request budget: however processes race, a window's leases never sum past its limit; budget
//! given back can be leased again; a newer window starts afresh; a stale key leases nothing.

use keygate_domain::{Event, Key};
use keygate_store::{Leased, RateLease};

use super::Store;
use crate::fixtures::*;

fn lease(key: &Key, window_start: i64, limit: u64, give_back: u64, want: u64) -> RateLease {
    RateLease {
        key: key.id,
        key_version: Some(key.version),
        name: "per-ten-seconds".into(),
        window_start,
        limit,
        give_back,
        want,
    }
}

fn granted(leased: Leased) -> u64 {
    match leased {
        Leased::Granted(n) => n,
        Leased::Stale => panic!("the key is current"),
    }
}

pub async fn racing_leases_from_two_processes_never_sum_past_the_limit(a: Store, b: Store) {
    let t = given_tenant(&*a, "acme").await;
    let key = given_key(&*a, &t, "hot", daily_limit("100"), true).await;
    // 64 racers, half on each handle, each asking 37 of a budget of 1,000, at once.
    let tasks: Vec<_> = (0..64)
        .map(|i| {
            let store = if i % 2 == 0 { a.clone() } else { b.clone() };
            let lease = lease(&key, 1_000, 1_000, 0, 37);
            tokio::spawn(async move { granted(store.lease_rate(&lease).await.unwrap()) })
        })
        .collect();
    let mut total = 0;
    for task in tasks {
        total += task.await.unwrap();
    }
    assert_eq!(total, 1_000, "the whole budget is leased, and not one request more");
    assert_eq!(granted(a.lease_rate(&lease(&key, 1_000, 1_000, 0, 1)).await.unwrap()), 0, "none left");
    // Giving back makes it available again, to the other process; a give-back never goes below zero.
    assert_eq!(granted(b.lease_rate(&lease(&key, 1_000, 1_000, 30, 0)).await.unwrap()), 0);
    assert_eq!(granted(a.lease_rate(&lease(&key, 1_000, 1_000, 0, 50)).await.unwrap()), 30, "what was given back");
    // A lower limit (a narrowing) leases nothing while more than it is out; a newer window starts afresh.
    assert_eq!(granted(a.lease_rate(&lease(&key, 1_000, 10, 0, 5)).await.unwrap()), 0, "over a lowered limit");
    assert_eq!(granted(b.lease_rate(&lease(&key, 1_010, 1_000, 0, 600)).await.unwrap()), 600, "a new window");
    assert_eq!(granted(b.lease_rate(&lease(&key, 1_000, 1_000, 0, 5)).await.unwrap()), 0, "a window already over");
    assert_eq!(granted(a.lease_rate(&lease(&key, 1_010, 1_000, 2_000, 1_000)).await.unwrap()), 1_000, "all back");
    // Each limit name has its own budget.
    let other = RateLease { name: "per-hour".into(), ..lease(&key, 0, 5, 0, 9) };
    assert_eq!(granted(a.lease_rate(&other).await.unwrap()), 5, "another limit of the key");
}

pub async fn a_lease_on_a_key_changed_since_it_was_read_is_stale_and_a_give_back_is_not(a: Store, b: Store) {
    let t = given_tenant(&*a, "acme").await;
    let key = given_key(&*a, &t, "till", daily_limit("100"), true).await;
    assert_eq!(granted(b.lease_rate(&lease(&key, 0, 10, 0, 4)).await.unwrap()), 4);
    let suspended = key.apply(Event::Suspend { reason: reason("stolen") }, &maker(), &t.policy, now()).unwrap();
    a.commit(&[update(&key, &suspended, &maker())]).await.unwrap();
    assert_eq!(b.lease_rate(&lease(&key, 0, 10, 0, 4)).await.unwrap(), Leased::Stale, "a cached read of a stopped key");
    let give_back = RateLease { key_version: None, ..lease(&key, 0, 10, 4, 0) };
    assert_eq!(b.lease_rate(&give_back).await.unwrap(), Leased::Granted(0), "a give-back needs no version");
    let fresh = lease(&suspended.key, 0, 10, 0, 10);
    assert_eq!(granted(a.lease_rate(&fresh).await.unwrap()), 10, "the budget given back is whole again");
}
