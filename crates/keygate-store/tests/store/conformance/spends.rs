//! Recorded spends: read back by id, released once and on their own day, claimed once per idempotency
//! key for 24 hours however many retries race, and never recorded (not even their claim) when refused
//! or stale.

use chrono::{DateTime, Duration, NaiveDate, Utc};
use keygate_domain::{Currency, Event, Key, PerWindow, SpendId, Timezone, Window};
use keygate_store::{Idempotency, NewSpend, Recorded, SpendRecord, SpendState, StoreError};
use rust_decimal::Decimal;

use super::{dec, Store};
use crate::fixtures::*;

pub(super) fn spend_id(n: u32) -> SpendId {
    let mut bytes = [0x5e; 16];
    bytes[12..].copy_from_slice(&n.to_be_bytes());
    SpendId::from_bytes(bytes)
}

/// The windows containing `at`, for a tenant in UTC.
pub(super) fn starts(at: DateTime<Utc>) -> PerWindow<NaiveDate> {
    PerWindow::starts(Timezone::UTC, at)
}

/// Limits for the day, week and month (`None`: that window has none).
pub(super) fn limits(day: Option<&str>, week: Option<&str>, month: Option<&str>) -> PerWindow<Option<Decimal>> {
    PerWindow { day: day.map(dec), week: week.map(dec), month: month.map(dec) }
}

/// Spend number `n` of `amount` XOF on `key` now (a Monday), at the key's current version, under a
/// day limit only.
pub(super) fn new_spend(key: &Key, n: u32, amount: &str, day_limit: Option<&str>) -> NewSpend {
    NewSpend {
        id: spend_id(n),
        tenant: key.tenant.clone(),
        key: key.id,
        key_version: key.version,
        amount: dec(amount),
        currency: Some(Currency::parse("XOF").unwrap()),
        starts: starts(now()),
        limits: limits(day_limit, None, None),
        idempotency: None,
        at: now(),
    }
}

/// The same spend under an idempotency key, for request number `request` (its fingerprint).
pub(super) fn idempotent(spend: NewSpend, key: &str, request: u8) -> NewSpend {
    NewSpend { idempotency: Some(Idempotency { key: key.to_owned(), fingerprint: [request; 32] }), ..spend }
}

/// The same spend, sent `later` (in that instant's windows).
pub(super) fn sent_later(spend: NewSpend, later: Duration) -> NewSpend {
    NewSpend { at: now() + later, starts: starts(now() + later), ..spend }
}

/// What the key's usage shows as spent on `day`, all currencies.
pub(super) async fn spent_on(store: &Store, key: &Key, day: NaiveDate) -> Decimal {
    let usage = store.usage(&key.tenant, key.id, 30).await.unwrap();
    usage.days.iter().find(|d| d.day == day).map_or(Decimal::ZERO, |d| d.spent)
}

pub(super) fn spent(recorded: Recorded) -> (SpendRecord, PerWindow<Option<Decimal>>) {
    match recorded {
        Recorded::Spent { spend, remaining } => (spend, remaining),
        other => panic!("expected a spend, got {other:?}"),
    }
}

fn replayed(recorded: Recorded) -> SpendRecord {
    match recorded {
        Recorded::Replayed { spend } => spend,
        other => panic!("expected a replay, got {other:?}"),
    }
}

