//! Limits in several currencies and windows with a currency class, on a key and on its pending change;
//! and a tenant's time zone, its own currency entries, a pending policy asking only for a time zone or
//! a currency, and a scheduled change of time zone.

use chrono::Duration;
use keygate_domain::{
    ActorId, AmountLimit, Currency, CurrencyClass, CurrencySpec, CurrencyTable, Event, IpAllowList, Key, Limits,
    PerWindow, PolicyPatch, PolicyRequest, Privileges, ScopeSet, Timezone, TimezoneChange,
};
use keygate_store::{AuditKind, PendingPolicy, Tenant};

use super::Store;
use crate::fixtures::*;

fn currency(code: &str) -> Currency {
    Currency::parse(code).unwrap()
}

fn amount(text: &str) -> keygate_domain::Amount {
    text.parse().unwrap()
}

/// USDT with a maximum and all three volumes, BTC with a one-satoshi maximum only, bound to crypto.
fn crypto_privileges() -> Privileges {
    let usdt = currency("USDT");
    let btc = currency("BTC");
    let volumes =
        PerWindow { day: Some(amount("50.000001")), week: Some(amount("200")), month: Some(amount("750.50")) };
    Privileges {
        scopes: ScopeSet::parse(["operations:write"]).unwrap(),
        limits: Limits::new(
            vec![
                (usdt, AmountLimit::new(usdt, Some(amount("5")), volumes).unwrap()),
                (btc, AmountLimit::new(btc, Some(amount("0.00000001")), PerWindow::default()).unwrap()),
            ],
            Some(CurrencyClass::Crypto),
            IpAllowList::parse(["10.0.0.0/8"]).unwrap(),
        )
        .unwrap()
        .with_rate(vec![
            keygate_domain::RateLimit::new("per-second", 100, 1).unwrap(),
            keygate_domain::RateLimit::new("per-day", 1_000_000_000, 86_400).unwrap(),
        ])
        .unwrap(),
    }
}

/// Other currencies and bounds, and no class: wider than [`crypto_privileges`] (a bound removed, a
/// currency added), so under dual control it waits as a pending change.
fn other_privileges() -> Privileges {
    let usdt = currency("USDT");
    let eth = currency("ETH");
    let week = PerWindow { week: Some(amount("100")), ..PerWindow::default() };
    let month = PerWindow { month: Some(amount("0.000000000000000001")), ..PerWindow::default() };
    Privileges {
        scopes: ScopeSet::parse(["operations:write"]).unwrap(),
        limits: Limits::new(
            vec![
                (usdt, AmountLimit::new(usdt, None, week).unwrap()),
                (eth, AmountLimit::new(eth, None, month).unwrap()),
            ],
            None,
            IpAllowList::parse(["10.1.0.0/16"]).unwrap(),
        )
        .unwrap()
        .with_rate(vec![keygate_domain::RateLimit::new("per-second", 200, 1).unwrap()])
        .unwrap(),
    }
}

/// Creates a key with `limits`, approves it, and asks for `asked`, which waits for a checker. Checks
/// the key reads back equal from the other handle after each step; returns it.
async fn key_with_pending_change(
    (a, b): (&Store, &Store),
    t: &Tenant,
    name: &str,
    limits: Privileges,
    asked: Privileges,
) -> Key {
    let (record, created) = new_key(t, name, limits, now());
    a.commit(&[insert(&record, &created)]).await.unwrap();
    assert_eq!(b.key(&t.id, record.key.id).await.unwrap(), record, "{name}: as created");
    let approved = record.key.apply(Event::Approve, &checker(2), &t.policy, now()).unwrap();
    a.commit(&[update(&record.key, &approved, &checker(2))]).await.unwrap();
    let change = approved
        .key
        .apply(
            Event::RequestChange { privileges: asked, owner: keygate_domain::Owner::default() },
            &maker(),
            &t.policy,
            now(),
        )
        .unwrap();
    a.commit(&[update(&approved.key, &change, &maker())]).await.unwrap();
    let stored = b.key(&t.id, record.key.id).await.unwrap().key;
    assert_eq!(stored, change.key, "{name}: with its pending change");
    assert_eq!(
        b.find_key(record.key.id).await.unwrap().map(|r| r.key.clone()),
        Some(change.key),
        "{name}: by id alone"
    );
    stored
}

