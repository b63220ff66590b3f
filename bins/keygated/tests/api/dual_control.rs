//! Dual control that holds against the people who run it: each numbered attack of the issue "Dual
//! control that holds against the people who run it", tried over HTTP, refused with the right status,
//! and nothing changed. Items 7 to 9 are in `authorization.rs`.

use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

use crate::helpers::{claim, live_policy, TestApp, ADMIN};

fn code(reply: &crate::helpers::Reply) -> (StatusCode, String) {
    (reply.status, reply.code().to_owned())
}

/// Item 1: No admin holds both halves: an invitation asked by one admin is claimable only with the half the
/// approving admin received; the asker cannot approve; no response ever carries a token.
pub async fn one_admin_cannot_make_an_operator_alone(app: &TestApp) {
    let ops = app.tenant("acme", live_policy()).await;
    let asked = app
        .post(
            "/v1/tenants/acme/operators",
            &ops.admin,
            json!({"name": "Eve", "email": "eve@acme.test", "roles": ["checker"]}),
        )
        .await;
    assert_eq!(asked.status, StatusCode::CREATED);
    assert_eq!(asked.body["operator"]["state"], "pending_approval", "waits for a second admin");
    assert!(asked.body.get("token").is_none() && asked.body["operator"].get("token").is_none(), "never a token");
    let first = app.issued(asked.body["invitation"].as_str().unwrap());
    let id = asked.body["operator"]["id"].as_str().unwrap();
    let approve = format!("/v1/tenants/acme/operators/{id}/approve");
    assert_eq!(code(&app.post(&approve, &ops.admin, json!({})).await), (StatusCode::FORBIDDEN, "SELF_APPROVAL".into()));
    let alone = app.post("/v1/operators/claim", "", json!({"invitation": first})).await;
    assert_eq!(code(&alone), (StatusCode::GONE, "INVITATION_GONE".into()), "nothing to claim before the approval");
    let approved = app.post(&approve, &ops.admin2, json!({})).await;
    assert_eq!(approved.status, StatusCode::OK, "a second admin approves: {:?}", approved.body);
    let second = app.issued(approved.body["invitation_2"].as_str().unwrap());
    let half = app.post("/v1/operators/claim", "", json!({"invitation": first})).await;
    assert_eq!(half.status, StatusCode::UNAUTHORIZED, "the asker's half alone claims nothing: {:?}", half.body);
    let swapped = app.post("/v1/operators/claim", "", json!({"invitation": second, "invitation_2": first})).await;
    assert_eq!(swapped.status, StatusCode::UNAUTHORIZED, "the halves in the wrong places");
    let token = app.issued(&claim(app, &first, Some(&second)).await);
    assert_eq!(app.get("/v1/tenants/acme/keys", &token).await.status, StatusCode::OK, "the claimed token works");
    let again = app.post("/v1/operators/claim", "", json!({"invitation": first, "invitation_2": second})).await;
    assert_eq!(code(&again), (StatusCode::GONE, "INVITATION_GONE".into()), "a second claim");
    let audit = app.get("/v1/tenants/acme/audit?limit=1", &ops.auditor).await;
    assert_eq!(audit.body["items"][0]["action"], "operator.claimed");
    assert!(audit.body["items"][0]["details"]["address"].is_string(), "the claim is audited with its address");
    // The asker re-invites an invited operator and tries to claim with its own new half alone.
    let asked = app
        .post(
            "/v1/tenants/acme/operators",
            &ops.admin,
            json!({"name": "Ian", "email": "ian@acme.test", "roles": ["checker"]}),
        )
        .await;
    let ian_first = app.issued(asked.body["invitation"].as_str().unwrap());
    let ian = asked.body["operator"]["id"].as_str().unwrap().to_owned();
    let approved = app.post(&format!("/v1/tenants/acme/operators/{ian}/approve"), &ops.admin2, json!({})).await;
    app.issued(approved.body["invitation_2"].as_str().unwrap());
    let reinvited = app.post(&format!("/v1/tenants/acme/operators/{ian}/invite"), &ops.admin, json!({})).await;
    assert_eq!(reinvited.status, StatusCode::OK, "{:?}", reinvited.body);
    let new_first = app.issued(reinvited.body["invitation"].as_str().unwrap());
    for (code, what) in [(&new_first, "the asker's new half"), (&ian_first, "the asker's old half")] {
        let hijack = app.post("/v1/operators/claim", "", json!({"invitation": code})).await;
        assert!(hijack.status.is_client_error(), "{what} alone claims nothing: {:?}", hijack.body);
    }
    // Separation of duties: admin never with maker or checker.
    let both = app
        .post(
            "/v1/tenants/acme/operators",
            &ops.admin,
            json!({"name": "Zed", "email": "zed@acme.test", "roles": ["admin", "checker"]}),
        )
        .await;
    assert_eq!((both.status, both.body["field"].as_str()), (StatusCode::BAD_REQUEST, Some("roles")));
    // The system admin is one person: it may ask in a tenant, never approve what it asked.
    let by_system = app
        .post(
            "/v1/tenants/acme/operators",
            ADMIN,
            json!({"name": "Sys", "email": "sys@acme.test", "roles": ["checker"]}),
        )
        .await;
    app.issued(by_system.body["invitation"].as_str().unwrap());
    let sys_id = by_system.body["operator"]["id"].as_str().unwrap();
    let own = app.post(&format!("/v1/tenants/acme/operators/{sys_id}/approve"), ADMIN, json!({})).await;
    assert_eq!(code(&own), (StatusCode::FORBIDDEN, "SELF_APPROVAL".into()), "the system admin approving itself");
}

