//! Every reason `verify` refuses a request for, each with the code a service answers with, and the
//! order in which a key breaking several rules is told about them.

use chrono::Duration;
use keygate_credential::{Token, TokenPrefix};
use keygate_domain::{AccountId, Amount, AmountLimit, Currency, Environment, IpAllowList, KeyState, Limits, PerWindow};
use keygate_policy::check_order;
use keygate_verifier::{Denial, DenialCode, RequestContext, VerifyError};
use rust_decimal::Decimal;

use crate::support::{acme, ip, limits, money, scopes, tenant_id, Harness, KeySpec, Stores};

async fn check(h: &Harness, token: &str, ctx: &RequestContext, expected: Result<(), Denial>, why: &str) {
    let got = h.verify(token, ctx).await.map(|_| ());
    assert_eq!(got, expected.map_err(VerifyError::Denied), "{why}");
}

fn with_last_char_changed(token: &str) -> String {
    let mut chars: Vec<char> = token.chars().collect();
    let last = chars.len() - 1;
    chars[last] = if chars[last] == 'A' { 'B' } else { 'A' };
    chars.into_iter().collect()
}

fn dec(text: &str) -> Decimal {
    text.parse().unwrap()
}

pub async fn a_token_that_does_not_parse_is_malformed(stores: Stores) {
    let h = Harness::start(stores.first).await;
    let key = h.issue(KeySpec::active("pos")).await;
    let other_brand = |prefix: &str| {
        Token::generate(Environment::Live).to_plain(&TokenPrefix::parse(prefix).unwrap()).expose().to_owned()
    };
    let mut secret_typo = key.token.clone().into_bytes();
    let middle = secret_typo.len() / 2;
    secret_typo[middle] = if secret_typo[middle] == b'a' { b'b' } else { b'a' };
    let cases = [
        (with_last_char_changed(&key.token), "a typo in the checksum"),
        (String::from_utf8(secret_typo).unwrap(), "a typo in the secret, caught by the checksum"),
        (key.token[..key.token.len() - 1].to_owned(), "a truncated paste"),
        (format!("{} ", key.token), "a trailing space"),
        (other_brand("xy"), "another installation's prefix of the same length"),
        (other_brand("uwk"), "another installation's longer prefix"),
        (key.token.replacen("_live_", "_LIVE_", 1), "an environment that is not test or live"),
        (String::new(), "nothing at all"),
        ("\u{0}\u{1}garbage".to_owned(), "binary garbage"),
    ];
    for (token, why) in cases {
        check(&h, &token, &acme(), Err(Denial::Malformed), why).await;
    }
    check(&h, &key.token, &acme(), Ok(()), "the intact token verifies").await;
}

pub async fn an_unknown_key_and_a_wrong_secret_are_both_not_found(stores: Stores) {
    let h = Harness::start(stores.first).await;
    let key = h.issue(KeySpec::active("pos")).await;
    let unknown = Token::generate(Environment::Live).to_plain(h.verifier.prefix()).expose().to_owned();
    check(&h, &unknown, &acme(), Err(Denial::NotFound), "a well-formed token of no key").await;
    check(&h, &key.with_wrong_secret(&h.verifier), &acme(), Err(Denial::NotFound), "a known id, a wrong secret").await;
    check(&h, &key.token, &acme(), Ok(()), "the right secret still verifies after the failures").await;
}

pub async fn a_key_waiting_for_approval_is_refused(stores: Stores) {
    let h = Harness::start(stores.first).await;
    let key = h.issue(KeySpec::active("pending").state(KeyState::PendingApproval)).await;
    check(&h, &key.token, &acme(), Err(Denial::PendingApproval), "a key no checker approved yet").await;
    check(
        &h,
        &key.with_wrong_secret(&h.verifier),
        &acme(),
        Err(Denial::NotFound),
        "its state is not told to a guesser",
    )
    .await;
}

pub async fn a_rejected_key_is_refused(stores: Stores) {
    let h = Harness::start(stores.first).await;
    let key = h.issue(KeySpec::active("rejected").state(KeyState::Rejected)).await;
    check(&h, &key.token, &acme(), Err(Denial::Rejected), "a key the checker rejected").await;
}

pub async fn a_revoked_key_is_refused(stores: Stores) {
    let h = Harness::start(stores.first).await;
    let key = h.issue(KeySpec::active("revoked").state(KeyState::Revoked)).await;
    check(&h, &key.token, &acme(), Err(Denial::Revoked), "a revoked key").await;
}

