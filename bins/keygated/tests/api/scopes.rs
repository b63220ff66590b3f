//! A tenant's scope catalogue (issue 14, section 5): set by one admin, widened or removed only with a
//! second; a key is given only scopes it offers; makers read it; verify is not bound by it.

use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

use crate::helpers::{Operators, Reply, TestApp};

/// The second seed's 25 permissions over 12 resources, as shipped in `docs/`.
const SECOND_SEED: &str = include_str!("../../../../docs/scopes/second-seed.json");

fn scopes_path(ops: &Operators) -> String {
    format!("/v1/tenants/{}/scopes", ops.tenant)
}

async fn put_scopes(app: &TestApp, ops: &Operators, token: &str, body: Value) -> Reply {
    app.raw(Method::PUT, &scopes_path(ops), Some(token), Some(body)).await
}

/// The maker asks for a key with `scopes`; the answer as it comes.
async fn ask_key(app: &TestApp, ops: &Operators, name: &str, scopes: &[&str]) -> Reply {
    app.post(&ops.keys(), &ops.maker, json!({"name": name, "scopes": scopes})).await
}

/// `reply` is a 400 on `scopes` naming `scope`.
fn assert_refused(reply: &Reply, scope: &str, why: &str) {
    assert_eq!(
        (reply.status, reply.code(), reply.body["field"].as_str()),
        (StatusCode::BAD_REQUEST, "INVALID_REQUEST", Some("scopes")),
        "{why}: {:?}",
        reply.body
    );
    let detail = reply.body["detail"].as_str().unwrap_or_default();
    assert!(detail.contains(scope), "{why}: the refusal names {scope}: {detail}");
}

/// Resources sorted by name, as `GET` shows them.
fn sorted(resources: &Value) -> Vec<Value> {
    let mut list = resources.as_array().cloned().unwrap_or_default();
    list.sort_by(|a, b| a["name"].as_str().cmp(&b["name"].as_str()));
    list
}

pub async fn the_second_seeds_catalogue_loads_and_bounds_new_keys(app: &TestApp) {
    let ops = app.tenant("acme", json!({})).await;
    let seed: Value = serde_json::from_str(SECOND_SEED).unwrap();
    assert_eq!(seed["resources"].as_array().map(Vec::len), Some(12), "twelve resources");
    let permissions: usize =
        seed["resources"].as_array().unwrap().iter().map(|r| r["actions"].as_array().unwrap().len()).sum();
    assert_eq!(permissions, 25, "twenty-five permissions");

    let set = put_scopes(app, &ops, &ops.admin, seed.clone()).await;
    assert_eq!(set.status, StatusCode::OK, "{:?}", set.body);
    assert!(set.body["pending_policy"].is_null(), "a first catalogue narrows: in force at once");
    assert_eq!(set.body["policy"]["scope_catalogue"].as_array().map(Vec::len), Some(12), "{:?}", set.body);
    let read = app.get(&scopes_path(&ops), &ops.maker).await;
    assert_eq!(read.status, StatusCode::OK, "a maker reads the catalogue: {:?}", read.body);
    assert_eq!(sorted(&read.body["resources"]), sorted(&seed["resources"]), "read back as loaded");

    for scope in ["payouts:approve", "payouts:*", "api-keys:write", "exchange-rates:read"] {
        let made = ask_key(app, &ops, scope, &[scope, "invoices:read"]).await;
        assert_eq!(made.status, StatusCode::CREATED, "{scope} is offered: {:?}", made.body);
        app.issued(made.body["secret"].as_str().unwrap());
    }
    let outside = [
        ("refunds:read", "a resource the catalogue lacks"),
        ("api-keys:approve", "an action it does not offer on that resource"),
        ("invoices:*", "every action where approve is not offered"),
    ];
    for (scope, why) in outside {
        assert_refused(&ask_key(app, &ops, "outside", &["invoices:read", scope]).await, scope, why);
    }

    // A service may still require a scope outside the catalogue: no key holds it, so none passes.
    let (_, secret) = app.active_key(&ops, json!({"name": "payer", "scopes": ["payouts:write"]})).await;
    let asked = app.verify(json!({"key": secret, "required_scopes": ["refunds:read"]})).await;
    assert_eq!(asked["code"], "INSUFFICIENT_SCOPE", "{asked:?}");
    let inside = app.verify(json!({"key": secret, "required_scopes": ["payouts:read"]})).await;
    assert_eq!(inside["valid"], true, "{inside:?}");
}

