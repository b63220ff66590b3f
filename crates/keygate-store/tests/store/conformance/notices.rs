//! Notices: an event given once per key and notice however many processes race to give it, and the
//! expiry scan's read (keys that still work, within the lead time, not yet given).

use chrono::Duration as Days;
use keygate_domain::webhook::EventType;

use super::Store;
use crate::fixtures::*;

/// What the scan lists: (key, event).
async fn due(store: &Store, at: chrono::DateTime<chrono::Utc>) -> Vec<(keygate_domain::KeyId, EventType)> {
    let listed = store.expiry_due(at, 10).await.unwrap();
    listed.into_iter().map(|d| (d.key, d.event_type)).collect()
}

pub async fn racing_notices_of_one_key_are_given_once_and_the_scan_moves_on(a: Store, b: Store) {
    let t = given_tenant(&*a, "acme").await;
    let key = given_key(&*a, &t, "pos", daily_limit("10"), true).await;
    given_key(&*a, &t, "awaiting", daily_limit("10"), false).await;
    let expires = key.expiry.at().unwrap();
    assert!(due(&a, expires - Days::days(8)).await.is_empty(), "8 days ahead: not yet news");
    let soon = expires - Days::days(6);
    assert_eq!(due(&b, soon).await, [(key.id, EventType::KeyExpiring)], "a key awaiting approval is not listed");
    let notice = b.expiry_due(soon, 10).await.unwrap().remove(0);
    let tasks: Vec<_> = (0..20)
        .map(|n| {
            let store = if n % 2 == 0 { a.clone() } else { b.clone() };
            let notice = notice.clone();
            tokio::spawn(async move { store.announce_once(&notice.event(soon), notice.notice()).await })
        })
        .collect();
    let mut given = 0;
    for task in tasks {
        given += usize::from(task.await.unwrap().unwrap());
    }
    assert_eq!(given, 1, "one of twenty racing scans gives it");
    assert!(due(&a, soon).await.is_empty(), "given: the scan moves on");

    let past = expires + Days::seconds(1);
    assert_eq!(due(&a, past).await, [(key.id, EventType::KeyExpired)], "expired: the other notice");
    let gone = a.expiry_due(past, 10).await.unwrap().remove(0);
    assert!(b.announce_once(&gone.event(past), gone.notice()).await.unwrap());
    assert!(!a.announce_once(&gone.event(past), gone.notice()).await.unwrap(), "once");
    assert!(due(&b, past + Days::days(30)).await.is_empty(), "nothing more, ever");
}
