//! The request log in the store: lines read back as written, newest first, filtered exactly; a
//! listing walked page by page while lines are written sees every line stored when it began exactly
//! once; the prune deletes exactly the lines older than its instant, even with two processes at it.

use std::borrow::Cow;
use std::collections::BTreeSet;

use chrono::{DateTime, Duration, Utc};
use keygate_domain::{AccountId, Currency, Environment, KeyId, RequestId, Scope, ServiceId, SpendId};
use keygate_store::{KeyStore, RequestCursor, RequestFilter, RequestLine};

use super::{dec, Store};
use crate::fixtures::*;

fn line(tenant: &str, key: u8, n: u64, at: DateTime<Utc>, outcome: &'static str) -> RequestLine {
    let mut id = [0u8; 16];
    id[0] = key;
    id[8..].copy_from_slice(&n.to_be_bytes());
    RequestLine {
        id: RequestId::from_bytes(id),
        tenant: tenant_id(tenant),
        key: KeyId::from_bytes([key; 16]),
        environment: Environment::Live,
        account: None,
        at,
        outcome: Cow::Borrowed(outcome),
        status: if outcome == "OK" { 200 } else { 403 },
        client_ip: None,
        required_scopes: Vec::new(),
        amount: None,
        currency: None,
        spend: None,
        service: None,
        latency_us: n,
    }
}

/// Every line `filter` keeps, page by page, `limit` at a time, in the order listed.
async fn walk(store: &dyn KeyStore, tenant: &str, filter: &RequestFilter, limit: u32) -> Vec<RequestLine> {
    let mut all = Vec::new();
    let mut cursor: Option<RequestCursor> = None;
    loop {
        let page = store.requests(&tenant_id(tenant), filter, cursor, limit).await.unwrap();
        assert!(page.items.len() <= usize::try_from(limit).unwrap(), "page size respected");
        all.extend(page.items);
        match page.next {
            // The cursor travels as text, as it does over HTTP.
            Some(next) => cursor = Some(next.to_string().parse().unwrap()),
            None => return all,
        }
    }
}

fn ids(lines: &[RequestLine]) -> Vec<RequestId> {
    lines.iter().map(|l| l.id).collect()
}

pub async fn request_lines_read_back_newest_first_and_filter_exactly(a: Store, b: Store) {
    let mut rich = line("acme", 1, 0, now(), "OK");
    rich.account = Some(AccountId::parse("shop-1").unwrap());
    rich.client_ip = Some("2001:db8::7".parse().unwrap());
    rich.required_scopes = vec![Scope::parse("balance:read").unwrap(), Scope::parse("payouts:*").unwrap()];
    rich.amount = Some(dec("250.00"));
    rich.currency = Some(Currency::parse("XOF").unwrap());
    rich.spend = Some(SpendId::from_bytes([3; 16]));
    rich.service = Some(ServiceId::from_bytes([4; 16]));
    let mut test_key = line("acme", 2, 1, now() + Duration::seconds(1), "REVOKED");
    test_key.environment = Environment::Test;
    let mut older = line("acme", 1, 2, now() - Duration::seconds(1), "INSUFFICIENT_SCOPE");
    older.client_ip = Some("203.0.113.9".parse().unwrap());
    older.amount = Some(dec("-0.000001"));
    older.required_scopes = vec![Scope::parse("balance:read").unwrap()];
    let other_tenant = line("globex", 1, 3, now(), "OK");
    a.record_requests(&[rich.clone(), test_key.clone(), older.clone(), other_tenant.clone()]).await.unwrap();

    let all = walk(&*b, "acme", &RequestFilter::default(), 10).await;
    assert_eq!(all, vec![test_key.clone(), rich.clone(), older.clone()], "every field, newest first, one tenant");
    assert_eq!(walk(&*b, "globex", &RequestFilter::default(), 10).await, vec![other_tenant], "the other tenant's");
    let cases: [(&str, RequestFilter, Vec<RequestId>); 7] = [
        ("by key", RequestFilter { key: Some(rich.key), ..Default::default() }, vec![rich.id, older.id]),
        ("by outcome", RequestFilter { outcome: Some("REVOKED".to_owned()), ..Default::default() }, vec![test_key.id]),
        ("from, inclusive", RequestFilter { from: Some(now()), ..Default::default() }, vec![test_key.id, rich.id]),
        ("to, exclusive", RequestFilter { to: Some(now()), ..Default::default() }, vec![older.id]),
        (
            "by environment",
            RequestFilter { environment: Some(Environment::Test), ..Default::default() },
            vec![test_key.id],
        ),
        (
            "by account",
            RequestFilter { account: Some(AccountId::parse("shop-1").unwrap()), ..Default::default() },
            vec![rich.id],
        ),
        (
            "every filter at once",
            RequestFilter {
                key: Some(rich.key),
                outcome: Some("OK".to_owned()),
                from: Some(now()),
                ..Default::default()
            },
            vec![rich.id],
        ),
    ];
    for (what, filter, expected) in cases {
        assert_eq!(ids(&walk(&*b, "acme", &filter, 1).await), expected, "{what}");
    }
    let unknown = tenant_id("initech");
    assert!(b.requests(&unknown, &RequestFilter::default(), None, 10).await.unwrap().items.is_empty(), "no lines");
    // A batch written again (a retry after an ambiguous failure) neither fails nor doubles a line.
    a.record_requests(&[rich.clone()]).await.unwrap();
    assert_eq!(walk(&*b, "acme", &RequestFilter::default(), 10).await.len(), 3, "a line is kept once");
    // A retried batch that also holds new lines stores those, still keeping each line once.
    let fresh = line("acme", 3, 4, now() + Duration::seconds(2), "OK");
    a.record_requests(&[older.clone(), fresh.clone()]).await.unwrap();
    let all = walk(&*b, "acme", &RequestFilter::default(), 10).await;
    assert_eq!(all, vec![fresh, test_key, rich, older], "the new line is stored, the old one kept once");
}

