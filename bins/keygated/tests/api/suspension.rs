//! Stopping a key takes one person and one second; starting it again takes two, neither of whom
//! asked the resume and suspended it at once.

use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::helpers::{live_policy, TestApp};

fn code(reply: &crate::helpers::Reply) -> (StatusCode, String) {
    (reply.status, reply.code().to_owned())
}

/// `code` of a verdict, `OK` when valid.
fn verdict(body: &Value) -> &str {
    if body["valid"] == true {
        "OK"
    } else {
        body["code"].as_str().unwrap_or("?")
    }
}

/// A checker suspends at once; a maker asks the resume; neither they nor the suspender approve it;
/// another checker does, and the key verifies again.
pub async fn one_person_stops_a_key_and_two_others_restart_it(app: &TestApp) {
    let ops = app.tenant("acme", live_policy()).await;
    let (id, secret) = app.active_key(&ops, json!({"name": "pos", "scopes": ["a:read"]})).await;
    let ask = json!({"key": secret});
    assert_eq!(verdict(&app.verify(ask.clone()).await), "OK");
    let suspended =
        app.post(&format!("{}/suspend", ops.key(&id)), &ops.checker, json!({"reason": "found in a paste"})).await;
    assert_eq!(
        (suspended.status, &suspended.body["state"]),
        (StatusCode::OK, &json!("suspended")),
        "{:?}",
        suspended.body
    );
    assert_eq!(suspended.body["suspension"]["reason"], "found in a paste");
    let refused = app.verify(ask.clone()).await;
    assert_eq!((verdict(&refused), &refused["status"]), ("SUSPENDED", &json!(401)), "at once: {refused:?}");
    let again = app.post(&format!("{}/suspend", ops.key(&id)), &ops.maker, json!({"reason": "twice"})).await;
    assert_eq!(code(&again), (StatusCode::CONFLICT, "INVALID_STATE".into()), "already suspended");
    let by_checker = app.post(&format!("{}/resume", ops.key(&id)), &ops.checker2, json!({"reason": "rotated"})).await;
    assert_eq!(by_checker.status, StatusCode::FORBIDDEN, "a checker does not ask a resume: {:?}", by_checker.body);
    let by_admin = app.post(&format!("{}/resume", ops.key(&id)), &ops.admin, json!({"reason": "rotated"})).await;
    assert_eq!(by_admin.status, StatusCode::FORBIDDEN, "nor an admin: {:?}", by_admin.body);
    let asked = app.post(&format!("{}/resume", ops.key(&id)), &ops.maker, json!({"reason": "false alarm"})).await;
    assert_eq!(asked.body["state"], "suspended", "a resume waits: {:?}", asked.body);
    assert_eq!(asked.body["suspension"]["resume"]["reason"], "false alarm");
    assert_eq!(verdict(&app.verify(ask.clone()).await), "SUSPENDED", "still refused while the resume waits");
    let by_the_suspender = app.post(&format!("{}/resume/approve", ops.key(&id)), &ops.checker, json!({})).await;
    assert_eq!(code(&by_the_suspender), (StatusCode::FORBIDDEN, "SELF_APPROVAL".into()), "the suspender");
    let maker = app.post(&format!("{}/resume/approve", ops.key(&id)), &ops.maker, json!({})).await;
    assert_eq!(maker.status, StatusCode::FORBIDDEN, "the asker (not a checker): {:?}", maker.body);
    let approved = app.post(&format!("{}/resume/approve", ops.key(&id)), &ops.checker2, json!({})).await;
    assert_eq!(approved.body["state"], "active", "{:?}", approved.body);
    assert!(approved.body["suspension"].is_null());
    assert_eq!(verdict(&app.verify(ask).await), "OK", "a resumed key verifies again");
    let audit = app.get("/v1/tenants/acme/audit?limit=5", &ops.auditor).await;
    let actions: Vec<&str> =
        audit.body["items"].as_array().unwrap().iter().map(|e| e["action"].as_str().unwrap()).collect();
    assert_eq!(actions[..3], ["key.resumed", "key.resume_requested", "key.suspended"], "each step audited");
}