pub async fn a_recorded_spend_reads_back_from_the_other_handle_and_counts_against_its_day(a: Store, b: Store) {
    let t = given_tenant(&*a, "acme").await;
    let key = given_key(&*a, &t, "till", daily_limit("2000"), true).await;
    let today = now().date_naive();
    let first = new_spend(&key, 1, "10.50", Some("100"));

    let (spend, remaining) = spent(a.record_spend(&first).await.unwrap());

    let expected = SpendRecord {
        id: first.id,
        tenant: t.id.clone(),
        key: key.id,
        amount: dec("10.50"),
        currency: first.currency,
        starts: PerWindow { day: today, week: today, month: NaiveDate::from_ymd_opt(2026, 11, 1).unwrap() },
        state: SpendState::Held,
        created_at: now(),
    };
    assert_eq!(spend, expected, "every field of the new record");
    assert_eq!(remaining, limits(Some("89.50"), None, None), "what remains of the day's limit, and no other");
    assert_eq!(b.spend_record(first.id).await.unwrap(), expected, "read back by id from the other handle");
    assert_eq!(spent_on(&b, &key, today).await, dec("10.50"), "counted in the day's total");

    let unbounded = NewSpend { currency: None, ..new_spend(&key, 2, "1000", None) };
    let (spend, remaining) = spent(b.record_spend(&unbounded).await.unwrap());
    assert_eq!((spend.currency, remaining), (None, PerWindow::default()), "no currency, and no limit to report on");
    assert_eq!(spent_on(&a, &key, today).await, dec("1010.50"), "an unbounded spend is added up too");
    let usage = a.usage(&t.id, key.id, 1).await.unwrap();
    let by_currency = vec![(None, dec("1000")), (first.currency, dec("10.50"))];
    assert_eq!(usage.days[0].spent_by_currency, by_currency, "and per currency, no currency first");

    let taken = new_spend(&key, 1, "1", Some("2000"));
    assert!(matches!(b.record_spend(&taken).await, Err(StoreError::AlreadyExists)), "a spend id is taken once");
    assert_eq!(spent_on(&a, &key, today).await, dec("1010.50"), "a refused id adds nothing");

    let globex = given_tenant(&*a, "globex").await;
    let foreign = NewSpend { tenant: globex.id.clone(), ..new_spend(&key, 3, "1", Some("100")) };
    assert!(matches!(b.record_spend(&foreign).await, Err(StoreError::NotFound)), "another tenant's key");
    let foreign = idempotent(foreign, "retry-1", 1);
    assert!(matches!(b.record_spend(&foreign).await, Err(StoreError::NotFound)), "with an idempotency key too");
    assert!(matches!(a.spend_record(foreign.id).await, Err(StoreError::NotFound)), "nothing was recorded");
    let unknown = NewSpend { key: keygate_domain::KeyId::from_bytes([0xee; 16]), ..new_spend(&key, 4, "1", None) };
    assert!(matches!(b.record_spend(&unknown).await, Err(StoreError::NotFound)), "a key nobody has");
}

pub async fn a_release_gives_the_amount_back_once(a: Store, b: Store) {
    let t = given_tenant(&*a, "acme").await;
    let key = given_key(&*a, &t, "till", daily_limit("100"), true).await;
    let today = now().date_naive();
    let (kept, _) = spent(a.record_spend(&new_spend(&key, 1, "10", Some("100"))).await.unwrap());
    spent(b.record_spend(&new_spend(&key, 2, "5", Some("100"))).await.unwrap());

    let (released, by_this_call) = b.release_spend(kept.id).await.unwrap();

    assert!(by_this_call, "the first release gives the amount back");
    assert_eq!(released, SpendRecord { state: SpendState::Released, ..kept.clone() }, "the record, released");
    assert_eq!(spent_on(&a, &key, today).await, dec("5"), "the day's total drops by the amount");
    let (again, by_this_call) = a.release_spend(kept.id).await.unwrap();
    assert!(!by_this_call, "a second release gives nothing back");
    assert_eq!(again, released, "and answers the same record");
    assert_eq!(spent_on(&b, &key, today).await, dec("5"), "the day's total is unchanged");
    assert_eq!(b.spend_record(kept.id).await.unwrap().state, SpendState::Released, "read back released");
    assert!(matches!(a.release_spend(spend_id(99)).await, Err(StoreError::NotFound)), "an unknown spend");
}

pub async fn a_release_after_the_day_changed_leaves_the_new_days_total_untouched(a: Store, b: Store) {
    let t = given_tenant(&*a, "acme").await;
    let key = given_key(&*a, &t, "till", daily_limit("100"), true).await;
    let today = now().date_naive();
    let tomorrow = today + Duration::days(1);
    let (yesterdays, _) = spent(a.record_spend(&new_spend(&key, 1, "30", Some("100"))).await.unwrap());
    let next_day = sent_later(new_spend(&key, 2, "20", Some("100")), Duration::days(1));
    spent(b.record_spend(&next_day).await.unwrap());

    let (_, by_this_call) = b.release_spend(yesterdays.id).await.unwrap();

    assert!(by_this_call, "released");
    assert_eq!(spent_on(&a, &key, today).await, dec("0"), "the amount goes back to its own day");
    assert_eq!(spent_on(&a, &key, tomorrow).await, dec("20"), "the new day's total is untouched");
}

