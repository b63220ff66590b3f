//! Money over HTTP: every currency's decimals, a tenant's own currency table under dual control,
//! several currencies per key and a currency class, and volumes per day, ISO week and month in the
//! tenant's time zone, exact under concurrency across a local midnight.

use std::sync::Arc;

use chrono::{DateTime, TimeZone, Utc};
use futures_util::stream::{self, StreamExt};
use keygate_domain::ManualClock;
use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::helpers::{live_policy, Operators, TestApp};

fn at(year: i32, month: u32, day: u32, hour: u32, minute: u32, second: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(year, month, day, hour, minute, second).unwrap()
}

/// An active key of `ops`'s tenant with `limits` (and `currency_class`, if given); its secret.
async fn key(app: &TestApp, ops: &Operators, name: &str, limits: Value, class: Option<&str>) -> String {
    let mut body = json!({"name": name, "scopes": ["payments:write"], "limits": limits});
    if let Some(class) = class {
        body["currency_class"] = class.into();
    }
    app.active_key(ops, body).await.1
}

/// `(valid, code)` of a verdict.
fn outcome(verdict: &Value) -> (bool, &str) {
    (verdict["valid"].as_bool().unwrap_or(false), verdict["code"].as_str().unwrap_or("OK"))
}

/// USDT has 6 decimals, BTC 8, USD 2; a key moves only the currencies it has entries for, and a
/// fiat-only key no crypto at all.
pub async fn every_currency_is_held_to_its_decimals_and_a_key_to_its_currencies(app: &TestApp) {
    let ops = app.tenant("acme", live_policy()).await;
    let limits = json!({"amounts": [
        {"currency": "USDT", "max_amount": "500.000001", "daily_volume": "1000"},
        {"currency": "BTC", "max_amount": "0.5"},
        {"currency": "USD", "max_amount": "100"}
    ]});
    let wallet = key(app, &ops, "wallet", limits, None).await;
    let pay = |amount: &str, currency: &str| json!({"key": wallet, "amount": amount, "currency": currency});
    let cases = [
        (pay("250.123456", "USDT"), (true, "OK"), "USDT with 6 decimals"),
        (pay("0.1234567", "USDT"), (false, "AMOUNT_PRECISION"), "USDT with 7"),
        (pay("0.00000001", "BTC"), (true, "OK"), "one satoshi"),
        (pay("0.000000001", "BTC"), (false, "AMOUNT_PRECISION"), "a tenth of a satoshi"),
        (pay("1.001", "USD"), (false, "AMOUNT_PRECISION"), "1.001 USD"),
        (pay("1.00", "USD"), (true, "OK"), "trailing zeros do not count"),
        (pay("500.000002", "USDT"), (false, "AMOUNT_OVER_LIMIT"), "over USDT's own maximum"),
        (pay("10", "EUR"), (false, "CURRENCY_MISMATCH"), "a currency the key has no entry for"),
        (pay("1", "MATIC"), (false, "UNKNOWN_CURRENCY"), "a currency the tenant's table lacks"),
    ];
    for (body, expected, why) in cases {
        let verdict = app.verify(body).await;
        assert_eq!(outcome(&verdict), expected, "{why}: {verdict:?}");
    }
    let mismatch = app.verify(pay("10", "EUR")).await;
    assert_eq!(mismatch["accepted_currencies"], json!(["BTC", "USD", "USDT"]), "names what it may move");
    let read = app.get(&ops.keys(), &ops.auditor).await;
    let entries = &read.body["items"][0]["limits"]["amounts"];
    assert_eq!(entries[2], json!({"currency": "USDT", "max_amount": "500.000001", "daily_volume": "1000"}));

    let fiat = key(app, &ops, "till", json!({}), Some("fiat")).await;
    let verdict = app.verify(json!({"key": fiat, "amount": "5", "currency": "USDT"})).await;
    assert_eq!(outcome(&verdict), (false, "CURRENCY_MISMATCH"), "a fiat-only key refuses a crypto currency");
    assert_eq!(verdict["currency_class"], "fiat", "{verdict:?}");
    let verdict = app.verify(json!({"key": fiat, "amount": "5", "currency": "XOF"})).await;
    assert_eq!(outcome(&verdict), (true, "OK"), "and moves fiat");

    let refused = [
        (json!({"amounts": [{"currency": "USD", "max_amount": "1.001"}]}), None, "limits.amounts[0].max_amount"),
        (json!({"currency": "XOF", "daily_volume": "7.5"}), None, "limits.amounts[0].daily_volume"),
        (json!({"amounts": [{"currency": "BTC"}]}), Some("fiat"), "limits.amounts[0].currency"),
        (json!({"amounts": [{"currency": "MATIC"}]}), None, "limits.amounts[0].currency"),
        (
            json!({"amounts": [{"currency": "USD", "daily_volume": "9", "weekly_volume": "8"}]}),
            None,
            "limits.amounts[0]",
        ),
        (json!({"amounts": [], "currency": "USD"}), None, "limits.amounts"),
    ];
    for (limits, class, field) in refused {
        let mut body = json!({"name": "refused", "scopes": ["a:read"], "limits": limits});
        if let Some(class) = class {
            body["currency_class"] = class.into();
        }
        let reply = app.post(&ops.keys(), &ops.maker, body.clone()).await;
        assert_eq!((reply.status, reply.body["field"].as_str()), (StatusCode::BAD_REQUEST, Some(field)), "{body}");
    }
}

