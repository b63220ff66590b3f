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
    assert_eq!(read.body["limits"]["currency"], "USDT", "{:?}", read.body);
    let verdict = app.verify(json!({"key": secret, "amount": "250.5", "currency": "USDT"})).await;
    assert_eq!(verdict["valid"], true, "{verdict:?}");
    assert_eq!(verdict["remaining_daily_volume"], "749.5");
    let bad = app
        .post(&ops.keys(), &ops.maker, json!({"name": "x", "scopes": ["a:read"], "limits": {"currency": "usdt"}}))
        .await;
    assert_eq!((bad.status, bad.body["field"].as_str()), (StatusCode::BAD_REQUEST, Some("limits.currency")));
}
