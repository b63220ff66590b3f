//! Spending windows: every spend counts in its day, ISO week and month, per currency, all three or
//! none; the tightest limit refuses; a release gives back to the windows it was charged to, once; and
//! however many spends and releases race, no window goes over its limit and none deadlocks.
//!
//! `now()` is Monday 23 November 2026 (UTC), so `now() + 1 day` is in the same week and month.

use chrono::{Duration, NaiveDate};
use keygate_domain::{Currency, Key, PerWindow, Window};
use keygate_store::{NewSpend, Recorded, StoreError};
use rust_decimal::Decimal;

use super::spends::{idempotent, limits, new_spend, sent_later, spend_id, spent, spent_on};
use super::{dec, Store};
use crate::fixtures::*;

/// Spend number `n` of `amount` XOF on `key`, `days` after Monday, under the day, week and month limits.
fn spend(key: &Key, n: u32, amount: &str, days: i64, [day, week, month]: [Option<&str>; 3]) -> NewSpend {
    let spend = NewSpend { limits: limits(day, week, month), ..new_spend(key, n, amount, None) };
    sent_later(spend, Duration::days(days))
}

fn refused(window: Window, remaining: &str) -> Recorded {
    Recorded::Refused { window, remaining: dec(remaining) }
}

fn monday() -> NaiveDate {
    now().date_naive()
}

fn tuesday() -> NaiveDate {
    monday() + Duration::days(1)
}

pub async fn a_spend_counts_in_its_day_week_and_month_and_the_tightest_limit_refuses(a: Store, b: Store) {
    let t = given_tenant(&*a, "acme").await;
    let key = given_key(&*a, &t, "till", daily_limit("1000"), true).await;
    let bounds = [Some("100"), Some("150"), None];

    let (monday_spend, remaining) = spent(a.record_spend(&spend(&key, 1, "100", 0, bounds)).await.unwrap());
    let over_the_week = spend(&key, 2, "60", 1, bounds);
    let answer = b.record_spend(&over_the_week).await.unwrap();

    let november = NaiveDate::from_ymd_opt(2026, 11, 1).unwrap();
    let expected = PerWindow { day: monday(), week: monday(), month: november };
    assert_eq!(monday_spend.starts, expected, "the record keeps the windows it was charged to");
    assert_eq!(remaining, limits(Some("0"), Some("50"), None), "what remains of each window's limit");
    assert_eq!(answer, refused(Window::Week, "50"), "Tuesday's day has room; the week has 50 left");
    assert!(matches!(a.spend_record(over_the_week.id).await, Err(StoreError::NotFound)), "no record");
    assert_eq!(spent_on(&a, &key, tuesday()).await, dec("0"), "nothing in Tuesday's total");
    let (_, remaining) = spent(b.record_spend(&spend(&key, 3, "50", 1, bounds)).await.unwrap());
    assert_eq!(remaining, limits(Some("50"), Some("0"), None), "the refusal took nothing from the week");
    let both_over = spend(&key, 4, "60", 2, [Some("40"), Some("150"), Some("10")]);
    let answer = a.record_spend(&both_over).await.unwrap();
    assert_eq!(answer, refused(Window::Day, "40"), "of several windows over their limits, the shortest is named");
    let month_over = spend(&key, 5, "1", 2, [None, None, Some("150")]);
    assert_eq!(a.record_spend(&month_over).await.unwrap(), refused(Window::Month, "0"), "the month counted all");
}

pub async fn a_limit_set_mid_week_sees_what_was_spent_earlier_that_week(a: Store, b: Store) {
    let t = given_tenant(&*a, "acme").await;
    let key = given_key(&*a, &t, "till", daily_limit("1000"), true).await;

    let (_, remaining) = spent(a.record_spend(&spend(&key, 1, "80", 0, [None, None, None])).await.unwrap());
    let answer = b.record_spend(&spend(&key, 2, "30", 1, [None, Some("100"), None])).await.unwrap();

    assert_eq!(remaining, PerWindow::default(), "no limit: the amount is only counted");
    assert_eq!(answer, refused(Window::Week, "20"), "Monday's unlimited spend counts against Tuesday's week limit");
    let (_, remaining) = spent(b.record_spend(&spend(&key, 3, "20", 1, [None, None, Some("100")])).await.unwrap());
    assert_eq!(remaining.month, Some(dec("0")), "and against the month's");
}

