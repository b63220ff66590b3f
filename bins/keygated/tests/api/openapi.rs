//! The OpenAPI document: generated from the code, committed as `docs/openapi.json`, served at
//! `/openapi.json`, and listing exactly the routes the server answers.

use std::collections::BTreeSet;

use keygated::routes::ROUTES;
use reqwest::StatusCode;

use crate::helpers::spawn_app;

#[tokio::test]
async fn the_openapi_document_lists_exactly_the_routes_the_server_answers() {
    let app = spawn_app(None).await;
    let doc = app.raw(reqwest::Method::GET, "/openapi.json", None, None).await;
    assert_eq!(doc.status, StatusCode::OK);
    assert_eq!(doc.body["openapi"], "3.1.0", "OpenAPI 3.1");
    let mut documented = BTreeSet::new();
    for (path, item) in doc.body["paths"].as_object().expect("paths") {
        for method in item.as_object().unwrap().keys().filter(|m| *m != "parameters") {
            documented.insert((method.to_uppercase(), path.clone()));
        }
    }
    let served: BTreeSet<_> = ROUTES.iter().map(|(m, p)| ((*m).to_owned(), (*p).to_owned())).collect();
    assert_eq!(documented, served, "the document and the routes agree");

    // Every listed route is really routed: no 404 "no such route", no 405.
    for (method, path) in ROUTES {
        let concrete = path.replace("{tenant}", "acme").replace("{id}", "0000000000000000000000");
        let reply = app.raw(method.parse().unwrap(), &concrete, None, None).await;
        assert!(
            reply.status != StatusCode::METHOD_NOT_ALLOWED
                && !(reply.status == StatusCode::NOT_FOUND
                    && reply.code() == "NOT_FOUND"
                    && reply.headers.get("www-authenticate").is_none()
                    && path.starts_with("/v1/tenants")),
            "{method} {path} is routed (got {})",
            reply.status
        );
    }
}

#[test]
fn the_committed_document_is_the_generated_one() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../docs/openapi.json");
    let committed = std::fs::read_to_string(path).unwrap_or_default();
    assert!(
        committed == keygated::openapi::json(),
        "docs/openapi.json differs from the document the code generates: run `cargo xtask openapi` and commit it"
    );
}

#[test]
fn every_schema_has_an_example_and_every_declared_code_is_in_the_status_table() {
    let doc: serde_json::Value = serde_json::from_str(&keygated::openapi::json()).unwrap();
    for (name, schema) in doc["components"]["schemas"].as_object().unwrap() {
        let has = schema.get("examples").and_then(|e| e.as_array()).is_some_and(|e| !e.is_empty())
            || schema.get("enum").is_some()
            || schema.get("oneOf").is_some();
        assert!(has, "schema {name} has an example (or is an enumeration or a choice of examples)");
    }
    let text = doc.to_string();
    assert!(!text.contains("declared code not in the status table"), "every declared code is in error::CODES");
    let mut ids = BTreeSet::new();
    for item in doc["paths"].as_object().unwrap().values() {
        for (method, op) in item.as_object().unwrap() {
            let id = op["operationId"].as_str().unwrap_or_default().to_owned();
            assert!(ids.insert(id.clone()), "operationId {id} ({method}) is unique");
        }
    }
}

#[tokio::test]
async fn the_served_document_is_the_generated_one() {
    let app = spawn_app(None).await;
    let served = app.client().get(format!("{}/openapi.json", app.base)).send().await.unwrap().text().await.unwrap();
    assert_eq!(served, keygated::openapi::json(), "/openapi.json serves the generated document");
}

#[tokio::test]
async fn health_readiness_and_metrics_answer() {
    let app = spawn_app(None).await;
    assert_eq!(app.raw(reqwest::Method::GET, "/healthz", None, None).await.status, StatusCode::OK);
    assert_eq!(app.raw(reqwest::Method::GET, "/readyz", None, None).await.status, StatusCode::OK);
    app.verify(serde_json::json!({"key": "kg_live_1garbage"})).await;
    // Methods a client invents (30 of them, one of 4,000 characters) add no series.
    for n in 0..30 {
        let name = if n == 0 { "X".repeat(4000) } else { format!("INVENTED{n}") };
        let method = reqwest::Method::from_bytes(name.as_bytes()).unwrap();
        app.client().request(method, format!("{}/healthz", app.base)).send().await.unwrap();
    }
    let metrics = app.client().get(format!("{}/metrics", app.base)).send().await.unwrap().text().await.unwrap();
    for name in ["keygate_http_requests_total", "keygate_verifications_total", "keygate_verify_seconds"] {
        assert!(metrics.contains(name), "/metrics exposes {name}");
    }
    assert!(!metrics.contains("INVENTED") && !metrics.contains("XXXX"), "an invented method is never a label");
    assert!(metrics.contains("method=\"other\""), "it is counted as `other`");
}