/// Item 2: Dual control is not switched off alone, and the audit log says what changed.
pub async fn one_admin_cannot_loosen_the_policy_alone(app: &TestApp) {
    let ops = app.tenant("acme", live_policy()).await;
    let asked = app.patch("/v1/tenants/acme", &ops.admin, json!({"policy": {"dual_control": false}})).await;
    assert_eq!(asked.status, StatusCode::OK, "{:?}", asked.body);
    assert_eq!(asked.body["policy"]["dual_control"], true, "still on");
    assert_eq!(asked.body["pending_policy"]["settings"], json!({"dual_control": false}), "pending, visible");
    let own = app.post("/v1/tenants/acme/policy/approve", &ops.admin, json!({})).await;
    assert_eq!(code(&own), (StatusCode::FORBIDDEN, "SELF_APPROVAL".into()));
    let maker = app.post("/v1/tenants/acme/policy/approve", &ops.maker, json!({})).await;
    assert_eq!(maker.status, StatusCode::FORBIDDEN, "a maker approves no policy");
    let audit = app.get("/v1/tenants/acme/audit?limit=1", &ops.auditor).await;
    let entry = &audit.body["items"][0];
    assert_eq!(entry["action"], "tenant.policy_requested");
    assert_eq!(entry["details"]["before"]["dual_control"], true, "the audit entry names the policy before");
    assert_eq!(entry["details"]["pending"]["dual_control"], false, "and what was asked");
    // Narrowing applies at once, by one person, even with a widening pending.
    let narrowed = app.patch("/v1/tenants/acme", &ops.admin, json!({"policy": {"live_enabled": false}})).await;
    assert_eq!(narrowed.body["policy"]["live_enabled"], false, "narrowing at once: {:?}", narrowed.body);
    let approved = app.post("/v1/tenants/acme/policy/approve", &ops.admin2, json!({})).await;
    assert_eq!(approved.status, StatusCode::OK, "{:?}", approved.body);
    assert_eq!(approved.body["policy"]["dual_control"], false, "a second admin approved");
    assert!(approved.body["pending_policy"].is_null());
    // One widening at a time: a pending request cannot be swapped under its approver.
    let first = app.patch("/v1/tenants/acme", &ops.admin, json!({"policy": {"allow_never_expiring": true}})).await;
    assert!(first.body["pending_policy"].is_object(), "{:?}", first.body);
    let swap = app.patch("/v1/tenants/acme", &ops.admin, json!({"policy": {"integrator_approvals": true}})).await;
    assert_eq!(code(&swap), (StatusCode::CONFLICT, "INVALID_STATE".into()), "no swap while one is pending");
    let rejected = app.post("/v1/tenants/acme/policy/reject", &ops.admin2, json!({})).await;
    assert!(rejected.body["pending_policy"].is_null(), "{:?}", rejected.body);
    // A tenant is born narrow whatever the body asks.
    let born = app
        .post(
            "/v1/tenants",
            ADMIN,
            json!({"id": "loose", "name": "Loose", "policy": {"dual_control": false, "live_enabled": true}}),
        )
        .await;
    assert_eq!(born.body["policy"]["dual_control"], true, "born with dual control: {:?}", born.body);
    assert_eq!(born.body["policy"]["live_enabled"], false, "born without live keys");
    assert_eq!(born.body["pending_policy"]["requested_by"], "system", "the looser settings wait for a first admin");
}

