//! Sub-accounts over HTTP: a key bound to an account is refused `WRONG_ACCOUNT` for another one, shows
//! its account and never changes it; a tenant may require one on every new key; an integrator key bound
//! to an account manages only that account's keys; the listing filters by account.

use std::collections::BTreeSet;

use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::helpers::{Operators, Reply, TestApp};

/// The ids of a listing's keys.
fn ids(listing: &Reply) -> BTreeSet<String> {
    let items = listing.body["items"].as_array().cloned().unwrap_or_default();
    items.iter().filter_map(|k| k["id"].as_str().map(str::to_owned)).collect()
}

fn set(ids: &[&String]) -> BTreeSet<String> {
    ids.iter().map(|id| (*id).clone()).collect()
}

/// A refusal as (status, `code`, `field`).
fn refusal(reply: &Reply) -> (StatusCode, &str, Option<&str>) {
    (reply.status, reply.code(), reply.body["field"].as_str())
}

pub async fn a_key_bound_to_an_account_works_only_for_it_and_keeps_it(app: &TestApp) {
    let ops = app.tenant("acme", json!({})).await;
    let (shop, shop_secret) =
        app.active_key(&ops, json!({"name": "till", "scopes": ["a:read"], "account_id": "shop-1"})).await;
    let (whole, whole_secret) = app.active_key(&ops, json!({"name": "head office", "scopes": ["a:read"]})).await;
    let shown = app.get(&ops.key(&shop), &ops.auditor).await;
    assert_eq!(shown.body["account_id"], "shop-1", "the view shows the account: {:?}", shown.body);
    assert!(app.get(&ops.key(&whole), &ops.auditor).await.body["account_id"].is_null(), "null for the whole tenant");

    let ask = |secret: &str, account: Option<&str>| {
        let mut body = json!({"key": secret, "tenant_id": "acme", "required_scopes": ["a:read"]});
        if let Some(account) = account {
            body["account_id"] = json!(account);
        }
        body
    };
    let refused = app.verify(ask(&shop_secret, Some("shop-2"))).await;
    assert_eq!((refused["valid"].as_bool(), refused["code"].as_str()), (Some(false), Some("WRONG_ACCOUNT")));
    assert_eq!(refused["status"], 403, "a key that may not do this: {refused:?}");
    assert_eq!(app.verify(ask(&shop_secret, Some("Shop-1"))).await["code"], "WRONG_ACCOUNT", "matched as written");
    let allowed = app.verify(ask(&shop_secret, Some("shop-1"))).await;
    assert_eq!((allowed["valid"].as_bool(), allowed["account_id"].as_str()), (Some(true), Some("shop-1")));
    assert_eq!(app.verify(ask(&shop_secret, None)).await["valid"], true, "a request naming no account checks none");
    let any = app.verify(ask(&whole_secret, Some("shop-2"))).await;
    assert_eq!(any["valid"], true, "a key of the whole tenant is valid for any account: {any:?}");
    assert!(any.get("account_id").is_none(), "and its verdict names none: {any:?}");
    let malformed = app.post("/v1/verify", "", ask(&shop_secret, Some("shop 1"))).await;
    assert_eq!(refusal(&malformed), (StatusCode::BAD_REQUEST, "INVALID_REQUEST", Some("account_id")));

    for change in [json!({"account_id": "shop-2"}), json!({"account_id": "shop-1"}), json!({"account_id": null})] {
        let patched = app.patch(&ops.key(&shop), &ops.maker, change.clone()).await;
        assert_eq!(refusal(&patched), (StatusCode::BAD_REQUEST, "INVALID_REQUEST", Some("account_id")), "{change}");
    }
    let rotated = app.post(&format!("{}/rotate", ops.key(&shop)), &ops.maker, json!({})).await;
    app.issued(rotated.body["secret"].as_str().unwrap());
    assert_eq!(rotated.body["key"]["account_id"], "shop-1", "a successor serves the same account");
    assert_eq!(app.get(&ops.key(&shop), &ops.auditor).await.body["account_id"], "shop-1", "unchanged");
}

pub async fn a_tenant_may_require_an_account_on_every_new_key(app: &TestApp) {
    let ops = app.tenant("acme", json!({"require_account": true})).await;
    let tenant = app.get("/v1/tenants/acme", &ops.admin).await;
    assert_eq!(tenant.body["policy"]["require_account"], true, "narrowing, so at once: {:?}", tenant.body);
    let without = app.post(&ops.keys(), &ops.maker, json!({"name": "k", "scopes": ["a:read"]})).await;
    assert_eq!(
        refusal(&without),
        (StatusCode::BAD_REQUEST, "INVALID_REQUEST", Some("account_id")),
        "{:?}",
        without.body
    );
    app.create_key(&ops, json!({"name": "k", "scopes": ["a:read"], "account_id": "shop-1"})).await;

    let asked = app.patch("/v1/tenants/acme", &ops.admin, json!({"policy": {"require_account": false}})).await;
    assert_eq!(asked.body["policy"]["require_account"], true, "off again is a widening: {:?}", asked.body);
    assert_eq!(asked.body["pending_policy"]["settings"], json!({"require_account": false}), "it waits");
    let approved = app.post("/v1/tenants/acme/policy/approve", &ops.admin2, json!({})).await;
    assert_eq!(approved.body["policy"]["require_account"], false, "a second admin approved: {:?}", approved.body);
    app.create_key(&ops, json!({"name": "whole", "scopes": ["a:read"]})).await;
    let on = app.patch("/v1/tenants/acme", &ops.admin, json!({"policy": {"require_account": true}})).await;
    assert_eq!(
        (on.body["policy"]["require_account"].as_bool(), on.body["pending_policy"].is_null()),
        (Some(true), true),
        "one admin switches it on at once: {:?}",
        on.body
    );
}