/// A person holding both roles cannot approve the resume they asked; a rejected resume leaves the
/// key suspended; an integrator key that may write stops keys, itself included.
pub async fn the_asker_never_approves_a_resume_and_keys_may_stop_keys(app: &TestApp) {
    let ops = app.tenant("acme", live_policy()).await;
    let both = app
        .invite(
            "acme",
            &ops.admin,
            &ops.admin2,
            json!({"name": "Max", "email": "max@acme.test", "roles": ["maker", "checker"]}),
        )
        .await;
    let (id, secret) = app.active_key(&ops, json!({"name": "pos", "scopes": ["a:read"]})).await;
    app.post(&format!("{}/suspend", ops.key(&id)), &ops.auditor, json!({"reason": "x"})).await;
    assert_eq!(verdict(&app.verify(json!({"key": secret})).await), "OK", "an auditor stops nothing");
    app.post(&format!("{}/suspend", ops.key(&id)), &ops.admin, json!({"reason": "incident"})).await;
    assert_eq!(verdict(&app.verify(json!({"key": secret})).await), "SUSPENDED", "an admin stops a key");
    app.post(&format!("{}/resume", ops.key(&id)), &both, json!({"reason": "back"})).await;
    let own = app.post(&format!("{}/resume/approve", ops.key(&id)), &both, json!({})).await;
    assert_eq!(code(&own), (StatusCode::FORBIDDEN, "SELF_APPROVAL".into()), "the asker, holding the checker role");
    let rejected =
        app.post(&format!("{}/resume/reject", ops.key(&id)), &ops.checker, json!({"reason": "not yet"})).await;
    assert_eq!(
        (rejected.body["state"].as_str(), rejected.body["suspension"]["resume"].is_null()),
        (Some("suspended"), true)
    );
    // News of a leak while a resume waits: a new suspension drops that resume.
    app.post(&format!("{}/resume", ops.key(&id)), &ops.maker, json!({"reason": "back"})).await;
    let again = app.post(&format!("{}/suspend", ops.key(&id)), &ops.checker2, json!({"reason": "leaked again"})).await;
    let reason = again.body["suspension"]["reason"].as_str();
    assert_eq!(
        (reason, again.body["suspension"]["resume"].is_null()),
        (Some("leaked again"), true),
        "{:?}",
        again.body
    );
    let stale = app.post(&format!("{}/resume/approve", ops.key(&id)), &ops.checker, json!({})).await;
    assert_eq!(code(&stale), (StatusCode::CONFLICT, "INVALID_STATE".into()), "no resume left to approve");

    let scopes = json!(["api-keys:write", "a:read"]);
    let (robot_id, robot) = app.active_key(&ops, json!({"name": "robot", "scopes": scopes})).await;
    let (other_id, other) = app.active_key(&ops, json!({"name": "other", "scopes": ["a:read"]})).await;
    let stopped = app.post(&format!("{}/suspend", ops.key(&other_id)), &robot, json!({"reason": "scanner"})).await;
    assert_eq!(stopped.body["state"], "suspended", "an integrator key stops another key: {:?}", stopped.body);
    assert_eq!(verdict(&app.verify(json!({"key": other})).await), "SUSPENDED");
    let itself =
        app.post(&format!("{}/suspend", ops.key(&robot_id)), &robot, json!({"reason": "my secret leaked"})).await;
    assert_eq!(itself.body["state"], "suspended", "and itself: {:?}", itself.body);
    let after = app.get(&ops.keys(), &robot).await;
    assert_eq!(after.status, StatusCode::UNAUTHORIZED, "a suspended key authenticates nothing, management included");
}

/// `revoke` with `"suspend": true` refuses the key before any checker acts; a rejected revocation
/// leaves it suspended, an approved one revokes it; a suspended key is not rotated.
pub async fn revoke_with_suspend_stops_the_key_before_any_checker_acts(app: &TestApp) {
    let ops = app.tenant("acme", live_policy()).await;
    let (id, secret) = app.active_key(&ops, json!({"name": "pos", "scopes": ["a:read"]})).await;
    let body = json!({"reason": "pasted in a public repository", "suspend": true});
    let revoked = app.post(&format!("{}/revoke", ops.key(&id)), &ops.maker, body).await;
    assert_eq!(revoked.body["state"], "suspended", "{:?}", revoked.body);
    assert_eq!(revoked.body["revocation"]["reason"], "pasted in a public repository", "the revocation waits");
    assert_eq!(verdict(&app.verify(json!({"key": secret})).await), "SUSPENDED", "refused before a checker acts");
    let rotate = app.post(&format!("{}/rotate", ops.key(&id)), &ops.maker, json!({})).await;
    assert_eq!(rotate.status, StatusCode::CONFLICT, "a suspended key is not rotated: {:?}", rotate.body);
    let rejected = app.post(&format!("{}/revocation/reject", ops.key(&id)), &ops.checker, json!({})).await;
    assert_eq!((rejected.body["state"].as_str(), rejected.body["revocation"].is_null()), (Some("suspended"), true));
    assert_eq!(
        verdict(&app.verify(json!({"key": secret})).await),
        "SUSPENDED",
        "a rejected revocation restarts nothing"
    );
    app.post(&format!("{}/revoke", ops.key(&id)), &ops.maker, json!({"reason": "for good"})).await;
    let approved = app.post(&format!("{}/revocation/approve", ops.key(&id)), &ops.checker, json!({})).await;
    assert_eq!(approved.body["state"], "revoked", "{:?}", approved.body);
    assert_eq!(verdict(&app.verify(json!({"key": secret})).await), "REVOKED");
    let none = app.post(&format!("{}/revoke", ops.key(&id)), &ops.maker, json!({"suspend": true})).await;
    assert_eq!((none.status, none.body["field"].as_str()), (StatusCode::BAD_REQUEST, Some("reason")));

    // A key being retired (revocation pending, still working) that then leaks: only the suspension is
    // left to do, and it is done.
    let (retiring, retiring_secret) = app.active_key(&ops, json!({"name": "retiring", "scopes": ["a:read"]})).await;
    app.post(&format!("{}/revoke", ops.key(&retiring)), &ops.maker, json!({"reason": "retiring"})).await;
    assert_eq!(verdict(&app.verify(json!({"key": retiring_secret})).await), "OK", "revocation_pending still works");
    let leaked = json!({"reason": "leaked while retiring", "suspend": true});
    let stopped = app.post(&format!("{}/revoke", ops.key(&retiring)), &ops.maker, leaked.clone()).await;
    assert_eq!(
        (stopped.body["state"].as_str(), stopped.body["revocation"]["reason"].as_str()),
        (Some("suspended"), Some("retiring"))
    );
    assert_eq!(verdict(&app.verify(json!({"key": retiring_secret})).await), "SUSPENDED");
    let again = app.post(&format!("{}/revoke", ops.key(&retiring)), &ops.maker, leaked).await;
    assert_eq!(code(&again), (StatusCode::CONFLICT, "INVALID_STATE".into()), "nothing left to do");
}
