//! One table per rule of `evaluate`, each case changing one thing about a baseline key or request that
//! is otherwise allowed; then the order of the rules, and the boundaries worth naming.

#![allow(clippy::unwrap_used)]

use chrono::{DateTime, Duration, TimeZone, Utc};
use keygate_domain::{
    AccountId, ActorId, Amount, AmountLimit, Currency, CurrencyClass, CurrencySpec, Environment, Expiry, IpAllowList,
    Key, KeyId, KeyName, KeyState, Limits, PerWindow, Privileges, Scope, ScopeSet, TenantId,
};

use super::*;
use crate::context::Money;

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, 1, 12, 0, 0).unwrap()
}

fn scope(text: &str) -> Scope {
    Scope::parse(text).unwrap()
}

fn tenant(text: &str) -> TenantId {
    TenantId::parse(text).unwrap()
}

fn account(text: &str) -> AccountId {
    AccountId::parse(text).unwrap()
}

fn currency(text: &str) -> Currency {
    Currency::parse(text).unwrap()
}

fn amount(text: &str) -> Amount {
    Amount::parse(text).unwrap()
}

fn money(value: &str, code: Option<&str>) -> Money {
    Money { amount: amount(value), currency: code.map(currency) }
}

fn limits(code: Option<&str>, max_amount: Option<&str>, networks: &[&str]) -> Limits {
    let ips = IpAllowList::parse(networks.iter().copied()).unwrap();
    Limits::single(code.map(currency), max_amount.map(amount), None, ips).unwrap()
}

/// The baseline: an active, live, never-expiring key of tenant `acme` bound to its account `shop-1`,
/// with no limits and every scope the baseline request needs. It allows [`request`].
fn active_key() -> Key {
    let at = now() - Duration::days(30);
    Key {
        id: KeyId::from_bytes([7; 16]),
        tenant: tenant("acme"),
        account: Some(account("shop-1")),
        name: KeyName::parse("payouts service").unwrap(),
        notes: None,
        environment: Environment::Live,
        privileges: Privileges {
            scopes: ScopeSet::parse(["payouts:write", "balances:read", "transfers:*"]).unwrap(),
            limits: Limits::none(),
        },
        expiry: Expiry::Never,
        state: KeyState::Active,
        created_by: ActorId::System,
        created_for: ActorId::System,
        approved_by: None,
        created_at: at,
        updated_at: at,
        revocation: None,
        pending_change: None,
        suspension: None,
        rotation: None,
        reveal: None,
        owner: keygate_domain::Owner::default(),
        version: 1,
    }
}

/// The baseline request: every check named, every value in bounds.
fn request() -> RequestContext {
    RequestContext {
        tenant: Some(tenant("acme")),
        account_id: Some(account("shop-1")),
        required_scopes: vec![scope("payouts:write"), scope("balances:read")],
        environment: Some(Environment::Live),
        client_ip: Some("10.0.0.7".parse().unwrap()),
        amount: Some(money("100", Some("XOF"))),
    }
}

fn check(key: &Key, ctx: &RequestContext, now: DateTime<Utc>, expected: &Result<(), Denial>, why: &str) {
    assert_eq!(&evaluate(key, ctx, now, &CurrencyTable::builtin()), expected, "{why}");
}