pub async fn racing_releases_of_one_spend_give_the_amount_back_exactly_once(a: Store, b: Store) {
    let t = given_tenant(&*a, "acme").await;
    let key = given_key(&*a, &t, "till", daily_limit("100"), true).await;
    let today = now().date_naive();
    let (contested, _) = spent(a.record_spend(&new_spend(&key, 1, "10", Some("100"))).await.unwrap());
    spent(a.record_spend(&new_spend(&key, 2, "7", Some("100"))).await.unwrap());

    let tasks: Vec<_> = (0..20)
        .map(|i| {
            let store = if i % 2 == 0 { a.clone() } else { b.clone() };
            tokio::spawn(async move { store.release_spend(contested.id).await })
        })
        .collect();
    let mut released = 0;
    for task in tasks {
        let (record, by_this_call) = task.await.unwrap().unwrap();
        assert_eq!(record.state, SpendState::Released, "every caller sees it released");
        released += usize::from(by_this_call);
    }

    assert_eq!(released, 1, "exactly one of 20 racing releases released it");
    assert_eq!(spent_on(&b, &key, today).await, dec("7"), "the day's total dropped by the amount once");
    let later = sent_later(
        NewSpend { limits: limits(None, Some("100"), None), ..new_spend(&key, 3, "1", None) },
        Duration::days(1),
    );
    let (_, remaining) = spent(b.record_spend(&later).await.unwrap());
    assert_eq!(remaining.week, Some(dec("92")), "and so did the week's, once");
}

pub async fn one_idempotency_key_sent_fifty_times_at_once_records_one_spend(a: Store, b: Store) {
    let t = given_tenant(&*a, "acme").await;
    let key = given_key(&*a, &t, "till", daily_limit("1000"), true).await;
    let today = now().date_naive();

    let tasks: Vec<_> = (0..50)
        .map(|n| {
            let store = if n % 2 == 0 { a.clone() } else { b.clone() };
            // Each retry carries a fresh spend id, as a server draws one per request.
            let retry = idempotent(new_spend(&key, n, "25", Some("1000")), "order-42", 7);
            tokio::spawn(async move { store.record_spend(&retry).await })
        })
        .collect();
    let mut spends = Vec::new();
    let mut replays = Vec::new();
    for task in tasks {
        match task.await.unwrap().unwrap() {
            Recorded::Spent { spend, .. } => spends.push(spend),
            Recorded::Replayed { spend } => replays.push(spend),
            other => panic!("a retry of the same request answered {other:?}"),
        }
    }

    assert_eq!(spends.len(), 1, "exactly one retry spends");
    assert_eq!(replays.len(), 49, "the 49 others replay it");
    let first = &spends[0];
    assert!(replays.iter().all(|r| r == first), "every replay answers the spend that was recorded");
    assert_eq!(spent_on(&a, &key, today).await, dec("25"), "the day's total counts the amount once");
    for n in (0..50).filter(|n| spend_id(*n) != first.id) {
        assert!(matches!(b.spend_record(spend_id(n)).await, Err(StoreError::NotFound)), "a replay records nothing");
    }

    b.release_spend(first.id).await.unwrap();
    let late = idempotent(new_spend(&key, 50, "25", Some("1000")), "order-42", 7);
    // A released spend answers no replay (that would authorise money nothing holds): the retry spends
    // anew, under a new spend id.
    match a.record_spend(&late).await.unwrap() {
        Recorded::Spent { spend, .. } => assert_eq!(spend.id, late.id, "a new spend"),
        other => panic!("a retry after a release spends anew, got {other:?}"),
    }
    assert_eq!(spent_on(&a, &key, today).await, dec("25"), "and counts again");
}

pub async fn a_replay_answers_for_the_key_as_it_is_now(a: Store, b: Store) {
    let t = given_tenant(&*a, "acme").await;
    let key = given_key(&*a, &t, "till", daily_limit("100"), true).await;
    let first = idempotent(new_spend(&key, 1, "10", Some("100")), "order-7", 1);
    assert!(matches!(a.record_spend(&first).await.unwrap(), Recorded::Spent { .. }));
    let asked = key.apply(Event::RequestRevocation { reason: reason("stolen") }, &maker(), &t.policy, now()).unwrap();
    b.commit(&[update(&key, &asked, &maker())]).await.unwrap();
    let retry = idempotent(new_spend(&key, 2, "10", Some("100")), "order-7", 1);
    assert_eq!(a.record_spend(&retry).await.unwrap(), Recorded::Stale, "a replay on a changed key is stale");
}

