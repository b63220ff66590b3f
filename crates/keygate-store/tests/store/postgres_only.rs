//! Behaviours only a networked backend has.

use std::time::{Duration, Instant};

use keygate_domain::TenantId;
use keygate_store::testing::TestDatabase;
use keygate_store::{AuditChainReport, KeyStore, PgStore, PgStoreOptions, StoreError};
use sqlx::{Connection, Executor, PgConnection};

use crate::fixtures::{daily_limit, given_key, given_tenant};

#[tokio::test]
async fn a_store_pointed_at_a_server_that_is_down_is_unavailable_within_a_bounded_time() {
    let mut options = PgStoreOptions::new("postgres://postgres@127.0.0.1:1/keygate");
    options.acquire_timeout = Duration::from_secs(1);
    let started = Instant::now();
    let outcome = match PgStore::connect(options).await {
        Err(error) => Err(error),
        Ok(store) => store.tenant(&TenantId::parse("acme").unwrap()).await.map(|_| ()),
    };
    assert!(matches!(outcome, Err(StoreError::Unavailable(_))), "unavailable, not not-found: {outcome:?}");
    assert!(started.elapsed() < Duration::from_secs(5), "answered in {:?}", started.elapsed());
}

/// Builds a chain of six entries in tenant `acme` (its creation and five keys) on a fresh database,
/// then runs `tamper` there as a database superuser would, with the append-only trigger switched off,
/// and answers what `verify_audit` says afterwards. `None` without a database.
async fn verify_after(tamper: &str) -> Option<AuditChainReport> {
    let db = TestDatabase::create().await?;
    let store = db.store();
    let t = given_tenant(&store, "acme").await;
    for n in 0..5 {
        given_key(&store, &t, &format!("key-{n}"), daily_limit("10"), false).await;
    }
    assert_eq!(store.verify_audit(&t.id).await.unwrap(), valid(&store, &t.id).await, "intact before tampering");
    let mut conn = PgConnection::connect(db.url()).await.unwrap();
    // Replica mode skips ordinary triggers: the path someone bypassing keygate would take.
    conn.execute("SET session_replication_role = replica").await.unwrap();
    conn.execute(tamper).await.unwrap();
    conn.close().await.unwrap();
    let report = store.verify_audit(&t.id).await.unwrap();
    db.drop_database().await;
    Some(report)
}

/// What an intact chain reports: as many entries as listed, the newest's hash as head.
async fn valid(store: &PgStore, tenant: &TenantId) -> AuditChainReport {
    let listed = store.audit(tenant, None, None, 100).await.unwrap().items;
    AuditChainReport::Valid { entries: listed.len() as u64, head: listed.first().map(|e| e.hash) }
}

#[tokio::test]
async fn an_audit_log_changed_behind_keygates_back_is_reported_broken_where_it_was_changed() {
    let cases = [
        ("a middle entry's reason rewritten", "UPDATE audit_log SET reason = 'nothing to see' WHERE seq = 3", 3),
        ("a middle entry's actor rewritten", "UPDATE audit_log SET actor = 'system' WHERE seq = 4", 4),
        ("a middle entry deleted: its successor leaves a gap", "DELETE FROM audit_log WHERE seq = 3", 4),
        ("the first entry deleted", "DELETE FROM audit_log WHERE seq = 1", 2),
        ("the last entry deleted: the head is missing it", "DELETE FROM audit_log WHERE seq = 6", 6),
        (
            "a middle entry deleted and the rest renumbered",
            "DELETE FROM audit_log WHERE seq = 3; UPDATE audit_log SET seq = seq - 1 WHERE seq > 3",
            3,
        ),
        (
            "the last entry deleted and the head moved back",
            "DELETE FROM audit_log WHERE seq = 6; UPDATE audit_heads SET seq = 5",
            5,
        ),
    ];
    for (what, tamper, first_bad_sequence) in cases {
        let Some(report) = verify_after(tamper).await else { return };
        assert_eq!(report, AuditChainReport::Broken { first_bad_sequence }, "{what}");
    }
}
