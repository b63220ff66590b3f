//! Operations: a cash-in or cash-out is held to the key's amount, currency and daily limits, lands in
//! the wallet, and a cash-out the wallet refuses gives the daily volume back.

use serde_json::json;
use wallet_api::demo::xof_limits;

use crate::support::{check_problem, operation, spawn_app, Credential};

const CASH_IN: &str = "/api/v1/distributors/demo/cash-in";
const CASH_OUT: &str = "/api/v1/distributors/demo/cash-out";

#[tokio::test]
async fn a_cash_in_and_a_cash_out_move_the_balance_and_are_listed() {
    let app = spawn_app().await;
    let token = Credential::Bearer(&app.demo_token);
    let reply = app.post(CASH_IN, token, &operation("250.00", "XOF")).await;
    assert_eq!(reply.status, 201, "cash-in: {reply:?}");
    assert_eq!(reply.body["balance"], "50250.00", "cash-in adds");
    assert_eq!(reply.body["remaining_daily_volume"], "999750.00", "and reports the day's volume left");
    let reply = app.post(CASH_OUT, Credential::Signed(&app.demo_signer), &operation("1000", "XOF")).await;
    assert_eq!((reply.status, &reply.body["balance"]), (201, &json!("49250.00")), "cash-out takes away: {reply:?}");

    let balance = app.get("/api/v1/distributors/demo/balance", token).await;
    assert_eq!(balance.body, json!({ "balance": "49250.00" }), "the balance reflects both");
    let listed = app.get("/api/v1/distributors/demo/transactions", token).await;
    let kinds: Vec<_> =
        listed.body["items"].as_array().unwrap().iter().map(|t| (t["type"].clone(), t["amount"].clone())).collect();
    assert_eq!(kinds, [(json!("cash_out"), json!("1000")), (json!("cash_in"), json!("250.00"))], "newest first");
}

#[tokio::test]
async fn an_operation_is_held_to_the_key_amount_and_currency() {
    let app = spawn_app().await;
    let token = Credential::Bearer(&app.demo_token);
    let signed = Credential::Signed(&app.demo_signer);
    let cases = [
        (CASH_IN, token, operation("100001", "XOF"), 403, "AMOUNT_OVER_LIMIT", "a cash-in over the 100,000 maximum"),
        (CASH_IN, token, operation("100.01", "XOF"), 400, "AMOUNT_PRECISION", "XOF has no decimals"),
        (CASH_OUT, signed, operation("100001", "XOF"), 403, "AMOUNT_OVER_LIMIT", "a cash-out over the maximum"),
        (CASH_IN, token, operation("250.00", "EUR"), 403, "CURRENCY_MISMATCH", "euros on a XOF key"),
    ];
    for (path, credential, body, status, code, why) in cases {
        check_problem(&app.post(path, credential, &body).await, status, code, why);
    }
    let reply = app.post(CASH_IN, token, &operation("100000", "XOF")).await;
    assert_eq!(reply.status, 201, "exactly the maximum is allowed: {reply:?}");
}

