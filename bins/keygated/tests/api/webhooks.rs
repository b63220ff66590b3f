//! Webhooks over HTTP on both backends: endpoints under dual control, a key's lifecycle announced in
//! order and signed, retries with one `webhook-id` and the delivery log, a secret rotation's two
//! signatures, and the address checks at registration.

use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

use crate::helpers::{spawn_app_with, Operators, TestApp};
use crate::receiver::{Received, Receiver};

/// The sealing key the tests' servers use (64 hex characters).
pub const KEY: &str = "5f0e6b1c2d3a49587766554433221100ffeeddccbbaa99887766554433221100";

/// A server that delivers webhooks to loopback over `http`, quickly, with retries 1000 times sooner.
pub async fn spawn(database_url: Option<&str>) -> TestApp {
    spawn_app_with(database_url, |config| {
        config.webhook_key = Some(KEY.to_owned());
        config.webhook_allow_http = true;
        config.webhook_allow_private = true;
        config.webhook_poll_ms = 20;
        config.webhook_retry_divisor = 1000;
    })
    .await
}

fn hooks(ops: &Operators) -> String {
    format!("/v1/tenants/{}/webhooks", ops.tenant)
}

/// An active endpoint for `events` at `receiver` (approved by the second admin under dual control):
/// (id, secret).
pub async fn active_hook(app: &TestApp, ops: &Operators, receiver: &Receiver, events: Value) -> (String, String) {
    let created = app.create_webhook(ops, &ops.admin, json!({"url": receiver.url, "events": events})).await;
    assert_eq!(created.status, StatusCode::CREATED, "registered: {:?}", created.body);
    let id = created.body["webhook"]["id"].as_str().unwrap().to_owned();
    if created.body["webhook"]["status"] == "pending_approval" {
        let approved = app.post(&format!("{}/{id}/approve", hooks(ops)), &ops.admin2, json!({})).await;
        assert_eq!(approved.status, StatusCode::OK, "approved: {:?}", approved.body);
    }
    (id, created.body["secret"].as_str().unwrap().to_owned())
}

/// Under dual control one admin asks and another approves; the key's moves arrive in order, each
/// signed, with the key's sequence numbers and states.
pub async fn a_keys_lifecycle_is_announced_in_order_and_signed(app: &TestApp) {
    let ops = app.tenant("hooked", json!({})).await;
    let receiver = Receiver::start(&[]).await;
    let created =
        app.create_webhook(&ops, &ops.admin, json!({"url": receiver.url, "events": ["*"], "description": "sec"})).await;
    assert_eq!(created.status, StatusCode::CREATED, "registered: {:?}", created.body);
    let secret = created.body["secret"].as_str().unwrap().to_owned();
    assert!(secret.starts_with("whsec_") && secret.len() == 50, "whsec_ and 32 bytes in base64");
    assert_eq!(created.body["webhook"]["status"], "pending_approval", "waits for a second admin");
    let id = created.body["webhook"]["id"].as_str().unwrap().to_owned();
    let approve = format!("{}/{id}/approve", hooks(&ops));
    let own = app.post(&approve, &ops.admin, json!({})).await;
    assert_eq!((own.status, own.code()), (StatusCode::FORBIDDEN, "SELF_APPROVAL"), "the asker cannot approve");
    let shown = app.get(&format!("{}/{id}", hooks(&ops)), &ops.auditor).await;
    assert!(shown.body.get("secret").is_none() && shown.body["enabled"] == false, "read: no secret, not sending");
    assert_eq!(app.post(&approve, &ops.admin2, json!({})).await.status, StatusCode::OK, "another admin approves");

    let (key, _) = app.active_key(&ops, json!({"name": "hooked-key", "scopes": ["a:read"]})).await;
    let revoke = app.post(&format!("{}/revoke", ops.key(&key)), &ops.maker, json!({"reason": "done"})).await;
    assert_eq!(revoke.status, StatusCode::OK, "revocation asked: {:?}", revoke.body);
    let revoked = app.post(&format!("{}/revocation/approve", ops.key(&key)), &ops.checker, json!({})).await;
    assert_eq!(revoked.status, StatusCode::OK, "revoked: {:?}", revoked.body);

    let about_key = |r: &Received| r.json()["data"]["key_id"] == key.as_str();
    let got = receiver.wait_for(4, about_key).await;
    for r in receiver.received() {
        assert!(r.signed_by(&secret), "every delivery verifies with the Standard Webhooks algorithm");
        assert_eq!(r.content_type, "application/json", "JSON");
        assert!(!r.id.is_empty() && r.timestamp.parse::<i64>().is_ok(), "webhook-id and webhook-timestamp");
    }
    let mut seen: Vec<Value> = got.iter().map(Received::json).collect();
    seen.sort_by_key(|b| b["data"]["sequence"].as_u64());
    let summary: Vec<(&str, &str, u64)> = seen
        .iter()
        .map(|b| {
            (b["type"].as_str().unwrap(), b["data"]["state"].as_str().unwrap(), b["data"]["sequence"].as_u64().unwrap())
        })
        .collect();
    assert_eq!(
        summary,
        [
            ("key.created", "pending_approval", 1),
            ("key.approved", "active", 2),
            ("key.revocation_requested", "revocation_pending", 3),
            ("key.revoked", "revoked", 4),
        ],
        "the lifecycle in order"
    );
    assert_eq!(seen[1]["data"]["tenant_id"], "hooked", "the tenant");
    assert!(seen[1]["data"]["actor"].as_str().unwrap().starts_with("operator:"), "the actor");
    assert_eq!(seen[3]["data"]["action"], "key.revoked", "the audit action it comes from");
}

