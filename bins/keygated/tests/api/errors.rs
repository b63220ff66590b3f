//! One case per error status: each is problem+json with a stable `code`, and the problem names the
//! field when a field is at fault.

use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::helpers::{TestApp, ADMIN};

// One table of cases, read top to bottom; splitting it would hide the pattern.
#[allow(clippy::too_many_lines)]
pub async fn every_error_status_is_problem_json_with_a_stable_code(app: &TestApp) {
    let ops = app.tenant("acme", json!({})).await;
    let (id, _) = app.create_key(&ops, json!({"name": "pos", "scopes": ["balance:read"]})).await;
    let keys = ops.keys();

    let cases = vec![
        (
            app.post(&keys, &ops.maker, json!({"name": "x", "scopes": ["payouts:delete"]})).await,
            400,
            "INVALID_REQUEST",
            Some("scopes[0]"),
            "bad scope",
        ),
        (
            app.post(&keys, &ops.maker, json!({"name": "x", "scopes": ["a:read"], "limits": {"max_amount": 5}})).await,
            400,
            "INVALID_REQUEST",
            Some("limits.max_amount"),
            "amount as a number",
        ),
        (
            app.post(&keys, &ops.maker, json!({"name": "x", "scopes": ["a:read"], "limits": {"max_amount": "5"}}))
                .await,
            400,
            "INVALID_REQUEST",
            Some("limits"),
            "amount limit without currency",
        ),
        (
            app.post(&keys, &ops.maker, json!({"name": "x", "scopes": ["a:read"], "environment": "live"})).await,
            400,
            "INVALID_REQUEST",
            Some("environment"),
            "live not enabled",
        ),
        (
            app.post(&keys, &ops.maker, json!({"name": "x", "scopes": ["a:read"], "never_expires": true})).await,
            400,
            "INVALID_REQUEST",
            Some("expires_at"),
            "never-expiring refused by policy",
        ),
        (
            app.post(&keys, &ops.maker, json!({"name": "x\u{0007}", "scopes": ["a:read"]})).await,
            400,
            "INVALID_REQUEST",
            Some("name"),
            "control character",
        ),
        (
            app.post(&keys, &ops.maker, json!({"scopes": ["a:read"]})).await,
            400,
            "INVALID_REQUEST",
            Some("body"),
            "missing name",
        ),
        (
            app.post(&keys, &ops.maker, json!({"name": "x", "scopes": ["a:read"], "colour": "red"})).await,
            400,
            "INVALID_REQUEST",
            Some("colour"),
            "unknown field",
        ),
        (
            app.patch(&ops.key(&id), &ops.maker, json!({"name": "renamed"})).await,
            400,
            "INVALID_REQUEST",
            Some("name"),
            "name is immutable",
        ),
        (app.raw(Method::GET, &keys, None, None).await, 401, "UNAUTHENTICATED", None, "no credential"),
        (app.get(&keys, "kgop_live_1nope").await, 401, "UNAUTHENTICATED", None, "bad credential"),
        (
            app.post(&format!("{}/approve", ops.key(&id)), &ops.maker, json!({})).await,
            403,
            "FORBIDDEN",
            None,
            "maker without checker role",
        ),
        (
            app.post("/v1/tenants", &ops.maker, json!({"id": "x", "name": "x"})).await,
            403,
            "FORBIDDEN",
            None,
            "operator creating tenants",
        ),
        (app.get(&ops.key("0000000000000000000000"), &ops.auditor).await, 404, "NOT_FOUND", None, "unknown key id"),
        (app.get(&ops.key("not-an-id"), &ops.auditor).await, 404, "NOT_FOUND", None, "malformed key id"),
        (app.get("/v1/nothing-here", ADMIN).await, 404, "NOT_FOUND", None, "unknown route"),
        (app.raw(Method::PUT, &keys, Some(ADMIN), None).await, 405, "METHOD_NOT_ALLOWED", None, "wrong method"),
        (
            app.post(&keys, &ops.maker, json!({"name": "pos", "scopes": ["a:read"]})).await,
            409,
            "NAME_TAKEN",
            None,
            "duplicate name",
        ),
        (
            app.post("/v1/tenants", ADMIN, json!({"id": "acme", "name": "again"})).await,
            409,
            "ALREADY_EXISTS",
            None,
            "duplicate tenant",
        ),
        (
            app.post(&format!("{}/revocation/approve", ops.key(&id)), &ops.checker, json!({})).await,
            409,
            "INVALID_STATE",
            None,
            "no revocation to approve",
        ),
    ];
    for (reply, status, code, field, why) in cases {
        assert_eq!(reply.status.as_u16(), status, "{why}: {:?}", reply.body);
        assert_eq!(reply.code(), code, "{why}: code");
        assert_eq!(reply.headers["content-type"], "application/problem+json", "{why}: problem+json");
        assert_eq!(reply.body["status"], status, "{why}: status member");
        assert_eq!(reply.body["field"].as_str(), field, "{why}: names the field");
        if status == 401 {
            assert!(reply.headers.contains_key("www-authenticate"), "{why}: 401 carries a challenge");
        }
    }
    refusals_outside_the_table(app, &ops, &id).await;
}

/// Self-approval, and bodies that are too large, not JSON, or nested too deep.
async fn refusals_outside_the_table(app: &TestApp, ops: &crate::helpers::Operators, id: &str) {
    let keys = ops.keys();
    let url = |p: &str| format!("{}{p}", app.base);
    let reject = app.post(&format!("{}/reject", ops.key(id)), &ops.maker, json!({"reason": "mine"})).await;
    assert_eq!(reject.status, StatusCode::FORBIDDEN, "the maker (lacking checker) cannot reject");

    // Self-approval by an operator holding both roles.
    let body = json!({"name": "Both", "email": "both@acme.test", "roles": ["maker", "checker"]});
    let both = app.invite("acme", &ops.admin, &ops.admin2, body).await;
    let own = app.post(&keys, &both, json!({"name": "mine", "scopes": ["a:read"]})).await;
    app.issued(own.body["secret"].as_str().unwrap());
    let own_id = own.body["key"]["id"].as_str().unwrap();
    let selfie = app.post(&format!("{}/approve", ops.key(own_id)), &both, json!({})).await;
    assert_eq!((selfie.status, selfie.code()), (StatusCode::FORBIDDEN, "SELF_APPROVAL"), "approving your own request");

    let big = "x".repeat(70 * 1024);
    let too_large = app
        .client()
        .post(url(&keys))
        .bearer_auth(&ops.maker)
        .header("content-type", "application/json")
        .body(big)
        .send()
        .await
        .unwrap();
    let too_large = app.reply(&keys, too_large).await;
    assert_eq!((too_large.status.as_u16(), too_large.code()), (413, "BODY_TOO_LARGE"), "body over 64 KiB");

    let form = app
        .client()
        .post(url(&keys))
        .bearer_auth(&ops.maker)
        .header("content-type", "text/plain")
        .body("name=x")
        .send()
        .await
        .unwrap();
    let form = app.reply(&keys, form).await;
    assert_eq!((form.status.as_u16(), form.code()), (415, "UNSUPPORTED_MEDIA_TYPE"), "body that is not JSON");

    let nested = format!("{}{}", "[".repeat(10_000), "]".repeat(10_000));
    let deep = app
        .client()
        .post(url("/v1/verify"))
        .bearer_auth(&app.service)
        .header("content-type", "application/json")
        .body(nested)
        .send()
        .await
        .unwrap();
    assert_eq!(app.reply("/v1/verify", deep).await.status, StatusCode::BAD_REQUEST, "deeply nested JSON is a 400");
}
