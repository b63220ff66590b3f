//! The behaviours, each an async function over two handles on the same store (`a` and `b`): for the
//! in-memory store both are the same object; for PostgreSQL they are two connection pools, like two
//! server processes sharing one database.

use std::sync::Arc;
use std::time::Duration;

use chrono::Duration as Days;
use keygate_domain::{ActorId, Environment, Event, KeyState, Notes, Rotation, TenantPolicy};
use keygate_store::{
    AuditKind, Invalidation, KeyFilter, KeyStore, KeyWrite, StoreError, UsageBuffer, UsageBufferOptions,
};
use rust_decimal::Decimal;

use crate::fixtures::*;

mod accounts;
mod audit_chain;
mod currencies;
mod deliveries;
mod leaks;
mod notices;
mod operators;
mod principals;
mod rate;
mod requests;
mod reveal;
mod services;
mod sessions;
mod signing;
mod spends;
mod windows;
pub use accounts::*;
pub use audit_chain::*;
pub use currencies::*;
pub use deliveries::*;
pub use leaks::*;
pub use notices::*;
pub use operators::*;
pub use principals::*;
pub use rate::*;
pub use requests::*;
pub use reveal::*;
pub use services::*;
pub use sessions::*;
pub use signing::*;
pub use spends::*;
pub use windows::*;

type Store = Arc<dyn KeyStore>;

fn dec(s: &str) -> Decimal {
    s.parse().unwrap()
}

pub async fn every_field_round_trips(a: Store, b: Store) {
    let t = given_tenant(&*a, "acme").await;
    assert_eq!(b.tenant(&t.id).await.unwrap(), t, "tenant with its policy");

    let op = operator(&t.id, 9, "ada@acme.test");
    a.create_operator(
        &op,
        &audit(&t.id, None, ActorId::System, AuditKind::Operator(keygate_domain::OperatorAction::Invited)),
    )
    .await
    .unwrap();
    assert_eq!(b.operator(op.id()).await.unwrap(), op, "operator by id, including the token hash");
    assert_eq!(b.operators(&t.id).await.unwrap(), vec![op.clone()], "operators of the tenant");

    let (mut record, created) = new_key(&t, "POS Integration", rich_privileges(), now());
    record.key.notes = Some(Notes::parse("Acme Ltd\ncontact: ops@acme.test").unwrap());
    record.key.account = Some(keygate_domain::AccountId::parse("merchant:4711").unwrap());
    record.key.rotation =
        Some(Rotation { replaces: keygate_domain::KeyId::from_bytes([4; 16]), overlap_seconds: 3600 });
    let mut created = created;
    created.key = record.key.clone();
    a.commit(&[insert(&record, &created)]).await.unwrap();
    assert_eq!(b.key(&t.id, record.key.id).await.unwrap(), record, "every field of a pending key");
    assert_eq!(b.find_key(record.key.id).await.unwrap().as_deref(), Some(&record), "look-up by id alone");

    // Walk it to a state where every optional field is set: approved, a pending change, a revocation asked.
    let approved = record.key.apply(Event::Approve, &checker(2), &t.policy, now()).unwrap();
    a.commit(&[update(&record.key, &approved, &checker(2))]).await.unwrap();
    let change = approved.key.apply(
        Event::RequestChange { privileges: daily_limit("5.5"), owner: keygate_domain::Owner::default() },
        &maker(),
        &t.policy,
        now(),
    );
    let widened = rich_privileges();
    let change = change.unwrap();
    a.commit(&[update(&approved.key, &change, &maker())]).await.unwrap();
    let later = now() + Days::seconds(5);
    let revoking = change
        .key
        .apply(Event::RequestRevocation { reason: reason("leaked in a log") }, &maker(), &t.policy, later)
        .unwrap();
    a.commit(&[update(&change.key, &revoking, &maker())]).await.unwrap();
    let stored = b.key(&t.id, record.key.id).await.unwrap();
    assert_eq!(stored.key, revoking.key, "approved_by, pending change, revocation request survive the round trip");
    assert_eq!(stored.secret_hash, record.secret_hash, "the hash is untouched by updates");
    assert_eq!(stored.key.privileges, widened, "CIDR networks and exact decimals unchanged");
    let xof = stored.key.privileges.limits.amount_limit(keygate_domain::Currency::parse("XOF").unwrap()).unwrap();
    let printed = (xof.max_amount().map(|a| a.to_string()), xof.volumes().day.map(|a| a.to_string()));
    let expected = (Some("100000.25".to_owned()), Some("1000000.000000000000000001".to_owned()));
    assert_eq!(printed, expected, "amounts keep the scale they were written with");
}

