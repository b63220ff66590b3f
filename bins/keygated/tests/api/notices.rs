//! Webhook notices over HTTP on both backends, on a server whose clock the test moves: a key's expiry
//! announced once as coming and once as passed however often the scan runs, and a daily volume's 80%
//! and 100% each announced once, with the spend that crosses them.

use std::collections::HashSet;
use std::sync::Arc;
use std::time::Duration;

use keygate_domain::{Clock, ManualClock};
use serde_json::{json, Value};

use crate::helpers::{live_policy, spawn_app_at_with, TestApp};
use crate::receiver::{Received, Receiver};
use crate::webhooks::{active_hook, KEY};

/// A server on `clock` that delivers webhooks to loopback and scans for expiries every 20 ms.
pub async fn spawn(database_url: Option<&str>, clock: Arc<ManualClock>) -> TestApp {
    spawn_app_at_with(database_url, clock, |config| {
        config.webhook_key = Some(KEY.to_owned());
        config.webhook_allow_http = true;
        config.webhook_allow_private = true;
        config.webhook_poll_ms = 20;
        config.webhook_retry_divisor = 1000;
        config.webhook_scan_ms = 20;
    })
    .await
}

/// The distinct events (by `webhook-id`) of `event_type` about `key` received so far, in the key's
/// order (`data.sequence`: deliveries due at once may arrive in any order).
fn events(receiver: &Receiver, event_type: &str, key: &str) -> Vec<Value> {
    let mut seen = HashSet::new();
    let mut events: Vec<Value> = receiver
        .received()
        .iter()
        .filter(|r| seen.insert(r.id.clone()))
        .map(Received::json)
        .filter(|b| b["type"] == event_type && b["data"]["key_id"] == key)
        .collect();
    events.sort_by_key(|b| b["data"]["sequence"].as_u64());
    events
}

/// Lets the scan pass many more times (every 20 ms) and the worker deliver whatever they wrote.
async fn settle() {
    tokio::time::sleep(Duration::from_millis(400)).await;
}

/// A key expiring within 7 days is announced `key.expiring` once; once its expiry passes,
/// `key.expired` once; a key further off is announced only when the clock brings it within 7 days.
pub async fn an_expiry_is_announced_once_coming_and_once_passed(app: &TestApp, clock: &ManualClock) {
    let ops = app.tenant("expiring", json!({})).await;
    let receiver = Receiver::start(&[]).await;
    let (_, secret) = active_hook(app, &ops, &receiver, json!(["key.expiring", "key.expired"])).await;
    let (soon, _) = app.active_key(&ops, json!({"name": "soon", "scopes": ["a:read"], "expires_in_days": 3})).await;
    let (later, _) = app.active_key(&ops, json!({"name": "later", "scopes": ["a:read"], "expires_in_days": 10})).await;

    let is = |event_type: &'static str, key: String| {
        move |r: &Received| {
            let body = r.json();
            body["type"] == event_type && body["data"]["key_id"] == key.as_str()
        }
    };
    receiver.wait_for(1, is("key.expiring", soon.clone())).await;
    settle().await;
    let coming = events(&receiver, "key.expiring", &soon);
    assert_eq!(coming.len(), 1, "announced once however often the scan runs: {coming:?}");
    let data = &coming[0]["data"];
    assert_eq!((&data["actor"], &data["state"]), (&json!("system"), &json!("active")), "{data:?}");
    assert!(data["details"]["expires_at"].as_str().is_some_and(|at| at.starts_with("2026-03-13")), "{data:?}");
    assert!(events(&receiver, "key.expiring", &later).is_empty(), "10 days off is not yet news");
    assert!(events(&receiver, "key.expired", &soon).is_empty(), "not expired yet");

    clock.set(clock.now() + chrono::Duration::days(4));
    receiver.wait_for(1, is("key.expired", soon.clone())).await;
    receiver.wait_for(1, is("key.expiring", later.clone())).await;
    settle().await;
    assert_eq!(events(&receiver, "key.expired", &soon).len(), 1, "expired, once");
    assert_eq!(events(&receiver, "key.expiring", &soon).len(), 1, "and never announced coming again");
    assert_eq!(events(&receiver, "key.expiring", &later).len(), 1, "the other key within 6 days now");
    assert!(events(&receiver, "key.expired", &later).is_empty());
    let expired = &events(&receiver, "key.expired", &soon)[0]["data"];
    assert!(expired["sequence"].as_u64() > coming[0]["data"]["sequence"].as_u64(), "in the key's order");
    assert!(receiver.received().iter().all(|r| r.signed_by(&secret)), "every notice is signed");
}

