//! `evaluate` against a reference written as plainly as possible from the documented rules.
//!
//! Each case draws a key and a request as plain data (texts and numbers) from small pools chosen to hit
//! the interesting edges (expiry at `now`, write implying read, CIDR borders, IPv4-mapped addresses,
//! amounts at the maximum). The reference lists every rule the pair breaks, in the documented order,
//! without calling anything in keygate: `evaluate` must allow exactly when that list is empty, and
//! otherwise return its first entry.

#![allow(clippy::unwrap_used)]

use std::net::IpAddr;

use chrono::{DateTime, Duration, TimeZone, Utc};
use keygate_domain::{
    AccountId, ActorId, Amount, Currency, CurrencyTable, Environment, Expiry, IpAllowList, Key, KeyId, KeyName,
    KeyState, Limits, Privileges, Scope, ScopeSet, TenantId,
};
use keygate_policy::{evaluate, Denial, Money, RequestContext};
use proptest::prelude::*;
use proptest::sample::{select, subsequence};
use rust_decimal::Decimal;

const TENANTS: [&str; 2] = ["acme", "globex"];
const ACCOUNTS: [&str; 2] = ["shop-1", "shop-2"];
const SCOPES: [&str; 7] =
    ["payouts:read", "payouts:write", "payouts:approve", "payouts:*", "balances:read", "balances:write", "keys:*"];
const NETWORKS: [&str; 4] = ["10.0.1.0/24", "192.168.1.1/32", "2001:db8::/32", "172.16.0.0/12"];
const CLIENTS: [&str; 8] = [
    "10.0.1.5",
    "10.0.2.7",
    "192.168.1.1",
    "192.168.1.2",
    "172.31.255.255",
    "2001:db8::1",
    "2001:db9::1",
    "::ffff:10.0.1.9",
];
const CURRENCIES: [&str; 3] = ["XOF", "EUR", "ZZZ"];
const MAXIMUMS: [&str; 2] = ["100", "250.50"];
const AMOUNTS: [&str; 6] = ["50", "100", "100.01", "250.5", "250.50", "1000"];

/// A key as plain data.
#[derive(Debug, Clone)]
struct KeyModel {
    state: KeyState,
    /// Seconds from `now` to expiry; `None` never expires.
    expires_in: Option<i64>,
    tenant: &'static str,
    /// The account the key is bound to; `None` is a key of the whole tenant.
    account: Option<&'static str>,
    environment: Environment,
    scopes: Vec<&'static str>,
    /// Currency, then the per-operation maximum (a maximum needs a currency).
    limits: Option<(&'static str, Option<&'static str>)>,
    networks: Vec<&'static str>,
}

/// A request as plain data.
#[derive(Debug, Clone)]
struct RequestModel {
    tenant: Option<&'static str>,
    account: Option<&'static str>,
    scopes: Vec<&'static str>,
    environment: Option<Environment>,
    client: Option<&'static str>,
    amount: Option<(&'static str, Option<&'static str>)>,
}

fn environment() -> impl Strategy<Value = Environment> {
    select(vec![Environment::Test, Environment::Live])
}

fn key_model() -> impl Strategy<Value = KeyModel> {
    (
        select(KeyState::ALL.to_vec()),
        prop::option::of(-2i64..=2),
        select(TENANTS.to_vec()),
        prop::option::of(select(ACCOUNTS.to_vec())),
        environment(),
        subsequence(SCOPES.to_vec(), 1..=3),
        prop::option::of((select(CURRENCIES.to_vec()), prop::option::of(select(MAXIMUMS.to_vec())))),
        subsequence(NETWORKS.to_vec(), 0..=2),
    )
        .prop_map(|(state, expires_in, tenant, account, environment, scopes, limits, networks)| KeyModel {
            state,
            expires_in,
            tenant,
            account,
            environment,
            scopes,
            limits,
            networks,
        })
}

