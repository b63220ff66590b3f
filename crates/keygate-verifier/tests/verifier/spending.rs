//! Money: what a verification spends of a key's daily volume, what it reports as left, `charge` for
//! amounts learnt after authentication, and `release` when the operation then fails.

use chrono::{Duration, TimeZone, Utc};
use keygate_domain::KeyState;
use keygate_verifier::{Denial, RequestContext, Verified, VerifyError};
use rust_decimal::Decimal;

use crate::support::{acme, ip, limits, money, within, Harness, KeySpec, Stores};

fn dec(text: &str) -> Decimal {
    text.parse().unwrap()
}

fn paying(amount: &str) -> RequestContext {
    RequestContext { amount: Some(money(amount, Some("XOF"))), ..acme() }
}

/// What a verification reports about money: what remains today and what it spent.
fn money_view(outcome: &Result<Verified, VerifyError>) -> Result<(Option<Decimal>, Option<Decimal>), VerifyError> {
    outcome.clone().map(|v| (v.remaining_daily_volume, v.spent.map(|m| m.amount.value())))
}

pub async fn a_key_awaiting_revocation_keeps_working_until_the_checker_approves(stores: Stores) {
    let h = Harness::start(stores.first).await;
    let key = h.issue(KeySpec::active("leaving").state(KeyState::RevocationPending)).await;
    let got = h.verify(&key.token, &acme()).await.map(|v| v.key_id);
    assert_eq!(got, Ok(key.key.id), "a key whose revocation waits for a checker still verifies");
    h.apply(&key.key, keygate_domain::Event::ApproveRevocation, &crate::support::checker()).await;
    let refused = within(std::time::Duration::from_secs(1), || async {
        h.verify(&key.token, &acme()).await.map(|_| ()) == Err(VerifyError::Denied(Denial::Revoked))
    })
    .await;
    assert!(refused.is_some(), "and stops once the checker approves");
}

pub async fn a_spend_reports_what_remains_today_and_release_gives_it_back(stores: Stores) {
    let h = Harness::start(stores.first).await;
    let till = h.issue(KeySpec::active("till").limits(limits(Some("XOF"), None, Some("1000.00"), &[]))).await;
    let unbounded = h.issue(KeySpec::active("unbounded").limits(limits(Some("XOF"), None, None, &[]))).await;

    let first = h.verify(&till.token, &paying("250.00")).await;
    assert_eq!(money_view(&first), Ok((Some(dec("750.00")), Some(dec("250.00")))), "250 spent, 750 left");
    let second = h.verify(&till.token, &paying("700")).await;
    assert_eq!(money_view(&second), Ok((Some(dec("50.00")), Some(dec("700")))), "700 more, 50 left");

    h.verifier.release(&second.unwrap()).await.unwrap();
    let third = h.verify(&till.token, &paying("750")).await;
    assert_eq!(money_view(&third), Ok((Some(dec("0.00")), Some(dec("750")))), "the 700 given back can be spent again");

    let no_money = h.verify(&till.token, &acme()).await;
    assert_eq!(money_view(&no_money), Ok((None, None)), "a request moving no money spends nothing");
    h.verifier.release(&no_money.unwrap()).await.unwrap();
    let spent = h.store.usage(&till.key.tenant, till.key.id, 1).await.unwrap().days[0].spent;
    assert_eq!(spent, dec("1000.00"), "releasing a verification that spent nothing gives nothing back");

    let free = h.verify(&unbounded.token, &paying("999999")).await;
    assert_eq!(
        money_view(&free),
        Ok((None, Some(dec("999999")))),
        "a key without a daily volume reports no remainder, and its spend is still recorded (releasable)"
    );
    assert!(free.unwrap().spend.is_some(), "with a spend id");
}

pub async fn charge_holds_an_already_verified_key_to_its_limits(stores: Stores) {
    let h = Harness::start(stores.first).await;
    let key = h.issue(KeySpec::active("pos").limits(limits(Some("XOF"), Some("500"), Some("1000"), &[]))).await;
    let verified = h.verify(&key.token, &acme()).await.unwrap();
    let cases = [
        (money("400", Some("XOF")), Ok((Some(dec("600")), Some(dec("400")))), "within every limit"),
        (
            money("501", Some("XOF")),
            Err(VerifyError::Denied(Denial::AmountOverLimit { max_amount: "500".parse().unwrap() })),
            "over the per-operation maximum",
        ),
        (
            money("10", Some("EUR")),
            Err(VerifyError::Denied(Denial::CurrencyMismatch { accepted: vec!["XOF".parse().unwrap()], class: None })),
            "in another currency",
        ),
        (money("500", Some("XOF")), Ok((Some(dec("100")), Some(dec("500")))), "the maximum again"),
        (money("200", Some("XOF")), Err(VerifyError::Denied(h.daily_exceeded(dec("100")))), "past the daily volume"),
    ];
    let mut last = None;
    for (amount, expected, why) in cases {
        let charged = h.verifier.charge(&verified, amount).await;
        assert_eq!(money_view(&charged), expected, "{why}");
        last = charged.ok().or(last);
    }
    h.verifier.release(&last.unwrap()).await.unwrap();
    let again = h.verifier.charge(&verified, money("600", Some("XOF"))).await;
    assert_eq!(
        money_view(&again),
        Err(VerifyError::Denied(Denial::AmountOverLimit { max_amount: "500".parse().unwrap() })),
        "the maximum still holds after a release"
    );
    let again = h.verifier.charge(&verified, money("500", Some("XOF"))).await;
    assert_eq!(money_view(&again), Ok((Some(dec("100")), Some(dec("500")))), "the released 500 is available again");
}

/// A service authenticates from the headers (with the client address) and charges once it has read
/// the body: a key restricted to the caller's network must be able to pay.
pub async fn charging_a_key_restricted_to_networks_works_for_the_request_it_verified(stores: Stores) {
    let h = Harness::start(stores.first).await;
    let key =
        h.issue(KeySpec::active("fixed-ip").limits(limits(Some("XOF"), None, Some("1000"), &["10.0.0.0/8"]))).await;
    let ctx = RequestContext { client_ip: Some(ip("10.1.2.3")), ..acme() };
    let verified = h.verify(&key.token, &ctx).await;
    assert!(verified.is_ok(), "the request from an allowed address verifies: {verified:?}");
    let charged = h.verifier.charge(&verified.unwrap(), money("100", Some("XOF"))).await;
    assert_eq!(money_view(&charged), Ok((Some(dec("900")), Some(dec("100")))), "and its amount can be charged");
}

/// An operation that starts before midnight and fails after it must give back the day it spent on.
pub async fn a_release_after_midnight_gives_back_the_day_the_amount_was_spent_on(stores: Stores) {
    let h = Harness::start(stores.first).await;
    let key = h.issue(KeySpec::active("night").limits(limits(Some("XOF"), None, Some("1000"), &[]))).await;
    h.clock.set(Utc.with_ymd_and_hms(2026, 11, 23, 23, 59, 59).unwrap());
    let spent = h.verify(&key.token, &paying("1000")).await.unwrap();
    h.advance(Duration::seconds(2));
    h.verifier.release(&spent).await.unwrap();
    let usage = h.store.usage(&key.key.tenant, key.key.id, 7).await.unwrap();
    let day = Utc.with_ymd_and_hms(2026, 11, 23, 0, 0, 0).unwrap().date_naive();
    let spent_that_day = usage.days.iter().find(|d| d.day == day).map_or(Decimal::ZERO, |d| d.spent);
    assert_eq!(spent_that_day, Decimal::ZERO, "the 1000 spent at 23:59:59 is given back to 23 November");
}
