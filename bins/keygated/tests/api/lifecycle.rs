//! The rest of the lifecycle over HTTP: rejection, privilege changes, rotation, no dual control,
//! integrator keys, limits through /v1/verify, pagination and the audit log.

use std::time::Duration;

use reqwest::StatusCode;
use serde_json::json;

use crate::helpers::{live_policy, Operators, TestApp, ADMIN};

async fn active_key(app: &TestApp, ops: &Operators, body: serde_json::Value) -> (String, String) {
    app.active_key(ops, body).await
}

pub async fn a_rejected_key_never_works(app: &TestApp) {
    let ops = app.tenant("acme", json!({})).await;
    let (id, secret) = app.create_key(&ops, json!({"name": "doomed", "scopes": ["a:read"]})).await;
    let no_reason = app.post(&format!("{}/reject", ops.key(&id)), &ops.checker, json!({})).await;
    assert_eq!(no_reason.body["field"], "reason", "a rejection needs a reason");
    let rejected = app.post(&format!("{}/reject", ops.key(&id)), &ops.checker, json!({"reason": "too broad"})).await;
    assert_eq!(rejected.body["state"], "rejected");
    assert_eq!(app.verify(json!({"key": secret})).await["code"], "REJECTED");
    let late = app.post(&format!("{}/approve", ops.key(&id)), &ops.checker2, json!({})).await;
    assert_eq!(late.status, StatusCode::CONFLICT, "rejected is final");
}

pub async fn privilege_widening_waits_for_a_checker_and_narrowing_does_not(app: &TestApp) {
    let ops = app.tenant("acme", json!({})).await;
    let (id, secret) = active_key(app, &ops, json!({"name": "k", "scopes": ["payouts:read"]})).await;
    let widen =
        app.patch(&ops.key(&id), &ops.maker, json!({"scopes": ["payouts:write"], "notes": "asked by ops"})).await;
    assert_eq!(widen.status, StatusCode::OK, "{:?}", widen.body);
    assert_eq!(widen.body["scopes"], json!(["payouts:read"]), "old privileges stay in force");
    assert_eq!(widen.body["pending_change"]["scopes"], json!(["payouts:write"]), "the widening waits");
    assert_eq!(widen.body["notes"], "asked by ops", "notes apply at once");
    let ask = json!({"key": secret, "required_scopes": ["payouts:write"]});
    assert_eq!(app.verify(ask.clone()).await["code"], "INSUFFICIENT_SCOPE", "not yet granted");
    let own = app.post(&format!("{}/change/approve", ops.key(&id)), &ops.maker, json!({})).await;
    assert_eq!(own.status, StatusCode::FORBIDDEN, "the maker cannot apply it");
    let applied = app.post(&format!("{}/change/approve", ops.key(&id)), &ops.checker, json!({})).await;
    assert_eq!(applied.body["scopes"], json!(["payouts:write"]), "{:?}", applied.body);
    assert_eq!(app.verify(ask).await["valid"], true, "granted after approval");
    let narrow = app.patch(&ops.key(&id), &ops.maker, json!({"scopes": ["payouts:read"]})).await;
    assert_eq!(narrow.body["scopes"], json!(["payouts:read"]), "narrowing applies at once");
    assert!(narrow.body["pending_change"].is_null());
}

pub async fn rotation_expires_the_old_key_after_the_overlap_once_the_new_one_is_active(app: &TestApp) {
    let ops = app.tenant("acme", json!({})).await;
    let (old, old_secret) = active_key(app, &ops, json!({"name": "crm-sync-prod", "scopes": ["a:read"]})).await;
    let rotated = app.post(&format!("{}/rotate", ops.key(&old)), &ops.maker, json!({"overlap_seconds": 1})).await;
    assert_eq!(rotated.status, StatusCode::CREATED, "{:?}", rotated.body);
    let new_secret = app.issued(rotated.body["secret"].as_str().unwrap());
    let new = rotated.body["key"]["id"].as_str().unwrap().to_owned();
    assert_eq!(rotated.body["key"]["state"], "pending_approval", "the successor waits for a checker");
    assert_eq!(app.verify(json!({"key": old_secret})).await["valid"], true, "the old key works meanwhile");
    app.post(&format!("{}/approve", ops.key(&new)), &ops.checker, json!({})).await;
    assert_eq!(app.verify(json!({"key": new_secret})).await["valid"], true, "the new key works");
    assert_eq!(app.verify(json!({"key": old_secret})).await["valid"], true, "both work during the overlap");
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert_eq!(
        app.verify(json!({"key": old_secret})).await["code"],
        "EXPIRED",
        "the old key expired after the overlap"
    );
}

