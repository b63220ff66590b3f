//! Tenant isolation over HTTP.

use reqwest::StatusCode;
use serde_json::json;

use crate::helpers::{TestApp, ADMIN};

pub async fn an_operator_of_one_tenant_gets_403_on_another(app: &TestApp) {
    let acme = app.tenant("acme", json!({})).await;
    let globex = app.tenant("globex", json!({})).await;
    let (globex_key, _) = app.create_key(&globex, json!({"name": "globex-pos", "scopes": ["balance:read"]})).await;
    let cases = [
        (app.get("/v1/tenants/globex", &acme.auditor).await, "read the tenant"),
        (app.get(&globex.keys(), &acme.auditor).await, "list keys"),
        (app.get(&globex.key(&globex_key), &acme.auditor).await, "read a key"),
        (app.post(&format!("{}/approve", globex.key(&globex_key)), &acme.checker, json!({})).await, "approve"),
        (app.post(&globex.keys(), &acme.maker, json!({"name": "x", "scopes": ["a:read"]})).await, "create"),
        (app.get("/v1/tenants/globex/audit", &acme.auditor).await, "audit log"),
        (app.get("/v1/tenants/globex/operators", &acme.auditor).await, "operators"),
    ];
    for (reply, what) in cases {
        assert_eq!(reply.status, StatusCode::FORBIDDEN, "{what} across tenants: {:?}", reply.body);
    }
    let listed = app.get(&globex.keys(), ADMIN).await;
    assert_eq!(listed.body["items"].as_array().unwrap().len(), 1, "nothing was created in globex by acme");
    let mine = app.get(&acme.keys(), &acme.auditor).await;
    assert!(mine.body["items"].as_array().unwrap().is_empty(), "acme sees none of globex's keys");
}