pub async fn widening_or_removing_the_catalogue_waits_for_a_second_admin(app: &TestApp) {
    let ops = app.tenant("acme", json!({})).await;
    let payouts =
        |actions: &[&str]| json!({"resources": [{"name": "payouts", "description": "Payouts", "actions": actions}]});
    let narrow = put_scopes(app, &ops, &ops.admin, payouts(&["read"])).await;
    assert!(narrow.body["pending_policy"].is_null(), "set at once: {:?}", narrow.body);

    let wider = put_scopes(app, &ops, &ops.admin, payouts(&["read", "write"])).await;
    assert_eq!(wider.status, StatusCode::OK, "{:?}", wider.body);
    assert_eq!(wider.body["policy"]["scope_catalogue"][0]["actions"], json!(["read"]), "the old one stays in force");
    assert_eq!(wider.body["pending_policy"]["settings"]["scope_catalogue"], payouts(&["read", "write"])["resources"]);
    assert_refused(&ask_key(app, &ops, "early", &["payouts:write"]).await, "payouts:write", "not yet approved");
    let own = app.post(&format!("/v1/tenants/{}/policy/approve", ops.tenant), &ops.admin, json!({})).await;
    assert_eq!((own.status, own.code()), (StatusCode::FORBIDDEN, "SELF_APPROVAL"), "{:?}", own.body);
    let approved = app.post(&format!("/v1/tenants/{}/policy/approve", ops.tenant), &ops.admin2, json!({})).await;
    assert_eq!(
        approved.body["policy"]["scope_catalogue"][0]["actions"],
        json!(["read", "write"]),
        "{:?}",
        approved.body
    );
    assert_eq!(ask_key(app, &ops, "writer", &["payouts:write"]).await.status, StatusCode::CREATED, "approved");

    // Reworded only: grants nothing, so at once.
    let reworded = json!({"resources": [{"name": "payouts", "description": "Money out", "actions": ["write"]}]});
    let reworded = put_scopes(app, &ops, &ops.admin2, reworded).await;
    assert!(reworded.body["pending_policy"].is_null(), "{:?}", reworded.body);
    assert_eq!(reworded.body["policy"]["scope_catalogue"][0]["description"], "Money out");

    let removal = app.raw(Method::DELETE, &scopes_path(&ops), Some(&ops.admin), None).await;
    assert_eq!(removal.status, StatusCode::OK, "{:?}", removal.body);
    assert!(removal.body["pending_policy"]["settings"]["scope_catalogue"].is_null(), "removal asked");
    assert!(removal.body["pending_policy"]["settings"].get("scope_catalogue").is_some(), "{:?}", removal.body);
    assert_refused(&ask_key(app, &ops, "free", &["refunds:read"]).await, "refunds:read", "still in force");
    let rejected = app.post(&format!("/v1/tenants/{}/policy/reject", ops.tenant), &ops.admin2, json!({})).await;
    assert!(rejected.body["policy"]["scope_catalogue"].is_array(), "rejected: kept {:?}", rejected.body);
    app.raw(Method::DELETE, &scopes_path(&ops), Some(&ops.admin), None).await;
    let removed = app.post(&format!("/v1/tenants/{}/policy/approve", ops.tenant), &ops.admin2, json!({})).await;
    assert!(removed.body["policy"]["scope_catalogue"].is_null(), "{:?}", removed.body);
    let read = app.get(&scopes_path(&ops), &ops.auditor).await;
    assert_eq!((read.status, &read.body), (StatusCode::OK, &json!({"resources": null})), "no catalogue");
    let free = ask_key(app, &ops, "free", &["refunds:read"]).await;
    assert_eq!(free.status, StatusCode::CREATED, "any scope again: {:?}", free.body);
    app.issued(free.body["secret"].as_str().unwrap());

    let log = app.get(&format!("/v1/tenants/{}/audit?limit=200", ops.tenant), &ops.auditor).await;
    let actions: Vec<&str> =
        log.body["items"].as_array().unwrap().iter().filter_map(|e| e["action"].as_str()).collect();
    assert!(actions.contains(&"tenant.policy_requested") && actions.contains(&"tenant.policy_rejected"), "{actions:?}");
    let requested = log.body["items"].as_array().unwrap().iter().find(|e| e["action"] == "tenant.policy_requested");
    let summary = &requested.unwrap()["details"]["after"]["scope_catalogue"];
    assert_eq!(summary["resources"], 1, "the audit shows the catalogue's size and digest: {summary:?}");
    assert_eq!(summary["sha256"].as_str().map(str::len), Some(64), "{summary:?}");
}