/// A description, one change to the baseline key or request, and the expected decision.
type Case = (&'static str, fn(&mut Key, &mut RequestContext), Result<(), Denial>);

fn check_cases(cases: &[Case]) {
    for (why, change, expected) in cases {
        let (mut key, mut ctx) = (active_key(), request());
        change(&mut key, &mut ctx);
        check(&key, &ctx, now(), expected, why);
    }
}

#[test]
fn the_baseline_key_allows_the_baseline_request() {
    check_cases(&[("nothing changed", |_, _| {}, Ok(()))]);
}

#[test]
fn keys_that_are_not_active_or_awaiting_revocation_are_refused() {
    check_cases(&[
        ("pending approval", |k, _| k.state = KeyState::PendingApproval, Err(Denial::PendingApproval)),
        ("rejected", |k, _| k.state = KeyState::Rejected, Err(Denial::Rejected)),
        ("revoked", |k, _| k.state = KeyState::Revoked, Err(Denial::Revoked)),
        ("suspended", |k, _| k.state = KeyState::Suspended, Err(Denial::Suspended)),
        ("active", |k, _| k.state = KeyState::Active, Ok(())),
        ("revocation pending", |k, _| k.state = KeyState::RevocationPending, Ok(())),
    ]);
}

#[test]
fn a_key_awaiting_revocation_still_verifies_until_the_revocation_is_approved() {
    let mut key = active_key();
    key.state = KeyState::RevocationPending;
    check(&key, &request(), now(), &Ok(()), "revocation_pending still verifies");
    key.state = KeyState::Revoked;
    check(&key, &request(), now(), &Err(Denial::Revoked), "once approved, the key is revoked");
}

#[test]
fn expired_keys_are_refused() {
    check_cases(&[
        ("expired a day ago", |k, _| k.expiry = Expiry::At(now() - Duration::days(1)), Err(Denial::Expired)),
        ("expires tomorrow", |k, _| k.expiry = Expiry::At(now() + Duration::days(1)), Ok(())),
        ("never expires", |k, _| k.expiry = Expiry::Never, Ok(())),
    ]);
}

#[test]
fn a_key_is_expired_from_its_expiry_instant_and_not_a_second_earlier() {
    let mut key = active_key();
    key.expiry = Expiry::At(now());
    let ctx = request();
    check(&key, &ctx, now(), &Err(Denial::Expired), "now == expires_at is expired");
    check(&key, &ctx, now() - Duration::seconds(1), &Ok(()), "one second before expires_at is fine");
}

#[test]
fn keys_are_refused_for_another_tenant() {
    check_cases(&[
        ("another tenant", |_, c| c.tenant = Some(tenant("globex")), Err(Denial::WrongTenant)),
        ("the key's tenant", |_, c| c.tenant = Some(tenant("acme")), Ok(())),
        ("tenant not checked", |_, c| c.tenant = None, Ok(())),
    ]);
}

#[test]
fn keys_bound_to_an_account_are_refused_for_another_and_keys_of_the_whole_tenant_are_not() {
    check_cases(&[
        ("another account", |_, c| c.account_id = Some(account("shop-2")), Err(Denial::WrongAccount)),
        ("another spelling", |_, c| c.account_id = Some(account("SHOP-1")), Err(Denial::WrongAccount)),
        ("the key's account", |_, c| c.account_id = Some(account("shop-1")), Ok(())),
        ("account not checked", |_, c| c.account_id = None, Ok(())),
        (
            "a key of the whole tenant, any account",
            |k, c| (k.account, c.account_id) = (None, Some(account("x"))),
            Ok(()),
        ),
    ]);
}

#[test]
fn keys_are_refused_in_another_environment() {
    check_cases(&[
        ("test service, live key", |_, c| c.environment = Some(Environment::Test), Err(Denial::WrongEnvironment)),
        ("live service, test key", |k, _| k.environment = Environment::Test, Err(Denial::WrongEnvironment)),
        ("environment not checked", |_, c| c.environment = None, Ok(())),
    ]);
}

#[test]
fn keys_are_refused_without_every_required_scope_and_all_missing_ones_are_named() {
    check_cases(&[
        (
            "approve is not implied by write",
            |_, c| c.required_scopes.push(scope("payouts:approve")),
            Err(Denial::InsufficientScope { missing: vec![scope("payouts:approve")] }),
        ),
        (
            "every missing scope, in the order required",
            |_, c| c.required_scopes = vec![scope("keys:read"), scope("payouts:read"), scope("balances:write")],
            Err(Denial::InsufficientScope { missing: vec![scope("keys:read"), scope("balances:write")] }),
        ),
        ("write implies read", |_, c| c.required_scopes = vec![scope("payouts:read")], Ok(())),
        ("* covers approve", |_, c| c.required_scopes = vec![scope("transfers:approve")], Ok(())),
        ("no scope required", |_, c| c.required_scopes.clear(), Ok(())),
    ]);
}

#[test]
fn keys_with_an_allow_list_refuse_other_and_unknown_client_addresses() {
    check_cases(&[
        (
            "client outside the list",
            |k, _| k.privileges.limits = limits(None, None, &["192.168.0.0/16"]),
            Err(Denial::IpNotAllowed),
        ),
        ("client inside the list", |k, _| k.privileges.limits = limits(None, None, &["10.0.0.0/24"]), Ok(())),
        (
            "unknown client fails closed",
            |k, c| (k.privileges.limits, c.client_ip) = (limits(None, None, &["10.0.0.0/24"]), None),
            Err(Denial::IpNotAllowed),
        ),
        ("no list, unknown client", |_, c| c.client_ip = None, Ok(())),
        ("no list, any client", |_, c| c.client_ip = Some("203.0.113.9".parse().unwrap()), Ok(())),
    ]);
}

#[test]
fn amounts_must_be_in_the_keys_currency_and_state_it() {
    check_cases(&[
        ("key in XOF, amount in XOF", |k, _| k.privileges.limits = limits(Some("XOF"), None, &[]), Ok(())),
        (
            "key in EUR, amount in XOF",
            |k, _| k.privileges.limits = limits(Some("EUR"), None, &[]),
            Err(Denial::CurrencyMismatch { accepted: vec![currency("EUR")], class: None }),
        ),
        (
            "key in XOF, amount without currency",
            |k, c| (k.privileges.limits, c.amount) = (limits(Some("XOF"), None, &[]), Some(money("100", None))),
            Err(Denial::CurrencyMismatch { accepted: vec![currency("XOF")], class: None }),
        ),
        ("key without currency, amount without currency", |_, c| c.amount = Some(money("100", None)), Ok(())),
        (
            "key in EUR, no amount",
            |k, c| (k.privileges.limits, c.amount) = (limits(Some("EUR"), None, &[]), None),
            Ok(()),
        ),
    ]);
}

fn entry(code: &str, max: Option<&str>) -> (Currency, AmountLimit) {
    (currency(code), AmountLimit::new(currency(code), max.map(amount), PerWindow::default()).unwrap())
}

fn multi(entries: Vec<(Currency, AmountLimit)>, class: Option<CurrencyClass>) -> Limits {
    Limits::new(entries, class, IpAllowList::default()).unwrap()
}

#[test]
fn a_key_moves_only_its_class_and_the_currencies_it_has_entries_for() {
    fn stable(k: &mut Key) {
        k.privileges.limits = multi(vec![entry("USDT", Some("5")), entry("BTC", None)], None);
    }
    fn fiat_only(k: &mut Key) {
        k.privileges.limits = multi(vec![], Some(CurrencyClass::Fiat));
    }
    fn in_usdt(c: &mut RequestContext, value: &str) {
        c.amount = Some(money(value, Some("USDT")));
    }
    check_cases(&[
        ("USDT with 6 decimals", |k, c| (stable(k), in_usdt(c, "4.123456")).1, Ok(())),
        (
            "USDT with 7 decimals",
            |k, c| (stable(k), in_usdt(c, "4.1234567")).1,
            Err(Denial::AmountPrecision { currency: currency("USDT"), scale: 6 }),
        ),
        (
            "USDT over its own maximum",
            |k, c| (stable(k), in_usdt(c, "5.000001")).1,
            Err(Denial::AmountOverLimit { max_amount: amount("5") }),
        ),
        ("BTC with 8 decimals", |k, c| (stable(k), c.amount = Some(money("0.00000001", Some("BTC")))).1, Ok(())),
        (
            "BTC with 9 decimals",
            |k, c| (stable(k), c.amount = Some(money("0.000000001", Some("BTC")))).1,
            Err(Denial::AmountPrecision { currency: currency("BTC"), scale: 8 }),
        ),
        (
            "a currency the key has no entry for",
            |k, _| stable(k),
            Err(Denial::CurrencyMismatch { accepted: vec![currency("BTC"), currency("USDT")], class: None }),
        ),
        (
            "1.001 USD",
            |_, c| c.amount = Some(money("1.001", Some("USD"))),
            Err(Denial::AmountPrecision { currency: currency("USD"), scale: 2 }),
        ),
        ("a fiat-only key moves XOF", |k, _| fiat_only(k), Ok(())),
        (
            "a fiat-only key refuses a crypto currency",
            |k, c| (fiat_only(k), in_usdt(c, "1")).1,
            Err(Denial::CurrencyMismatch { accepted: vec![], class: Some(CurrencyClass::Fiat) }),
        ),
        (
            "a fiat-only key refuses an amount without currency",
            |k, c| (fiat_only(k), c.amount = Some(money("1", None))).1,
            Err(Denial::CurrencyMismatch { accepted: vec![], class: Some(CurrencyClass::Fiat) }),
        ),
    ]);
}

#[test]
fn the_tenant_table_decides_what_a_currency_is() {
    let (key, mut ctx) = (active_key(), request());
    ctx.amount = Some(money("1.5", Some("MATIC")));
    let builtin = CurrencyTable::builtin();
    let unknown = Err(Denial::UnknownCurrency { currency: currency("MATIC") });
    assert_eq!(evaluate(&key, &ctx, now(), &builtin), unknown, "MATIC is not built in");
    let with_matic = builtin.with(currency("MATIC"), CurrencySpec::new(CurrencyClass::Crypto, 18).unwrap());
    assert_eq!(evaluate(&key, &ctx, now(), &with_matic), Ok(()), "a tenant's own entry");
    ctx.amount = Some(money("7.5", Some("XOF")));
    let xof_cents = builtin.with(currency("XOF"), CurrencySpec::new(CurrencyClass::Fiat, 2).unwrap());
    assert_eq!(evaluate(&key, &ctx, now(), &xof_cents), Ok(()), "a tenant's scale replaces the built-in");
    let precision = Err(Denial::AmountPrecision { currency: currency("XOF"), scale: 0 });
    assert_eq!(evaluate(&key, &ctx, now(), &builtin), precision, "7.50 XOF has cents");
    ctx.amount = Some(money("7.00", Some("XOF")));
    assert_eq!(evaluate(&key, &ctx, now(), &builtin), Ok(()), "trailing zeros do not count");
}

#[test]
fn amounts_over_the_keys_maximum_are_refused() {
    check_cases(&[
        ("exactly the maximum", |k, _| k.privileges.limits = limits(Some("XOF"), Some("100"), &[]), Ok(())),
        (
            "a hundredth over the maximum",
            |k, _| k.privileges.limits = limits(Some("XOF"), Some("99.99"), &[]),
            Err(Denial::AmountOverLimit { max_amount: amount("99.99") }),
        ),
        ("under the maximum", |k, _| k.privileges.limits = limits(Some("XOF"), Some("250.50"), &[]), Ok(())),
        ("no amount", |k, c| (k.privileges.limits, c.amount) = (limits(Some("XOF"), Some("1"), &[]), None), Ok(())),
    ]);
}

#[test]
fn rules_are_checked_in_the_documented_order() {
    let states = [
        (KeyState::PendingApproval, DenialCode::PendingApproval),
        (KeyState::Rejected, DenialCode::Rejected),
        (KeyState::Revoked, DenialCode::Revoked),
        (KeyState::Suspended, DenialCode::Suspended),
    ];
    for (state, state_code) in states {
        // Arrange: break every rule at once, then list the fixes in the documented order.
        let (mut key, mut ctx) = (active_key(), request());
        key.state = state;
        key.expiry = Expiry::At(now());
        key.privileges.limits = limits(Some("XOF"), Some("50"), &["192.168.0.0/16"]);
        ctx.tenant = Some(tenant("globex"));
        ctx.account_id = Some(account("shop-2"));
        ctx.environment = Some(Environment::Test);
        ctx.required_scopes.push(scope("payouts:approve"));
        ctx.amount = Some(money("100.5", Some("ZZZ")));
        let fixes: [fn(&mut Key, &mut RequestContext); 11] = [
            |k, _| k.state = KeyState::Active,
            |k, _| k.expiry = Expiry::Never,
            |_, c| c.tenant = None,
            |_, c| c.account_id = None,
            |_, c| c.environment = None,
            |_, c| c.required_scopes.clear(),
            |_, c| c.client_ip = Some("192.168.4.2".parse().unwrap()),
            |_, c| c.amount = Some(money("100.5", Some("XOF"))),
            |_, c| c.amount = Some(money("100", Some("EUR"))),
            |_, c| c.amount = Some(money("100", Some("XOF"))),
            |_, c| c.amount = Some(money("50", Some("XOF"))),
        ];
        // Act: one denial per fix, until the request is allowed.
        let mut seen = Vec::new();
        for fix in fixes {
            seen.push(evaluate(&key, &ctx, now(), &CurrencyTable::builtin()).map_err(|d| d.code()));
            fix(&mut key, &mut ctx);
        }
        seen.push(evaluate(&key, &ctx, now(), &CurrencyTable::builtin()).map_err(|d| d.code()));
        // Assert: the documented order, minus the codes the verifier produces and the other two states.
        let verifier = [
            DenialCode::Malformed,
            DenialCode::NotFound,
            DenialCode::SignatureRequired,
            DenialCode::SignatureIncomplete,
            DenialCode::StaleSignature,
            DenialCode::DigestMismatch,
            DenialCode::BadSignature,
            DenialCode::Replayed,
            DenialCode::DailyVolumeExceeded,
            DenialCode::WeeklyVolumeExceeded,
            DenialCode::MonthlyVolumeExceeded,
            DenialCode::RateLimited,
        ];
        let other_states = states.map(|(_, code)| code).into_iter().filter(|code| *code != state_code);
        let skipped: Vec<DenialCode> = verifier.into_iter().chain(other_states).collect();
        let mut expected: Vec<_> = check_order().into_iter().filter(|c| !skipped.contains(c)).map(Err).collect();
        expected.push(Ok(()));
        assert_eq!(seen, expected, "starting from a {state:?} key, denials follow check_order");
    }
}

#[test]
fn the_check_order_lists_every_code_once_from_the_verifier_s_first_to_its_last() {
    let order = check_order();
    let mut sorted: Vec<&str> = order.iter().map(|c| c.as_str()).collect();
    let mut all: Vec<&str> = DenialCode::ALL.iter().map(|c| c.as_str()).collect();
    sorted.sort_unstable();
    all.sort_unstable();
    assert_eq!(sorted, all, "check_order is a permutation of ALL");
    assert_eq!(order[..2], [DenialCode::Malformed, DenialCode::NotFound], "parsing and look-up come first");
    let volumes =
        [DenialCode::DailyVolumeExceeded, DenialCode::WeeklyVolumeExceeded, DenialCode::MonthlyVolumeExceeded];
    assert_eq!(order[order.len() - 4..order.len() - 1], volumes, "volumes come next, shortest window first");
    assert_eq!(order.last(), Some(&DenialCode::RateLimited), "a rate limit last: only what passed all else counts");
}
