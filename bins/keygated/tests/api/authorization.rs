//! Who may ask is decided before what was asked is read: tenant and role first, then the body. And one
//! credential has one spelling.

use keygated::routes::ROUTES;
use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::helpers::{live_policy, TestApp};

/// Every route that takes a tenant, called by an operator of another tenant holding every role there
/// is, with a body and a query that break every rule: 403, never 400. The table is `ROUTES`, so a new
/// route cannot skip this.
pub async fn another_tenants_caller_gets_403_before_its_body_is_read(app: &TestApp) {
    let acme = app.tenant("acme", live_policy()).await;
    let other = app.tenant("globex", live_policy()).await;
    let (key, _) = app.create_key(&acme, json!({"name": "k", "scopes": ["balance:read"]})).await;
    let garbage = json!({"name": 17, "scopes": "nope", "reason": "", "policy": [], "roles": 3, "unknown": true});
    let mut checked = 0;
    for (method, path) in ROUTES.iter().filter(|(_, p)| p.contains("{tenant}")) {
        let concrete = format!("{}?limit=0&cursor=@@&reason=", path.replace("{tenant}", "acme").replace("{id}", &key));
        for token in [&other.maker, &other.checker, &other.auditor] {
            let reply = app.raw(method.parse::<Method>().unwrap(), &concrete, Some(token), Some(garbage.clone())).await;
            assert_eq!(
                reply.status,
                StatusCode::FORBIDDEN,
                "{method} {path} by another tenant's operator answers 403 before reading the body: {:?}",
                reply.body
            );
        }
        checked += 1;
    }
    assert!(checked >= 15, "the table covers every tenant route ({checked})");
}

/// A role check comes before the body too: an auditor sending garbage to a maker's route is 403.
pub async fn a_missing_role_is_403_before_the_body_is_read(app: &TestApp) {
    let acme = app.tenant("acme", live_policy()).await;
    let reply = app.post(&acme.keys(), &acme.auditor, json!({"name": 17})).await;
    assert_eq!(reply.status, StatusCode::FORBIDDEN, "auditor creating a key with a bad body: {:?}", reply.body);
    let reply = app.patch("/v1/tenants/acme", &acme.maker, json!({"policy": "loose"})).await;
    assert_eq!(reply.status, StatusCode::FORBIDDEN, "maker changing the policy with a bad body: {:?}", reply.body);
}

/// An operator token re-spelled with `_test_` and a recomputed checksum is not that token.
pub async fn an_operator_token_has_one_spelling(app: &TestApp) {
    let acme = app.tenant("acme", live_policy()).await;
    let respelled = respell_as_test(&acme.auditor);
    assert_ne!(respelled, acme.auditor);
    let reply = app.get("/v1/tenants/acme/keys", &respelled).await;
    assert_eq!(reply.status, StatusCode::UNAUTHORIZED, "the _test_ spelling of an operator token: {:?}", reply.body);
    assert_eq!(app.get("/v1/tenants/acme/keys", &acme.auditor).await.status, StatusCode::OK, "the real one works");
}

/// A key holding `api-keys:read` reads keys but never operators' personal data.
pub async fn an_integrator_key_never_sees_operators(app: &TestApp) {
    let acme = app.tenant("acme", json!({"dual_control": false, "live_enabled": true})).await;
    let (_, secret) = app.create_key(&acme, json!({"name": "reader", "scopes": ["api-keys:read"]})).await;
    assert_eq!(app.get("/v1/tenants/acme/keys", &secret).await.status, StatusCode::OK, "the key lists keys");
    let reply = app.get("/v1/tenants/acme/operators", &secret).await;
    assert_eq!(reply.status, StatusCode::FORBIDDEN, "operators are not shown to keys: {:?}", reply.body);
    assert!(!reply.body.to_string().contains('@'), "no e-mail address in the refusal");
}

/// The second seed deletes a key with no payload; the audit log records "deleted".
pub async fn a_plain_delete_with_no_body_asks_the_revocation(app: &TestApp) {
    let acme = app.tenant("acme", live_policy()).await;
    let (key, _) = app.create_key(&acme, json!({"name": "k", "scopes": ["balance:read"]})).await;
    assert_eq!(app.post(&format!("{}/approve", acme.key(&key)), &acme.checker, json!({})).await.status, StatusCode::OK);
    let reply = app.raw(Method::DELETE, &acme.key(&key), Some(&acme.maker), None).await;
    assert_eq!(reply.status, StatusCode::OK, "DELETE with no body: {:?}", reply.body);
    assert_eq!(reply.body["state"], "revocation_pending");
    assert_eq!(reply.body["revocation"]["reason"], "deleted", "the reason recorded when none is given");
    let (key2, _) = app.create_key(&acme, json!({"name": "k2", "scopes": ["balance:read"]})).await;
    assert_eq!(
        app.post(&format!("{}/approve", acme.key(&key2)), &acme.checker, json!({})).await.status,
        StatusCode::OK
    );
    let reply =
        app.raw(Method::DELETE, &format!("{}?reason=partner%20left", acme.key(&key2)), Some(&acme.maker), None).await;
    assert_eq!(reply.body["revocation"]["reason"], "partner left", "the reason from ?reason=");
}

/// `{prefix}op_live_1…` to `{prefix}op_test_1…` with the checksum recomputed over the new text.
fn respell_as_test(token: &str) -> String {
    let respelled = token.replacen("_live_", "_test_", 1);
    let (body, _) = respelled.split_at(respelled.len() - 6);
    let crc = crc32fast::hash(body.as_bytes());
    format!("{body}{}", base62_fixed(u64::from(crc), 6))
}

fn base62_fixed(mut n: u64, width: usize) -> String {
    const ALPHABET: &[u8] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
    let mut out = vec![b'0'; width];
    for slot in out.iter_mut().rev() {
        *slot = ALPHABET[(n % 62) as usize];
        n /= 62;
    }
    String::from_utf8(out).unwrap()
}