pub async fn a_change_may_narrow_but_not_add_a_scope_outside_the_catalogue(app: &TestApp) {
    let ops = app.tenant("acme", json!({})).await;
    let (id, _) = app.active_key(&ops, json!({"name": "legacy", "scopes": ["legacy:*", "payouts:read"]})).await;
    let catalogue = json!({"resources": [{"name": "payouts", "actions": ["read", "write"]}]});
    assert_eq!(put_scopes(app, &ops, &ops.admin, catalogue).await.status, StatusCode::OK);

    let adds = app.patch(&ops.key(&id), &ops.maker, json!({"scopes": ["legacy:*", "payouts:approve"]})).await;
    assert_refused(&adds, "payouts:approve", "a change adding a scope the catalogue does not offer");
    let narrowed = app.patch(&ops.key(&id), &ops.maker, json!({"scopes": ["legacy:read", "payouts:read"]})).await;
    assert_eq!(narrowed.status, StatusCode::OK, "a held scope may be narrowed: {:?}", narrowed.body);
    assert_eq!(narrowed.body["scopes"], json!(["legacy:read", "payouts:read"]), "at once");
    let widened = app.patch(&ops.key(&id), &ops.maker, json!({"scopes": ["legacy:read", "payouts:write"]})).await;
    assert_eq!(widened.status, StatusCode::OK, "an offered scope may be added: {:?}", widened.body);
    assert_eq!(widened.body["pending_change"]["scopes"], json!(["legacy:read", "payouts:write"]), "for a checker");
    let approved = app.post(&format!("{}/change/approve", ops.key(&id)), &ops.checker, json!({})).await;
    assert_eq!(approved.status, StatusCode::OK, "{:?}", approved.body);

    // A successor inherits its predecessor's scopes, even one the catalogue no longer offers.
    let rotated = app.post(&format!("{}/rotate", ops.key(&id)), &ops.maker, json!({})).await;
    assert_eq!(rotated.status, StatusCode::CREATED, "{:?}", rotated.body);
    app.issued(rotated.body["secret"].as_str().unwrap());
    assert_eq!(rotated.body["key"]["scopes"], json!(["legacy:read", "payouts:write"]));
}

pub async fn only_an_admin_sets_the_catalogue_and_every_operator_reads_it(app: &TestApp) {
    let ops = app.tenant("acme", json!({})).await;
    for token in [&ops.maker, &ops.checker, &ops.auditor] {
        let put = put_scopes(app, &ops, token, json!({"resources": 17})).await;
        assert_eq!(put.status, StatusCode::FORBIDDEN, "PUT by a non-admin, before its body: {:?}", put.body);
        let delete = app.raw(Method::DELETE, &scopes_path(&ops), Some(token), None).await;
        assert_eq!(delete.status, StatusCode::FORBIDDEN, "DELETE by a non-admin: {:?}", delete.body);
        let read = app.get(&scopes_path(&ops), token).await;
        assert_eq!((read.status, &read.body), (StatusCode::OK, &json!({"resources": null})), "read, none yet");
    }
    let bad = [
        (json!({"resources": []}), "resources", "empty"),
        (json!({"resources": [{"name": "Payouts", "actions": ["read"]}]}), "resources[0].name", "upper case"),
        (
            json!({"resources": [{"name": "a", "actions": ["read"]}, {"name": "b", "actions": []}]}),
            "resources[1].actions",
            "none",
        ),
        (json!({"resources": [{"name": "a", "actions": ["*"]}]}), "resources[0].actions", "a wildcard"),
        (
            json!({"resources": [{"name": "a", "actions": ["read"]}, {"name": "a", "actions": ["write"]}]}),
            "resources[1].name",
            "a name twice",
        ),
        (
            json!({"resources": [{"name": "a", "description": "x".repeat(201), "actions": ["read"]}]}),
            "resources[0].description",
            "a long description",
        ),
    ];
    for (body, field, why) in bad {
        let reply = put_scopes(app, &ops, &ops.admin, body).await;
        assert_eq!(
            (reply.status, reply.body["field"].as_str()),
            (StatusCode::BAD_REQUEST, Some(field)),
            "{why}: {:?}",
            reply.body
        );
    }
    let unknown = put_scopes(app, &ops, &ops.admin, json!({"resources": [], "extra": true})).await;
    assert_eq!(unknown.status, StatusCode::BAD_REQUEST, "unknown fields are refused: {:?}", unknown.body);
}

pub async fn an_approval_grants_nothing_the_catalogue_set_meanwhile_refuses(app: &TestApp) {
    let ops = app.tenant("acme", json!({})).await;
    let asked = ask_key(app, &ops, "early", &["payouts:write"]).await;
    assert_eq!(asked.status, StatusCode::CREATED, "no catalogue yet: {:?}", asked.body);
    app.issued(asked.body["secret"].as_str().unwrap());
    let id = asked.body["key"]["id"].as_str().unwrap().to_owned();
    let (kept, _) = app.active_key(&ops, json!({"name": "kept", "scopes": ["payouts:read"]})).await;
    let widen = app.patch(&ops.key(&kept), &ops.maker, json!({"scopes": ["payouts:write"]})).await;
    assert!(!widen.body["pending_change"].is_null(), "a widening waits: {:?}", widen.body);

    let offer = json!({"resources": [{"name": "payouts", "actions": ["read"]}]});
    assert_eq!(put_scopes(app, &ops, &ops.admin, offer).await.status, StatusCode::OK, "a first catalogue narrows");
    let approve = app.post(&format!("{}/approve", ops.key(&id)), &ops.checker, json!({})).await;
    assert_refused(&approve, "payouts:write", "the key asked before the catalogue");
    let change = app.post(&format!("{}/change/approve", ops.key(&kept)), &ops.checker, json!({})).await;
    assert_refused(&change, "payouts:write", "the change asked before the catalogue");
    assert_eq!(app.get(&ops.key(&id), &ops.auditor).await.body["state"], "pending_approval", "nothing granted");
}