pub async fn a_refusal_in_one_window_leaves_every_windows_total_unchanged(a: Store, b: Store) {
    let t = given_tenant(&*a, "acme").await;
    let key = given_key(&*a, &t, "till", daily_limit("1000"), true).await;
    let hundred = [Some("100"), Some("100"), Some("100")];
    spent(a.record_spend(&spend(&key, 1, "40", 0, hundred)).await.unwrap());

    // The day and the week have room and come first; only the month refuses.
    let month_refuses = idempotent(spend(&key, 2, "50", 0, [Some("100"), Some("100"), Some("80")]), "order-1", 1);
    let answer = b.record_spend(&month_refuses).await.unwrap();
    let day_refuses = spend(&key, 3, "50", 0, [Some("80"), Some("100"), Some("100")]);
    let other_answer = b.record_spend(&day_refuses).await.unwrap();

    assert_eq!(answer, refused(Window::Month, "40"), "the month has 40 left");
    assert_eq!(other_answer, refused(Window::Day, "40"), "the day has 40 left");
    assert_eq!(spent_on(&a, &key, monday()).await, dec("40"), "the day's total is unchanged");
    let retry = idempotent(spend(&key, 4, "60", 0, hundred), "order-1", 2);
    let (_, remaining) = spent(a.record_spend(&retry).await.unwrap());
    assert_eq!(remaining, limits(Some("0"), Some("0"), Some("0")), "all three held 40: nothing was charged, no claim");
}

pub async fn currencies_are_counted_separately(a: Store, b: Store) {
    let t = given_tenant(&*a, "acme").await;
    let key = given_key(&*a, &t, "till", daily_limit("1000"), true).await;
    let usd = Some(Currency::parse("USD").unwrap());
    let xof = Some(Currency::parse("XOF").unwrap());
    let bounds = [Some("100"), Some("100"), Some("100")];
    let in_currency = |n, amount, currency| NewSpend { currency, ..spend(&key, n, amount, 0, bounds) };

    spent(a.record_spend(&in_currency(1, "90", xof)).await.unwrap());
    let (dollars, remaining) = spent(b.record_spend(&in_currency(2, "90", usd)).await.unwrap());
    let unlimited = NewSpend { currency: None, ..spend(&key, 3, "500", 0, [None, None, None]) };
    spent(a.record_spend(&unlimited).await.unwrap());
    let too_much = b.record_spend(&in_currency(4, "20", xof)).await.unwrap();

    assert_eq!(remaining, limits(Some("10"), Some("10"), Some("10")), "dollars count apart from francs");
    assert_eq!(too_much, refused(Window::Day, "10"), "francs count apart from dollars");
    let usage = a.usage(&t.id, key.id, 1).await.unwrap();
    let day = &usage.days[0];
    assert_eq!(day.spent_by_currency, [(None, dec("500")), (usd, dec("90")), (xof, dec("90"))], "per currency");
    assert_eq!(day.spent, dec("680"), "and all added up");
    b.release_spend(dollars.id).await.unwrap();
    let (_, remaining) = spent(a.record_spend(&in_currency(5, "100", usd)).await.unwrap());
    assert_eq!(remaining, limits(Some("0"), Some("0"), Some("0")), "a release gives back to its own currency");
    assert_eq!(b.record_spend(&in_currency(6, "20", xof)).await.unwrap(), refused(Window::Day, "10"), "only");
}

