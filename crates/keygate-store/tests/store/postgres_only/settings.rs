//! The limits and tenant settings migration on rows written before it, and the stored values neither
//! the schema nor a guess may let through.

use std::path::Path;

use keygate_domain::{Currency, IpAllowList, KeyId, Limits, TenantId, Timezone};
use keygate_store::testing::{TestDatabase, DATABASE_URL_VAR};
use keygate_store::{KeyStore, PgStore, PgStoreOptions, StoreError};
use sqlx::migrate::Migrator;
use sqlx::{Connection, Executor, PgConnection};

use crate::fixtures::{daily_limit, given_key, given_tenant, now};

/// The migration that turns a key's single currency into per-currency limits and gives tenants a time
/// zone and currency entries.
const LIMITS_MIGRATION: i64 = 20_261_128_000_008;

fn limits(currency: Option<&str>, max_amount: Option<&str>, daily_volume: Option<&str>) -> Limits {
    Limits::single(
        currency.map(|c| Currency::parse(c).unwrap()),
        max_amount.map(|a| a.parse().unwrap()),
        daily_volume.map(|a| a.parse().unwrap()),
        IpAllowList::default(),
    )
    .unwrap()
}

#[tokio::test]
async fn keys_and_tenants_written_before_per_currency_limits_read_back_as_they_were_meant() {
    let Ok(admin_url) = std::env::var(DATABASE_URL_VAR) else { return };
    let name = format!("keygate_test_prelimits_{}_{}", std::process::id(), now().timestamp_subsec_nanos());
    let url = match admin_url.split_once('?') {
        Some((base, query)) => format!("{}/{name}?{query}", base.rsplit_once('/').unwrap().0),
        None => format!("{}/{name}", admin_url.rsplit_once('/').unwrap().0),
    };
    let mut admin = PgConnection::connect(&admin_url).await.unwrap();
    admin.execute(format!("CREATE DATABASE {name}").as_str()).await.unwrap();

    // Arrange: the schema before per-currency limits, with a key of each old shape.
    let mut migrator = Migrator::new(Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/migrations"))).await.unwrap();
    let before: Vec<_> = migrator.migrations.iter().filter(|m| m.version < LIMITS_MIGRATION).cloned().collect();
    migrator.migrations = before.into();
    let mut conn = PgConnection::connect(&url).await.unwrap();
    migrator.run(&mut conn).await.unwrap();
    let [both, none, bare] = [[1; 16], [2; 16], [3; 16]].map(KeyId::from_bytes);
    let seed = format!(
        "INSERT INTO tenants (tenant_id, name, dual_control, live_enabled, max_key_lifetime_days, \
         allow_never_expiring, integrator_approvals, version, created_at, updated_at) \
         VALUES ('acme', 'Acme', true, true, 90, false, false, 1, now(), now()); \
         INSERT INTO keys (tenant_id, key_id, name, environment, scopes, currency, max_amount, daily_volume, \
         allowed_ips, state, created_by, created_for, created_at, updated_at, version, secret_hash, masked, \
         pending_scopes, pending_currency, pending_max_amount, pending_daily_volume, pending_allowed_ips, \
         pending_requested_by, pending_requested_for, pending_requested_at) VALUES \
         ('acme', '{both}', 'both', 'live', ARRAY['balance:read'], 'XOF', 100.50, 1000.000000000000000001, '{{}}', \
         'active', 'system', 'system', now(), now(), 2, '\\x{hash}', 'kg_live_a', \
         ARRAY['balance:read'], 'USD', NULL, 5.5, '{{}}', 'system', 'system', now()), \
         ('acme', '{none}', 'none', 'live', ARRAY['balance:read'], NULL, NULL, NULL, '{{}}', \
         'active', 'system', 'system', now(), now(), 2, '\\x{hash}', 'kg_live_b', \
         ARRAY['balance:read'], NULL, NULL, NULL, '{{}}', 'system', 'system', now()), \
         ('acme', '{bare}', 'bare', 'live', ARRAY['balance:read'], 'EUR', NULL, NULL, '{{}}', \
         'active', 'system', 'system', now(), now(), 2, '\\x{hash}', 'kg_live_c', \
         NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL);",
        hash = "ab".repeat(32),
    );
    conn.execute(seed.as_str()).await.unwrap();
    conn.close().await.unwrap();

    // Act: the rest of the migrations, as a new release would run them.
    let store = PgStore::connect(PgStoreOptions::new(&url)).await.unwrap();

    // Assert: each key's limits as Limits::single reads its old columns; the tenant keeps UTC.
    let acme = TenantId::parse("acme").unwrap();
    let cases = [
        (
            both,
            limits(Some("XOF"), Some("100.50"), Some("1000.000000000000000001")),
            Some(limits(Some("USD"), None, Some("5.5"))),
        ),
        (none, Limits::none(), Some(Limits::none())),
        (bare, limits(Some("EUR"), None, None), None),
    ];
    for (id, own, pending) in cases {
        let key = store.key(&acme, id).await.unwrap().key;
        assert_eq!(key.privileges.limits, own, "{id}: its limits, no class");
        assert_eq!(key.pending_change.map(|p| p.privileges.limits), pending, "{id}: its pending limits");
    }
    let xof = store.key(&acme, both).await.unwrap().key.privileges.limits;
    let xof = xof.amount_limit(Currency::parse("XOF").unwrap()).unwrap();
    assert_eq!(xof.max_amount().map(|a| a.to_string()), Some("100.50".to_owned()), "the stored scale is kept");
    let tenant = store.tenant(&acme).await.unwrap();
    let settings = (tenant.policy.timezone, tenant.policy.currencies.is_empty(), tenant.timezone_change);
    assert_eq!(settings, (Timezone::UTC, true, None), "UTC, the built-in table alone, nothing scheduled");

    store.pool().close().await;
    admin.execute(format!("DROP DATABASE {name} WITH (FORCE)").as_str()).await.unwrap();
}

#[tokio::test]
async fn a_stored_setting_that_does_not_parse_is_corrupt_and_one_of_the_wrong_shape_is_refused() {
    let Some(db) = TestDatabase::create().await else { return };
    let store = db.store();
    let t = given_tenant(&store, "acme").await;
    let key = given_key(&store, &t, "till", daily_limit("10"), true).await;
    let mut conn = PgConnection::connect(db.url()).await.unwrap();

    // Shapes the schema lets through (it checks shapes, not the tz database or 28 significant digits).
    let too_many_digits = r#"[{"currency": "USD", "max_amount": "123456789012345678.1234567890123"}]"#;
    let tampered = [
        ("a time zone the tz database does not know", "UPDATE tenants SET timezone = 'Mars/Olympus'".to_owned()),
        ("an amount beyond 28 significant digits", format!("UPDATE keys SET amounts = '{too_many_digits}'")),
        (
            "a scope description with a line break",
            r#"UPDATE tenants SET scope_catalogue = '[{"name": "payouts", "description": "a\nb", "actions": ["read"]}]'"#
                .to_owned(),
        ),
    ];
    for (what, sql) in tampered {
        conn.execute(sql.as_str()).await.unwrap();
        let read = (store.tenant(&t.id).await.err(), store.key(&t.id, key.id).await.err());
        assert!(
            matches!(read, (Some(StoreError::Corrupt(_)), _) | (_, Some(StoreError::Corrupt(_)))),
            "{what}: corrupt, not a guess: {read:?}"
        );
        // Put the row back, so the next case is the only fault.
        conn.execute("UPDATE tenants SET timezone = 'UTC', scope_catalogue = NULL").await.unwrap();
        conn.execute(r#"UPDATE keys SET amounts = '[{"currency": "XOF", "daily_volume": "10"}]'"#).await.unwrap();
    }
    assert_eq!(store.key(&t.id, key.id).await.unwrap().key, key, "the row put back reads as written");

    let refused = [
        (
            "an amount as a JSON number",
            r#"UPDATE keys SET amounts = '[{"currency": "USD", "max_amount": 5}]'"#,
            "keys_amounts_valid",
        ),
        (
            "a day above its week",
            r#"UPDATE keys SET amounts = '[{"currency": "USD", "daily_volume": "9", "weekly_volume": "8"}]'"#,
            "keys_amounts_valid",
        ),
        (
            "a currency twice",
            r#"UPDATE tenants SET currencies = '[{"currency": "USDT", "class": "crypto", "scale": 6},
                {"currency": "USDT", "class": "fiat", "scale": 2}]'"#,
            "tenants_currencies_valid",
        ),
        ("half a scheduled change", "UPDATE tenants SET timezone_from = 'UTC'", "tenants_timezone_change_whole"),
        (
            "a scope resource twice",
            r#"UPDATE tenants SET scope_catalogue = '[{"name": "payouts", "actions": ["read"]},
                {"name": "payouts", "actions": ["write"]}]'"#,
            "tenants_scope_catalogue_valid",
        ),
        (
            "a scope action offered as a wildcard",
            r#"UPDATE tenants SET scope_catalogue = '[{"name": "payouts", "actions": ["*"]}]'"#,
            "tenants_scope_catalogue_valid",
        ),
        (
            "a pending catalogue outside a pending change",
            "UPDATE tenants SET pending_scope_catalogue_set = true",
            "tenants_pending_scope_catalogue_whole",
        ),
        ("a pending class alone", "UPDATE keys SET pending_currency_class = 'fiat'", "keys_pending_whole"),
    ];
    for (what, sql, constraint) in refused {
        let error = conn.execute(sql).await.unwrap_err();
        let refused_by = error.as_database_error().and_then(|e| e.constraint().map(str::to_owned));
        assert_eq!(refused_by.as_deref(), Some(constraint), "{what}");
    }

    conn.close().await.unwrap();
    db.drop_database().await;
}