pub async fn key_names_are_unique_per_tenant_only(a: Store, b: Store) {
    let acme = given_tenant(&*a, "acme").await;
    let globex = given_tenant(&*a, "globex").await;
    given_key(&*a, &acme, "crm-sync-prod", daily_limit("10"), false).await;
    let (dup, t) = new_key(&acme, "crm-sync-prod", daily_limit("10"), now());
    assert!(matches!(b.commit(&[insert(&dup, &t)]).await, Err(StoreError::NameTaken)), "same name, same tenant");
    assert!(b.find_key(dup.key.id).await.unwrap().is_none(), "the refused key was not stored");
    given_key(&*b, &globex, "crm-sync-prod", daily_limit("10"), false).await;
}

pub async fn keys_found_together_are_answered_in_the_order_asked(a: Store, b: Store) {
    let acme = given_tenant(&*a, "acme").await;
    let globex = given_tenant(&*a, "globex").await;
    let first = given_key(&*a, &acme, "first", daily_limit("10"), true).await;
    let second = given_key(&*a, &globex, "second", daily_limit("10"), false).await;
    let (absent, _) = new_key(&acme, "never-stored", daily_limit("10"), now());
    let ids = [second.id, absent.key.id, first.id, second.id];
    let found = b.find_keys(&ids).await.unwrap();
    let alone = [
        b.find_key(second.id).await.unwrap(),
        None,
        b.find_key(first.id).await.unwrap(),
        b.find_key(second.id).await.unwrap(),
    ];
    let keys = |found: &[Option<Arc<keygate_store::KeyRecord>>]| -> Vec<_> {
        found.iter().map(|r| r.as_deref().cloned()).collect()
    };
    assert_eq!(keys(&found), keys(&alone), "each id answered as find_key answers it, in order, twice if asked twice");
    assert!(found[0].is_some() && found[2].is_some(), "keys of any tenant, in any state");
    assert!(b.find_keys(&[]).await.unwrap().is_empty(), "nothing asked, nothing answered");
}

pub async fn tenants_never_see_each_others_data(a: Store, b: Store) {
    let acme = given_tenant(&*a, "acme").await;
    let globex = given_tenant(&*a, "globex").await;
    let acme_key = given_key(&*a, &acme, "acme-key", daily_limit("100"), true).await;
    let globex_key = given_key(&*a, &globex, "globex-key", daily_limit("100"), true).await;
    a.create_operator(
        &operator(&acme.id, 7, "x@acme.test"),
        &audit(&acme.id, None, ActorId::System, AuditKind::Operator(keygate_domain::OperatorAction::Invited)),
    )
    .await
    .unwrap();

    assert!(matches!(b.key(&acme.id, globex_key.id).await, Err(StoreError::NotFound)), "read across tenants");
    let listed = b.keys(&acme.id, KeyFilter::default(), None, 100).await.unwrap();
    assert_eq!(listed.items.iter().map(|r| r.key.id).collect::<Vec<_>>(), vec![acme_key.id], "listing");
    assert!(b.operators(&globex.id).await.unwrap().is_empty(), "operators of another tenant");
    let audit = b.audit(&globex.id, None, None, 100).await.unwrap();
    assert!(audit.items.iter().all(|e| e.tenant == globex.id), "audit of another tenant");
    assert!(audit.items.iter().all(|e| e.key != Some(acme_key.id)), "no entry about acme's key");
    let spend =
        keygate_store::NewSpend { tenant: acme.id.clone(), ..spends::new_spend(&globex_key, 1, "1", Some("100")) };
    assert!(matches!(b.record_spend(&spend).await, Err(StoreError::NotFound)), "spending another tenant's key");
    assert!(matches!(b.usage(&acme.id, globex_key.id, 7).await, Err(StoreError::NotFound)), "usage across tenants");
    let approved =
        acme_key.apply(Event::RequestRevocation { reason: reason("x") }, &maker(), &acme.policy, now()).unwrap();
    let mut forged = update(&acme_key, &approved, &maker());
    if let KeyWrite::Update { key, .. } = &mut forged.write {
        key.tenant = globex.id.clone();
    }
    assert!(matches!(b.commit(&[forged]).await, Err(StoreError::NotFound)), "update under another tenant");
}