pub async fn a_release_gives_back_to_all_three_windows_once(a: Store, b: Store) {
    let t = given_tenant(&*a, "acme").await;
    let key = given_key(&*a, &t, "till", daily_limit("1000"), true).await;
    let hundred = [Some("100"), Some("100"), Some("100")];
    let (first, _) = spent(a.record_spend(&spend(&key, 1, "100", 0, hundred)).await.unwrap());

    let (_, released) = b.release_spend(first.id).await.unwrap();
    let (_, remaining) = spent(a.record_spend(&spend(&key, 2, "100", 0, hundred)).await.unwrap());
    let (_, again) = a.release_spend(first.id).await.unwrap();

    assert!(released, "released");
    assert_eq!(remaining, limits(Some("0"), Some("0"), Some("0")), "the day, week and month were all given 100");
    assert!(!again, "a second release does nothing");
    let cases = [
        (3, 0, [Some("100"), None, None], Window::Day),
        (4, 1, [None, Some("100"), None], Window::Week),
        (5, 1, [None, None, Some("100")], Window::Month),
    ];
    for (n, days, bounds, window) in cases {
        let answer = b.record_spend(&spend(&key, n, "1", days, bounds)).await.unwrap();
        assert_eq!(answer, refused(window, "0"), "the {window} was given back once only");
    }
}

pub async fn a_release_after_its_day_closed_leaves_the_new_day_alone_and_gives_back_to_its_week(a: Store, b: Store) {
    let t = given_tenant(&*a, "acme").await;
    let key = given_key(&*a, &t, "till", daily_limit("1000"), true).await;
    let bounds = [Some("100"), Some("50"), None];
    let (mondays, _) = spent(a.record_spend(&spend(&key, 1, "30", 0, bounds)).await.unwrap());
    let (_, remaining) = spent(b.record_spend(&spend(&key, 2, "20", 1, bounds)).await.unwrap());
    assert_eq!(remaining.week, Some(dec("0")), "the week is full");

    let (_, released) = b.release_spend(mondays.id).await.unwrap();

    assert!(released, "released on Tuesday");
    assert_eq!(spent_on(&a, &key, monday()).await, dec("0"), "Monday's total gives the amount back");
    assert_eq!(spent_on(&a, &key, tuesday()).await, dec("20"), "Tuesday's is untouched");
    let (_, remaining) = spent(a.record_spend(&spend(&key, 3, "30", 1, bounds)).await.unwrap());
    assert_eq!(remaining, limits(Some("50"), Some("0"), None), "the week, still running, was given 30 back");
}

pub async fn windows_that_are_not_those_of_one_instant_are_refused_and_record_nothing(a: Store, b: Store) {
    let t = given_tenant(&*a, "acme").await;
    let key = given_key(&*a, &t, "till", daily_limit("1000"), true).await;
    let good = spend(&key, 1, "10", 0, [Some("10"), Some("10"), Some("10")]);
    let october = NaiveDate::from_ymd_opt(2026, 10, 1).unwrap();
    let cases = [
        (2, "the next week's Monday", PerWindow { week: monday() + Duration::days(7), ..good.starts }),
        (3, "a week starting on a Tuesday", PerWindow { week: tuesday(), ..good.starts }),
        (4, "the month before", PerWindow { month: october, ..good.starts }),
        (5, "a month starting on the 23rd", PerWindow { month: monday(), ..good.starts }),
    ];

    for (n, what, starts) in cases {
        let wrong = NewSpend { id: spend_id(n), starts, ..good.clone() };
        let answer = b.record_spend(&wrong).await;
        assert!(matches!(answer, Err(StoreError::Corrupt(_))), "{what}: a caller's bug, refused: {answer:?}");
        assert!(matches!(a.spend_record(wrong.id).await, Err(StoreError::NotFound)), "{what}: no record");
    }

    let (_, remaining) = spent(a.record_spend(&good).await.unwrap());
    assert_eq!(remaining, limits(Some("0"), Some("0"), Some("0")), "no window was charged by the refused ones");
    let next_week = b.record_spend(&spend(&key, 6, "10", 7, [None, Some("10"), None])).await.unwrap();
    assert_eq!(spent(next_week).1.week, Some(dec("0")), "not even the next week's");
}

