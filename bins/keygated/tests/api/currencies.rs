//! Money in the currencies the seeds use, beyond ISO 4217's three letters.

use reqwest::StatusCode;
use serde_json::json;

use crate::helpers::{live_policy, TestApp};

/// A key limited in USDT is stored, read back and spends (the database accepted the code).
pub async fn a_key_can_be_limited_in_a_crypto_currency(app: &TestApp) {
    let ops = app.tenant("acme", live_policy()).await;
    let limits = json!({"currency": "USDT", "max_amount": "500.000001", "daily_volume": "1000"});
    let (id, secret) = app.active_key(&ops, json!({"name": "wallet", "scopes": ["a:read"], "limits": limits})).await;
    let read = app.get(&ops.key(&id), &ops.auditor).await;
    assert_eq!(read.body["limits"]["amounts"][0]["currency"], "USDT", "shown in the list form: {:?}", read.body);
    let verdict = app.verify(json!({"key": secret, "amount": "250.5", "currency": "USDT"})).await;
    assert_eq!(verdict["valid"], true, "{verdict:?}");
    assert_eq!(verdict["remaining_daily_volume"], "749.5");
    let bad = app
        .post(&ops.keys(), &ops.maker, json!({"name": "x", "scopes": ["a:read"], "limits": {"currency": "usdt"}}))
        .await;
    assert_eq!((bad.status, bad.body["field"].as_str()), (StatusCode::BAD_REQUEST, Some("limits.currency")));
}

/// Spends can be given back, once, and a retried request spends once.
pub async fn a_spend_is_released_once_and_a_retry_spends_once(app: &TestApp) {
    let ops = app.tenant("acme", live_policy()).await;
    let limits = json!({"currency": "XOF", "daily_volume": "1000"});
    let (_, secret) = app.active_key(&ops, json!({"name": "till", "scopes": ["a:read"], "limits": limits})).await;
    let spend = json!({"key": secret, "amount": "400", "currency": "XOF", "idempotency_key": "order-1"});
    let first = app.verify(spend.clone()).await;
    let spend_id = first["spend_id"].as_str().expect("a spend answers its id").to_owned();
    assert_eq!(first["remaining_daily_volume"], "600");
    let again = app.verify(spend.clone()).await;
    assert_eq!(
        (again["valid"].as_bool(), again["spend_id"].as_str()),
        (Some(true), Some(spend_id.as_str())),
        "replayed"
    );
    let other = app
        .raw(
            reqwest::Method::POST,
            "/v1/verify",
            None,
            Some(json!({"key": secret, "amount": "401", "currency": "XOF", "idempotency_key": "order-1"})),
        )
        .await;
    assert_eq!(
        (other.status, other.code()),
        (StatusCode::CONFLICT, "IDEMPOTENCY_MISMATCH"),
        "another request, same key"
    );
    let release = format!("/v1/spends/{spend_id}/release");
    let once = app.raw(reqwest::Method::POST, &release, Some(&app.service), None).await;
    assert_eq!((once.status, &once.body["released"]), (StatusCode::OK, &json!(true)), "{:?}", once.body);
    let twice = app.raw(reqwest::Method::POST, &release, Some(&app.service), None).await;
    assert_eq!(twice.body["released"], false, "a second release changes nothing");
    let next = app.verify(json!({"key": secret, "amount": "1000", "currency": "XOF"})).await;
    assert_eq!(next["valid"], true, "the 400 came back once, so 1000 fits: {next:?}");
    let anonymous = app.raw(reqwest::Method::POST, &release, Some("kgsvc_live_1nope"), None).await;
    assert_eq!(anonymous.status, StatusCode::UNAUTHORIZED, "a release needs a service credential");
}
