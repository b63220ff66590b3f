//! The actix-web glue as an embedding service wires it: `RequireScope` reads the tenant and the account
//! from path segments, and refuses a key bound to another account before the handler runs.

use std::sync::Arc;

use actix_web::{test, web, App, HttpResponse};
use keygate_store::MemoryStore;
use keygate_verifier::actix::{Keygate, RequireScope, VerifiedKey};

use crate::support::{Harness, KeySpec};

/// The handler answers the account of the key it was handed (empty for a key of the whole tenant).
async fn balance(key: VerifiedKey) -> HttpResponse {
    HttpResponse::Ok().body(key.account.as_ref().map(ToString::to_string).unwrap_or_default())
}

#[actix_web::test]
async fn require_scope_takes_the_account_from_the_path_as_it_takes_the_tenant() {
    let h = Harness::start(Arc::new(MemoryStore::new())).await;
    let shop = h.issue(KeySpec::active("shop-1-till").account("shop-1")).await;
    let whole = h.issue(KeySpec::active("head-office")).await;
    let app = test::init_service(
        App::new().app_data(web::Data::new(Keygate::new(h.verifier.clone()))).service(
            web::resource("/distributors/{id}/agents/{agent}/balance")
                .wrap(RequireScope::new("balance:read").tenant_from_path("id").account_from_path("agent"))
                .route(web::get().to(balance)),
        ),
    )
    .await;
    let cases = [
        (Some(&shop), "/distributors/acme/agents/shop-1/balance", 200, "shop-1", "its own account"),
        (Some(&shop), "/distributors/acme/agents/shop-2/balance", 403, "WRONG_ACCOUNT", "another account"),
        (Some(&shop), "/distributors/globex/agents/shop-1/balance", 403, "WRONG_TENANT", "the tenant comes first"),
        (Some(&shop), "/distributors/acme/agents/shop%201/balance", 403, "WRONG_ACCOUNT", "not an account id"),
        (Some(&whole), "/distributors/acme/agents/shop-2/balance", 200, "", "a key of the whole tenant, any account"),
        (Some(&whole), "/distributors/acme/agents/shop%201/balance", 403, "WRONG_ACCOUNT", "but no non-account"),
        (None, "/distributors/acme/agents/shop-2/balance", 401, "MISSING_CREDENTIAL", "no key at all"),
    ];
    for (key, path, status, said, why) in cases {
        let mut req = test::TestRequest::get().uri(path);
        if let Some(key) = key {
            req = req.insert_header(("Authorization", format!("Bearer {}", key.token)));
        }
        let reply = test::call_service(&app, req.to_request()).await;
        assert_eq!(reply.status().as_u16(), status, "{why}: status");
        let body = test::read_body(reply).await;
        let text = String::from_utf8_lossy(&body);
        if status == 200 {
            assert_eq!(text, said, "{why}: the handler sees the key's account");
        } else {
            let problem: serde_json::Value = serde_json::from_slice(&body).unwrap();
            assert_eq!(problem["code"], said, "{why}: the problem's code");
        }
    }
}

#[actix_web::test]
async fn require_scope_given_a_request_log_keeps_a_line_per_outcome_of_an_existing_key() {
    use keygate_store::RequestFilter;
    use keygate_verifier::request_log::{RequestLog, RequestLogOptions};

    let h = Harness::start(Arc::new(MemoryStore::new())).await;
    let shop = h.issue(KeySpec::active("shop-1-till").account("shop-1")).await;
    let interval = std::time::Duration::from_secs(3600);
    let log = RequestLog::start(h.store.clone(), h.clock.clone(), RequestLogOptions { interval, ..Default::default() });
    let keygate = Keygate::new(h.verifier.clone()).request_log(log.clone());
    let app = test::init_service(
        App::new().app_data(web::Data::new(keygate)).service(
            web::resource("/distributors/{id}/agents/{agent}/balance")
                .wrap(RequireScope::new("balance:read").tenant_from_path("id").account_from_path("agent"))
                .route(web::get().to(balance)),
        ),
    )
    .await;
    let wrong_secret = shop.with_wrong_secret(&h.verifier);
    let cases = [
        (shop.token.as_str(), "/distributors/acme/agents/shop-1/balance"),
        (shop.token.as_str(), "/distributors/acme/agents/shop%201/balance"),
        (wrong_secret.as_str(), "/distributors/acme/agents/shop-1/balance"),
        ("kg_live_not-a-token", "/distributors/acme/agents/shop-1/balance"),
    ];
    for (token, path) in cases {
        let req = test::TestRequest::get().uri(path).insert_header(("Authorization", format!("Bearer {token}")));
        test::call_service(&app, req.to_request()).await;
    }
    log.flush().await.unwrap();
    let page = h.store.requests(&shop.key.tenant, &RequestFilter::default(), None, 10).await.unwrap();
    let outcomes: Vec<(&str, u16)> = page.items.iter().rev().map(|l| (l.outcome.as_ref(), l.status)).collect();
    assert_eq!(
        outcomes,
        [("OK", 200), ("WRONG_ACCOUNT", 403), ("NOT_FOUND", 401)],
        "the allowed request, the refusal the glue itself made, the wrong secret; the malformed token names no key"
    );
    assert!(page.items.iter().all(|l| l.key == shop.key.id), "every line is the key's");
    assert_eq!(page.items[0].required_scopes, vec![keygate_domain::Scope::parse("balance:read").unwrap()], "scopes");
}
