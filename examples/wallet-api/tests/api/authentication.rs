//! Who may call at all: a good key in either header gets in; a missing, malformed, unknown or revoked
//! key gets a 401 problem with the RFC 6750 challenge.

use std::time::Duration;

use keygate_credential::Token;
use keygate_domain::Environment;
use keygate_domain::Limits;

use crate::support::{check_problem, spawn_app, Credential};

const BALANCE: &str = "/api/v1/distributors/demo/balance";

#[tokio::test]
async fn a_good_key_reads_the_balance_in_either_header() {
    let app = spawn_app().await;
    for (credential, why) in [
        (Credential::Bearer(&app.demo_token), "Authorization: Bearer"),
        (Credential::ApiKey(&app.demo_token), "X-API-KEY"),
    ] {
        let reply = app.get(BALANCE, credential).await;
        assert_eq!(reply.status, 200, "{why}: {reply:?}");
        assert_eq!(reply.body, serde_json::json!({ "balance": "50000.00" }), "{why}: the seed's answer");
    }
}

#[tokio::test]
async fn a_request_without_a_key_is_told_to_present_one() {
    let app = spawn_app().await;
    let reply = app.get(BALANCE, Credential::Missing).await;
    check_problem(&reply, 401, "MISSING_CREDENTIAL", "no key");
    assert_eq!(reply.www_authenticate.as_deref(), Some("Bearer"), "a bare challenge, no error");
}

#[tokio::test]
async fn a_bad_key_is_refused_with_an_invalid_token_challenge() {
    let app = spawn_app().await;
    let unknown = Token::generate(Environment::Live).to_plain(app.verifier.prefix()).expose().to_owned();
    let mut typo = app.demo_token.clone();
    typo.pop();
    typo.push(if app.demo_token.ends_with('x') { 'y' } else { 'x' });
    let cases = [
        (
            Credential::Bearer("uwk_DlbWVU3Vjd11Le43kka6enGNjyd6xtbrBkNHMngl2aNz2Cm7"),
            "MALFORMED",
            "another platform's key",
        ),
        (Credential::Bearer(&typo), "MALFORMED", "a typo in the demo key"),
        (Credential::ApiKey(&unknown), "NOT_FOUND", "a well-formed key of nobody, in X-API-KEY"),
        (Credential::Bearer(&unknown), "NOT_FOUND", "a well-formed key of nobody, as a bearer"),
    ];
    for (credential, code, why) in cases {
        let reply = app.get(BALANCE, credential).await;
        check_problem(&reply, 401, code, why);
        assert_eq!(reply.www_authenticate.as_deref(), Some(r#"Bearer error="invalid_token""#), "{why}: the challenge");
    }
}

#[tokio::test]
async fn a_revoked_key_is_refused() {
    let app = spawn_app().await;
    let (key, token) = app.issue("demo", "soon-revoked", &["balance:read"], Limits::none()).await;
    assert_eq!(app.get(BALANCE, Credential::Bearer(&token)).await.status, 200, "the key works before");
    app.revoke(&key).await;
    // The verifier hears of the change through the store's notifications; allow it a moment.
    let mut reply = app.get(BALANCE, Credential::Bearer(&token)).await;
    for _ in 0..50 {
        if reply.status != 200 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
        reply = app.get(BALANCE, Credential::Bearer(&token)).await;
    }
    check_problem(&reply, 401, "REVOKED", "after the checker approved its revocation");
    assert_eq!(reply.www_authenticate.as_deref(), Some(r#"Bearer error="invalid_token""#), "the challenge");
}
