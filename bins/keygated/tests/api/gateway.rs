//! `/v1/authorize` in process, on both backends: each gateway's header convention, the route table's
//! scopes, tenants and amounts, the statuses a gateway acts on (never 200 on an error), the request
//! log, and a table that cannot be read stopping start-up with its line.

use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

use crate::helpers::{live_policy, spawn_app_with, Reply, TestApp};

/// The table the gateway tests use; the nginx test reads the example's own.
pub const ROUTES: &str = r#"
[[route]]
method = "GET"
path = "/api/v1/distributors/{tenant}/balance"
scopes = ["balance:read"]

[[route]]
method = "POST"
path = "/api/v1/distributors/{tenant}/cash-out"
scopes = ["payments:write"]
environment = "live"
amount_header = "X-Amount"
currency_header = "X-Currency"
"#;

/// A file of its own under the system's temporary folder holding `text`.
pub fn routes_file(text: &str) -> std::path::PathBuf {
    let mut bytes = [0u8; 8];
    rand_core::RngCore::fill_bytes(&mut rand_core::OsRng, &mut bytes);
    let path = std::env::temp_dir().join(format!("keygate-routes-{}.toml", u64::from_be_bytes(bytes)));
    std::fs::write(&path, text).expect("routes file written");
    path
}

async fn ask(app: &TestApp, method: Method, path: &str, headers: &[(&str, &str)]) -> Reply {
    let mut request = app.client().request(method, format!("{}{path}", app.base));
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    let response = request.send().await.expect("request sent");
    app.reply(path, response).await
}

fn header<'r>(reply: &'r Reply, name: &str) -> &'r str {
    reply.headers.get(name).and_then(|v| v.to_str().ok()).unwrap_or("")
}