pub async fn a_key_is_refused_from_its_expiry_instant_on(stores: Stores) {
    let h = Harness::start(stores.first).await;
    let key = h.issue(KeySpec::active("short-lived").expires_in_days(1)).await;
    h.advance(Duration::days(1) - Duration::seconds(1));
    check(&h, &key.token, &acme(), Ok(()), "one second before its expiry").await;
    h.advance(Duration::seconds(1));
    check(&h, &key.token, &acme(), Err(Denial::Expired), "at its expiry instant").await;
    h.advance(Duration::days(400));
    check(&h, &key.token, &acme(), Err(Denial::Expired), "long after").await;
}

pub async fn a_key_used_on_another_tenant_is_refused(stores: Stores) {
    let h = Harness::start(stores.first).await;
    let acme_key = h.issue(KeySpec::active("acme-pos")).await;
    let globex_key = h.issue(KeySpec::active("globex-pos").tenant("globex")).await;
    let on = |tenant: Option<&str>| RequestContext { tenant: tenant.map(tenant_id), ..RequestContext::default() };
    let cases = [
        (&acme_key, on(Some("globex")), Err(Denial::WrongTenant), "acme's key on globex's distributor"),
        (&globex_key, on(Some("acme")), Err(Denial::WrongTenant), "globex's key on acme's distributor"),
        (&acme_key, on(Some("acme")), Ok(()), "acme's key on its own distributor"),
        (&acme_key, on(None), Ok(()), "a route that names no tenant"),
    ];
    for (key, ctx, expected, why) in cases {
        check(&h, &key.token, &ctx, expected, why).await;
    }
}

pub async fn a_key_bound_to_an_account_is_refused_for_another_and_a_tenant_key_for_none(stores: Stores) {
    let h = Harness::start(stores.first).await;
    let shop = h.issue(KeySpec::active("shop-1-till").account("shop-1")).await;
    let whole = h.issue(KeySpec::active("head-office")).await;
    let on =
        |account: Option<&str>| RequestContext { account_id: account.map(|a| AccountId::parse(a).unwrap()), ..acme() };
    let cases = [
        (&shop, on(Some("shop-2")), Err(Denial::WrongAccount), "shop-1's key on shop-2"),
        (&shop, on(Some("Shop-1")), Err(Denial::WrongAccount), "another spelling is another account"),
        (&shop, on(Some("shop-1")), Ok(()), "shop-1's key on its own account"),
        (&shop, on(None), Ok(()), "a route that names no account"),
        (&whole, on(Some("shop-2")), Ok(()), "a key of the whole tenant on any account"),
    ];
    for (key, ctx, expected, why) in cases {
        check(&h, &key.token, &ctx, expected, why).await;
    }
    let verified = h.verify(&shop.token, &on(Some("shop-1"))).await.unwrap();
    assert_eq!(verified.account, AccountId::parse("shop-1").ok(), "the verdict names the key's account");
    assert_eq!(h.verify(&whole.token, &on(None)).await.unwrap().account, None, "and none for a tenant key");
}

pub async fn a_key_used_in_another_environment_is_refused(stores: Stores) {
    let h = Harness::start(stores.first).await;
    let live = h.issue(KeySpec::active("live-key")).await;
    let test = h.issue(KeySpec::active("test-key").environment(Environment::Test)).await;
    let running = |environment: Option<Environment>| RequestContext { environment, ..acme() };
    let cases = [
        (&live, running(Some(Environment::Test)), Err(Denial::WrongEnvironment), "a live key on the sandbox"),
        (&test, running(Some(Environment::Live)), Err(Denial::WrongEnvironment), "a test key in production"),
        (&live, running(Some(Environment::Live)), Ok(()), "a live key in production"),
        (&test, running(Some(Environment::Test)), Ok(()), "a test key on the sandbox"),
        (&live, running(None), Ok(()), "a service that does not say"),
    ];
    for (key, ctx, expected, why) in cases {
        check(&h, &key.token, &ctx, expected, why).await;
    }
    let relabelled = test.token.replacen("_test_", "_live_", 1);
    check(&h, &relabelled, &acme(), Err(Denial::Malformed), "editing the environment in the text breaks the checksum")
        .await;
}

pub async fn a_key_lacking_scopes_is_told_every_missing_one(stores: Stores) {
    let h = Harness::start(stores.first).await;
    let key = h.issue(KeySpec::active("balance-only").scopes(&["balance:read", "operations:*"])).await;
    let needing = |required: &[&str]| RequestContext { required_scopes: scopes(required), ..acme() };
    let missing = |texts: &[&str]| Err(Denial::InsufficientScope { missing: scopes(texts) });
    let cases = [
        (needing(&["balance:read"]), Ok(()), "the scope it holds"),
        (needing(&["operations:write", "operations:approve"]), Ok(()), "a wildcard action covers every action"),
        (needing(&["balance:write"]), missing(&["balance:write"]), "read does not grant write"),
        (
            needing(&["transactions:read", "balance:read", "payouts:write"]),
            missing(&["transactions:read", "payouts:write"]),
            "every missing scope, in the order required",
        ),
    ];
    for (ctx, expected, why) in cases {
        check(&h, &key.token, &ctx, expected, why).await;
    }
}

