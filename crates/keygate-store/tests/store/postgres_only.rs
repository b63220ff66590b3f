//! Behaviours only a networked backend has.

mod settings;

use std::path::Path;
use std::time::{Duration, Instant};

use chrono::NaiveDate;
use keygate_domain::{ActorId, Currency, OperatorState, PerWindow, SpendId, TenantId};
use keygate_store::testing::TestDatabase;
use keygate_store::{AuditChainReport, AuditKind, KeyStore, PgStore, PgStoreOptions, StoreError};
use rust_decimal::Decimal;
use sqlx::migrate::Migrator;
use sqlx::{Connection, Executor, PgConnection};

use crate::fixtures::{audit, daily_limit, given_key, given_tenant, now, operator};

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

#[tokio::test]
async fn hosts_are_tried_in_order_until_one_takes_connections_and_a_bad_url_says_why() {
    let bad = PgStore::connect(PgStoreOptions::new("postgres://kg:s3cret@h1,,h2/keygate")).await;
    let Err(StoreError::Unavailable(why)) = bad else { panic!("a bad URL is refused: {bad:?}") };
    assert_eq!(why.downcast_ref::<keygate_store::UrlError>(), Some(&keygate_store::UrlError::EmptyHost), "{why}");
    let Some(db) = TestDatabase::create().await else { return };
    let t = given_tenant(&db.store(), "acme").await;
    // Port 1 on loopback refuses connections: a dead first host.
    let (head, tail) = db.url().split_once('@').unwrap();
    for target in ["", "?target_session_attrs=read-write", "?target_session_attrs=any"] {
        let url = format!("{head}@127.0.0.1:1,{tail}{target}");
        let mut options = PgStoreOptions::new(url);
        options.acquire_timeout = Duration::from_secs(2);
        let store = PgStore::connect(options).await.unwrap_or_else(|e| panic!("{target:?}: {e:?}"));
        assert_eq!(store.tenant(&t.id).await.unwrap().id, t.id, "{target:?}: served by the second host");
        store.pool().close().await;
    }
    db.drop_database().await;
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

/// The first migration that chains the audit log.
const AUDIT_CHAIN_MIGRATION: i64 = 20_261_128_000_001;

#[tokio::test]
async fn audit_entries_written_before_the_chain_migration_are_renumbered_and_chained_by_the_same_format() {
    let Ok(admin_url) = std::env::var(keygate_store::testing::DATABASE_URL_VAR) else { return };
    let name = format!("keygate_test_premigration_{}_{}", std::process::id(), now().timestamp_subsec_nanos());
    let url = match admin_url.split_once('?') {
        Some((base, query)) => format!("{}/{name}?{query}", base.rsplit_once('/').unwrap().0),
        None => format!("{}/{name}", admin_url.rsplit_once('/').unwrap().0),
    };
    let mut admin = PgConnection::connect(&admin_url).await.unwrap();
    admin.execute(format!("CREATE DATABASE {name}").as_str()).await.unwrap();

    // Arrange: the schema as it was before the chain, with entries of two tenants interleaved.
    let mut migrator = Migrator::new(Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/migrations"))).await.unwrap();
    let before: Vec<_> = migrator.migrations.iter().filter(|m| m.version < AUDIT_CHAIN_MIGRATION).cloned().collect();
    migrator.migrations = before.into();
    let mut conn = PgConnection::connect(&url).await.unwrap();
    migrator.run(&mut conn).await.unwrap();
    let key = keygate_domain::KeyId::from_bytes([9; 16]).to_string();
    let seed = format!(
        "INSERT INTO tenants VALUES ('acme', 'Acme', true, true, NULL, false, 1, now(), now()), \
         ('globex', 'Globex', true, true, NULL, false, 1, now(), now()); \
         INSERT INTO audit_log (tenant_id, key_id, actor, action, reason, at) VALUES \
         ('acme', NULL, 'system', 'tenant.created', NULL, '2026-11-23 09:30:00.123456+00'), \
         ('globex', NULL, 'system', 'tenant.created', NULL, '2026-11-23 09:30:01+00'), \
         ('acme', '{key}', 'system', 'key.requested', 'first key, reason: ünïcode', '2026-11-23 09:31:00.000001+00'), \
         ('acme', NULL, 'system', 'tenant.updated', NULL, '2026-11-23 09:32:00+00');"
    );
    conn.execute(seed.as_str()).await.unwrap();
    conn.close().await.unwrap();

    // Act: the rest of the migrations, as a new release would run them.
    let store = PgStore::connect(PgStoreOptions::new(&url)).await.unwrap();

    // Assert: every tenant's entries count from 1 and verify; a new entry chains on.
    let cases = [("acme", 3), ("globex", 1)];
    for (tenant, entries) in cases {
        let id = TenantId::parse(tenant).unwrap();
        let listed = store.audit(&id, None, None, 100).await.unwrap().items;
        let seqs: Vec<u64> = listed.iter().rev().map(|e| e.seq).collect();
        assert_eq!(seqs, (1..=entries).collect::<Vec<_>>(), "{tenant}: renumbered from 1 in the old order");
        let expected = AuditChainReport::Valid { entries, head: listed.first().map(|e| e.hash) };
        assert_eq!(store.verify_audit(&id).await.unwrap(), expected, "{tenant}: SQL and Rust hash alike");
    }
    let acme = TenantId::parse("acme").unwrap();
    let op = operator(&acme, 9, "ada@acme.test");
    store
        .create_operator(
            &op,
            &audit(&acme, None, ActorId::System, AuditKind::Operator(keygate_domain::OperatorAction::Invited)),
        )
        .await
        .unwrap();
    let report = store.verify_audit(&acme).await.unwrap();
    assert!(matches!(report, AuditChainReport::Valid { entries: 4, .. }), "an append after it chains on: {report:?}");

    store.pool().close().await;
    admin.execute(format!("DROP DATABASE {name} WITH (FORCE)").as_str()).await.unwrap();
}

/// The migration that turns operators into accounts and records the person behind each request.
const OPERATOR_ACCOUNTS_MIGRATION: i64 = 20_261_128_000_002;

#[tokio::test]
async fn rows_written_before_operator_accounts_read_back_as_the_accounts_and_principals_they_were() {
    let Ok(admin_url) = std::env::var(keygate_store::testing::DATABASE_URL_VAR) else { return };
    let name = format!("keygate_test_preaccounts_{}_{}", std::process::id(), now().timestamp_subsec_nanos());
    let url = match admin_url.split_once('?') {
        Some((base, query)) => format!("{}/{name}?{query}", base.rsplit_once('/').unwrap().0),
        None => format!("{}/{name}", admin_url.rsplit_once('/').unwrap().0),
    };
    let mut admin = PgConnection::connect(&admin_url).await.unwrap();
    admin.execute(format!("CREATE DATABASE {name}").as_str()).await.unwrap();

    // Arrange: the schema before operator accounts, with an operator and a key asked to be revoked.
    let mut migrator = Migrator::new(Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/migrations"))).await.unwrap();
    let before: Vec<_> =
        migrator.migrations.iter().filter(|m| m.version < OPERATOR_ACCOUNTS_MIGRATION).cloned().collect();
    migrator.migrations = before.into();
    let mut conn = PgConnection::connect(&url).await.unwrap();
    migrator.run(&mut conn).await.unwrap();
    let operator_id = keygate_domain::OperatorId::from_bytes([7; 16]);
    let key_id = keygate_domain::KeyId::from_bytes([9; 16]);
    let integrator = keygate_domain::KeyId::from_bytes([10; 16]);
    let made = keygate_domain::KeyId::from_bytes([11; 16]);
    let asker = format!("operator:{operator_id}");
    let seed = format!(
        "INSERT INTO tenants (tenant_id, name, dual_control, live_enabled, max_key_lifetime_days, \
         allow_never_expiring, version, created_at, updated_at) \
         VALUES ('acme', 'Acme', true, true, 90, false, 1, now(), now()); \
         INSERT INTO operators (tenant_id, operator_id, name, email, roles, token_hash, created_at) \
         VALUES ('acme', '{operator_id}', 'Ada', 'ada@acme.test', ARRAY['checker'], '\\x{hash}', \
         '2026-11-23 09:30:00+00'); \
         INSERT INTO keys (tenant_id, key_id, name, environment, scopes, allowed_ips, state, created_by, \
         created_at, updated_at, revocation_requested_by, revocation_reason, revocation_requested_at, version, \
         secret_hash, masked) VALUES ('acme', '{key_id}', 'till', 'live', ARRAY['balance:read'], '{{}}', \
         'revocation_pending', 'system', now(), now(), '{asker}', 'leaked', now(), 2, '\\x{hash}', 'kg_live_x'); \
         INSERT INTO keys (tenant_id, key_id, name, environment, scopes, allowed_ips, state, created_by, \
         created_at, updated_at, version, secret_hash, masked) VALUES \
         ('acme', '{integrator}', 'integrator', 'live', ARRAY['api-keys:write'], '{{}}', 'active', '{asker}', now(), \
         now(), 1, '\\x{hash}', 'kg_live_y'), \
         ('acme', '{made}', 'made-by-key', 'live', ARRAY['balance:read'], '{{}}', 'active', 'key:{integrator}', now(), \
         now(), 1, '\\x{hash}', 'kg_live_z');",
        hash = "ab".repeat(32),
    );
    conn.execute(seed.as_str()).await.unwrap();
    conn.close().await.unwrap();

    // Act: the rest of the migrations, as a new release would run them.
    let store = PgStore::connect(PgStoreOptions::new(&url)).await.unwrap();

    // Assert: the operator is an active account the system created; each principal is its actor.
    let acme = TenantId::parse("acme").unwrap();
    let tenant = store.tenant(&acme).await.unwrap();
    assert!(!tenant.policy.integrator_approvals && tenant.pending_policy.is_none(), "narrow, nothing pending");
    let account = store.operator(operator_id).await.unwrap();
    let a = &account.account;
    let shape = (a.state, a.created_by, a.created_for, a.claimed_at, a.updated_at, a.version);
    let expected = (OperatorState::Active, ActorId::System, ActorId::System, Some(a.created_at), a.created_at, 1);
    assert_eq!(shape, expected, "an active account, created and claimed by the system when it was created");
    assert!(account.token_hash.is_some() && account.invitation_hashes == [None, None], "its token kept");
    let key = store.key(&acme, key_id).await.unwrap().key;
    assert_eq!(key.created_for, ActorId::System, "the maker counts as its own principal");
    let revocation = key.revocation.map(|r| (r.requested_by, r.requested_for));
    assert_eq!(revocation, Some((asker.parse().unwrap(), asker.parse().unwrap())), "so does the asker");
    let made = store.key(&acme, made).await.unwrap().key;
    assert_eq!(made.created_for, asker.parse().unwrap(), "a key made by a key counts as the person behind that key");

    store.pool().close().await;
    admin.execute(format!("DROP DATABASE {name} WITH (FORCE)").as_str()).await.unwrap();
}

/// The migration that charges spends to day, week and month windows.
const SPEND_WINDOWS_MIGRATION: i64 = 20_261_128_000_007;

#[tokio::test]
async fn daily_totals_written_before_spend_windows_carry_over_to_days_weeks_and_months_and_release_from_there() {
    let Ok(admin_url) = std::env::var(keygate_store::testing::DATABASE_URL_VAR) else { return };
    let name = format!("keygate_test_prewindows_{}_{}", std::process::id(), now().timestamp_subsec_nanos());
    let url = match admin_url.split_once('?') {
        Some((base, query)) => format!("{}/{name}?{query}", base.rsplit_once('/').unwrap().0),
        None => format!("{}/{name}", admin_url.rsplit_once('/').unwrap().0),
    };
    let mut admin = PgConnection::connect(&admin_url).await.unwrap();
    admin.execute(format!("CREATE DATABASE {name}").as_str()).await.unwrap();

    // Arrange: the schema of one UTC day per key, with three days' totals and two held spends, the
    // second larger than what its day still holds (an older `release` took the day down).
    let mut migrator = Migrator::new(Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/migrations"))).await.unwrap();
    let before: Vec<_> = migrator.migrations.iter().filter(|m| m.version < SPEND_WINDOWS_MIGRATION).cloned().collect();
    migrator.migrations = before.into();
    let mut conn = PgConnection::connect(&url).await.unwrap();
    migrator.run(&mut conn).await.unwrap();
    let key = keygate_domain::KeyId::from_bytes([9; 16]);
    let (monday, tuesday) = (SpendId::from_bytes([1; 16]), SpendId::from_bytes([2; 16]));
    let seed = format!(
        "INSERT INTO tenants (tenant_id, name, dual_control, live_enabled, allow_never_expiring, version, created_at, \
         updated_at, integrator_approvals) VALUES ('acme', 'Acme', true, true, false, 1, now(), now(), false); \
         INSERT INTO keys (tenant_id, key_id, name, environment, scopes, allowed_ips, state, created_by, created_for, \
         created_at, updated_at, version, secret_hash, masked, currency, daily_volume) VALUES ('acme', '{key}', 'till', \
         'live', ARRAY['operations:write'], '{{}}', 'active', 'system', 'system', now(), now(), 1, '\\x{hash}', \
         'kg_live_x', 'XOF', 1000); \
         INSERT INTO daily_spend VALUES ('acme', '{key}', '2026-11-23', 30), ('acme', '{key}', '2026-11-24', 20), \
         ('acme', '{key}', '2026-12-01', 5); \
         INSERT INTO spends (tenant_id, spend_id, key_id, amount, currency, day, state, created_at) VALUES \
         ('acme', '{monday}', '{key}', 10, 'XOF', '2026-11-23', 'held', now()), \
         ('acme', '{tuesday}', '{key}', 50, 'XOF', '2026-11-24', 'held', now());",
        hash = "ab".repeat(32),
    );
    conn.execute(seed.as_str()).await.unwrap();
    conn.close().await.unwrap();

    // Act: the rest of the migrations, as a new release would run them.
    let store = PgStore::connect(PgStoreOptions::new(&url)).await.unwrap();

    // Assert: each day is a day window in the key's currency, weeks and months add them up, and a
    // release gives back to the windows of its day, never below zero.
    let acme = TenantId::parse("acme").unwrap();
    let xof = Some(Currency::parse("XOF").unwrap());
    let date = |d: &str| d.parse::<NaiveDate>().unwrap();
    let usage = store.usage(&acme, key, 7).await.unwrap();
    let days: Vec<_> = usage.days.iter().map(|d| (d.day, d.spent, d.spent_by_currency.clone())).collect();
    let expected: Vec<_> = [("2026-12-01", 5), ("2026-11-24", 20), ("2026-11-23", 30)]
        .into_iter()
        .map(|(day, spent)| (date(day), Decimal::from(spent), vec![(xof, Decimal::from(spent))]))
        .collect();
    assert_eq!(days, expected, "every day kept, in the key's currency");
    let starts = store.spend_record(monday).await.unwrap().starts;
    let expected = PerWindow { day: date("2026-11-23"), week: date("2026-11-23"), month: date("2026-11-01") };
    assert_eq!(starts, expected, "a spend's week and month are those of its day");
    let totals = [
        (
            "before any release",
            None,
            ["day 2026-11-23 30", "day 2026-11-24 20", "week 2026-11-23 50", "month 2026-11-01 50"],
        ),
        (
            "Monday's 10 released",
            Some(monday),
            ["day 2026-11-23 20", "day 2026-11-24 20", "week 2026-11-23 40", "month 2026-11-01 40"],
        ),
        (
            "Tuesday's 50 released",
            Some(tuesday),
            ["day 2026-11-23 20", "day 2026-11-24 0", "week 2026-11-23 0", "month 2026-11-01 0"],
        ),
    ];
    for (what, release, expected) in totals {
        if let Some(id) = release {
            assert!(store.release_spend(id).await.unwrap().1, "{what}: released");
        }
        let rows: Vec<(String,)> = sqlx::query_as(
            "SELECT window_kind || ' ' || starts_on || ' ' || spent FROM spend_totals \
             WHERE currency = 'XOF' AND starts_on < '2026-11-30' ORDER BY array_position(ARRAY['day', 'week', 'month'], window_kind), starts_on",
        )
        .fetch_all(store.pool())
        .await
        .unwrap();
        let rows: Vec<String> = rows.into_iter().map(|(row,)| row).collect();
        assert_eq!(rows, expected, "{what}");
    }

    store.pool().close().await;
    admin.execute(format!("DROP DATABASE {name} WITH (FORCE)").as_str()).await.unwrap();
}