/// A currency the tenant adds, reclasses or makes finer waits for a second admin; fewer decimals apply
/// at once.
pub async fn a_tenants_currency_table_changes_under_dual_control(app: &TestApp) {
    let ops = app.tenant("acme", live_policy()).await;
    let path = "/v1/tenants/acme/currencies/MATIC";
    let matic = json!({"class": "crypto", "scale": 18});
    let asked = app.raw(reqwest::Method::PUT, path, Some(&ops.admin), Some(matic.clone())).await;
    assert_eq!(asked.status, StatusCode::OK, "{:?}", asked.body);
    assert_eq!(asked.body["pending_policy"]["settings"]["currency"]["currency"], "MATIC", "{:?}", asked.body);
    assert_eq!(asked.body["policy"]["currencies"], json!([]), "not in force yet");
    let maker = app.raw(reqwest::Method::PUT, path, Some(&ops.maker), Some(matic)).await;
    assert_eq!(maker.status, StatusCode::FORBIDDEN, "only an admin: {:?}", maker.body);
    let own = app.post("/v1/tenants/acme/policy/approve", &ops.admin, json!({})).await;
    assert_eq!((own.status, own.code()), (StatusCode::FORBIDDEN, "SELF_APPROVAL"));
    let wallet = key(app, &ops, "wallet", json!({}), Some("crypto")).await;
    let matic = json!({"key": wallet, "amount": "1.5", "currency": "MATIC"});
    assert_eq!(outcome(&app.verify(matic.clone()).await), (false, "UNKNOWN_CURRENCY"), "still unknown");
    let approved = app.post("/v1/tenants/acme/policy/approve", &ops.admin2, json!({})).await;
    assert_eq!(approved.status, StatusCode::OK, "{:?}", approved.body);
    assert_eq!(approved.body["policy"]["currencies"], json!([{"currency": "MATIC", "class": "crypto", "scale": 18}]));
    assert_eq!(outcome(&app.verify(matic).await), (true, "OK"), "in force once approved");

    let coarser = app
        .raw(
            reqwest::Method::PUT,
            "/v1/tenants/acme/currencies/USDT",
            Some(&ops.admin),
            Some(json!({"class": "crypto", "scale": 2})),
        )
        .await;
    assert_eq!(coarser.status, StatusCode::OK, "{:?}", coarser.body);
    assert!(coarser.body["pending_policy"].is_null(), "fewer decimals narrow at once: {:?}", coarser.body);
    let usdt = app.verify(json!({"key": wallet, "amount": "1.001", "currency": "USDT"})).await;
    assert_eq!(outcome(&usdt), (false, "AMOUNT_PRECISION"), "the tenant's scale, at once");
    for (code, body, field) in [
        ("usdt", json!({"class": "crypto", "scale": 2}), "code"),
        ("USDT", json!({"class": "gold", "scale": 2}), "class"),
        ("USDT", json!({"class": "crypto", "scale": 19}), "scale"),
    ] {
        let reply = app
            .raw(reqwest::Method::PUT, &format!("/v1/tenants/acme/currencies/{code}"), Some(&ops.admin), Some(body))
            .await;
        assert_eq!(
            (reply.status, reply.body["field"].as_str()),
            (StatusCode::BAD_REQUEST, Some(field)),
            "{:?}",
            reply.body
        );
    }
}