pub async fn concurrent_approvals_give_exactly_one_success(a: Store, b: Store) {
    let t = given_tenant(&*a, "acme").await;
    let pending = given_key(&*a, &t, "contested", daily_limit("10"), false).await;
    let mut tasks = Vec::new();
    for i in 0..64u8 {
        let store = if i % 2 == 0 { a.clone() } else { b.clone() };
        let (pending, policy) = (pending.clone(), t.policy.clone());
        tasks.push(tokio::spawn(async move {
            let by = checker(10 + i);
            let approved = pending.apply(Event::Approve, &by, &policy, now()).unwrap();
            store.commit(&[update(&pending, &approved, &by)]).await
        }));
    }
    let mut ok = 0;
    for task in tasks {
        match task.await.unwrap() {
            Ok(()) => ok += 1,
            Err(StoreError::Conflict) => {}
            Err(other) => panic!("unexpected error: {other}"),
        }
    }
    assert_eq!(ok, 1, "exactly one approval wins");
    let approvals = a.audit(&t.id, Some(pending.id), None, 1000).await.unwrap().items;
    let n = approvals.iter().filter(|e| e.action == AuditKind::Key(keygate_domain::AuditAction::Approved)).count();
    assert_eq!(n, 1, "the audit log holds exactly one approval");
    assert_eq!(a.key(&t.id, pending.id).await.unwrap().key.state, KeyState::Active);
}

pub async fn a_stale_write_is_a_conflict_and_changes_nothing(a: Store, b: Store) {
    let t = given_tenant(&*a, "acme").await;
    let active = given_key(&*a, &t, "one", daily_limit("10"), true).await;
    let pending = given_key(&*a, &t, "two", daily_limit("10"), false).await;
    let audit_before = a.audit(&t.id, None, None, 1000).await.unwrap().items.len();

    let notes = active.apply(Event::UpdateNotes { notes: None }, &maker(), &t.policy, now()).unwrap();
    let approve = pending.apply(Event::Approve, &checker(3), &t.policy, now()).unwrap();
    let mut stale = update(&active, &notes, &maker());
    if let KeyWrite::Update { expected_version, .. } = &mut stale.write {
        *expected_version -= 1;
    }
    let result = b.commit(&[update(&pending, &approve, &checker(3)), stale]).await;
    assert!(matches!(result, Err(StoreError::Conflict)), "a stale version is a conflict");
    assert_eq!(
        a.key(&t.id, pending.id).await.unwrap().key.state,
        KeyState::PendingApproval,
        "the good half rolled back"
    );
    assert_eq!(a.audit(&t.id, None, None, 1000).await.unwrap().items.len(), audit_before, "no audit entry written");
}

pub async fn pagination_returns_every_key_once_while_keys_are_added(a: Store, b: Store) {
    let t = given_tenant(&*a, "acme").await;
    let mut expected = std::collections::BTreeSet::new();
    for i in 0..25 {
        let (record, tr) = new_key(&t, &format!("key-{i:02}"), daily_limit("10"), now() + Days::milliseconds(i % 5));
        a.commit(&[insert(&record, &tr)]).await.unwrap();
        expected.insert(record.key.id);
    }
    let mut seen = Vec::new();
    let mut cursor = None;
    let mut added = 0;
    loop {
        let page = b.keys(&t.id, KeyFilter::default(), cursor, 4).await.unwrap();
        assert!(page.items.len() <= 4, "page size respected");
        seen.extend(page.items.iter().map(|r| r.key.id));
        // Add a key between pages, as a concurrent maker would.
        let (record, tr) = new_key(&t, &format!("late-{added}"), daily_limit("10"), now() + Days::seconds(60));
        a.commit(&[insert(&record, &tr)]).await.unwrap();
        added += 1;
        match page.next {
            Some(next) => cursor = Some(next),
            None => break,
        }
    }
    let unique: std::collections::BTreeSet<_> = seen.iter().copied().collect();
    assert_eq!(unique.len(), seen.len(), "no key is returned twice");
    assert!(expected.is_subset(&unique), "every key that existed at the start is returned");

    let approved = given_key(&*a, &t, "approved", daily_limit("10"), true).await;
    let filter =
        KeyFilter { state: Some(KeyState::Active), environment: Some(Environment::Live), ..KeyFilter::default() };
    let active = b.keys(&t.id, filter, None, 100).await.unwrap();
    assert_eq!(active.items.iter().map(|r| r.key.id).collect::<Vec<_>>(), vec![approved.id], "filter by state");
    let test_only = KeyFilter { environment: Some(Environment::Test), ..KeyFilter::default() };
    assert!(b.keys(&t.id, test_only, None, 100).await.unwrap().items.is_empty(), "filter by environment");
    let expires = approved.expiry.at().expect("the fixture's keys expire");
    let expiring = |from, until| KeyFilter { expiring: Some((from, until)), ..KeyFilter::default() };
    let second = Days::seconds(1);
    let listed = |page: keygate_store::Page<keygate_store::KeyRecord, keygate_store::KeyCursor>| {
        page.items.iter().any(|r| r.key.id == approved.id)
    };
    assert!(listed(b.keys(&t.id, expiring(now(), expires), None, 100).await.unwrap()), "expiring by the end");
    assert!(!listed(b.keys(&t.id, expiring(now(), expires - second), None, 100).await.unwrap()), "not yet");
    assert!(!listed(b.keys(&t.id, expiring(expires, expires + second), None, 100).await.unwrap()), "already expired");
}