pub async fn a_key_used_from_outside_its_networks_is_refused(stores: Stores) {
    let h = Harness::start(stores.first).await;
    let key =
        h.issue(KeySpec::active("fixed-ip").limits(limits(None, None, None, &["10.0.0.0/8", "192.168.1.100"]))).await;
    let from = |address: Option<&str>| RequestContext { client_ip: address.map(ip), ..acme() };
    let cases = [
        (from(Some("10.20.30.40")), Ok(()), "inside the allowed network"),
        (from(Some("192.168.1.100")), Ok(()), "the allowed address"),
        (from(Some("::ffff:10.0.0.1")), Ok(()), "an IPv4-mapped IPv6 address counts as IPv4"),
        (from(Some("192.168.1.101")), Err(Denial::IpNotAllowed), "the neighbour of the allowed address"),
        (from(Some("2001:db8::1")), Err(Denial::IpNotAllowed), "an IPv6 client"),
        (from(None), Err(Denial::IpNotAllowed), "an unknown address fails closed"),
    ];
    for (ctx, expected, why) in cases {
        check(&h, &key.token, &ctx, expected, why).await;
    }
}

pub async fn an_amount_over_the_key_maximum_is_refused(stores: Stores) {
    let h = Harness::start(stores.first).await;
    let key = h.issue(KeySpec::active("capped").limits(limits(Some("XOF"), Some("100000"), None, &[]))).await;
    let paying = |amount: &str| RequestContext { amount: Some(money(amount, Some("XOF"))), ..acme() };
    let over = Err(Denial::AmountOverLimit { max_amount: Amount::parse("100000").unwrap() });
    let cases = [
        (paying("250.00"), Ok(()), "a small amount"),
        (paying("100000.00"), Ok(()), "exactly the maximum"),
        (paying("100001"), over.clone(), "one franc over"),
        (paying("5000000"), over, "far over"),
    ];
    for (ctx, expected, why) in cases {
        check(&h, &key.token, &ctx, expected, why).await;
    }
}

pub async fn an_amount_in_another_currency_is_refused(stores: Stores) {
    let h = Harness::start(stores.first).await;
    let key = h.issue(KeySpec::active("xof-only").limits(limits(Some("XOF"), Some("1000"), None, &[]))).await;
    let paying = |currency: Option<&str>| RequestContext { amount: Some(money("10", currency)), ..acme() };
    let mismatch = Err(Denial::CurrencyMismatch { accepted: vec![Currency::parse("XOF").unwrap()], class: None });
    let cases = [
        (paying(Some("XOF")), Ok(()), "the key's currency"),
        (paying(Some("EUR")), mismatch.clone(), "another currency"),
        (paying(None), mismatch, "an amount that names no currency"),
    ];
    for (ctx, expected, why) in cases {
        check(&h, &key.token, &ctx, expected, why).await;
    }
}

pub async fn a_spend_past_the_daily_volume_is_refused_with_what_remains(stores: Stores) {
    let h = Harness::start(stores.first).await;
    let key = h.issue(KeySpec::active("till").limits(limits(Some("XOF"), None, Some("1000"), &[]))).await;
    let paying = |amount: &str| RequestContext { amount: Some(money(amount, Some("XOF"))), ..acme() };
    let cases = [
        ("600", Ok(()), "600 of 1000"),
        ("500", Err(h.daily_exceeded(dec("400"))), "500 with 400 left"),
        ("400", Ok(()), "exactly what is left"),
        ("1", Err(h.daily_exceeded(dec("0"))), "anything once it is used up"),
    ];
    for (amount, expected, why) in cases {
        check(&h, &key.token, &paying(amount), expected, why).await;
    }
    check(&h, &key.token, &acme(), Ok(()), "a request moving no money still verifies").await;
    h.advance(Duration::days(1));
    check(&h, &key.token, &paying("1000"), Ok(()), "the next UTC day starts over").await;
}