async fn scenario(database_url: Option<&str>) {
    let routes = routes_file(ROUTES);
    let app = spawn_app_with(database_url, |config| {
        config.routes = Some(routes.clone());
        config.signing_key = Some(crate::signing::SIGNING_KEY.to_owned());
    })
    .await;
    let ops = app.tenant("acme", live_policy()).await;
    app.tenant("other", live_policy()).await;
    let limits = json!({"amounts": [{"currency": "XOF", "daily_volume": "100"}]});
    let body =
        json!({"name": "till", "environment": "live", "scopes": ["balance:read", "payments:write"], "limits": limits});
    let (key, token) = app.active_key(&ops, body).await;
    let bearer = format!("Bearer {token}");
    let service = app.service.clone();
    let svc = ("x-keygate-service", service.as_str());

    // nginx: the original request in X-Original-*; 200 and who the key is.
    let nginx = [
        svc,
        ("authorization", &bearer),
        ("x-original-method", "GET"),
        ("x-original-uri", "/api/v1/distributors/acme/balance?x=1"),
    ];
    let passed = ask(&app, Method::GET, "/v1/authorize", &nginx).await;
    assert_eq!(passed.status, StatusCode::OK, "{:?}", passed.body);
    assert_eq!(
        [
            header(&passed, "x-keygate-key-id"),
            header(&passed, "x-keygate-tenant"),
            header(&passed, "x-keygate-environment")
        ],
        [key.as_str(), "acme", "live"]
    );
    assert_eq!(header(&passed, "x-keygate-scopes"), "balance:read,payments:write");
    // Every header on every answer, empty where it does not apply, so a gateway copying them upstream
    // always replaces a client's own.
    let empty = ["x-keygate-account", "x-keygate-spend-id", "x-keygate-remaining"];
    assert!(
        empty.iter().all(|h| passed.headers.get(*h).is_some_and(reqwest::header::HeaderValue::is_empty)),
        "{:?}",
        passed.headers
    );

    // What would make the upstream serve another route than the one judged is refused.
    let overridden = [nginx[0], nginx[1], nginx[2], nginx[3], ("x-http-method-override", "DELETE")];
    let refused = ask(&app, Method::GET, "/v1/authorize", &overridden).await;
    assert_eq!((refused.status, refused.code()), (StatusCode::FORBIDDEN, "NO_ROUTE"), "a method override");
    let twice = [nginx[0], nginx[1], nginx[2], nginx[3], ("x-original-uri", "/api/v1/distributors/other/balance")];
    let refused = ask(&app, Method::GET, "/v1/authorize", &twice).await;
    assert_eq!((refused.status, refused.code()), (StatusCode::FORBIDDEN, "NO_ROUTE"), "X-Original-URI twice");

    // Without the gateway's own credential: 401, saying so.
    let anonymous = ask(&app, Method::GET, "/v1/authorize", &nginx[1..]).await;
    assert_eq!((anonymous.status, anonymous.code()), (StatusCode::UNAUTHORIZED, "UNAUTHENTICATED"));
    assert!(anonymous.body["detail"].as_str().unwrap().contains("X-Keygate-Service"));
    let wrong = ask(
        &app,
        Method::GET,
        "/v1/authorize",
        &[("x-keygate-service", "kgsvc_live_nope"), nginx[1], nginx[2], nginx[3]],
    )
    .await;
    assert_eq!(wrong.status, StatusCode::UNAUTHORIZED, "a bad service credential: {:?}", wrong.body);

    // No key: 401 with the plain challenge; a key in X-API-KEY works like Bearer.
    let no_key = ask(&app, Method::GET, "/v1/authorize", &[svc, nginx[2], nginx[3]]).await;
    assert_eq!((no_key.status, no_key.code()), (StatusCode::UNAUTHORIZED, "MISSING_CREDENTIAL"));
    assert_eq!(header(&no_key, "www-authenticate"), "Bearer");
    assert_eq!(header(&no_key, "content-type"), "application/problem+json");
    let api_key = ask(&app, Method::GET, "/v1/authorize", &[svc, ("x-api-key", &token), nginx[2], nginx[3]]).await;
    assert_eq!(api_key.status, StatusCode::OK);

    // Traefik: X-Forwarded-*; another tenant's path is 403.
    let traefik = |uri: &'static str| {
        [svc, ("authorization", bearer.as_str()), ("x-forwarded-method", "GET"), ("x-forwarded-uri", uri)]
    };
    let elsewhere = ask(&app, Method::GET, "/v1/authorize", &traefik("/api/v1/distributors/other/balance")).await;
    assert_eq!((elsewhere.status, elsewhere.code()), (StatusCode::FORBIDDEN, "WRONG_TENANT"));
    for uri in ["/api/v1/distributors/acme/statement", "/api/v1/distributors/x/../acme/balance"] {
        let unlisted = ask(&app, Method::GET, "/v1/authorize", &traefik(uri)).await;
        assert_eq!((unlisted.status, unlisted.code()), (StatusCode::FORBIDDEN, "NO_ROUTE"), "{uri}");
    }

    // Envoy: the original method, the original path after the prefix; amounts from headers.
    let cash_out = "/v1/authorize/api/v1/distributors/acme/cash-out";
    let priced =
        |amount: &'static str| [svc, ("authorization", bearer.as_str()), ("x-amount", amount), ("x-currency", "XOF")];
    let charged = ask(&app, Method::POST, cash_out, &priced("60")).await;
    assert_eq!(charged.status, StatusCode::OK, "{:?}", charged.body);
    assert_eq!(header(&charged, "x-keygate-remaining"), "40");
    assert!(!header(&charged, "x-keygate-spend-id").is_empty(), "the spend, to release if the upstream fails");
    let over = ask(&app, Method::POST, cash_out, &priced("60")).await;
    assert_eq!((over.status, over.code()), (StatusCode::TOO_MANY_REQUESTS, "DAILY_VOLUME_EXCEEDED"));
    assert!(header(&over, "retry-after").parse::<u64>().is_ok_and(|s| s > 0), "Retry-After in seconds");
    let unpriced = ask(&app, Method::POST, cash_out, &[svc, ("authorization", &bearer)]).await;
    assert_eq!((unpriced.status, unpriced.code()), (StatusCode::FORBIDDEN, "AMOUNT_REQUIRED"));
    let two_amounts = [priced("1")[0], priced("1")[1], priced("1")[2], priced("1")[3], ("x-amount", "50")];
    let doubled = ask(&app, Method::POST, cash_out, &two_amounts).await;
    assert_eq!(doubled.code(), "AMOUNT_REQUIRED", "an amount sent twice is no amount");
    let precise = ask(&app, Method::POST, cash_out, &priced("1.5")).await;
    assert_eq!((precise.status, precise.code()), (StatusCode::FORBIDDEN, "AMOUNT_PRECISION"), "400 becomes 403");
    let read_as_write = ask(&app, Method::GET, cash_out, &priced("1")).await;
    assert_eq!(read_as_write.code(), "NO_ROUTE", "the method is part of the route");

    // The same request log as /v1/verify: every verdict about the key is a line.
    let expected = ["OK", "OK", "WRONG_TENANT", "OK", "DAILY_VOLUME_EXCEEDED", "AMOUNT_PRECISION"];
    assert_logged(&app, &ops.auditor, &key, &expected).await;
    signed_through_the_gateway(&app, &ops, &service).await;
    app.assert_no_secret_leaked();
    app.stop().await;
    let _ = std::fs::remove_file(routes);
}