/// Item 3: An integrator key acts for the person behind it, within its own privileges and environment,
/// and never on itself.
pub async fn an_integrator_key_never_lets_its_maker_approve(app: &TestApp) {
    let ops = app.tenant("acme", json!({"live_enabled": true, "integrator_approvals": true})).await;
    let approver = json!({"name": "harmless", "scopes": ["api-keys:approve", "api-keys:write"]});
    let (approver_id, approver_key) = app.active_key(&ops, approver).await;
    // The maker asks for a key, then approves it with the key it holds the secret of.
    let (asked, _) = app.create_key(&ops, json!({"name": "asked", "scopes": ["api-keys:write"]})).await;
    let via_key = app.post(&format!("{}/approve", ops.key(&asked)), &approver_key, json!({})).await;
    assert_eq!(code(&via_key), (StatusCode::FORBIDDEN, "SELF_APPROVAL".into()), "the maker's key counts as the maker");
    // Keys the key itself asks for: live (another environment) and wider than itself.
    let live = app
        .post(&ops.keys(), &approver_key, json!({"name": "live", "environment": "live", "scopes": ["api-keys:write"]}))
        .await;
    assert_eq!(live.status, StatusCode::FORBIDDEN, "a test key manages only test keys: {:?}", live.body);
    let wider = app.post(&ops.keys(), &approver_key, json!({"name": "wider", "scopes": ["payouts:*"]})).await;
    assert_eq!(wider.status, StatusCode::FORBIDDEN, "only within its own privileges: {:?}", wider.body);
    // Nothing about itself but its own revocation.
    let widen_self =
        app.patch(&ops.key(&approver_id), &approver_key, json!({"scopes": ["api-keys:*", "payouts:*"]})).await;
    assert_eq!(widen_self.status, StatusCode::FORBIDDEN, "a key never widens itself: {:?}", widen_self.body);
    let revoke_self =
        app.post(&format!("{}/revoke", ops.key(&approver_id)), &approver_key, json!({"reason": "leaked"})).await;
    assert_eq!(revoke_self.status, StatusCode::OK, "a key may ask its own revocation: {:?}", revoke_self.body);
    let reject_own = app.post(&format!("{}/revocation/reject", ops.key(&approver_id)), &approver_key, json!({})).await;
    assert_eq!(reject_own.status, StatusCode::FORBIDDEN, "a key never rejects its own revocation");
    // A key limited to an address range manages nothing from elsewhere (the test client is 127.0.0.1).
    let fenced = json!({"name": "fenced", "scopes": ["api-keys:read"], "limits": {"allowed_ips": ["10.20.0.0/16"]}});
    let (_, fenced_key) = app.active_key(&ops, fenced).await;
    let from_elsewhere = app.get(&ops.keys(), &fenced_key).await;
    assert_eq!(
        from_elsewhere.status,
        StatusCode::FORBIDDEN,
        "its allow list holds for management: {:?}",
        from_elsewhere.body
    );
    // It does not even read the other environment's keys.
    let (live_id, _) =
        app.create_key(&ops, json!({"name": "live-one", "environment": "live", "scopes": ["a:read"]})).await;
    assert_eq!(
        app.get(&ops.key(&live_id), &approver_key).await.status,
        StatusCode::NOT_FOUND,
        "a live key, to a test key"
    );
    let listed = app.get(&ops.keys(), &approver_key).await;
    assert!(listed.body["items"].as_array().unwrap().iter().all(|k| k["environment"] == "test"), "{:?}", listed.body);
    let state = app.get(&ops.key(&asked), &ops.auditor).await;
    assert_eq!(state.body["state"], "pending_approval", "nothing the attack tried went through");
}

