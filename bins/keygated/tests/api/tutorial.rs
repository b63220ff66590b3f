//! The first seed's tutorial, over HTTP: a maker creates a key, it is refused while pending, the maker
//! cannot approve it, a checker approves, the key verifies, a revocation is asked and approved, and the
//! key is refused forever after.

use reqwest::StatusCode;
use serde_json::json;

use crate::helpers::{live_policy, TestApp};

pub async fn the_first_seeds_tutorial_works_end_to_end(app: &TestApp) {
    let ops = app.tenant("distributor-42", live_policy()).await;
    let (id, secret) = app
        .create_key(
            &ops,
            json!({
                "name": "POS Integration",
                "notes": "Main store till",
                "environment": "live",
                "scopes": ["balance:read", "transactions:read", "operations:write"],
                "limits": {"currency": "XOF", "max_amount": "100000", "daily_volume": "1000000",
                           "allowed_ips": ["192.168.1.100", "10.0.0.5", "127.0.0.1"]},
                "expires_in_days": 365
            }),
        )
        .await;
    let ask = json!({"key": secret, "tenant_id": "distributor-42", "required_scopes": ["balance:read"], "environment": "live", "client_ip": "10.0.0.5"});

    let pending = app.verify(ask.clone()).await;
    assert_eq!(
        (pending["valid"].as_bool(), pending["code"].as_str()),
        (Some(false), Some("PENDING_APPROVAL")),
        "refused while pending"
    );
    assert_eq!(pending["status"], 401, "a pending key is a 401");

    let own = app.post(&format!("{}/approve", ops.key(&id)), &ops.maker, json!({})).await;
    assert_eq!(own.status, StatusCode::FORBIDDEN, "the maker cannot approve its own key");

    let approved = app.post(&format!("{}/approve", ops.key(&id)), &ops.checker, json!({})).await;
    assert_eq!(approved.status, StatusCode::OK, "a checker approves: {:?}", approved.body);
    assert_eq!(approved.body["state"], "active");
    assert!(approved.body["approved_by"].as_str().unwrap().starts_with("operator:"), "approver recorded");

    let ok = app.verify(ask.clone()).await;
    assert_eq!(ok["valid"], true, "the key verifies once active: {ok:?}");
    assert_eq!(ok["key_id"], id.as_str());
    let view = app.get(&ops.key(&id), &ops.auditor).await;
    assert!(!view.body.to_string().contains(&secret[secret.len() - 20..]), "a read never shows the secret");
    assert!(view.body["masked"].as_str().unwrap().starts_with("kg_live_\u{2026}"), "masked form shown");

    let asked =
        app.post(&format!("{}/revoke", ops.key(&id)), &ops.maker, json!({"reason": "integration retired"})).await;
    assert_eq!(asked.body["state"], "revocation_pending", "revocation asked: {:?}", asked.body);
    assert_eq!(app.verify(ask.clone()).await["valid"], true, "still works until the revocation is approved");
    let self_approve = app.post(&format!("{}/revocation/approve", ops.key(&id)), &ops.maker, json!({})).await;
    assert_eq!(self_approve.status, StatusCode::FORBIDDEN, "the maker lacks checker rights");
    let revoked = app.post(&format!("{}/revocation/approve", ops.key(&id)), &ops.checker2, json!({})).await;
    assert_eq!(revoked.body["state"], "revoked", "{:?}", revoked.body);

    let refused = app.verify(ask.clone()).await;
    assert_eq!(refused["code"], "REVOKED", "refused after revocation");
    let again = app.post(&format!("{}/approve", ops.key(&id)), &ops.checker, json!({})).await;
    assert_eq!(again.status, StatusCode::CONFLICT, "a revoked key cannot be approved again");
    assert_eq!(app.verify(ask).await["code"], "REVOKED", "refused forever after");

    let audit = app.get(&format!("/v1/tenants/{}/audit?key_id={id}", ops.tenant), &ops.auditor).await;
    let actions: Vec<_> =
        audit.body["items"].as_array().unwrap().iter().map(|e| e["action"].as_str().unwrap().to_owned()).collect();
    assert_eq!(
        actions,
        ["key.revoked", "key.revocation_requested", "key.approved", "key.requested"],
        "the audit trail"
    );
}
