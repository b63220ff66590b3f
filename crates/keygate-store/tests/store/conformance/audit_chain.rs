//! The audit chain's behaviours: every append chains to the tenant's previous entry, whichever handle
//! writes it and however many race, and `verify_audit` re-computes the chain.

use std::collections::HashSet;

use keygate_domain::TenantId;
use keygate_store::{AuditChainReport, AuditEntry, KeyStore, StoreError, Tenant};

use super::Store;
use crate::fixtures::*;

/// A tenant's whole log, oldest first.
async fn oldest_first(store: &dyn KeyStore, tenant: &TenantId) -> Vec<AuditEntry> {
    let mut all = Vec::new();
    let mut cursor = None;
    loop {
        let page = store.audit(tenant, None, cursor, 7).await.unwrap();
        all.extend(page.items);
        cursor = page.next;
        if cursor.is_none() {
            break;
        }
    }
    all.reverse();
    all
}

/// Commits a new pending key in `tenant`, its audit entry saying what changed.
async fn commit_key(store: &dyn KeyStore, tenant: &Tenant, name: &str) {
    let (record, created) = new_key(tenant, name, daily_limit("10"), now());
    let mut change = insert(&record, &created);
    change.audit.details = Some(format!(r#"{{"name":"{name}"}}"#));
    store.commit(&[change]).await.unwrap();
}

fn seqs(entries: &[AuditEntry]) -> Vec<u64> {
    entries.iter().map(|e| e.seq).collect()
}

pub async fn a_new_tenants_chain_holds_its_creation_and_an_unknown_tenant_is_not_found(a: Store, b: Store) {
    let t = given_tenant(&*a, "acme").await;
    let log = oldest_first(&*b, &t.id).await;
    assert_eq!(seqs(&log), [1], "creating a tenant writes its first entry, seq 1");
    let report = b.verify_audit(&t.id).await.unwrap();
    assert_eq!(report, AuditChainReport::Valid { entries: 1, head: Some(log[0].hash) }, "one entry, valid");
    let unknown = b.verify_audit(&tenant_id("nobody")).await;
    assert!(matches!(unknown, Err(StoreError::NotFound)), "an unknown tenant: {unknown:?}");
}

pub async fn the_chain_verifies_after_every_commit_and_its_head_is_the_newest_entry(a: Store, b: Store) {
    let t = given_tenant(&*a, "acme").await;
    for n in 1..=5u64 {
        let writer = if n % 2 == 0 { &a } else { &b };
        commit_key(&**writer, &t, &format!("key-{n}")).await;
        let log = oldest_first(&*b, &t.id).await;
        let newest = log.last().unwrap();
        let expected = AuditChainReport::Valid { entries: n + 1, head: Some(newest.hash) };
        assert_eq!(a.verify_audit(&t.id).await.unwrap(), expected, "after commit {n}, head is the newest hash");
        assert_eq!(seqs(&log), (1..=n + 1).collect::<Vec<_>>(), "after commit {n}, seqs count from 1 without gap");
    }
    let log = oldest_first(&*b, &t.id).await;
    assert_eq!(log[5].details.as_deref(), Some(r#"{"name":"key-5"}"#), "details are listed as written");
    assert_eq!(log[0].details, None, "no details stay none");
    let distinct: HashSet<_> = log.iter().map(|e| e.hash).collect();
    assert_eq!(distinct.len(), log.len(), "every entry has a hash of its own");
}

pub async fn each_tenant_has_its_own_chain(a: Store, b: Store) {
    let acme = given_tenant(&*a, "acme").await;
    let globex = given_tenant(&*b, "globex").await;
    for n in 0..3 {
        commit_key(&*a, &acme, &format!("acme-{n}")).await;
        commit_key(&*b, &globex, &format!("globex-{n}")).await;
        commit_key(&*a, &globex, &format!("globex-extra-{n}")).await;
    }
    let acme_log = oldest_first(&*a, &acme.id).await;
    let globex_log = oldest_first(&*a, &globex.id).await;
    assert_eq!(seqs(&acme_log), (1..=4).collect::<Vec<_>>(), "acme counts its own entries");
    assert_eq!(seqs(&globex_log), (1..=7).collect::<Vec<_>>(), "globex counts its own, interleaved or not");
    let cases = [("acme", &acme.id, &acme_log), ("globex", &globex.id, &globex_log)];
    for (what, id, log) in cases {
        let expected = AuditChainReport::Valid { entries: log.len() as u64, head: log.last().map(|e| e.hash) };
        assert_eq!(b.verify_audit(id).await.unwrap(), expected, "{what}'s chain verifies on its own");
    }
    let acme_hashes: HashSet<_> = acme_log.iter().map(|e| e.hash).collect();
    assert!(globex_log.iter().all(|e| !acme_hashes.contains(&e.hash)), "no hash is shared across tenants");
}

pub async fn concurrent_commits_in_one_tenant_neither_fork_nor_skip_the_chain(a: Store, b: Store) {
    let t = given_tenant(&*a, "acme").await;
    let tasks: Vec<_> = (0..32)
        .map(|i| {
            let (store, t) = (if i % 2 == 0 { a.clone() } else { b.clone() }, t.clone());
            tokio::spawn(async move { commit_key(&*store, &t, &format!("racer-{i}")).await })
        })
        .collect();
    for task in tasks {
        task.await.unwrap();
    }
    let log = oldest_first(&*a, &t.id).await;
    assert_eq!(seqs(&log), (1..=33).collect::<Vec<_>>(), "the creation and 32 commits, seqs contiguous");
    let report = b.verify_audit(&t.id).await.unwrap();
    assert_eq!(report, AuditChainReport::Valid { entries: 33, head: log.last().map(|e| e.hash) }, "valid chain");
    // A fork would be two entries chained to the same previous hash: the walk recomputes each entry from
    // the one before it in seq order, so a valid walk over distinct hashes has every previous hash once.
    let distinct: HashSet<_> = log.iter().map(|e| e.hash).collect();
    assert_eq!(distinct.len(), 33, "no two entries share a hash, so no two share a previous hash");
}