/// Item 4: Operators can be removed, narrowed, and re-enabled only by two admins; a token can be replaced.
pub async fn operators_are_disabled_at_once_and_re_enabled_by_two(app: &TestApp) {
    let ops = app.tenant("acme", live_policy()).await;
    let listed = app.get("/v1/tenants/acme/operators", &ops.admin).await;
    let mary = listed.body["items"].as_array().unwrap().iter().find(|o| o["name"] == "Mary Maker").unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let base = format!("/v1/tenants/acme/operators/{mary}");
    let (_, marys_key) = app.active_key(&ops, json!({"name": "marys-integration", "scopes": ["api-keys:write"]})).await;
    assert_eq!(app.get("/v1/tenants/acme/keys", &marys_key).await.status, StatusCode::OK, "her key acts for her");
    let disabled = app.post(&format!("{base}/disable"), &ops.admin, json!({"reason": "left"})).await;
    assert_eq!(disabled.body["operator"]["state"], "disabled", "{:?}", disabled.body);
    assert_eq!(app.get("/v1/tenants/acme/keys", &ops.maker).await.status, StatusCode::UNAUTHORIZED, "token dead");
    let seen = app.get("/v1/tenants/acme/operators", &ops.admin).await;
    let mary_seen = seen.body["items"].as_array().unwrap().iter().find(|o| o["id"] == mary.as_str()).unwrap().clone();
    assert!(mary_seen["last_seen_at"].is_string(), "last_seen_at follows her calls: {mary_seen:?}");
    let key_after = app.get("/v1/tenants/acme/keys", &marys_key).await;
    assert_eq!(key_after.status, StatusCode::FORBIDDEN, "and her integrator keys stop acting for her");
    let asked = app.post(&format!("{base}/enable"), &ops.admin, json!({})).await;
    assert_eq!(asked.body["operator"]["state"], "disabled", "re-enabling waits: {:?}", asked.body);
    let own = app.post(&format!("{base}/approve"), &ops.admin, json!({})).await;
    assert_eq!(code(&own), (StatusCode::FORBIDDEN, "SELF_APPROVAL".into()));
    let approved = app.post(&format!("{base}/approve"), &ops.admin2, json!({})).await;
    assert_eq!(approved.body["operator"]["state"], "invited", "{:?}", approved.body);
    app.issued(approved.body["invitation_2"].as_str().unwrap());
    assert_eq!(
        app.get("/v1/tenants/acme/keys", &ops.maker).await.status,
        StatusCode::UNAUTHORIZED,
        "old token stays dead"
    );
    // Roles: narrowing at once, widening waits.
    let checker_id = listed.body["items"].as_array().unwrap().iter().find(|o| o["name"] == "Audrey").unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let wider = app
        .patch(
            &format!("/v1/tenants/acme/operators/{checker_id}"),
            &ops.admin,
            json!({"roles": ["auditor", "checker"]}),
        )
        .await;
    assert_eq!(wider.body["operator"]["roles"], json!(["auditor"]), "widening waits: {:?}", wider.body);
    // Replacing one's own token: the old one stops at once.
    let replaced = app.post("/v1/operators/me/token", &ops.checker, json!({})).await;
    assert_eq!(replaced.status, StatusCode::CREATED, "{:?}", replaced.body);
    let fresh = app.issued(replaced.body["token"].as_str().unwrap());
    assert_eq!(app.get("/v1/tenants/acme/keys", &ops.checker).await.status, StatusCode::UNAUTHORIZED);
    assert_eq!(app.get("/v1/tenants/acme/keys", &fresh).await.status, StatusCode::OK);
}

