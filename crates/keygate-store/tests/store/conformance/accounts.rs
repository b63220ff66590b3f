//! Sub-accounts in the store: a key's account and a tenant's `require_account` read back as written,
//! and the listing filters by account exactly (keys of the whole tenant are never listed by account).

use std::collections::BTreeSet;

use keygate_domain::{AccountId, ActorId, Event, KeyId, KeyState, Notes, TenantId};
use keygate_store::{AuditKind, KeyFilter, KeyStore};

use super::Store;
use crate::fixtures::*;

fn account(text: &str) -> AccountId {
    AccountId::parse(text).unwrap()
}

/// Every page of `filter`'s listing, `limit` keys at a time.
async fn listed(store: &dyn KeyStore, tenant: &TenantId, filter: &KeyFilter, limit: u32) -> BTreeSet<KeyId> {
    let mut ids = BTreeSet::new();
    let mut cursor = None;
    loop {
        let page = store.keys(tenant, filter.clone(), cursor, limit).await.unwrap();
        assert!(page.items.len() <= usize::try_from(limit).unwrap(), "page size respected");
        ids.extend(page.items.iter().map(|r| r.key.id));
        match page.next {
            Some(next) => cursor = Some(next),
            None => return ids,
        }
    }
}

pub async fn a_keys_account_round_trips_and_the_listing_filters_by_it(a: Store, b: Store) {
    let t = given_tenant(&*a, "acme").await;
    let mut strict = tenant("globex");
    strict.policy.require_account = true;
    let created = audit(&strict.id, None, ActorId::System, AuditKind::TenantCreated);
    a.create_tenant(&strict, &[], &[created]).await.unwrap();
    assert_eq!(b.tenant(&strict.id).await.unwrap(), strict, "require_account reads back");

    let mut by_account: Vec<(Option<&str>, KeyId)> = Vec::new();
    for (name, bound) in
        [("till 1", Some("shop-1")), ("till 2", Some("shop-2")), ("office", Some("shop-1")), ("hq", None)]
    {
        let (mut record, mut made) = new_key(&t, name, daily_limit("10"), now());
        record.key.account = bound.map(account);
        made.key = record.key.clone();
        a.commit(&[insert(&record, &made)]).await.unwrap();
        assert_eq!(b.key(&t.id, record.key.id).await.unwrap(), record, "{name}: every field, its account included");
        by_account.push((bound, record.key.id));
    }
    let ids = |wanted: Option<&str>| -> BTreeSet<KeyId> {
        by_account.iter().filter(|(bound, _)| *bound == wanted).map(|(_, id)| *id).collect()
    };
    let only = |text: &str| KeyFilter { account: Some(account(text)), ..KeyFilter::default() };
    assert_eq!(listed(&*b, &t.id, &only("shop-1"), 1).await, ids(Some("shop-1")), "shop-1's keys, page by page");
    assert_eq!(listed(&*b, &t.id, &only("shop-2"), 100).await, ids(Some("shop-2")), "shop-2's key");
    assert!(listed(&*b, &t.id, &only("SHOP-1"), 100).await.is_empty(), "an account is matched as written");
    assert!(listed(&*b, &t.id, &only("shop-3"), 100).await.is_empty(), "an account no key names");
    assert_eq!(listed(&*b, &t.id, &KeyFilter::default(), 100).await.len(), 4, "unfiltered, every key");
    let active = KeyFilter { state: Some(KeyState::Active), ..only("shop-1") };
    assert!(listed(&*b, &t.id, &active, 100).await.is_empty(), "with the other filters (the keys are pending)");
    assert!(listed(&*b, &strict.id, &only("shop-1"), 100).await.is_empty(), "another tenant's shop-1 is not acme's");

    // A later write keeps the account: the domain never changes it, and the store writes what it is given.
    let (_, id) = by_account[0];
    let key = b.key(&t.id, id).await.unwrap().key;
    let noted =
        key.apply(Event::UpdateNotes { notes: Notes::parse("moved").ok() }, &maker(), &t.policy, now()).unwrap();
    a.commit(&[update(&key, &noted, &maker())]).await.unwrap();
    assert_eq!(b.key(&t.id, id).await.unwrap().key.account, Some(account("shop-1")), "kept by an update");
}
