//! Request rate limits over HTTP: set with a key's limits, refused as `RATE_LIMITED` (429) with the
//! limit's name and when its window ends, raised only with a checker, lowered at once.

use keygate_domain::ManualClock;
use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::helpers::{live_policy, TestApp};

fn per_minute(limit: u64) -> Value {
    json!({"rate": [{"name": "per-minute", "limit": limit, "window_seconds": 60}]})
}

/// The clock stands at a minute's start (`money::start`), so the window ends in 60 s.
pub async fn a_rate_limit_refuses_with_its_name_and_is_raised_only_with_a_checker(app: &TestApp, _: &ManualClock) {
    let ops = app.tenant("acme", live_policy()).await;
    let (id, secret) =
        app.active_key(&ops, json!({"name": "hot", "scopes": ["a:read"], "limits": per_minute(2)})).await;
    let view = app.get(&ops.key(&id), &ops.auditor).await;
    assert_eq!(view.body["limits"]["rate"], per_minute(2)["rate"], "the limit is shown as set");
    let ask = json!({"key": secret});
    for _ in 0..2 {
        assert_eq!(app.verify(ask.clone()).await["valid"], true);
    }
    let refused = app.verify(ask.clone()).await;
    assert_eq!(
        refused,
        json!({"valid": false, "code": "RATE_LIMITED", "status": 429, "retry_after": 60, "limit": "per-minute"})
    );

    // Raising it widens: it waits for a checker, and the old limit holds meanwhile.
    let raise = app.patch(&ops.key(&id), &ops.maker, json!({"limits": per_minute(5)})).await;
    assert_eq!(raise.status, StatusCode::OK, "{:?}", raise.body);
    assert_eq!(raise.body["pending_change"]["limits"]["rate"], per_minute(5)["rate"], "{:?}", raise.body);
    assert_eq!(raise.body["limits"]["rate"], per_minute(2)["rate"], "unchanged until approved");
    assert_eq!(app.verify(ask.clone()).await["code"], "RATE_LIMITED");
    let approved = app.post(&format!("{}/change/approve", ops.key(&id)), &ops.checker, json!({})).await;
    assert_eq!(approved.status, StatusCode::OK, "{:?}", approved.body);
    for _ in 0..3 {
        assert_eq!(app.verify(ask.clone()).await["valid"], true, "5 a minute now, 2 of this minute's used");
    }
    assert_eq!(app.verify(ask.clone()).await["code"], "RATE_LIMITED");

    // Lowering it, or dropping it for a longer window of no more requests, narrows: at once.
    let lower = app.patch(&ops.key(&id), &ops.maker, json!({"limits": per_minute(1)})).await;
    assert_eq!(lower.body["limits"]["rate"], per_minute(1)["rate"], "applied at once: {:?}", lower.body);
    assert!(lower.body["pending_change"].is_null());
    let removed = app.patch(&ops.key(&id), &ops.maker, json!({"limits": {}})).await;
    assert_eq!(removed.body["limits"]["rate"], per_minute(1)["rate"], "removing a limit waits");
    assert!(removed.body["pending_change"].is_object());

    // Refused as the caller's mistake, naming the field.
    let six: Vec<Value> = (0..6).map(|i| json!({"name": format!("r{i}"), "limit": 1, "window_seconds": 1})).collect();
    let bad = [
        json!({"rate": six}),
        json!({"rate": [{"name": "a", "limit": 1, "window_seconds": 86_401}]}),
        json!({"rate": [{"name": "a", "limit": 0, "window_seconds": 1}]}),
        json!({"rate": [{"name": "a b", "limit": 1, "window_seconds": 1}]}),
        json!({"rate": [{"name": "a", "limit": 1, "window_seconds": 1}, {"name": "a", "limit": 2, "window_seconds": 2}]}),
    ];
    for limits in bad {
        let reply = app.patch(&ops.key(&id), &ops.maker, json!({"limits": limits})).await;
        assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{limits}: {:?}", reply.body);
        assert!(reply.body.to_string().contains("limits.rate"), "names the field: {:?}", reply.body);
    }
}