/// Item 5: A rotation cannot escape a revocation or a key's lifetime.
pub async fn rotation_escapes_neither_revocation_nor_lifetime(app: &TestApp) {
    let ops = app.tenant("acme", live_policy()).await;
    let (id, _) = app.active_key(&ops, json!({"name": "week", "scopes": ["a:read"], "expires_in_days": 7})).await;
    let rotated = app.post(&format!("{}/rotate", ops.key(&id)), &ops.maker, json!({})).await;
    assert_eq!(rotated.status, StatusCode::CREATED, "{:?}", rotated.body);
    app.issued(rotated.body["secret"].as_str().unwrap());
    let successor = rotated.body["key"]["id"].as_str().unwrap().to_owned();
    let original = app.get(&ops.key(&id), &ops.auditor).await;
    let days = |v: &Value| chrono::DateTime::parse_from_rfc3339(v.as_str().unwrap()).unwrap();
    let lifetime = days(&rotated.body["key"]["expires_at"]) - days(&rotated.body["key"]["created_at"]);
    assert!(lifetime <= chrono::Duration::days(7), "the successor lives at most the original's 7 days: {lifetime}");
    assert!(original.body["expires_at"].is_string());
    let revoke = app.post(&format!("{}/revoke", ops.key(&id)), &ops.maker, json!({"reason": "leaked"})).await;
    assert_eq!(revoke.body["state"], "revocation_pending");
    let again = app.post(&format!("{}/rotate", ops.key(&id)), &ops.maker, json!({})).await;
    assert_eq!(again.status, StatusCode::CONFLICT, "no rotation while a revocation is pending: {:?}", again.body);
    let done = app.post(&format!("{}/revocation/approve", ops.key(&id)), &ops.checker, json!({})).await;
    assert_eq!(done.body["state"], "revoked");
    let after = app.get(&ops.key(&successor), &ops.auditor).await;
    assert_eq!(after.body["state"], "rejected", "the pending successor is rejected with the revocation");
    let approve = app.post(&format!("{}/approve", ops.key(&successor)), &ops.checker2, json!({})).await;
    assert_eq!(approve.status, StatusCode::CONFLICT, "and cannot be approved");
}

/// Item 6: An urgent narrowing is never blocked by a pending widening; a widening is approved only on an
/// active key.
pub async fn narrowing_goes_through_a_pending_widening(app: &TestApp) {
    let ops = app.tenant("acme", live_policy()).await;
    let (id, _) = app.active_key(&ops, json!({"name": "k", "scopes": ["a:read", "b:read"]})).await;
    let widen = app.patch(&ops.key(&id), &ops.maker, json!({"scopes": ["a:read", "b:read", "c:write"]})).await;
    assert!(widen.body["pending_change"].is_object(), "{:?}", widen.body);
    let cut = app.patch(&ops.key(&id), &ops.maker, json!({"scopes": ["a:read"]})).await;
    assert_eq!(cut.status, StatusCode::OK, "narrowing accepted: {:?}", cut.body);
    assert_eq!(cut.body["scopes"], json!(["a:read"]));
    assert!(cut.body["pending_change"].is_null(), "the pending widening is dropped");
    let widen = app.patch(&ops.key(&id), &ops.maker, json!({"scopes": ["a:read", "z:read"]})).await;
    assert!(widen.body["pending_change"].is_object());
    app.post(&format!("{}/revoke", ops.key(&id)), &ops.maker, json!({"reason": "done"})).await;
    let approve = app.post(&format!("{}/change/approve", ops.key(&id)), &ops.checker, json!({})).await;
    assert_eq!(approve.status, StatusCode::CONFLICT, "no widening on a key whose revocation is pending");
    let view = app.raw(Method::GET, &ops.key(&id), Some(&ops.auditor), None).await;
    assert_eq!(view.body["scopes"], json!(["a:read"]), "unchanged");
}