/// Each case breaks every rule from one position of the documented order on, and nothing before it:
/// the code reported must be the one at that position.
pub async fn a_key_breaking_several_rules_is_told_the_first_in_the_documented_order(stores: Stores) {
    let h = Harness::start(stores.first).await;
    // t0 is a Monday; the key is used from Wednesday. Every volume is 150, so 100 + 100 goes over the
    // day first, then (a day later) the week, then (the next Monday) the month.
    let xof = Currency::parse("XOF").unwrap();
    let volume = Some(Amount::parse("150").unwrap());
    let volumes = PerWindow { day: volume, week: volume, month: volume };
    let entry = AmountLimit::new(xof, Some(Amount::parse("100").unwrap()), volumes).unwrap();
    let strict = Limits::new(vec![(xof, entry)], None, IpAllowList::parse(["10.0.0.0/8"]).unwrap()).unwrap();
    let spec = |name: &str| KeySpec::active(name).scopes(&["balance:read"]).limits(strict.clone()).account("shop-1");
    let revoked = h.issue(spec("revoked").state(KeyState::Revoked).expires_in_days(1)).await;
    let expired = h.issue(spec("expired").expires_in_days(1)).await;
    let key = h.issue(spec("live")).await;
    h.advance(Duration::days(2));

    let all_broken = RequestContext {
        tenant: Some(tenant_id("globex")),
        account_id: AccountId::parse("shop-2").ok(),
        environment: Some(Environment::Test),
        required_scopes: scopes(&["operations:write"]),
        client_ip: Some(ip("192.0.2.1")),
        amount: Some(money("200.5", Some("ZZZ"))),
    };
    let tenant_ok = RequestContext { tenant: Some(tenant_id("acme")), ..all_broken.clone() };
    let account_ok = RequestContext { account_id: AccountId::parse("shop-1").ok(), ..tenant_ok.clone() };
    let environment_ok = RequestContext { environment: Some(Environment::Live), ..account_ok.clone() };
    let scope_ok = RequestContext { required_scopes: scopes(&["balance:read"]), ..environment_ok.clone() };
    let ip_ok = RequestContext { client_ip: Some(ip("10.0.0.7")), ..scope_ok.clone() };
    let known_ok = RequestContext { amount: Some(money("200.5", Some("XOF"))), ..ip_ok.clone() };
    let precision_ok = RequestContext { amount: Some(money("200", Some("EUR"))), ..known_ok.clone() };
    let currency_ok = RequestContext { amount: Some(money("200", Some("XOF"))), ..precision_ok.clone() };
    let amount_ok = RequestContext { amount: Some(money("100", Some("XOF"))), ..currency_ok.clone() };

    let cases = [
        (with_last_char_changed(&revoked.token), all_broken.clone(), "a garbled token of a revoked key"),
        (revoked.with_wrong_secret(&h.verifier), all_broken.clone(), "a wrong secret for a revoked key"),
        (revoked.token.clone(), all_broken.clone(), "a revoked, expired key"),
        (expired.token.clone(), all_broken.clone(), "an active, expired key"),
        (key.token.clone(), all_broken, "a usable key, everything else wrong"),
        (key.token.clone(), tenant_ok, "the right tenant"),
        (key.token.clone(), account_ok, "and the key's account"),
        (key.token.clone(), environment_ok, "and the right environment"),
        (key.token.clone(), scope_ok, "and the scope it holds"),
        (key.token.clone(), ip_ok, "and an allowed address"),
        (key.token.clone(), known_ok, "and a currency keygate knows"),
        (key.token.clone(), precision_ok, "and no more decimals than the currency has"),
        (key.token.clone(), currency_ok, "and its currency"),
        (key.token.clone(), amount_ok.clone(), "and an amount within the maximum, after the day's volume went"),
    ];
    h.verify(&key.token, &amount_ok).await.unwrap();
    let mut reported = Vec::new();
    for (token, ctx, why) in cases {
        let code = h.verify(&token, &ctx).await.map(|_| ()).map_err(|e| e.code());
        reported.push((code, why));
    }
    for (days, why) in [(1, "the next day, past the week's volume"), (4, "the next Monday, past the month's")] {
        h.advance(Duration::days(days));
        reported.push((h.verify(&key.token, &amount_ok).await.map(|_| ()).map_err(|e| e.code()), why));
    }
    // The state codes are one step: a key is in one state only (revoked here).
    let expected: Vec<&str> = check_order()
        .into_iter()
        .filter(|code| !matches!(code, DenialCode::PendingApproval | DenialCode::Rejected | DenialCode::Suspended))
        // A bearer key never meets the codes of signed requests; RATE_LIMITED, last, has its own tests
        // (rate.rs).
        .filter(|code| {
            !code.as_str().contains("SIGNATURE")
                && !matches!(code, DenialCode::DigestMismatch | DenialCode::Replayed | DenialCode::RateLimited)
        })
        .map(DenialCode::as_str)
        .collect();
    assert_eq!(reported.len(), expected.len(), "one case per step of the documented order");
    for ((got, why), code) in reported.into_iter().zip(expected) {
        assert_eq!(got, Err(code), "{why}");
    }
}