pub async fn a_different_request_under_the_same_idempotency_key_is_a_mismatch_and_records_nothing(a: Store, b: Store) {
    let t = given_tenant(&*a, "acme").await;
    let key = given_key(&*a, &t, "till", daily_limit("1000"), true).await;
    let other_key = given_key(&*a, &t, "other till", daily_limit("1000"), true).await;
    let today = now().date_naive();
    spent(a.record_spend(&idempotent(new_spend(&key, 1, "10", Some("1000")), "order-42", 1)).await.unwrap());

    let different = idempotent(new_spend(&key, 2, "99", Some("1000")), "order-42", 2);
    let answer = b.record_spend(&different).await.unwrap();

    assert_eq!(answer, Recorded::Mismatch, "another fingerprint under a claimed idempotency key");
    assert!(matches!(a.spend_record(different.id).await, Err(StoreError::NotFound)), "no record");
    assert_eq!(spent_on(&a, &key, today).await, dec("10"), "nothing added to the day");
    let elsewhere = idempotent(new_spend(&other_key, 3, "99", Some("1000")), "order-42", 2);
    spent(b.record_spend(&elsewhere).await.unwrap());
    assert_eq!(spent_on(&a, &other_key, today).await, dec("99"), "an idempotency key is claimed per key");
}

pub async fn an_idempotency_key_answers_for_24_hours_then_spends_anew(a: Store, b: Store) {
    let t = given_tenant(&*a, "acme").await;
    let key = given_key(&*a, &t, "till", daily_limit("1000"), true).await;
    let request = |n: u32, fingerprint: u8, later: Duration| {
        sent_later(idempotent(new_spend(&key, n, "10", Some("1000")), "order-42", fingerprint), later)
    };
    let (first, _) = spent(a.record_spend(&request(1, 1, Duration::zero())).await.unwrap());

    let at_the_limit = b.record_spend(&request(2, 1, Duration::hours(24))).await.unwrap();
    let just_after = b.record_spend(&request(3, 2, Duration::hours(24) + Duration::microseconds(1))).await.unwrap();

    assert_eq!(replayed(at_the_limit), first, "a claim 24 hours old still answers");
    let (renewed, _) = spent(just_after);
    assert_eq!(renewed.id, spend_id(3), "an older claim is replaced by the next request, whatever it asks");
    let day_after = now().date_naive() + Duration::days(1);
    assert_eq!(spent_on(&a, &key, day_after).await, dec("10"), "and it spends");
    assert_eq!(replayed(a.record_spend(&request(4, 2, Duration::hours(25))).await.unwrap()), renewed, "renewed");
    let old_request = a.record_spend(&request(5, 1, Duration::hours(25))).await.unwrap();
    assert_eq!(old_request, Recorded::Mismatch, "the claim now answers for the new request only");
}

pub async fn a_refused_or_stale_spend_records_nothing_and_leaves_no_claim(a: Store, b: Store) {
    let t = given_tenant(&*a, "acme").await;
    let key = given_key(&*a, &t, "till", daily_limit("100"), true).await;
    let today = now().date_naive();
    spent(a.record_spend(&new_spend(&key, 1, "90", Some("100"))).await.unwrap());

    let over = idempotent(new_spend(&key, 2, "20", Some("100")), "order-1", 1);
    let refused = Recorded::Refused { window: Window::Day, remaining: dec("10") };
    assert_eq!(b.record_spend(&over).await.unwrap(), refused, "over the limit");
    assert!(matches!(a.spend_record(over.id).await, Err(StoreError::NotFound)), "a refusal records nothing");
    let smaller = idempotent(new_spend(&key, 3, "5", Some("100")), "order-1", 2);
    let (_, remaining) = spent(a.record_spend(&smaller).await.unwrap());
    assert_eq!(remaining.day, Some(dec("5")), "the same idempotency key spends after a refusal: no claim was left");

    let notes = key.apply(Event::UpdateNotes { notes: None }, &maker(), &t.policy, now()).unwrap();
    a.commit(&[update(&key, &notes, &maker())]).await.unwrap();
    let stale = idempotent(new_spend(&key, 4, "1", Some("100")), "order-2", 1);
    assert_eq!(b.record_spend(&stale).await.unwrap(), Recorded::Stale, "the key's version moved");
    assert!(matches!(a.spend_record(stale.id).await, Err(StoreError::NotFound)), "a stale spend records nothing");
    let current = idempotent(new_spend(&notes.key, 5, "1", Some("100")), "order-2", 1);
    spent(b.record_spend(&current).await.unwrap());
    assert_eq!(spent_on(&a, &key, today).await, dec("96"), "only the spends recorded count");
}

