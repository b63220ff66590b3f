//! Leak reports: one per key and url, written with its `key.leaked` entry and the key's moves all or
//! nothing; a repeat writes nothing, a stale move keeps not even the report, and racing repeats record
//! it once.

use keygate_domain::{Actor, ActorId, Event, Key, KeyState, Role, RoleSet};
use keygate_store::{AuditChainReport, AuditKind, KeyStore, LeakRecord, StoreError, Tenant};

use super::Store;
use crate::fixtures::*;

fn leak(key: &Key, url: &str) -> LeakRecord {
    LeakRecord {
        tenant: key.tenant.clone(),
        key: key.id,
        url: url.to_owned(),
        source: "content".to_owned(),
        token_type: "keygate_api_key".to_owned(),
        reported_at: now(),
    }
}

fn leaked_entry(key: &Key, url: &str) -> keygate_store::AuditEntry {
    let mut entry = audit(&key.tenant, Some(key.id), ActorId::LeakReport, AuditKind::KeyLeaked);
    entry.details = Some(serde_json::json!({"url": url, "source": "content", "type": "keygate_api_key"}).to_string());
    entry
}

fn reporter() -> Actor {
    Actor::new(ActorId::LeakReport, RoleSet::of([Role::Maker]))
}

/// Every action of the tenant's log, oldest first.
async fn actions(store: &dyn KeyStore, tenant: &Tenant) -> Vec<&'static str> {
    let page = store.audit(&tenant.id, None, None, 200).await.unwrap();
    page.items.iter().rev().map(|e| e.action.as_str()).collect()
}

pub async fn a_leak_is_recorded_once_per_key_and_url_with_its_moves_all_or_nothing(a: Store, b: Store) {
    let t = given_tenant(&*a, "acme").await;
    let key = given_key(&*a, &t, "pos", daily_limit("10"), true).await;
    let before = actions(&*b, &t).await;

    // A report with the tenant's moves: the report, its entry, then the suspension, in one commit.
    let suspended = key.apply(Event::Suspend { reason: reason("reported leaked") }, &reporter(), &t.policy, now());
    let suspended = suspended.unwrap();
    let moves = [update(&key, &suspended, &reporter())];
    let url = "https://github.com/acme/app/blob/1a2b/config.yml";
    assert!(a.record_leak(&leak(&key, url), &leaked_entry(&key, url), &moves).await.unwrap(), "recorded");
    assert_eq!(b.key(&t.id, key.id).await.unwrap().key.state, KeyState::Suspended, "the move is in");
    let after = actions(&*b, &t).await;
    assert_eq!(after[before.len()..], ["key.leaked", "key.suspended"], "the entry, then the move's");
    let entry = &b.audit(&t.id, Some(key.id), None, 2).await.unwrap().items[1];
    assert_eq!((entry.actor, entry.details.clone()), (ActorId::LeakReport, leaked_entry(&key, url).details));

    // The same key at the same url again: nothing is written, not even a move handed with it.
    let current = b.key(&t.id, key.id).await.unwrap().key;
    let asked = current.apply(Event::RequestRevocation { reason: reason("leaked") }, &reporter(), &t.policy, now());
    let again = [update(&current, &asked.unwrap(), &reporter())];
    assert!(!b.record_leak(&leak(&key, url), &leaked_entry(&key, url), &again).await.unwrap(), "a repeat");
    assert_eq!(actions(&*a, &t).await, after, "a repeat writes nothing");
    assert_eq!(a.key(&t.id, key.id).await.unwrap().key, current, "and moves nothing");

    // Another url is another report; a move read before the key changed fails it whole.
    let stale = [update(&key, &suspended, &reporter())];
    let other = "https://github.com/acme/app/blob/3c4d/.env";
    let refused = b.record_leak(&leak(&key, other), &leaked_entry(&key, other), &stale).await;
    assert!(matches!(refused, Err(StoreError::Conflict)), "a stale move: {refused:?}");
    assert_eq!(actions(&*a, &t).await, after, "nothing of it is written");
    assert!(a.record_leak(&leak(&key, other), &leaked_entry(&key, other), &[]).await.unwrap(), "not even the report");
    assert_eq!(actions(&*b, &t).await.len(), after.len() + 1, "which a retry then records, alone");

    // A key the tenant does not have.
    let elsewhere = given_tenant(&*a, "globex").await;
    let mut foreign = leak(&key, url);
    foreign.tenant = elsewhere.id.clone();
    let mut entry = leaked_entry(&key, url);
    entry.tenant = elsewhere.id.clone();
    let unknown = b.record_leak(&foreign, &entry, &[]).await;
    assert!(matches!(unknown, Err(StoreError::NotFound)), "another tenant's key: {unknown:?}");
    assert_eq!(actions(&*a, &elsewhere).await, ["tenant.created"], "and nothing written there");
    let report = a.verify_audit(&t.id).await.unwrap();
    assert!(matches!(report, AuditChainReport::Valid { .. }), "the chain holds: {report:?}");
}

pub async fn racing_reports_of_one_leak_record_it_once(a: Store, b: Store) {
    let t = given_tenant(&*a, "acme").await;
    let key = given_key(&*a, &t, "pos", daily_limit("10"), true).await;
    let url = "https://github.com/acme/app/blob/1a2b/config.yml";
    let tasks: Vec<_> = (0..20)
        .map(|n| {
            let store = if n % 2 == 0 { a.clone() } else { b.clone() };
            let key = key.clone();
            tokio::spawn(async move { store.record_leak(&leak(&key, url), &leaked_entry(&key, url), &[]).await })
        })
        .collect();
    let mut recorded = 0;
    for task in tasks {
        recorded += usize::from(task.await.unwrap().unwrap());
    }
    assert_eq!(recorded, 1, "one of twenty racing repeats records it");
    let leaked = actions(&*b, &t).await.into_iter().filter(|a| *a == "key.leaked").count();
    assert_eq!(leaked, 1, "one key.leaked entry");
}

pub async fn reports_racing_operators_moves_on_one_key_give_one_success_and_never_deadlock(a: Store, b: Store) {
    let t = given_tenant(&*a, "acme").await;
    let key = given_key(&*a, &t, "pos", daily_limit("10"), true).await;
    let suspended = key.apply(Event::Suspend { reason: reason("reported leaked") }, &reporter(), &t.policy, now());
    let suspended = suspended.unwrap();
    let noted = key.apply(Event::UpdateNotes { notes: None }, &maker(), &t.policy, now()).unwrap();
    let tasks: Vec<_> = (0..16)
        .map(|n| {
            let store = if n % 2 == 0 { a.clone() } else { b.clone() };
            let (key, suspended, noted) = (key.clone(), suspended.clone(), noted.clone());
            tokio::spawn(async move {
                if n % 2 == 0 {
                    let url = format!("https://github.com/acme/app/blob/{n}/.env");
                    let moves = [update(&key, &suspended, &reporter())];
                    store.record_leak(&leak(&key, &url), &leaked_entry(&key, &url), &moves).await.map(drop)
                } else {
                    store.commit(&[update(&key, &noted, &maker())]).await
                }
            })
        })
        .collect();
    let mut won = 0;
    for task in tasks {
        match task.await.unwrap() {
            Ok(()) => won += 1,
            Err(StoreError::Conflict) => {}
            Err(other) => panic!("a race answers success or Conflict, never {other:?}"),
        }
    }
    assert_eq!(won, 1, "one move on the version they all read");
    let report = b.verify_audit(&t.id).await.unwrap();
    assert!(matches!(report, AuditChainReport::Valid { .. }), "the chain holds: {report:?}");
}