fn request_model() -> impl Strategy<Value = RequestModel> {
    (
        prop::option::of(select(TENANTS.to_vec())),
        prop::option::of(select(ACCOUNTS.to_vec())),
        subsequence(SCOPES.to_vec(), 0..=3),
        prop::option::of(environment()),
        prop::option::of(select(CLIENTS.to_vec())),
        prop::option::of((select(AMOUNTS.to_vec()), prop::option::of(select(CURRENCIES.to_vec())))),
    )
        .prop_map(|(tenant, account, scopes, environment, client, amount)| RequestModel {
            tenant,
            account,
            scopes,
            environment,
            client,
            amount,
        })
}

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, 1, 12, 0, 0).unwrap()
}

fn build_key(m: &KeyModel) -> Key {
    let (currency, max_amount) = match m.limits {
        Some((currency, max)) => (Some(Currency::parse(currency).unwrap()), max.map(|a| Amount::parse(a).unwrap())),
        None => (None, None),
    };
    let ips = IpAllowList::parse(m.networks.iter().copied()).unwrap();
    Key {
        id: KeyId::from_bytes([1; 16]),
        tenant: TenantId::parse(m.tenant).unwrap(),
        account: m.account.map(|a| AccountId::parse(a).unwrap()),
        name: KeyName::parse("generated").unwrap(),
        notes: None,
        environment: m.environment,
        privileges: Privileges {
            scopes: ScopeSet::parse(m.scopes.iter().copied()).unwrap(),
            limits: Limits::single(currency, max_amount, None, ips).unwrap(),
        },
        expiry: m.expires_in.map_or(Expiry::Never, |s| Expiry::At(now() + Duration::seconds(s))),
        state: m.state,
        created_by: ActorId::System,
        created_for: ActorId::System,
        approved_by: None,
        created_at: now() - Duration::days(1),
        updated_at: now() - Duration::days(1),
        revocation: None,
        pending_change: None,
        suspension: None,
        rotation: None,
        reveal: None,
        owner: keygate_domain::Owner::default(),
        version: 1,
    }
}

fn build_request(m: &RequestModel) -> RequestContext {
    RequestContext {
        tenant: m.tenant.map(|t| TenantId::parse(t).unwrap()),
        account_id: m.account.map(|a| AccountId::parse(a).unwrap()),
        required_scopes: m.scopes.iter().map(|s| Scope::parse(s).unwrap()).collect(),
        environment: m.environment,
        client_ip: m.client.map(|ip| ip.parse().unwrap()),
        amount: m.amount.map(|(amount, currency)| Money {
            amount: Amount::parse(amount).unwrap(),
            currency: currency.map(|c| Currency::parse(c).unwrap()),
        }),
    }
}

/// The rights an action stands for: read is read, write is write and read, approve is approve, `*` is all.
fn rights(action: &str) -> &'static [&'static str] {
    match action {
        "read" => &["read"],
        "write" => &["write", "read"],
        "approve" => &["approve"],
        _ => &["read", "write", "approve"],
    }
}

/// Whether the held scopes grant a required one: the rights held on its resource, all held scopes
/// together, cover every right its action stands for.
fn granted(held: &[&str], required: &str) -> bool {
    let (resource, action) = required.split_once(':').unwrap();
    let held_rights: Vec<&str> = held
        .iter()
        .filter_map(|scope| scope.split_once(':'))
        .filter(|(held_resource, _)| *held_resource == resource)
        .flat_map(|(_, held_action)| rights(held_action).iter().copied())
        .collect();
    rights(action).iter().all(|right| held_rights.contains(right))
}

