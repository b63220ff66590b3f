//! Secrets revealed after approval over HTTP (the first seed): no secret at creation, the maker who
//! asked and nobody else draws it once after approval, two racing reveals give one secret, the window
//! closes, and a rotation follows the same rule.

use std::sync::Arc;

use chrono::Duration;
use keygate_credential::{Secret, Token, TokenPrefix};
use keygate_domain::{Clock, Environment, KeyId, ManualClock};
use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::helpers::{Operators, Reply, TestApp};

fn refusal(reply: &Reply) -> (StatusCode, &str) {
    (reply.status, reply.code())
}

/// `POST .../keys/{id}/secret` as `token`; a secret it answers is remembered for the leak checks.
async fn reveal(app: &TestApp, ops: &Operators, id: &str, token: &str) -> Reply {
    let reply = app.post(&format!("{}/secret", ops.key(id)), token, json!({})).await;
    if let Some(secret) = reply.body["secret"].as_str() {
        app.issued(secret);
    }
    reply
}

/// A key asked by the maker, with no secret in the answer: its id.
async fn asked(app: &TestApp, ops: &Operators, name: &str) -> String {
    let created = app.post(&ops.keys(), &ops.maker, json!({"name": name, "scopes": ["payouts:read"]})).await;
    assert_eq!(created.status, StatusCode::CREATED, "{:?}", created.body);
    assert!(created.body.get("secret").is_none(), "no secret at creation: {:?}", created.body);
    assert_eq!(created.body["key"]["secret_revealed"], false);
    assert!(created.body["key"]["masked"].is_null(), "nothing to mask yet");
    created.body["key"]["id"].as_str().unwrap().to_owned()
}

fn ask(secret: &str) -> Value {
    json!({"key": secret, "tenant_id": "acme", "required_scopes": ["payouts:read"]})
}

/// A well-formed token for key `id` with a secret of our own: what anyone could present before the
/// reveal, since no secret exists to present.
fn guessed(id: &str) -> String {
    let id = KeyId::parse(id).unwrap();
    let token = Token::new(Environment::Test, id, Secret::from_bytes([7; 32]));
    token.to_plain(&TokenPrefix::default()).expose().to_owned()
}

pub async fn only_the_maker_reveals_a_secret_once_after_approval(app: &TestApp, clock: &Arc<ManualClock>) {
    let ops = app.tenant("acme", json!({"reveal": "after_approval", "reveal_window_hours": 24})).await;
    let policy = app.get("/v1/tenants/acme", &ops.admin).await.body["policy"].clone();
    assert_eq!((policy["reveal"].as_str(), policy["reveal_window_hours"].as_u64()), (Some("after_approval"), Some(24)));
    let id = asked(app, &ops, "pos-1").await;
    assert_eq!(refusal(&reveal(app, &ops, &id, &ops.maker).await), (StatusCode::CONFLICT, "INVALID_STATE"), "not yet");

    let approved = app.post(&format!("{}/approve", ops.key(&id)), &ops.checker, json!({})).await;
    assert_eq!(approved.status, StatusCode::OK, "{:?}", approved.body);
    let until = chrono::DateTime::parse_from_rfc3339(approved.body["reveal_until"].as_str().unwrap()).unwrap();
    assert_eq!(until, clock.now() + Duration::hours(24), "the window opens at approval");
    assert_eq!(app.verify(ask(&guessed(&id))).await["code"], "NOT_FOUND", "refused before its reveal");

    let other_maker = app
        .invite("acme", &ops.admin, &ops.admin2, json!({"name": "Max", "email": "max@acme.test", "roles": ["maker"]}))
        .await;
    for (who, token) in [("the checker", &ops.checker), ("an admin", &ops.admin), ("another maker", &other_maker)] {
        assert_eq!(reveal(app, &ops, &id, token).await.status, StatusCode::FORBIDDEN, "{who}");
    }
    let (one, other) = tokio::join!(reveal(app, &ops, &id, &ops.maker), reveal(app, &ops, &id, &ops.maker));
    let (won, lost) = if one.status == StatusCode::OK { (one, other) } else { (other, one) };
    assert_eq!(won.status, StatusCode::OK, "one reveal wins: {:?}", won.body);
    assert_eq!(refusal(&lost), (StatusCode::GONE, "SECRET_ALREADY_REVEALED"), "the other finds it drawn");
    assert_eq!(won.headers["cache-control"], "no-store");
    let secret = won.body["secret"].as_str().unwrap();
    let verdict = app.verify(ask(secret)).await;
    assert_eq!(verdict["valid"], true, "accepted after its reveal: {verdict:?}");
    assert_eq!(refusal(&reveal(app, &ops, &id, &ops.maker).await), (StatusCode::GONE, "SECRET_ALREADY_REVEALED"));

    let view = app.get(&ops.key(&id), &ops.auditor).await.body;
    assert_eq!((view["secret_revealed"].as_bool(), view["reveal_until"].is_null()), (Some(true), true));
    assert!(view["masked"].as_str().is_some_and(|m| secret.ends_with(&m[m.len() - 4..])), "masked now: {view:?}");
    let audit = app.get("/v1/tenants/acme/audit", &ops.auditor).await.body;
    let revealed: Vec<&Value> =
        audit["items"].as_array().unwrap().iter().filter(|e| e["action"] == "key.secret_revealed").collect();
    assert_eq!(revealed.len(), 1, "audited once: {audit:?}");
    assert_eq!(revealed[0]["key_id"], id.as_str());
}