/// Spends of 50, 35, 10 and 5 against a daily volume of 100 announce 80% (with the 35) and 100% (with
/// the 5), once each; the next day's window announces anew.
pub async fn a_daily_volume_is_announced_at_80_and_100_percent_once(app: &TestApp, clock: &ManualClock) {
    let ops = app.tenant("thresholds", live_policy()).await;
    let receiver = Receiver::start(&[]).await;
    active_hook(app, &ops, &receiver, json!(["key.volume_threshold"])).await;
    let limits = json!({"amounts": [{"currency": "XOF", "daily_volume": "100"}]});
    let (key, till) =
        app.active_key(&ops, json!({"name": "till", "scopes": ["payments:write"], "limits": limits})).await;
    let spend = |amount: &str| json!({"key": till, "amount": amount, "currency": "XOF"});
    for (amount, valid) in [("50", true), ("35", true), ("10", true), ("5", true), ("1", false)] {
        let verdict = app.verify(spend(amount)).await;
        assert_eq!(verdict["valid"].as_bool(), Some(valid), "{amount}: {verdict:?}");
    }
    let about_key = |r: &Received| r.json()["data"]["key_id"] == key.as_str();
    receiver.wait_for(2, about_key).await;
    settle().await;
    let crossed = events(&receiver, "key.volume_threshold", &key);
    let summary: Vec<(&Value, &Value, &Value, &Value, &Value)> = crossed
        .iter()
        .map(|b| {
            let d = &b["data"]["details"];
            (&d["window"], &d["currency"], &d["threshold_percent"], &d["limit"], &d["spent"])
        })
        .collect();
    let (day, xof, limit) = (json!("day"), json!("XOF"), json!("100"));
    assert_eq!(
        summary,
        [(&day, &xof, &json!(80), &limit, &json!("85")), (&day, &xof, &json!(100), &limit, &json!("100"))],
        "exactly two, in order: {crossed:?}"
    );
    assert_eq!(crossed[0]["data"]["details"]["window_start"], "2026-03-10");

    clock.set(clock.now() + chrono::Duration::days(1));
    assert_eq!(app.verify(spend("90")).await["valid"], true, "a new day");
    receiver.wait_for(3, about_key).await;
    settle().await;
    let crossed = events(&receiver, "key.volume_threshold", &key);
    assert_eq!(crossed.len(), 3, "the new day's 80%, once: {crossed:?}");
    assert_eq!(crossed[2]["data"]["details"]["window_start"], "2026-03-11");
}

/// A tenant's own lead: 14 days announces a key 10 days off at once; shortening the lead waits for a
/// second admin (less warning is a loosening), lengthening it does not.
pub async fn a_tenants_lead_time_decides_when_expiry_is_news(app: &TestApp, _clock: &ManualClock) {
    let ops = app.tenant("early", json!({"webhook_expiry_lead_days": 14})).await;
    let policy = app.get("/v1/tenants/early", &ops.admin).await.body["policy"].clone();
    assert_eq!(policy["webhook_expiry_lead_days"], 14, "a longer lead applies at once: {policy:?}");
    let receiver = Receiver::start(&[]).await;
    active_hook(app, &ops, &receiver, json!(["key.expiring"])).await;
    let (key, _) = app.active_key(&ops, json!({"name": "k", "scopes": ["a:read"], "expires_in_days": 10})).await;
    let wanted = key.clone();
    receiver.wait_for(1, move |r: &Received| r.json()["data"]["key_id"] == wanted.as_str()).await;
    assert_eq!(events(&receiver, "key.expiring", &key).len(), 1, "10 days off is news with a 14-day lead");

    let shorter = app.patch("/v1/tenants/early", &ops.admin, json!({"policy": {"webhook_expiry_lead_days": 3}})).await;
    assert_eq!(shorter.body["policy"]["webhook_expiry_lead_days"], 14, "not at once: {:?}", shorter.body);
    assert_eq!(shorter.body["pending_policy"]["settings"]["webhook_expiry_lead_days"], 3);
    let out_of_range =
        app.patch("/v1/tenants/early", &ops.admin, json!({"policy": {"webhook_expiry_lead_days": 91}})).await;
    assert_eq!(out_of_range.body["field"], "policy.webhook_expiry_lead_days", "{:?}", out_of_range.body);
}

/// Every attempt failing: a day in, still sending; three days after the first failure, the attempt
/// that fails disables the endpoint (`disabled_by: failures`, audited as keygate's own move), and its
/// events stop. An admin re-enabling it waits for a second admin like any widening.
pub async fn an_endpoint_failing_every_attempt_for_three_days_is_disabled(app: &TestApp, clock: &ManualClock) {
    let ops = app.tenant("failing", json!({})).await;
    let receiver = Receiver::start(&[500; 10]).await;
    let (id, _) = active_hook(app, &ops, &receiver, json!(["key.created"])).await;
    let hook = format!("/v1/tenants/failing/webhooks/{id}");
    assert_eq!(app.post(&format!("{hook}/test"), &ops.admin, json!({})).await.status, 202);
    receiver.wait_for(1, |_| true).await;

    for (days, attempts) in [(1, 2), (2, 3)] {
        settle().await;
        let shown = app.get(&hook, &ops.auditor).await.body;
        assert_eq!(shown["status"], "active", "after {} failed attempts, still sending: {shown:?}", attempts - 1);
        clock.set(clock.now() + chrono::Duration::days(days));
        receiver.wait_for(attempts, |_| true).await;
    }
    let mut shown = Value::Null;
    for _ in 0..100 {
        shown = app.get(&hook, &ops.auditor).await.body;
        if shown["status"] == "disabled" {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(
        (&shown["status"], &shown["disabled_by"], &shown["enabled"]),
        (&json!("disabled"), &json!("failures"), &json!(false))
    );
    let audit = app.get("/v1/tenants/failing/audit", &ops.auditor).await.body;
    let disabled: Vec<&Value> =
        audit["items"].as_array().unwrap().iter().filter(|e| e["action"] == "webhook.disabled").collect();
    assert_eq!(disabled.len(), 1, "{audit:?}");
    assert_eq!(disabled[0]["actor"], "system", "keygate's own move");

    clock.set(clock.now() + chrono::Duration::days(1));
    settle().await;
    assert_eq!(receiver.received().len(), 3, "nothing more is sent to a disabled endpoint");
    let enable = app.patch(&hook, &ops.admin, json!({"enabled": true})).await;
    assert_eq!(enable.body["status"], "disabled", "re-enabling waits for a second admin: {:?}", enable.body);
}
