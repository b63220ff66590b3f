//! A key's owner over HTTP (what Unkey calls `externalId` and `meta`): set at creation, returned by
//! verify exactly as sent, filterable by external id, bounded, and changed afterwards only as scopes are
//! (held for a checker under dual control).

use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::helpers::{Reply, TestApp};

fn refusal(reply: &Reply) -> (StatusCode, &str, Option<&str>) {
    (reply.status, reply.code(), reply.body["field"].as_str())
}

fn ask(secret: &str) -> Value {
    json!({"key": secret, "tenant_id": "acme", "required_scopes": ["payouts:read"]})
}

pub async fn metadata_and_external_id_come_back_with_every_verification(app: &TestApp) {
    let ops = app.tenant("acme", json!({})).await;
    // Keys in the client's order, numbers as written: a service reads back what it stored.
    let metadata = r#"{"merchant_id":"m-4711","limits":{"tier":2},"rate":1.50}"#;
    let body =
        format!(r#"{{"name":"pos-1","scopes":["payouts:read"],"external_id":"merchant-4711","metadata":{metadata}}}"#);
    let created = app
        .client()
        .post(format!("{}{}", app.base, ops.keys()))
        .bearer_auth(&ops.maker)
        .header("content-type", "application/json")
        .body(body)
        .send()
        .await
        .unwrap();
    let created = app.reply(&ops.keys(), created).await;
    assert_eq!(created.status, StatusCode::CREATED, "{:?}", created.body);
    let id = created.body["key"]["id"].as_str().unwrap().to_owned();
    let secret = app.issued(created.body["secret"].as_str().unwrap());
    assert_eq!(created.body["key"]["external_id"], "merchant-4711");
    assert_eq!(app.post(&format!("{}/approve", ops.key(&id)), &ops.checker, json!({})).await.status, StatusCode::OK);
    let (_, _other) = app.active_key(&ops, json!({"name": "pos-2", "scopes": ["payouts:read"]})).await;

    let raw = app
        .client()
        .post(format!("{}/v1/verify", app.base))
        .bearer_auth(&app.service)
        .json(&ask(&secret))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(raw.contains(&format!(r#""metadata":{metadata}"#)), "as sent, in its order: {raw}");
    let verdict: Value = serde_json::from_str(&raw).unwrap();
    assert_eq!((verdict["valid"].as_bool(), verdict["external_id"].as_str()), (Some(true), Some("merchant-4711")));

    let listed = app.get(&format!("{}?external_id=merchant-4711", ops.keys()), &ops.auditor).await;
    let ids: Vec<&str> = listed.body["items"].as_array().unwrap().iter().map(|k| k["id"].as_str().unwrap()).collect();
    assert_eq!(ids, [id.as_str()], "only that owner's key: {:?}", listed.body);
    let none = app.get(&format!("{}?external_id=MERCHANT-4711", ops.keys()), &ops.auditor).await;
    assert_eq!(none.body["items"], json!([]), "matched as written");

    let big = json!({"name": "big", "scopes": ["a:read"], "metadata": {"blob": "x".repeat(4100)}});
    let deep = json!({"name": "deep", "scopes": ["a:read"], "metadata": {"1": {"2": {"3": {"4": {"5": {"6": 1}}}}}}});
    let cases = [
        (big, "metadata", "over 4 KiB"),
        (deep, "metadata", "six levels deep"),
        (json!({"name": "list", "scopes": ["a:read"], "metadata": [1, 2]}), "metadata", "not an object"),
        (
            json!({"name": "long", "scopes": ["a:read"], "external_id": "m".repeat(129)}),
            "external_id",
            "129 characters",
        ),
        (json!({"name": "tab", "scopes": ["a:read"], "external_id": "m\t1"}), "external_id", "a control character"),
    ];
    for (body, field, why) in cases {
        let refused = app.post(&ops.keys(), &ops.maker, body).await;
        assert_eq!(refusal(&refused), (StatusCode::BAD_REQUEST, "INVALID_REQUEST", Some(field)), "{why}");
    }
}

pub async fn a_change_of_owner_waits_for_a_checker_like_scopes(app: &TestApp) {
    let ops = app.tenant("acme", json!({})).await;
    let body =
        json!({"name": "pos-1", "scopes": ["payouts:read"], "external_id": "m-1", "metadata": {"merchant": "m-1"}});
    let (id, secret) = app.active_key(&ops, body).await;
    let asked = app.patch(&ops.key(&id), &ops.maker, json!({"metadata": {"merchant": "m-2"}, "notes": "moved"})).await;
    assert_eq!(asked.status, StatusCode::OK, "{:?}", asked.body);
    assert_eq!(asked.body["notes"], "moved", "notes stay free");
    assert_eq!(asked.body["pending_change"]["metadata"], json!({"merchant": "m-2"}), "held: {:?}", asked.body);
    assert_eq!(asked.body["pending_change"]["external_id"], "m-1", "the whole owner it would have");
    assert_eq!(app.verify(ask(&secret)).await["metadata"], json!({"merchant": "m-1"}), "the old one meanwhile");

    let own = app.post(&format!("{}/change/approve", ops.key(&id)), &ops.maker, json!({})).await;
    assert_eq!(own.status, StatusCode::FORBIDDEN, "the maker never approves: {:?}", own.body);
    let approved = app.post(&format!("{}/change/approve", ops.key(&id)), &ops.checker, json!({})).await;
    assert_eq!(approved.status, StatusCode::OK, "{:?}", approved.body);
    assert_eq!(app.verify(ask(&secret)).await["metadata"], json!({"merchant": "m-2"}), "in force once approved");

    let cleared = app.patch(&ops.key(&id), &ops.maker, json!({"external_id": null})).await;
    assert!(cleared.body["pending_change"]["external_id"].is_null(), "clearing is held too: {:?}", cleared.body);
    assert_eq!(cleared.body["external_id"], "m-1");

    let open = app.tenant("open", json!({})).await;
    let switched = app.patch("/v1/tenants/open", &open.admin, json!({"policy": {"dual_control": false}})).await;
    let approved = app.post("/v1/tenants/open/policy/approve", &open.admin2, json!({})).await;
    assert_eq!((switched.status, approved.status), (StatusCode::OK, StatusCode::OK), "{:?}", approved.body);
    let (key, _) = app.create_key(&open, json!({"name": "k", "scopes": ["a:read"]})).await;
    let at_once = app.patch(&open.key(&key), &open.maker, json!({"external_id": "m-9", "metadata": {"a": 1}})).await;
    assert_eq!((at_once.body["external_id"].as_str(), at_once.body["pending_change"].is_null()), (Some("m-9"), true));
}