pub async fn an_unrevealed_secret_lapses_and_a_rotation_reveals_anew(app: &TestApp, clock: &Arc<ManualClock>) {
    let ops = app.tenant("acme", json!({"reveal": "after_approval", "reveal_window_hours": 24})).await;
    let id = asked(app, &ops, "pos-1").await;
    assert_eq!(app.post(&format!("{}/approve", ops.key(&id)), &ops.checker, json!({})).await.status, StatusCode::OK);
    clock.advance(Duration::hours(24) + Duration::seconds(1));
    assert_eq!(refusal(&reveal(app, &ops, &id, &ops.maker).await), (StatusCode::GONE, "REVEAL_WINDOW_CLOSED"));

    let rotated = app.post(&format!("{}/rotate", ops.key(&id)), &ops.maker, json!({})).await;
    assert_eq!(rotated.status, StatusCode::CREATED, "{:?}", rotated.body);
    assert!(rotated.body.get("secret").is_none(), "the successor follows the same rule: {:?}", rotated.body);
    let successor = rotated.body["key"]["id"].as_str().unwrap().to_owned();
    let approve = app.post(&format!("{}/approve", ops.key(&successor)), &ops.checker2, json!({})).await;
    assert_eq!(approve.status, StatusCode::OK, "{:?}", approve.body);
    let drawn = reveal(app, &ops, &successor, &ops.maker).await;
    assert_eq!(drawn.status, StatusCode::OK, "{:?}", drawn.body);
    assert_eq!(app.verify(ask(drawn.body["secret"].as_str().unwrap())).await["valid"], true);

    // Back to secrets at creation is a widening: it waits for the second admin.
    let asked_back = app.patch("/v1/tenants/acme", &ops.admin, json!({"policy": {"reveal": "on_create"}})).await;
    assert_eq!(asked_back.body["policy"]["reveal"], "after_approval", "not at once: {:?}", asked_back.body);
    assert_eq!(asked_back.body["pending_policy"]["settings"]["reveal"], "on_create");
    let widened = app.post("/v1/tenants/acme/policy/approve", &ops.admin2, json!({})).await;
    assert_eq!(widened.body["policy"]["reveal"], "on_create", "{:?}", widened.body);
    let (_, secret) = app.create_key(&ops, json!({"name": "pos-2", "scopes": ["payouts:read"]})).await;
    assert!(secret.starts_with("kg_test_"), "shown at creation again");
}