pub async fn without_dual_control_keys_are_active_at_once_and_revoke_at_once(app: &TestApp) {
    let ops = app.tenant("solo", json!({"dual_control": false, "allow_never_expiring": true})).await;
    let (id, secret) = app.create_key(&ops, json!({"name": "k", "scopes": ["a:read"], "never_expires": true})).await;
    let ok = app.verify(json!({"key": secret})).await;
    assert_eq!(
        (ok["valid"].as_bool(), ok["expires_at"].is_null()),
        (Some(true), true),
        "active at once, never expires"
    );
    let deleted =
        app.raw(reqwest::Method::DELETE, &ops.key(&id), Some(&ops.maker), Some(json!({"reason": "done"}))).await;
    assert_eq!(deleted.body["state"], "revoked", "DELETE revokes at once: {:?}", deleted.body);
    assert_eq!(app.verify(json!({"key": secret})).await["code"], "REVOKED");
}

pub async fn an_integrator_key_manages_keys_of_its_own_tenant(app: &TestApp) {
    let ops = app.tenant("acme", json!({})).await;
    app.tenant("globex", json!({})).await;
    let (_, integrator) =
        active_key(app, &ops, json!({"name": "integrator", "scopes": ["api-keys:write", "a:read"]})).await;
    let wider = app.post(&ops.keys(), &integrator, json!({"name": "wider", "scopes": ["payouts:*"]})).await;
    assert_eq!(
        wider.status,
        StatusCode::FORBIDDEN,
        "a key creates keys only within its own privileges: {:?}",
        wider.body
    );
    let made = app.post(&ops.keys(), &integrator, json!({"name": "made-by-key", "scopes": ["a:read"]})).await;
    assert_eq!(made.status, StatusCode::CREATED, "api-keys:write acts as maker: {:?}", made.body);
    app.issued(made.body["secret"].as_str().unwrap());
    assert!(made.body["key"]["created_by"].as_str().unwrap().starts_with("key:"), "the key is its own actor");
    let id = made.body["key"]["id"].as_str().unwrap();
    let approve = app.post(&format!("{}/approve", ops.key(id)), &integrator, json!({})).await;
    assert_eq!(approve.status, StatusCode::FORBIDDEN, "write does not approve");
    let other = app.get("/v1/tenants/globex/keys", &integrator).await;
    assert_eq!(other.status, StatusCode::FORBIDDEN, "another tenant: {:?}", other.body);
    let (_, reader) = active_key(app, &ops, json!({"name": "plain", "scopes": ["balance:read"]})).await;
    assert_eq!(app.get(&ops.keys(), &reader).await.status, StatusCode::FORBIDDEN, "a key without api-keys scopes");
}