/// Counts what `tasks` answered: how many spent, and every refusal (each must be one of `allowed`).
async fn tally(tasks: Vec<tokio::task::JoinHandle<Result<Recorded, StoreError>>>, allowed: &[Recorded]) -> usize {
    let mut succeeded = 0;
    for task in tasks {
        match task.await.unwrap().unwrap() {
            Recorded::Spent { .. } => succeeded += 1,
            other => assert!(allowed.contains(&other), "unexpected {other:?}"),
        }
    }
    succeeded
}

pub async fn concurrent_spends_against_a_weekly_limit_give_exactly_as_many_as_it_allows(a: Store, b: Store) {
    let t = given_tenant(&*a, "acme").await;
    let key = given_key(&*a, &t, "till", daily_limit("1000"), true).await;
    let bounds = [Some("1000"), Some("50"), Some("1000")];

    // 200 spends of 1 at once, from both handles, half on Monday and half on Tuesday: they share the
    // week and the month but not the day. Every third one carries an idempotency key of its own.
    let tasks: Vec<_> = (0..200u32)
        .map(|n| {
            let store = if n % 2 == 0 { a.clone() } else { b.clone() };
            let request = spend(&key, n, "1", i64::from(n % 4 / 2), bounds);
            let request = if n % 3 == 0 { idempotent(request, &format!("order-{n}"), 1) } else { request };
            tokio::spawn(async move { store.record_spend(&request).await })
        })
        .collect();
    let succeeded = tally(tasks, &[refused(Window::Week, "0")]).await;

    assert_eq!(succeeded, 50, "exactly the weekly limit's worth of spends succeed");
    let days = spent_on(&a, &key, monday()).await + spent_on(&a, &key, tuesday()).await;
    assert_eq!(days, dec("50"), "the refused spends left nothing in their days");
    let answer = b.record_spend(&spend(&key, 500, "1", 2, bounds)).await.unwrap();
    assert_eq!(answer, refused(Window::Week, "0"), "the week is exactly full");
}

pub async fn spends_and_releases_racing_on_shared_windows_never_deadlock_or_overspend(a: Store, b: Store) {
    let t = given_tenant(&*a, "acme").await;
    let key = given_key(&*a, &t, "till", daily_limit("1000"), true).await;
    let bounds = [Some("1000"), Some("50"), Some("1000")];
    let mut held = Vec::new();
    for n in 0..20 {
        held.push(spent(a.record_spend(&spend(&key, n, "1", 0, bounds)).await.unwrap()).0.id);
    }

    // 100 spends over three days of one week race with the releases of the 20 held on Monday: both
    // lock the same week and month rows, and the day rows of Monday.
    let mut spends = Vec::new();
    let mut releases = Vec::new();
    for n in 100..200u32 {
        let store = if n % 2 == 0 { a.clone() } else { b.clone() };
        let request = spend(&key, n, "1", i64::from(n % 3), bounds);
        spends.push(tokio::spawn(async move { store.record_spend(&request).await }));
        if let Some(id) = (n % 5 == 0).then(|| held.pop()).flatten() {
            let store = if n % 2 == 0 { b.clone() } else { a.clone() };
            releases.push(tokio::spawn(async move { store.release_spend(id).await }));
        }
    }
    let succeeded = tally(spends, &[refused(Window::Week, "0")]).await;
    for release in releases {
        assert!(release.await.unwrap().unwrap().1, "each held spend is released once, without error");
    }

    assert!((30..=50).contains(&succeeded), "at least the room left, at most the limit: {succeeded}");
    let mut days = Decimal::ZERO;
    for day in 0..3 {
        days += spent_on(&b, &key, monday() + Duration::days(day)).await;
    }
    assert_eq!(days, Decimal::from(succeeded), "the days hold the spends that succeeded, the releases given back");
    let room = 50 - succeeded;
    if room > 0 {
        let (_, remaining) = spent(a.record_spend(&spend(&key, 900, &room.to_string(), 3, bounds)).await.unwrap());
        assert_eq!(remaining.week, Some(dec("0")), "the week had exactly the room left that the days say");
    }
    let answer = a.record_spend(&spend(&key, 901, "1", 3, bounds)).await.unwrap();
    assert_eq!(answer, refused(Window::Week, "0"), "and is full");
}