pub async fn audit_entries_are_written_with_their_change_newest_first(a: Store, b: Store) {
    let t = given_tenant(&*a, "acme").await;
    let key = given_key(&*a, &t, "audited", daily_limit("10"), true).await;
    let asked = key.apply(Event::RequestRevocation { reason: reason("rotating") }, &maker(), &t.policy, now()).unwrap();
    a.commit(&[update(&key, &asked, &maker())]).await.unwrap();
    let done = asked.key.apply(Event::ApproveRevocation, &checker(4), &t.policy, now()).unwrap();
    a.commit(&[update(&asked.key, &done, &checker(4))]).await.unwrap();

    let first = b.audit(&t.id, Some(key.id), None, 2).await.unwrap();
    let actions: Vec<_> = first.items.iter().map(|e| e.action.as_str()).collect();
    assert_eq!(actions, ["key.revoked", "key.revocation_requested"], "newest first");
    assert_eq!(
        first.items[1].reason.as_ref().map(keygate_domain::Reason::as_str),
        Some("rotating"),
        "the reason is kept"
    );
    assert_eq!(first.items[0].actor, checker(4).id, "who did it");
    let rest = b.audit(&t.id, Some(key.id), first.next, 10).await.unwrap();
    let actions: Vec<_> = rest.items.iter().map(|e| e.action.as_str()).collect();
    assert_eq!(actions, ["key.approved", "key.requested"], "the next page continues");
    assert!(rest.next.is_none(), "and is the last");
    let all = b.audit(&t.id, None, None, 100).await.unwrap();
    assert_eq!(all.items.last().map(|e| e.action), Some(AuditKind::TenantCreated), "tenant events are logged too");
    assert_eq!(b.key(&t.id, key.id).await.unwrap().key.state, KeyState::Revoked);
}

pub async fn usage_is_counted_through_the_write_behind_buffer(a: Store, b: Store) {
    let t = given_tenant(&*a, "acme").await;
    let key = given_key(&*a, &t, "busy", daily_limit("10"), true).await;
    let options = UsageBufferOptions { interval: Duration::from_secs(3600), max_entries: 1_000_000 };
    let buffer = UsageBuffer::start(a.clone(), options);
    let ip = "192.0.2.7".parse().unwrap();
    for i in 0..100 {
        buffer.record(&t.id, key.id, now() + Days::milliseconds(i), Some(ip));
    }
    buffer.record(&t.id, key.id, now() + Days::days(1), None);
    assert_eq!(b.usage(&t.id, key.id, 7).await.unwrap().last_used_at, None, "nothing written before a flush");
    buffer.shutdown().await.unwrap();
    let usage = b.usage(&t.id, key.id, 7).await.unwrap();
    assert_eq!(usage.last_used_at, Some(now() + Days::days(1)), "last use");
    assert_eq!(usage.last_used_ip, None, "its address (none given)");
    let counts: Vec<_> = usage.days.iter().map(|d| (d.day, d.requests)).collect();
    assert_eq!(counts, [(now().date_naive() + Days::days(1), 1), (now().date_naive(), 100)], "per day, newest first");
    assert_eq!(b.key(&t.id, key.id).await.unwrap().last_used_at, Some(now() + Days::days(1)), "shown on the key");
}