/// A signed request (RFC 9421) passes the gateway without a bearer key: its method, authority
/// (`X-Forwarded-Host`), path and query are the original's; once only; a signature stating a body fails,
/// since a gateway forwards none.
async fn signed_through_the_gateway(app: &TestApp, ops: &crate::helpers::Operators, service: &str) {
    use crate::signing::{headers as sign, now, signing_key, Sent, Signer};
    let body =
        json!({"name": "signer", "scopes": ["balance:read"], "signing": {"algorithm": "hmac-sha256"}, "bearer": false});
    let (id, secret, _) = signing_key(app, ops, body).await;
    let signer = Signer::hmac(&id, &secret.expect("an HMAC key's signing secret"));
    let sent = Sent {
        method: "GET".into(),
        authority: "api.example.com".into(),
        path: "/api/v1/distributors/acme/balance".into(),
        query: "at=today".into(),
        body: Vec::new(),
    };
    let ask_with = |fields: &Value, uri: &str| {
        let mut request = app
            .client()
            .get(format!("{}/v1/authorize", app.base))
            .header("x-keygate-service", service)
            .header("x-original-method", "GET")
            .header("x-original-uri", uri)
            .header("x-forwarded-host", "api.example.com");
        for (name, value) in fields.as_object().unwrap() {
            request = request.header(name.as_str(), value.as_str().unwrap());
        }
        request.send()
    };
    let fields = sign(&signer, &sent, now(), "gateway-nonce-1");
    let passed = ask_with(&fields, "/api/v1/distributors/acme/balance?at=today").await.unwrap();
    assert_eq!(passed.status(), StatusCode::OK, "a signed request passes");
    assert_eq!(passed.headers()["x-keygate-key-id"], id.as_str());
    let again = ask_with(&fields, "/api/v1/distributors/acme/balance?at=today").await.unwrap();
    assert_eq!(again.status(), StatusCode::UNAUTHORIZED, "the same signature twice");
    let fields = sign(&signer, &sent, now(), "gateway-nonce-2");
    let moved = ask_with(&fields, "/api/v1/distributors/acme/balance?at=tomorrow").await.unwrap();
    assert_eq!(moved.status(), StatusCode::UNAUTHORIZED, "another query than the one signed");
    let with_body = Sent { method: "GET".into(), body: b"{}".to_vec(), ..sent };
    let fields = sign(&signer, &with_body, now(), "gateway-nonce-3");
    let refused = ask_with(&fields, "/api/v1/distributors/acme/balance?at=today").await.unwrap();
    let problem: Value = refused.json().await.unwrap();
    assert_eq!(problem["code"], "DIGEST_MISMATCH", "a gateway forwards no body, so none can be checked");
}

/// The key's request log holds exactly `expected` (in any order); lines are written behind the
/// answers, every 250 ms.
async fn assert_logged(app: &TestApp, auditor: &str, key: &str, expected: &[&str]) {
    let mut expected = expected.to_vec();
    expected.sort_unstable();
    let mut seen = Vec::new();
    for _ in 0..60 {
        let log: Value = app.get(&format!("/v1/tenants/acme/keys/{key}/requests"), auditor).await.body;
        seen = log["items"].as_array().unwrap().iter().map(|l| l["outcome"].as_str().unwrap().to_owned()).collect();
        seen.sort_unstable();
        if seen.len() >= expected.len() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert_eq!(seen, expected, "one line per verification that named the key");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_gateway_is_answered_per_its_route_table_in_memory() {
    scenario(None).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_gateway_is_answered_per_its_route_table_on_postgres() {
    let Some(db) = keygate_store::testing::TestDatabase::create().await else { return };
    scenario(Some(db.url())).await;
    db.drop_database().await;
}

/// An unreadable table stops start-up with the setting and the line; a reload keeps the table in
/// force when the new one is invalid, and takes a valid one.
#[tokio::test]
async fn a_bad_table_stops_start_up_and_a_bad_reload_keeps_the_table_in_force() {
    let bad = routes_file("[[route]]\nmethod = \"GET\"\npath = \"/a\"\nscopes = [\"not a scope\"]\n");
    let mut config = keygated::Config::for_tests("admin-token-for-the-gateway-tests-0123456789");
    config.routes = Some(bad.clone());
    let error = keygated::start(config).await.err().expect("refused").to_string();
    assert!(error.contains("KEYGATE_ROUTES") && error.contains("line 4"), "{error}");

    let file = routes_file(ROUTES);
    let routes = keygated::gateway_routes::GatewayRoutes::load(Some(&file)).unwrap();
    assert_eq!(routes.current().routes.len(), 2);
    std::fs::write(&file, "[[route]]\nmethod = \"get\"\npath = \"/a\"\n").unwrap();
    assert!(routes.reload().unwrap_err().contains("line 2"));
    assert_eq!(routes.current().routes.len(), 2, "the table in force is kept");
    std::fs::write(&file, "default = \"authenticate\"\n").unwrap();
    assert_eq!(routes.reload(), Ok(0));
    assert_eq!(routes.current().fallback, keygate_gateway::Fallback::Authenticate);
    let _ = (std::fs::remove_file(bad), std::fs::remove_file(file));
}