pub async fn concurrent_recorded_spends_never_exceed_the_daily_limit(a: Store, b: Store) {
    let t = given_tenant(&*a, "acme").await;
    let key = given_key(&*a, &t, "till", daily_limit("1000"), true).await;
    let today = now().date_naive();
    let tasks: Vec<_> = (0..16u32)
        .map(|task| {
            let store = if task % 2 == 0 { a.clone() } else { b.clone() };
            let key = key.clone();
            tokio::spawn(async move {
                let mut recorded = Vec::new();
                // 1,000 spends over 16 tasks: 62 or 63 each; every other one under an idempotency key
                // of its own, so claims race alongside the totals.
                for n in (task..1000).step_by(16) {
                    let spend = new_spend(&key, n, "7.00", Some("1000.00"));
                    let spend = if n % 2 == 0 { idempotent(spend, &format!("order-{n}"), 1) } else { spend };
                    match store.record_spend(&spend).await.unwrap() {
                        Recorded::Spent { spend, .. } => recorded.push(spend.id),
                        Recorded::Refused { window: Window::Day, remaining } => {
                            assert!(remaining < dec("7"), "refused with room left");
                        }
                        other => panic!("unexpected {other:?}"),
                    }
                }
                recorded
            })
        })
        .collect();
    let mut recorded = Vec::new();
    for task in tasks {
        recorded.extend(task.await.unwrap());
    }
    assert_eq!(recorded.len(), 142, "exactly floor(1000 / 7) spends are recorded");
    assert_eq!(spent_on(&b, &key, today).await, dec("994.00"), "the stored total");

    a.release_spend(recorded[0]).await.unwrap();
    assert_eq!(spent_on(&b, &key, today).await, dec("987.00"), "a release gives back");
    let (_, remaining) = spent(b.record_spend(&new_spend(&key, 2000, "13.00", Some("1000.00"))).await.unwrap());
    assert_eq!(remaining.day.map(|r| r.to_string()), Some("0.00".to_owned()), "the released amount spends again");
    let next_day = sent_later(new_spend(&key, 2001, "1000.00", Some("1000.00")), Duration::days(1));
    let (_, remaining) = spent(a.record_spend(&next_day).await.unwrap());
    assert_eq!(remaining.day, Some(dec("0")), "a new day starts at zero");
    let far = NaiveDate::from_ymd_opt(2030, 1, 1).unwrap().and_hms_opt(12, 0, 0).unwrap().and_utc();
    let over = NewSpend { at: far, starts: starts(far), ..new_spend(&key, 2002, "1000.01", Some("1000")) };
    let refused = Recorded::Refused { window: Window::Day, remaining: dec("1000") };
    assert_eq!(a.record_spend(&over).await.unwrap(), refused, "one spend over the limit on an empty day");
}

pub async fn a_spend_on_a_key_changed_since_it_was_read_is_stale_and_records_nothing(a: Store, b: Store) {
    let t = given_tenant(&*a, "acme").await;
    let key = given_key(&*a, &t, "till", daily_limit("100"), true).await;
    let first = b.record_spend(&new_spend(&key, 1, "10", Some("100"))).await.unwrap();
    assert_eq!(spent(first).1.day, Some(dec("90")), "the current version spends");
    let asked = key.apply(Event::RequestRevocation { reason: reason("stolen") }, &maker(), &t.policy, now()).unwrap();
    a.commit(&[update(&key, &asked, &maker())]).await.unwrap();
    let done = asked.key.apply(Event::ApproveRevocation, &checker(5), &t.policy, now()).unwrap();
    a.commit(&[update(&asked.key, &done, &checker(5))]).await.unwrap();
    let cases = [
        (2, "10", None, "within the limit"),
        (3, "1000", Some("100"), "over the limit too"),
        (4, "1", None, "no limit"),
    ];
    for (n, amount, limit, why) in cases {
        let stale = b.record_spend(&new_spend(&key, n, amount, limit)).await.unwrap();
        assert_eq!(stale, Recorded::Stale, "a cached read of a revoked key cannot spend ({why})");
        assert!(matches!(a.spend_record(spend_id(n)).await, Err(StoreError::NotFound)), "no record ({why})");
    }
    assert_eq!(spent_on(&a, &key, now().date_naive()).await, dec("10"), "nothing was added");
}