/// Whether `network` (CIDR text) contains `client`, an IPv4-mapped IPv6 address counting as IPv4.
fn contains(network: &str, client: &str) -> bool {
    let (base, prefix) = network.split_once('/').unwrap();
    let prefix: u32 = prefix.parse().unwrap();
    let client: IpAddr = client.parse().unwrap();
    let client = match client {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(client, IpAddr::V4),
        v4 @ IpAddr::V4(_) => v4,
    };
    match (base.parse::<IpAddr>().unwrap(), client) {
        (IpAddr::V4(base), IpAddr::V4(ip)) => {
            let mask = u32::MAX.checked_shl(32 - prefix).unwrap_or(0);
            u32::from(base) & mask == u32::from(ip) & mask
        }
        (IpAddr::V6(base), IpAddr::V6(ip)) => {
            let mask = u128::MAX.checked_shl(128 - prefix).unwrap_or(0);
            u128::from(base) & mask == u128::from(ip) & mask
        }
        _ => false,
    }
}

/// Every rule the pair breaks, in the documented order.
fn broken_rules(k: &KeyModel, r: &RequestModel) -> Vec<Denial> {
    let mut broken = Vec::new();
    match k.state {
        KeyState::PendingApproval => broken.push(Denial::PendingApproval),
        KeyState::Rejected => broken.push(Denial::Rejected),
        KeyState::Revoked => broken.push(Denial::Revoked),
        KeyState::Suspended => broken.push(Denial::Suspended),
        KeyState::Active | KeyState::RevocationPending => {}
    }
    if k.expires_in.is_some_and(|seconds| seconds <= 0) {
        broken.push(Denial::Expired);
    }
    if r.tenant.is_some_and(|t| t != k.tenant) {
        broken.push(Denial::WrongTenant);
    }
    // Only a key bound to an account, asked about another one.
    if k.account.zip(r.account).is_some_and(|(bound, asked)| bound != asked) {
        broken.push(Denial::WrongAccount);
    }
    if r.environment.is_some_and(|e| e != k.environment) {
        broken.push(Denial::WrongEnvironment);
    }
    let missing: Vec<Scope> =
        r.scopes.iter().filter(|required| !granted(&k.scopes, required)).map(|s| Scope::parse(s).unwrap()).collect();
    if !missing.is_empty() {
        broken.push(Denial::InsufficientScope { missing });
    }
    if !k.networks.is_empty() && !r.client.is_some_and(|c| k.networks.iter().any(|n| contains(n, c))) {
        broken.push(Denial::IpNotAllowed);
    }
    // Money: a currency the table lacks, then more decimals than the currency has (trailing zeros
    // do not count), whatever the key's own limits.
    if let Some((amount, Some(currency))) = r.amount {
        match currency {
            "XOF" | "EUR" => {
                let scale = if currency == "XOF" { 0 } else { 2 };
                let decimals = amount.split_once('.').map_or(0, |(_, d)| d.trim_end_matches('0').len());
                if decimals > scale {
                    let currency = Currency::parse(currency).unwrap();
                    broken.push(Denial::AmountPrecision { currency, scale: u8::try_from(scale).unwrap() });
                }
            }
            _ => broken.push(Denial::UnknownCurrency { currency: Currency::parse(currency).unwrap() }),
        }
    }
    if let (Some((amount, currency)), Some((expected, max))) = (r.amount, k.limits) {
        if currency != Some(expected) {
            broken.push(Denial::CurrencyMismatch { accepted: vec![Currency::parse(expected).unwrap()], class: None });
        }
        let decimal = |text: &str| Decimal::from_str_exact(text).unwrap();
        if let Some(max) = max.filter(|max| decimal(amount) > decimal(max)) {
            broken.push(Denial::AmountOverLimit { max_amount: Amount::parse(max).unwrap() });
        }
    }
    broken
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2048))]

    #[test]
    fn evaluate_allows_exactly_when_every_rule_holds_and_else_names_the_first_broken_one(
        key in key_model(),
        request in request_model(),
        ) {
        let broken = broken_rules(&key, &request);
        let expected = broken.first().cloned().map_or(Ok(()), Err);
        let decision = evaluate(&build_key(&key), &build_request(&request), now(), &CurrencyTable::builtin());
        prop_assert_eq!(decision, expected, "every broken rule, in order: {:?}", broken);
    }
}