/// The maker's keys for shop-1, shop-2 and the whole tenant, and an integrator key bound to shop-1.
async fn shop_keys(app: &TestApp, ops: &Operators) -> [(String, String); 4] {
    let key = |name: &str, account: Option<&str>| {
        let mut body = json!({"name": name, "scopes": ["a:read"]});
        if let Some(account) = account {
            body["account_id"] = json!(account);
        }
        body
    };
    let shop1 = app.create_key(ops, key("shop-1 till", Some("shop-1"))).await;
    let shop2 = app.create_key(ops, key("shop-2 till", Some("shop-2"))).await;
    let whole = app.create_key(ops, key("head office", None)).await;
    let integrator = json!({"name": "shop-1 backend", "scopes": ["api-keys:*", "a:read"], "account_id": "shop-1"});
    let integrator = app.active_key(ops, integrator).await;
    [shop1, shop2, whole, integrator]
}

pub async fn an_integrator_key_bound_to_an_account_manages_only_that_accounts_keys(app: &TestApp) {
    let ops = app.tenant("acme", json!({})).await;
    let [(shop1, _), (shop2, _), (whole, _), (own, integrator)] = shop_keys(app, &ops).await;
    let listing = app.get(&ops.keys(), &integrator).await;
    assert_eq!(listing.status, StatusCode::OK, "{:?}", listing.body);
    assert_eq!(ids(&listing), set(&[&shop1, &own]), "only its own account's keys");
    let asked_other = app.get(&format!("{}?account_id=shop-2", ops.keys()), &integrator).await;
    assert!(ids(&asked_other).is_empty(), "asking for another account finds none: {:?}", asked_other.body);
    let asked_own = app.get(&format!("{}?account_id=shop-1", ops.keys()), &integrator).await;
    assert_eq!(ids(&asked_own), set(&[&shop1, &own]), "asking for its own");
    assert_eq!(app.get(&ops.key(&shop1), &integrator).await.status, StatusCode::OK, "reads its account's key");
    for other in [&shop2, &whole] {
        assert_eq!(app.get(&ops.key(other), &integrator).await.status, StatusCode::NOT_FOUND, "nor reads the rest");
        let noted = app.patch(&ops.key(other), &integrator, json!({"notes": "mine now"})).await;
        assert_eq!(noted.status, StatusCode::FORBIDDEN, "nor changes them: {:?}", noted.body);
    }
    let noted = app.patch(&ops.key(&shop1), &integrator, json!({"notes": "checked"})).await;
    assert_eq!(noted.status, StatusCode::OK, "changes its account's key: {:?}", noted.body);

    let create = |account: Option<&str>| {
        let mut body = json!({"name": format!("made for {account:?}"), "scopes": ["a:read"]});
        if let Some(account) = account {
            body["account_id"] = json!(account);
        }
        body
    };
    for (account, why) in [(Some("shop-2"), "another account"), (None, "the whole tenant")] {
        let refused = app.post(&ops.keys(), &integrator, create(account)).await;
        assert_eq!((refused.status, refused.code()), (StatusCode::FORBIDDEN, "FORBIDDEN"), "{why}: {:?}", refused.body);
    }
    let made = app.post(&ops.keys(), &integrator, create(Some("shop-1"))).await;
    assert_eq!(made.status, StatusCode::CREATED, "for its own account: {:?}", made.body);
    app.issued(made.body["secret"].as_str().unwrap());
    assert_eq!(made.body["key"]["account_id"], "shop-1");
}

pub async fn the_listing_filters_by_account(app: &TestApp) {
    let ops = app.tenant("acme", json!({})).await;
    let [(shop1, _), (shop2, _), (whole, _), (own, _)] = shop_keys(app, &ops).await;
    let (keys, auditor) = (ops.keys(), ops.auditor.as_str());
    let listed = |query: &'static str| {
        let path = format!("{keys}{query}");
        async move { app.get(&path, auditor).await }
    };
    assert_eq!(ids(&listed("?account_id=shop-1").await), set(&[&shop1, &own]), "shop-1's keys");
    assert_eq!(ids(&listed("?account_id=shop-2").await), set(&[&shop2]), "shop-2's key");
    assert!(ids(&listed("?account_id=shop-3").await).is_empty(), "an account no key names");
    assert_eq!(ids(&listed("").await), set(&[&shop1, &shop2, &whole, &own]), "unfiltered, every key");
    let paged = listed("?account_id=shop-1&limit=1").await;
    assert_eq!((ids(&paged).len(), paged.body["next_cursor"].is_string()), (1, true), "paginated: {:?}", paged.body);
    let active = listed("?account_id=shop-1&state=active").await;
    assert_eq!(ids(&active), set(&[&own]), "with the other filters");
    let malformed: Value = listed("?account_id=shop%201").await.body;
    assert_eq!(
        (malformed["code"].as_str(), malformed["field"].as_str()),
        (Some("INVALID_REQUEST"), Some("account_id"))
    );
}