pub async fn a_request_listing_walked_while_lines_are_written_sees_each_stored_line_once(a: Store, b: Store) {
    // 60 lines, several per instant, so ties are broken by id across pages.
    let stored: Vec<RequestLine> = (0..60)
        .map(|n| line("acme", 1, n, now() + Duration::milliseconds(i64::try_from(n / 3).unwrap()), "OK"))
        .collect();
    a.record_requests(&stored).await.unwrap();
    let writer = {
        let a = a.clone();
        tokio::spawn(async move {
            for batch in 0..20u64 {
                // Newer lines, and older ones arriving late (as another process's batch would).
                let newer = line("acme", 2, 1000 + batch, now() + Duration::minutes(5), "OK");
                let late = line("acme", 2, 2000 + batch, now() - Duration::minutes(5), "OK");
                a.record_requests(&[newer, late]).await.unwrap();
                tokio::task::yield_now().await;
            }
        })
    };
    let mut seen = Vec::new();
    let mut cursor = None;
    loop {
        let page = b.requests(&tenant_id("acme"), &RequestFilter::default(), cursor, 7).await.unwrap();
        seen.extend(page.items);
        tokio::task::yield_now().await;
        match page.next {
            Some(next) => cursor = Some(next),
            None => break,
        }
    }
    writer.await.unwrap();
    let unique: BTreeSet<RequestId> = seen.iter().map(|l| l.id).collect();
    assert_eq!(unique.len(), seen.len(), "no line is listed twice");
    for line in &stored {
        assert!(unique.contains(&line.id), "line {} stored before the listing began is listed", line.latency_us);
    }
    let order: Vec<(DateTime<Utc>, RequestId)> = seen.iter().map(|l| (l.at, l.id)).collect();
    assert!(order.windows(2).all(|w| w[0] > w[1]), "strictly newest first across pages");
}

pub async fn the_prune_deletes_exactly_the_lines_older_than_its_instant(a: Store, b: Store) {
    let cutoff = now();
    let mut lines = Vec::new();
    for n in 0..25u64 {
        let age = Duration::seconds(i64::try_from(n).unwrap() - 10);
        lines.push(line(if n % 2 == 0 { "acme" } else { "globex" }, 1, n, cutoff + age, "OK"));
    }
    a.record_requests(&lines).await.unwrap();
    let older = lines.iter().filter(|l| l.at < cutoff).count();
    assert_eq!(older, 10, "ten lines before the cutoff");
    // Two processes pruning at once, in small batches: together they delete each old line once.
    let prune = |store: Store| async move {
        let mut total = 0;
        loop {
            let deleted = store.prune_requests(cutoff, 3).await.unwrap();
            total += deleted;
            if deleted < 3 {
                return total;
            }
        }
    };
    let (x, y) = tokio::join!(prune(a.clone()), prune(b.clone()));
    let rest = prune(a.clone()).await;
    assert_eq!(x + y + rest, 10, "each old line deleted once ({x} + {y}, then {rest})");
    let mut kept: Vec<RequestId> =
        walk(&*b, "acme", &RequestFilter::default(), 100).await.iter().map(|l| l.id).collect();
    kept.extend(walk(&*b, "globex", &RequestFilter::default(), 100).await.iter().map(|l| l.id));
    let expected: BTreeSet<RequestId> = lines.iter().filter(|l| l.at >= cutoff).map(|l| l.id).collect();
    assert_eq!(kept.into_iter().collect::<BTreeSet<_>>(), expected, "exactly the lines at or after the cutoff stay");
}
