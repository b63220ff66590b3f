//! Who may ask for a verdict: a service credential, bound to some tenants or to all; without one, 401
//! (unless `KEYGATE_VERIFY_AUTH=none`), and only a service is believed about its client's address.

use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::helpers::{create_service, live_policy, spawn_app_with, TestApp, ADMIN};

/// The attack of the issue: an anonymous caller spends a key's volume, and a bound service asks about
/// another tenant's key.
pub async fn only_a_service_asks_and_only_about_its_tenants(app: &TestApp) {
    let acme = app.tenant("acme", live_policy()).await;
    app.tenant("globex", live_policy()).await;
    let limits = json!({"currency": "XOF", "daily_volume": "300000.00", "allowed_ips": ["10.20.0.0/16"]});
    let (id, secret) = app.active_key(&acme, json!({"name": "till", "scopes": ["a:read"], "limits": limits})).await;
    let spend = json!({"key": secret, "amount": "100000", "currency": "XOF", "client_ip": "10.20.1.1"});
    for token in [None, Some("kgsvc_live_1notatoken"), Some(acme.maker.as_str()), Some(secret.as_str())] {
        let anonymous = app.client().post(format!("{}/v1/verify", app.base)).json(&spend);
        let anonymous = match token {
            Some(token) => anonymous.bearer_auth(token),
            None => anonymous,
        };
        let reply = app.reply("/v1/verify", anonymous.send().await.unwrap()).await;
        assert_eq!((reply.status, reply.code()), (StatusCode::UNAUTHORIZED, "UNAUTHENTICATED"), "{token:?}");
    }
    let globex_only = app.issued(&create_service(app, "globex-gateway", json!(["globex"])).await);
    let other = app.raw(Method::POST, "/v1/verify", Some(&globex_only), Some(spend.clone())).await;
    assert_eq!(other.body["code"], "NOT_FOUND", "another tenant's key answers as an unknown key: {:?}", other.body);
    let usage = app.get(&format!("{}/usage", acme.key(&id)), &acme.auditor).await;
    let per_day: Vec<&str> =
        usage.body["days"].as_array().unwrap().iter().filter_map(|d| d["spent"].as_str()).collect();
    assert!(per_day.iter().all(|s| *s == "0"), "nothing was spent by the refused calls: {per_day:?}");
    let acme_gateway = app.issued(&create_service(app, "acme-gateway", json!(["acme"])).await);
    let own = app.raw(Method::POST, "/v1/verify", Some(&acme_gateway), Some(spend.clone())).await;
    assert_eq!(own.body["valid"], true, "its own tenant's key, from the allowed address: {:?}", own.body);
    // Disabled: at once on this process.
    let listed = app.get("/v1/services", ADMIN).await;
    let acme_id = listed.body["items"].as_array().unwrap().iter().find(|s| s["name"] == "acme-gateway").unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let disabled = app.post(&format!("/v1/services/{acme_id}/disable"), ADMIN, json!({})).await;
    assert_eq!(disabled.body["state"], "disabled", "{:?}", disabled.body);
    let after = app.raw(Method::POST, "/v1/verify", Some(&acme_gateway), Some(spend)).await;
    assert_eq!(after.status, StatusCode::UNAUTHORIZED, "a disabled service is refused");
    // Only the system admin manages services.
    let by_admin = app.post("/v1/services", &acme.admin, json!({"name": "mine", "tenants": "*"})).await;
    assert_eq!(by_admin.status, StatusCode::FORBIDDEN, "a tenant admin issues no service credential");
    let listed = app.get("/v1/services", &acme.admin).await;
    assert_eq!(listed.status, StatusCode::FORBIDDEN);
    assert!(!listed.body.to_string().contains("kgsvc_"), "no token in any listing");
}

/// With `KEYGATE_VERIFY_AUTH=none`, anyone may ask, but the body's client address is not believed.
#[tokio::test]
async fn without_service_auth_the_client_address_is_the_callers_own() {
    let app = spawn_app_with(None, |c| c.verify_auth = "none".to_owned()).await;
    let acme = app.tenant("acme", live_policy()).await;
    let limits = json!({"allowed_ips": ["10.20.0.0/16"]});
    let (_, secret) = app.active_key(&acme, json!({"name": "till", "scopes": ["a:read"], "limits": limits})).await;
    let forged = json!({"key": secret, "client_ip": "10.20.1.1"});
    let anonymous = app.client().post(format!("{}/v1/verify", app.base)).json(&forged).send().await.unwrap();
    let verdict = app.reply("/v1/verify", anonymous).await;
    assert_eq!(verdict.body["code"], "IP_NOT_ALLOWED", "the forged address is ignored: {:?}", verdict.body);
    let from_service = app.raw(Method::POST, "/v1/verify", None, Some(forged)).await;
    assert_eq!(from_service.body["valid"], true, "a service is believed about its client");
    app.assert_no_secret_leaked();
}

/// Secrets can come from files, as container secrets are mounted.
#[tokio::test]
async fn the_admin_token_can_come_from_a_file() {
    let dir = std::env::temp_dir().join(format!("keygate-secret-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("admin-token");
    std::fs::write(&file, format!("{ADMIN}\n")).unwrap();
    let app = spawn_app_with(None, |c| {
        c.admin_token = None;
        c.admin_token_file = Some(file.clone());
    })
    .await;
    // spawn_app_with itself issued a service credential as the admin; a tenant proves it once more.
    let ok = app.post("/v1/tenants", ADMIN, json!({"id": "f", "name": "F"})).await;
    assert_eq!(ok.status, StatusCode::CREATED, "the token read from the file, final newline dropped: {:?}", ok.body);
    std::fs::remove_dir_all(&dir).unwrap();
}