pub async fn many_keys_counted_at_once_are_all_written_and_a_full_buffer_writes_early(a: Store, b: Store) {
    let t = given_tenant(&*a, "acme").await;
    let mut keys = Vec::new();
    for n in 0..40 {
        keys.push(given_key(&*a, &t, &format!("busy-{n}"), daily_limit("10"), true).await);
    }
    // An hour's interval: only a full buffer can write before the shutdown.
    let options = UsageBufferOptions { interval: Duration::from_secs(3600), max_entries: 16 };
    let buffer = UsageBuffer::start(a.clone(), options);
    for round in 0..3 {
        for key in &keys {
            buffer.record(&t.id, key.id, now() + Days::milliseconds(round), None);
        }
    }
    let written_early = tokio::time::timeout(Duration::from_secs(5), async {
        loop {
            for key in &keys {
                if b.usage(&t.id, key.id, 7).await.unwrap().last_used_at.is_some() {
                    return;
                }
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    })
    .await;
    assert!(written_early.is_ok(), "a buffer holding more than max_entries keys writes before its interval");
    buffer.shutdown().await.unwrap();
    for key in &keys {
        let usage = b.usage(&t.id, key.id, 7).await.unwrap();
        let counts: Vec<_> = usage.days.iter().map(|d| (d.day, d.requests)).collect();
        assert_eq!(counts, [(now().date_naive(), 3)], "every key's three verifications, once each");
        assert_eq!(usage.last_used_at, Some(now() + Days::milliseconds(2)), "its last use");
    }
}

pub async fn updates_are_announced_to_every_process_sharing_the_store(a: Store, b: Store) {
    let t = given_tenant(&*a, "acme").await;
    let key = given_key(&*a, &t, "watched", daily_limit("10"), true).await;
    let mut heard = b.invalidations();
    // Give a listener on another connection time to subscribe before the change.
    tokio::time::sleep(Duration::from_millis(200)).await;
    let asked = key.apply(Event::RequestRevocation { reason: reason("leak") }, &maker(), &t.policy, now()).unwrap();
    a.commit(&[update(&key, &asked, &maker())]).await.unwrap();
    let got = tokio::time::timeout(Duration::from_secs(2), async {
        loop {
            match heard.recv().await {
                Some(Invalidation::Key(id)) if id == key.id => return true,
                // A listener (re)connecting announces `All`; the key's own notice must still come.
                Some(Invalidation::All | Invalidation::Key(_)) => {}
                None => return false,
            }
        }
    })
    .await;
    assert_eq!(got, Ok(true), "the other handle hears of the change within 2 s");
}

pub async fn tenant_policy_updates_are_compare_and_set(a: Store, b: Store) {
    let t = given_tenant(&*a, "acme").await;
    let mut changed = t.clone();
    changed.policy = TenantPolicy { dual_control: false, ..t.policy.clone() };
    changed.version = 2;
    let entry = audit(&t.id, None, ActorId::System, AuditKind::TenantUpdated);
    a.update_tenant(&changed, 1, &entry).await.unwrap();
    assert!(matches!(b.update_tenant(&changed, 1, &entry).await, Err(StoreError::Conflict)), "stale version");
    assert_eq!(b.tenant(&t.id).await.unwrap(), changed, "the first update holds");
    assert!(matches!(b.tenant(&tenant_id("nobody")).await, Err(StoreError::NotFound)), "unknown tenant");
    assert!(
        matches!(a.create_tenant(&t, &[], &[entry]).await, Err(StoreError::AlreadyExists)),
        "a tenant id is taken once"
    );
}

pub async fn operators_are_unique_by_email_within_a_tenant(a: Store, b: Store) {
    let acme = given_tenant(&*a, "acme").await;
    let globex = given_tenant(&*a, "globex").await;
    let entry = audit(&acme.id, None, ActorId::System, AuditKind::Operator(keygate_domain::OperatorAction::Invited));
    a.create_operator(&operator(&acme.id, 1, "ops@example.test"), &entry).await.unwrap();
    let dup = operator(&acme.id, 2, "OPS@example.test");
    assert!(matches!(b.create_operator(&dup, &entry).await, Err(StoreError::AlreadyExists)), "same e-mail");
    b.create_operator(&operator(&globex.id, 3, "ops@example.test"), &entry).await.unwrap();
    let ghost = operator(&tenant_id("ghost"), 4, "a@b.test");
    assert!(matches!(b.create_operator(&ghost, &entry).await, Err(StoreError::NotFound)), "unknown tenant");
    assert!(matches!(b.operator(keygate_domain::OperatorId::from_bytes([99; 16])).await, Err(StoreError::NotFound)));
}