/// A receiver answering 500 twice then 200 sees three attempts with one `webhook-id`; the delivery
/// log shows them newest first, and a redelivery sends the same id again.
pub async fn a_failing_receiver_is_retried_with_the_same_id_and_logged(app: &TestApp) {
    let ops = app.tenant("retried", json!({})).await;
    let receiver = Receiver::start(&[500, 500]).await;
    let (id, secret) = active_hook(app, &ops, &receiver, json!(["key.revoked"])).await;
    let test = app.post(&format!("{}/{id}/test", hooks(&ops)), &ops.admin, json!({})).await;
    assert_eq!(test.status, StatusCode::ACCEPTED, "test event queued: {:?}", test.body);
    let got = receiver.wait_for(3, |_| true).await;
    assert!(got.iter().all(|r| r.id == got[0].id && r.signed_by(&secret)), "one webhook-id, signed each time");
    assert_eq!(got[0].json()["type"], "webhook.test", "the test event");

    let log_path = format!("{}/{id}/deliveries", hooks(&ops));
    let mut log = Value::Null;
    for _ in 0..100 {
        log = app.get(&log_path, &ops.auditor).await.body;
        if log["items"][0]["status"] == "delivered" {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    let rows: Vec<(u64, &str, u64)> = log["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            (d["attempt"].as_u64().unwrap(), d["status"].as_str().unwrap(), d["response_status"].as_u64().unwrap())
        })
        .collect();
    assert_eq!(rows, [(3, "delivered", 200), (2, "failed", 500), (1, "failed", 500)], "one row per attempt");
    assert!(log["items"].as_array().unwrap().iter().all(|d| d["event_id"] == got[0].id.as_str()), "same event id");
    assert!(log["items"][1]["next_attempt_at"].is_string(), "a failed attempt shows when it is retried");

    let failed = app.get(&format!("{log_path}?status=failed&limit=1"), &ops.admin).await;
    assert_eq!(failed.body["items"].as_array().unwrap().len(), 1, "filtered and paginated");
    let next = failed.body["next_cursor"].as_str().unwrap().to_owned();
    let rest = app.get(&format!("{log_path}?status=failed&cursor={next}"), &ops.admin).await;
    assert_eq!(rest.body["items"][0]["attempt"], 1, "the next page");

    let first = log["items"][2]["id"].as_str().unwrap();
    let again = app.post(&format!("{log_path}/{first}/redeliver"), &ops.admin, json!({})).await;
    assert_eq!(again.status, StatusCode::ACCEPTED, "redelivery queued: {:?}", again.body);
    let got = receiver.wait_for(4, |_| true).await;
    assert_eq!(got[3].id, got[0].id, "a redelivery keeps the webhook-id");
}

/// After a rotation both secrets sign for 24 hours; the new secret is shown once.
pub async fn rotation_sends_both_signatures_during_the_overlap(app: &TestApp) {
    let ops = app.tenant("rotated", json!({})).await;
    let receiver = Receiver::start(&[]).await;
    let (id, old) = active_hook(app, &ops, &receiver, json!(["*"])).await;
    let rotated = app.rotate_webhook_secret(&ops, &ops.admin, &id).await;
    assert_eq!(rotated.status, StatusCode::OK, "rotated: {:?}", rotated.body);
    let new = rotated.body["secret"].as_str().unwrap().to_owned();
    assert_ne!(new, old, "a new secret");
    assert!(rotated.body["webhook"]["previous_secret_until"].is_string(), "the overlap's end is shown");
    let test = app.post(&format!("{}/{id}/test", hooks(&ops)), &ops.admin, json!({})).await;
    assert_eq!(test.status, StatusCode::ACCEPTED, "test event queued");
    let got = receiver.wait_for(1, |_| true).await;
    assert_eq!(got[0].signature.split(' ').count(), 2, "two signatures");
    assert!(got[0].signed_by(&old) && got[0].signed_by(&new), "one by each secret");
}

/// Disabling and deleting apply at once; a disabled endpoint gets no test event.
pub async fn disabling_and_deleting_apply_at_once(app: &TestApp) {
    let ops = app.tenant("stopped", json!({})).await;
    let receiver = Receiver::start(&[]).await;
    let (id, _) = active_hook(app, &ops, &receiver, json!(["key.created"])).await;
    let path = format!("{}/{id}", hooks(&ops));
    let off = app.patch(&path, &ops.admin, json!({"enabled": false})).await;
    assert_eq!((off.status, &off.body["status"]), (StatusCode::OK, &json!("disabled")), "disabled at once");
    let test = app.post(&format!("{path}/test"), &ops.admin, json!({})).await;
    assert_eq!(test.status, StatusCode::CONFLICT, "nothing is sent to a disabled endpoint");
    let on = app.patch(&path, &ops.admin, json!({"enabled": true})).await;
    assert_eq!(on.body["pending"]["enable"], true, "enabling again waits for a second admin");
    let maker = app.post(&hooks(&ops), &ops.maker, json!({"url": receiver.url, "events": ["*"]})).await;
    assert_eq!(maker.status, StatusCode::FORBIDDEN, "only admins register");
    let deleted = app.raw(Method::DELETE, &path, Some(&ops.admin), None).await;
    assert_eq!(deleted.status, StatusCode::NO_CONTENT, "deleted at once");
    assert_eq!(app.get(&path, &ops.admin).await.status, StatusCode::NOT_FOUND, "gone");
}

/// Without the overrides, `http` and private addresses are refused at registration; without a key,
/// registering is refused naming the setting.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn private_urls_http_and_a_missing_key_are_refused() {
    let strict = spawn_app_with(None, |c| c.webhook_key = Some(KEY.to_owned())).await;
    let ops = strict.tenant("strict", json!({})).await;
    let cases = [
        ("http://hooks.example.com/in", "http without KEYGATE_WEBHOOK_ALLOW_HTTP"),
        ("https://127.0.0.1/in", "loopback"),
        ("https://10.0.0.7/in", "private"),
        ("https://169.254.169.254/latest", "link-local"),
        ("https://[::1]/in", "IPv6 loopback"),
        ("https://localhost/in", "a name resolving to loopback"),
    ];
    for (url, why) in cases {
        let reply = strict.create_webhook(&ops, &ops.admin, json!({"url": url, "events": ["*"]})).await;
        assert_eq!((reply.status, reply.code()), (StatusCode::BAD_REQUEST, "INVALID_REQUEST"), "{why}");
    }
    let unknown =
        strict.create_webhook(&ops, &ops.admin, json!({"url": "https://a.example/", "events": ["nope"]})).await;
    assert_eq!(unknown.status, StatusCode::BAD_REQUEST, "an unknown event name");

    let keyless = spawn_app_with(None, |c| {
        c.webhook_allow_http = true;
        c.webhook_allow_private = true;
    })
    .await;
    let ops = keyless.tenant("keyless", json!({})).await;
    let reply = keyless.create_webhook(&ops, &ops.admin, json!({"url": "http://127.0.0.1:9/", "events": ["*"]})).await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST, "no key, no webhook");
    assert!(reply.body.to_string().contains("KEYGATE_WEBHOOK_KEY"), "the answer names the setting: {:?}", reply.body);
    strict.assert_no_secret_leaked();
}