pub async fn verify_reports_limits_and_spends_daily_volume(app: &TestApp) {
    let ops = app.tenant("acme", live_policy()).await;
    let (_, secret) = active_key(
        app,
        &ops,
        json!({"name": "till", "environment": "live", "scopes": ["operations:write"],
               "limits": {"currency": "XOF", "max_amount": "250.00", "daily_volume": "500.00", "allowed_ips": ["10.0.0.0/8"]}}),
    )
    .await;
    let ask = |amount: &str, currency: &str, ip: &str| {
        json!({"key": secret, "tenant_id": "acme", "required_scopes": ["operations:write"], "environment": "live",
               "client_ip": ip, "amount": amount, "currency": currency})
    };
    let cases = [
        (ask("250.00", "XOF", "10.1.2.3"), Some("250.00"), None, "first spend"),
        (ask("300", "XOF", "10.1.2.3"), None, Some("AMOUNT_OVER_LIMIT"), "over the per-operation limit"),
        (ask("10", "EUR", "10.1.2.3"), None, Some("CURRENCY_MISMATCH"), "other currency"),
        (ask("10", "XOF", "192.168.0.1"), None, Some("IP_NOT_ALLOWED"), "outside the allow list"),
        (ask("200", "XOF", "10.1.2.3"), Some("50.00"), None, "second spend"),
        (ask("60", "XOF", "10.1.2.3"), None, Some("DAILY_VOLUME_EXCEEDED"), "daily volume used up"),
    ];
    for (body, remaining, code, why) in cases {
        let verdict = app.verify(body).await;
        assert_eq!(verdict["code"].as_str(), code, "{why}: {verdict:?}");
        if code.is_none() {
            assert_eq!(verdict["remaining_daily_volume"].as_str(), remaining, "{why}: remaining");
        }
        if code == Some("DAILY_VOLUME_EXCEEDED") {
            let seconds = verdict["retry_after"].as_u64().expect("a spent volume says when it resets");
            assert!((1..=86_400).contains(&seconds), "{why}: retry_after {seconds} is within a day");
        }
    }
    let test_env = app.verify(json!({"key": secret, "environment": "test"})).await;
    assert_eq!(test_env["code"], "WRONG_ENVIRONMENT");
    let garbage = app.verify(json!({"key": "kg_live_1nonsense"})).await;
    assert_eq!((garbage["code"].as_str(), garbage["status"].as_u64()), (Some("MALFORMED"), Some(401)));
    let bad_scope = app.post("/v1/verify", "", json!({"key": secret, "required_scopes": ["nope"]})).await;
    assert_eq!(bad_scope.body["field"], "required_scopes[0]", "a malformed request is a 400 naming the field");
}

pub async fn listing_paginates_and_the_audit_log_is_newest_first(app: &TestApp) {
    let ops = app.tenant("acme", json!({})).await;
    let mut made = Vec::new();
    for i in 0..7 {
        made.push(app.create_key(&ops, json!({"name": format!("k{i}"), "scopes": ["a:read"]})).await.0);
    }
    let mut seen = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let query = cursor.as_ref().map_or(String::new(), |c| format!("&cursor={c}"));
        let page = app.get(&format!("{}?limit=3&state=pending_approval{query}", ops.keys()), &ops.auditor).await;
        assert_eq!(page.status, StatusCode::OK, "{:?}", page.body);
        seen.extend(page.body["items"].as_array().unwrap().iter().map(|k| k["id"].as_str().unwrap().to_owned()));
        match page.body["next_cursor"].as_str() {
            Some(next) => cursor = Some(next.to_owned()),
            None => break,
        }
    }
    assert_eq!(seen, made, "every key once, in creation order");
    let bad = app.get(&format!("{}?limit=500", ops.keys()), &ops.auditor).await;
    assert_eq!(bad.body["field"], "limit");
    let bad_cursor = app.get(&format!("{}?cursor=zzz", ops.keys()), &ops.auditor).await;
    assert_eq!(bad_cursor.body["field"], "cursor");
    let audit = app.get("/v1/tenants/acme/audit?limit=2", ADMIN).await;
    let items = audit.body["items"].as_array().unwrap();
    assert_eq!(items.len(), 2);
    assert!(items[0]["seq"].as_u64() > items[1]["seq"].as_u64(), "newest first");
    assert!(audit.body["next_cursor"].is_string(), "more pages");
}