#[tokio::test]
async fn a_malformed_operation_is_a_bad_request() {
    let app = spawn_app().await;
    let token = Credential::Bearer(&app.demo_token);
    let cases = [
        ("not json", "INVALID_BODY", None, "not JSON"),
        (r#"{"amount": 250, "currency": "XOF"}"#, "INVALID_BODY", None, "a number, not a decimal string"),
        (r#"{"amount": "250.00"}"#, "INVALID_BODY", None, "no currency"),
        (r#"{"amount": "-5", "currency": "XOF"}"#, "INVALID_BODY", Some("amount"), "a negative amount"),
        (r#"{"amount": "1e3", "currency": "XOF"}"#, "INVALID_BODY", Some("amount"), "an exponent"),
        (r#"{"amount": "5", "currency": "xof"}"#, "INVALID_BODY", Some("currency"), "a lower-case currency"),
    ];
    for (body, code, field, why) in cases {
        let reply = app.post_raw(CASH_IN, token, body).await;
        check_problem(&reply, 400, code, why);
        assert_eq!(reply.body["field"].as_str(), field, "{why}: the field named");
    }
}

#[tokio::test]
async fn an_exhausted_daily_volume_is_too_many_requests() {
    let app = spawn_app().await;
    let (_, till) = app.issue("demo", "till", &["operations:write"], xof_limits("1000", "1000").unwrap()).await;
    let token = Credential::Bearer(&till);
    assert_eq!(app.post(CASH_IN, token, &operation("600", "XOF")).await.status, 201, "600 of 1,000");
    let reply = app.post(CASH_IN, token, &operation("600", "XOF")).await;
    check_problem(&reply, 429, "DAILY_VOLUME_EXCEEDED", "600 more with 400 left");
    assert_eq!(reply.body["remaining"], "400", "the problem says what is left");
    let retry = reply.retry_after.as_deref().and_then(|v| v.parse::<u64>().ok());
    assert!(retry.is_some_and(|s| (1..=86_400).contains(&s)), "and Retry-After, when the day resets: {retry:?}");
    assert_eq!(reply.body["retry_after"].as_u64(), retry, "the same in the body");
    assert_eq!(app.post(CASH_IN, token, &operation("400", "XOF")).await.status, 201, "exactly what is left");
}

#[tokio::test]
async fn a_cash_out_over_the_balance_is_a_conflict_and_gives_the_volume_back() {
    let app = spawn_app().await;
    app.open("other", "100.00");
    let till = app.issue_signer("other", "till", &["operations:write"], xof_limits("1000", "1000").unwrap()).await;
    let token = Credential::Signed(&till);
    let reply = app.post("/api/v1/distributors/other/cash-out", token, &operation("500", "XOF")).await;
    check_problem(&reply, 409, "INSUFFICIENT_FUNDS", "500 out of a balance of 100");
    assert_eq!(app.wallet.balance(&"other".parse().unwrap()).to_string(), "100.00", "the balance is untouched");
    let reply = app.post("/api/v1/distributors/other/cash-in", token, &operation("1000", "XOF")).await;
    assert_eq!(reply.status, 201, "the whole day's volume is still there: {reply:?}");
    assert_eq!(reply.body["remaining_daily_volume"], "0", "and now used up");
}

#[tokio::test]
async fn a_cash_out_needs_a_signed_request_and_a_signature_works_once() {
    let app = spawn_app().await;
    let bearer = app.post(CASH_OUT, Credential::Bearer(&app.demo_token), &operation("10", "XOF")).await;
    check_problem(&bearer, 401, "SIGNATURE_REQUIRED", "a bearer key cannot move money out");
    let bare = app.post(CASH_OUT, Credential::Missing, &operation("10", "XOF")).await;
    check_problem(&bare, 401, "SIGNATURE_REQUIRED", "nor can nothing");

    let request = |body: &str| {
        let url = format!("{}{CASH_OUT}", app.base);
        reqwest::Client::new().post(url).header("content-type", "application/json").body(body.to_owned()).build()
    };
    let sent = request(r#"{"amount": "10", "currency": "XOF"}"#).unwrap();
    let fields = app.sign(&sent, &app.demo_signer);
    let again = request(r#"{"amount": "10", "currency": "XOF"}"#).unwrap();
    let tampered = request(r#"{"amount": "99", "currency": "XOF"}"#).unwrap();
    check_problem(&app.execute(tampered, &fields).await, 401, "DIGEST_MISMATCH", "another amount under the signature");
    let reply = app.execute(sent, &fields).await;
    assert_eq!((reply.status, &reply.body["balance"]), (201, &json!("49990.00")), "signed: {reply:?}");
    check_problem(&app.execute(again, &fields).await, 401, "REPLAYED", "the same signed request again");

    let balance = app.get("/api/v1/distributors/demo/balance", Credential::Signed(&app.demo_signer)).await;
    assert_eq!(balance.body, json!({ "balance": "49990.00" }), "the balance takes a signed request too");
}