pub async fn a_key_with_limits_in_several_currencies_and_a_class_round_trips_with_its_pending_change(
    a: Store,
    b: Store,
) {
    let t = given_tenant(&*a, "acme").await;
    let key = key_with_pending_change((&a, &b), &t, "Crypto desk", crypto_privileges(), other_privileges()).await;
    assert_eq!(key.privileges, crypto_privileges(), "two currencies, every window, a class, two rate limits");
    assert_eq!(key.pending_change.map(|p| p.privileges), Some(other_privileges()), "pending: no class");
    let usdt = *key.privileges.limits.amount_limit(currency("USDT")).unwrap();
    let printed = usdt.volumes().map(|v| v.map(|a| a.to_string()));
    let expected = PerWindow { day: "50.000001", week: "200", month: "750.50" }.map(|v| Some(v.to_owned()));
    assert_eq!(printed, expected, "each window's amount as written, scale included");
    let btc = key.privileges.limits.amount_limit(currency("BTC")).map(|l| l.max_amount().map(|a| a.to_string()));
    assert_eq!(btc, Some(Some("0.00000001".to_owned())), "one satoshi");

    // The other way round: a key without a class, and a class on its pending change only.
    let key = key_with_pending_change((&a, &b), &t, "Till", daily_limit("10"), crypto_privileges()).await;
    assert_eq!(key.pending_change.map(|p| p.privileges), Some(crypto_privileges()), "pending: a class");
}

fn singapore_tenant() -> Tenant {
    let mut t = tenant("acme");
    t.policy.timezone = Timezone::parse("Asia/Singapore").unwrap();
    t.policy.currencies = CurrencyTable::empty()
        .with(currency("USDT"), CurrencySpec::new(CurrencyClass::Crypto, 4).unwrap())
        .with(currency("XAF"), CurrencySpec::new(CurrencyClass::Fiat, 0).unwrap());
    let patch = PolicyPatch {
        timezone: Some(Timezone::parse("Africa/Dakar").unwrap()),
        currency: Some((currency("MATIC"), CurrencySpec::new(CurrencyClass::Crypto, 18).unwrap())),
        ..PolicyPatch::default()
    };
    t.pending_policy = Some(PendingPolicy {
        request: PolicyRequest { patch, requested_by: person(1), requested_for: person(2) },
        requested_at: now(),
    });
    t.timezone_change = Some(TimezoneChange { from: Timezone::UTC, effective_at: now() + Duration::hours(15) });
    t
}

fn person(n: u8) -> ActorId {
    ActorId::Operator(operator_id(n))
}

pub async fn a_tenants_time_zone_currencies_pending_settings_and_scheduled_change_round_trip(a: Store, b: Store) {
    let t = singapore_tenant();
    a.create_tenant(&t, &[], &[audit(&t.id, None, ActorId::System, AuditKind::TenantCreated)]).await.unwrap();
    assert_eq!(b.tenant(&t.id).await.unwrap(), t, "after create");

    let only_timezone = PolicyPatch { timezone: Some(Timezone::parse("Etc/GMT+5").unwrap()), ..PolicyPatch::default() };
    let spec = CurrencySpec::new(CurrencyClass::Fiat, 3).unwrap();
    let only_currency = PolicyPatch { currency: Some((currency("USDT"), spec)), ..PolicyPatch::default() };
    let cases = [
        ("a pending time zone alone, the change rescheduled", Some(only_timezone), Some(Timezone::UTC)),
        ("a pending currency alone, no change scheduled", Some(only_currency), None),
        ("nothing pending, a change from Singapore", None, Some(Timezone::parse("Asia/Singapore").unwrap())),
    ];
    let mut current = t.clone();
    for (what, patch, from) in cases {
        let mut next = current.clone();
        next.version += 1;
        next.updated_at = current.updated_at + Duration::seconds(1);
        next.policy.timezone = Timezone::parse("America/Argentina/Buenos_Aires").unwrap();
        next.policy.currencies = current.policy.currencies.with(currency("BTC"), spec);
        next.pending_policy = patch.map(|patch| PendingPolicy {
            request: PolicyRequest { patch, requested_by: person(3), requested_for: person(4) },
            requested_at: next.updated_at,
        });
        next.timezone_change =
            from.map(|from| TimezoneChange { from, effective_at: next.updated_at + Duration::days(1) });
        let entry = audit(&t.id, None, person(3), AuditKind::PolicyRequested);
        a.update_tenant(&next, current.version, &entry).await.unwrap();
        assert_eq!(b.tenant(&t.id).await.unwrap(), next, "after update: {what}");
        current = next;
    }
    assert_eq!(current.policy.currencies.len(), 3, "the entries added along the way are all kept");
}