/// `?expiring_within_days=N` lists the active keys to rotate before they stop working.
pub async fn keys_about_to_expire_are_listed_for_rotation(app: &TestApp) {
    let ops = app.tenant("acme", live_policy()).await;
    let (soon, _) = app.active_key(&ops, json!({"name": "soon", "scopes": ["a:read"], "expires_in_days": 10})).await;
    app.active_key(&ops, json!({"name": "later", "scopes": ["a:read"], "expires_in_days": 100})).await;
    app.create_key(&ops, json!({"name": "pending", "scopes": ["a:read"], "expires_in_days": 5})).await;
    let listed = app.get(&format!("{}?expiring_within_days=30", ops.keys()), &ops.auditor).await;
    let names: Vec<&str> =
        listed.body["items"].as_array().unwrap().iter().map(|k| k["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["soon"], "active keys expiring within 30 days: {:?}", listed.body);
    assert_eq!(listed.body["items"][0]["id"], soon.as_str());
    let pending =
        app.get(&format!("{}?expiring_within_days=30&state=pending_approval", ops.keys()), &ops.auditor).await;
    assert_eq!(pending.body["items"][0]["name"], "pending", "another state when asked");
    for bad in ["0", "3651", "soon"] {
        let reply = app.get(&format!("{}?expiring_within_days={bad}", ops.keys()), &ops.auditor).await;
        assert_eq!(reply.status, reqwest::StatusCode::BAD_REQUEST, "{bad}: {:?}", reply.body);
    }
}

/// A name changes only where the tenant allows it (a widening of the policy, so two admins); an expiry
/// is brought forward at once and never pushed back (rotate instead).
pub async fn names_change_by_policy_and_expiries_only_shorten(app: &TestApp) {
    let ops = app.tenant("acme", live_policy()).await;
    let (id, secret) = app.active_key(&ops, json!({"name": "pos", "scopes": ["a:read"], "expires_in_days": 90})).await;
    let renamed = app.patch(&ops.key(&id), &ops.maker, json!({"name": "till"})).await;
    assert_eq!(
        (renamed.status, renamed.body["field"].as_str()),
        (StatusCode::BAD_REQUEST, Some("name")),
        "{:?}",
        renamed.body
    );
    let asked = app.patch("/v1/tenants/acme", &ops.admin, json!({"policy": {"name_mutable": true}})).await;
    assert_eq!(asked.body["pending_policy"]["settings"]["name_mutable"], true, "a widening waits: {:?}", asked.body);
    app.post("/v1/tenants/acme/policy/approve", &ops.admin2, json!({})).await;
    let renamed = app.patch(&ops.key(&id), &ops.maker, json!({"name": "till"})).await;
    assert_eq!((renamed.status, renamed.body["name"].as_str()), (StatusCode::OK, Some("till")), "{:?}", renamed.body);
    app.active_key(&ops, json!({"name": "other", "scopes": ["a:read"]})).await;
    let taken = app.patch(&ops.key(&id), &ops.maker, json!({"name": "other"})).await;
    assert_eq!((taken.status, taken.code()), (StatusCode::CONFLICT, "NAME_TAKEN"), "{:?}", taken.body);

    let expires: chrono::DateTime<chrono::Utc> = renamed.body["expires_at"].as_str().unwrap().parse().unwrap();
    let later = (expires + chrono::Duration::days(1)).to_rfc3339();
    let extended = app.patch(&ops.key(&id), &ops.maker, json!({"expires_at": later})).await;
    assert_eq!((extended.status, extended.code()), (StatusCode::CONFLICT, "INVALID_STATE"), "{:?}", extended.body);
    assert!(extended.body["detail"].as_str().unwrap().contains("rotate"), "says what to do: {:?}", extended.body);
    let past = app.patch(&ops.key(&id), &ops.maker, json!({"expires_at": "2020-01-01T00:00:00Z"})).await;
    assert_eq!(past.status, StatusCode::CONFLICT, "not into the past: {:?}", past.body);
    let sooner = expires - chrono::Duration::days(60);
    let shortened = app.patch(&ops.key(&id), &ops.maker, json!({"expires_at": sooner.to_rfc3339()})).await;
    let now_expires: chrono::DateTime<chrono::Utc> = shortened.body["expires_at"].as_str().unwrap().parse().unwrap();
    assert_eq!((shortened.status, now_expires), (StatusCode::OK, sooner), "{:?}", shortened.body);
    assert_eq!(app.verify(json!({"key": secret})).await["valid"], true, "still works until then");
    let audit = app.get("/v1/tenants/acme/audit?limit=10", &ops.auditor).await;
    let actions: Vec<&str> =
        audit.body["items"].as_array().unwrap().iter().map(|e| e["action"].as_str().unwrap()).collect();
    assert!(actions.contains(&"key.renamed") && actions.contains(&"key.expiry_shortened"), "audited: {actions:?}");
}