/// A day, an ISO week and a month limit together: the tightest wins, a refused spend is charged to no
/// window, and each refusal says when its window resets.
pub async fn the_tightest_window_wins_and_a_refusal_charges_nothing(app: &TestApp, clock: &ManualClock) {
    let ops = app.tenant("acme", live_policy()).await;
    let limits = json!({"amounts": [{"currency": "XOF", "daily_volume": "100", "weekly_volume": "150", "monthly_volume": "200"}]});
    let till = key(app, &ops, "till", limits, None).await;
    let spend = |amount: &str| json!({"key": till, "amount": amount, "currency": "XOF"});
    clock.set(at(2026, 3, 16, 12, 0, 0)); // a Monday
    let monday = app.verify(spend("100")).await;
    assert_eq!(
        [&monday["remaining_daily_volume"], &monday["remaining_weekly_volume"], &monday["remaining_monthly_volume"]],
        [&json!("0"), &json!("50"), &json!("100")],
        "{monday:?}"
    );
    clock.set(at(2026, 3, 17, 12, 0, 0));
    let tuesday = app.verify(spend("60")).await;
    assert_eq!(outcome(&tuesday), (false, "WEEKLY_VOLUME_EXCEEDED"), "{tuesday:?}");
    assert_eq!(tuesday["remaining_weekly_volume"], "50");
    assert_eq!(tuesday["retry_after"], 5 * 86_400 + 12 * 3_600, "until next Monday's midnight");
    let fits = app.verify(spend("50")).await;
    assert_eq!(fits["remaining_daily_volume"], "50", "the refused 60 was charged to no window: {fits:?}");
    clock.set(at(2026, 3, 23, 12, 0, 0)); // the next Monday, same month
    let monthly = app.verify(spend("60")).await;
    assert_eq!(outcome(&monthly), (false, "MONTHLY_VOLUME_EXCEEDED"), "{monthly:?}");
    assert_eq!(monthly["remaining_monthly_volume"], "50");
    assert_eq!(monthly["retry_after"], 8 * 86_400 + 12 * 3_600, "until April 1st");
    let last = app.verify(spend("50")).await;
    assert_eq!((outcome(&last), &last["remaining_monthly_volume"]), ((true, "OK"), &json!("0")));
    clock.set(at(2026, 4, 1, 0, 0, 0));
    assert_eq!(outcome(&app.verify(spend("100")).await), (true, "OK"), "a new month, week and day");
}

/// 1,000 concurrent spends of 1 XOF against a daily volume of 300 in a tenant at UTC+14, with the
/// tenant's midnight passing mid-flight: exactly 300 are spent on each local day.
pub async fn a_thousand_spends_across_a_local_midnight_spend_each_days_limit(app: &TestApp, clock: &ManualClock) {
    let policy = json!({"live_enabled": true, "timezone": "Pacific/Kiritimati"});
    let ops = app.tenant("kiri", policy).await;
    let tenant = app.get("/v1/tenants/kiri", &ops.admin).await;
    assert_eq!(tenant.body["policy"]["timezone"], "Pacific/Kiritimati", "{:?}", tenant.body);
    let effective: DateTime<Utc> = tenant.body["timezone_change"]["effective_at"].as_str().unwrap().parse().unwrap();
    assert!(effective > clock_now(clock), "a new zone waits for its midnight");
    let till = key(app, &ops, "till", json!({"currency": "XOF", "daily_volume": "300"}), None).await;
    // 23:59:00 on 12 March in Kiritimati (UTC+14) is 09:59:00 UTC; its midnight is 10:00:00 UTC.
    let before = at(2026, 3, 12, 9, 59, 0);
    assert!(before > effective, "the zone is in force by then");
    clock.set(before);
    let spend = json!({"key": till, "amount": "1", "currency": "XOF"});
    let mut answered = 0;
    let mut remaining: Vec<u64> = Vec::new();
    let mut refused = 0;
    let one = &spend;
    let mut verdicts = stream::iter(0..1000).map(|_| app.verify(one.clone())).buffer_unordered(48);
    while let Some(verdict) = verdicts.next().await {
        answered += 1;
        if answered == 500 {
            clock.set(at(2026, 3, 12, 10, 0, 30)); // 00:00:30 on 13 March, local
        }
        match outcome(&verdict) {
            (true, _) => remaining.push(verdict["remaining_daily_volume"].as_str().unwrap().parse().unwrap()),
            (false, "DAILY_VOLUME_EXCEEDED") => refused += 1,
            other => panic!("unexpected verdict {other:?}: {verdict:?}"),
        }
    }
    remaining.sort_unstable();
    let each_day_once: Vec<u64> = (0..300).flat_map(|r| [r, r]).collect();
    assert_eq!(remaining, each_day_once, "each local day spent exactly 300, each unit once");
    assert_eq!(refused, 400);
    drop(verdicts);
    let after = app.verify(spend.clone()).await;
    assert_eq!(after["retry_after"], 86_400 - 30, "until Kiritimati's next midnight: {after:?}");
}

fn clock_now(clock: &ManualClock) -> DateTime<Utc> {
    keygate_domain::Clock::now(clock)
}

/// The clock every clocked test starts at: a Tuesday in March 2026, UTC midnight.
pub fn start() -> Arc<ManualClock> {
    Arc::new(ManualClock::new(at(2026, 3, 10, 0, 0, 0)))
}
