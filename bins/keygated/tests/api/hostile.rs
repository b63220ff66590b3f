//! Hostile input over HTTP: oversized headers and bodies, slow clients, deeply nested JSON, deceptive
//! Unicode in names, and a forged `X-Forwarded-For`. After each the server still answers `/healthz`.
//!
//! Names are compared as sent, code point by code point: `café` written precomposed (NFC) and
//! decomposed (NFD) are two different names, both accepted. That is deliberate and pinned here.

use std::fmt::Write as _;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use actix_web::{web, App, HttpResponse, HttpServer};
use keygate_domain::{
    Environment, ExpiryRequest, IpAllowList, KeyName, Limits, OperatorId, Privileges, Role, RoleSet, ScopeSet,
    TenantId, TenantName,
};
use keygate_store::MemoryStore;
use keygate_verifier::actix::{Keygate, RequireScope, VerifiedKey};
use keygate_verifier::manage::{Caller, KeySpec, Management, TenantPatch};
use keygate_verifier::{SystemClock, Verifier, VerifierConfig};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::helpers::{spawn_app, TestApp, ADMIN};

async fn assert_healthy(app: &TestApp, after: &str) {
    let reply = app.raw(Method::GET, "/healthz", None, None).await;
    assert_eq!(reply.status, StatusCode::OK, "the server still answers /healthz after {after}");
}

fn addr(app: &TestApp) -> String {
    app.base.trim_start_matches("http://").to_owned()
}

/// Writes `request` on a fresh connection and reads until the server closes it or `wait` passes.
/// Returns the response's status code, `None` if the server closed without answering.
async fn exchange(app: &TestApp, request: &[u8], wait: Duration) -> Option<u16> {
    let mut stream = TcpStream::connect(addr(app)).await.expect("connects");
    // The server may refuse and close before reading everything; what it answered is what counts.
    let _ = stream.write_all(request).await;
    let mut answer = Vec::new();
    let _ = tokio::time::timeout(wait, stream.read_to_end(&mut answer)).await;
    status_of(&answer)
}

fn status_of(answer: &[u8]) -> Option<u16> {
    let line = String::from_utf8_lossy(answer.split(|&b| b == b'\r').next()?).into_owned();
    line.split(' ').nth(1)?.parse().ok()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oversized_headers_are_refused_or_answered_and_the_server_stays_up() {
    let app = spawn_app(None).await;
    let long_token = "a".repeat(100 * 1024);
    let reply = app.raw(Method::GET, "/v1/tenants/acme", Some(&long_token), None).await;
    assert_eq!(
        (reply.status, reply.code()),
        (StatusCode::UNAUTHORIZED, "UNAUTHENTICATED"),
        "a 100 KB bearer token is just a bad credential"
    );
    let api_key = app
        .client()
        .get(format!("{}/v1/tenants/acme", app.base))
        .header("x-api-key", &long_token)
        .send()
        .await
        .expect("sent");
    assert_eq!(app.reply("/v1/tenants/acme", api_key).await.status, StatusCode::UNAUTHORIZED, "a 100 KB X-API-KEY");

    let huge = format!("GET /healthz HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {}\r\n\r\n", "a".repeat(200 * 1024));
    let status = exchange(&app, huge.as_bytes(), Duration::from_secs(10)).await;
    assert_eq!(status, Some(431), "a 200 KB header block is refused with 431");

    let many = (0..200).fold("GET /healthz HTTP/1.1\r\nHost: x\r\n".to_owned(), |mut out, i| {
        let _ = write!(out, "X-Filler-{i}: v\r\n");
        out
    }) + "\r\n";
    let status = exchange(&app, many.as_bytes(), Duration::from_secs(10)).await;
    assert_eq!(status, Some(431), "200 headers are refused with 431");

    assert_healthy(&app, "oversized headers").await;
    app.assert_no_secret_leaked();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oversized_bodies_are_413_however_they_are_sent() {
    let app = spawn_app(None).await;
    let ops = app.tenant("acme", json!({})).await;
    let big = format!(r#"{{"key":"{}"}}"#, "k".repeat(70 * 1024));
    let declared = app
        .client()
        .post(format!("{}/v1/verify", app.base))
        .bearer_auth(&app.service)
        .header("content-type", "application/json")
        .body(big)
        .send()
        .await
        .expect("sent");
    let declared = app.reply("/v1/verify", declared).await;
    assert_eq!((declared.status.as_u16(), declared.code()), (413, "BODY_TOO_LARGE"), "70 KiB with a Content-Length");

    // Chunked: no length up front, so the limit must hold while reading.
    let mut chunked = format!(
        "POST {} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {}\r\nContent-Type: application/json\r\n\
         Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n",
        ops.keys(),
        ops.maker
    )
    .into_bytes();
    for _ in 0..13 {
        chunked.extend_from_slice(format!("2000\r\n{}\r\n", " ".repeat(0x2000)).as_bytes());
    }
    chunked.extend_from_slice(b"0\r\n\r\n");
    let status = exchange(&app, &chunked, Duration::from_secs(10)).await;
    assert_eq!(status, Some(413), "104 KiB sent chunked");

    // A declared length of 10 GB is refused at once, without waiting for the bytes.
    let started = Instant::now();
    let lying = b"POST /v1/verify HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n\
                  Content-Length: 10000000000\r\n\r\n{";
    let status = exchange(&app, lying, Duration::from_secs(10)).await;
    assert_eq!(status, Some(413), "a 10 GB Content-Length");
    assert!(started.elapsed() < Duration::from_secs(5), "refused without waiting for the body");

    assert_healthy(&app, "oversized bodies").await;
    app.assert_no_secret_leaked();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slow_clients_do_not_stop_others_and_stalled_heads_and_bodies_are_dropped() {
    let app = spawn_app(None).await;
    // Twenty connections that send half a request head and stall, and five that send a whole head
    // and half a body.
    let mut stalled_heads = Vec::new();
    for _ in 0..20 {
        let mut stream = TcpStream::connect(addr(&app)).await.expect("connects");
        stream.write_all(b"POST /v1/verify HTTP/1.1\r\nHost: x\r\nContent-Ty").await.expect("partial head");
        stalled_heads.push(stream);
    }
    let mut stalled_bodies = Vec::new();
    for _ in 0..5 {
        let mut stream = TcpStream::connect(addr(&app)).await.expect("connects");
        let head =
            b"POST /v1/verify HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n";
        stream.write_all(head).await.expect("head");
        stream.write_all(br#"{"key":"#).await.expect("partial body");
        stalled_bodies.push(stream);
    }

    let started = Instant::now();
    for _ in 0..10 {
        assert_healthy(&app, "25 stalled connections").await;
    }
    let verdict = app.post("/v1/verify", "", json!({"key": "kg_live_1nope"})).await;
    assert_eq!(verdict.body["code"], "MALFORMED", "verification is served while others stall");
    assert!(started.elapsed() < Duration::from_secs(3), "others are served promptly: {:?}", started.elapsed());

    // actix's client request timeout (5 s) answers a stalled head with 408 and closes the connection.
    for mut stream in stalled_heads {
        let mut answer = Vec::new();
        let read = tokio::time::timeout(Duration::from_secs(15), stream.read_to_end(&mut answer)).await;
        assert!(read.is_ok(), "a stalled request head is dropped within 15 s");
        assert!(matches!(status_of(&answer), Some(408) | None), "408 or a plain close: {answer:?}");
    }
    // keygated's own body deadline (10 s) answers a stalled body with 408 problem+json.
    for mut stream in stalled_bodies {
        let mut answer = Vec::new();
        let read = tokio::time::timeout(Duration::from_secs(20), stream.read_to_end(&mut answer)).await;
        assert!(read.is_ok(), "a stalled request body is dropped within 20 s");
        assert_eq!(status_of(&answer), Some(408), "a stalled body is answered 408: {answer:?}");
    }
    assert_healthy(&app, "slow clients").await;
    app.assert_no_secret_leaked();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deeply_nested_json_is_a_400_naming_where_it_is() {
    let app = spawn_app(None).await;
    let ops = app.tenant("acme", json!({})).await;
    let (id, _) = app.create_key(&ops, json!({"name": "pos", "scopes": ["balance:read"]})).await;
    let depth = 30_000;
    let arrays = format!("{}{}", "[".repeat(depth), "]".repeat(depth));
    let objects = format!("{}1{}", r#"{"a":"#.repeat(depth / 5), "}".repeat(depth / 5));
    let cases = [
        (
            Method::POST,
            "/v1/verify".to_owned(),
            app.service.as_str(),
            arrays.clone(),
            "[0]",
            "arrays as the whole body",
        ),
        (
            Method::PATCH,
            ops.key(&id),
            ops.maker.as_str(),
            format!(r#"{{"name":{arrays}}}"#),
            "name",
            "arrays in a field",
        ),
        (
            Method::PATCH,
            ops.key(&id),
            ops.maker.as_str(),
            format!(r#"{{"name":{objects}}}"#),
            "name",
            "objects in a field",
        ),
        (Method::POST, ops.keys(), ops.maker.as_str(), objects.clone(), "a", "objects as the whole body"),
    ];
    for (method, path, token, body, field, why) in cases {
        let mut request = app.client().request(method, format!("{}{path}", app.base));
        if !token.is_empty() {
            request = request.bearer_auth(token);
        }
        let response = request.header("content-type", "application/json").body(body).send().await.expect("sent");
        let reply = app.reply(&path, response).await;
        assert_eq!((reply.status, reply.code()), (StatusCode::BAD_REQUEST, "INVALID_REQUEST"), "{why}");
        let named = reply.body["field"].as_str().unwrap_or("");
        assert!(named.starts_with(field) && named.len() < 512, "{why}: names where it is, briefly: {named:?}");
        assert_healthy(&app, why).await;
    }
    app.assert_no_secret_leaked();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deceptive_unicode_in_names_is_a_400_naming_the_field() {
    let app = spawn_app(None).await;
    let ops = app.tenant("acme", json!({})).await;
    let (pending, _) = app.create_key(&ops, json!({"name": "pending", "scopes": ["a:read"]})).await;
    let key = |name: &str| json!({"name": name, "scopes": ["a:read"]});
    let operator = |name: &str| json!({"name": name, "email": "x@acme.test", "roles": ["maker"]});
    let reject = format!("{}/reject", ops.key(&pending));
    let keys = ops.keys();
    let cases: Vec<(&str, &str, Value, &str, &str)> = vec![
        (&keys, &ops.maker, key("admin\u{202E}gpj.exe"), "name", "right-to-left override"),
        (&keys, &ops.maker, key("pay\u{200B}pal"), "name", "zero-width space"),
        (&keys, &ops.maker, key("pay\u{200D}pal"), "name", "zero-width joiner"),
        (&keys, &ops.maker, key("\u{FEFF}paypal"), "name", "byte order mark"),
        (&keys, &ops.maker, key("pay\u{200E}pal"), "name", "left-to-right mark"),
        (&keys, &ops.maker, key("pay\u{2067}pal\u{2069}"), "name", "right-to-left isolate"),
        (&keys, &ops.maker, key("\u{200B}\u{200B}"), "name", "nothing but zero-width spaces"),
        (&keys, &ops.maker, key("\u{00A0}\u{3000}"), "name", "nothing but Unicode spaces"),
        (&keys, &ops.maker, key(&"é".repeat(65)), "name", "65 two-byte characters"),
        (&keys, &ops.maker, key(&"\u{1F600}".repeat(65)), "name", "65 four-byte characters"),
        (&keys, &ops.maker, key(&"e\u{0301}".repeat(33)), "name", "66 code points of decomposed é"),
        (
            &keys,
            &ops.maker,
            json!({"name": "n", "scopes": ["a:read"], "notes": "ok\u{202E}"}),
            "notes",
            "bidi override in notes",
        ),
        ("/v1/tenants/acme/operators", ADMIN, operator("Mary\u{202E}"), "name", "bidi override in an operator"),
        ("/v1/tenants", ADMIN, json!({"id": "globex", "name": "Glo\u{200B}bex"}), "name", "zero-width in a tenant"),
        (&reject, &ops.checker, json!({"reason": "fine\u{2066}"}), "reason", "bidi isolate in a reason"),
    ];
    for (path, token, body, field, why) in cases {
        let reply = app.post(path, token, body).await;
        assert_eq!(
            (reply.status, reply.code()),
            (StatusCode::BAD_REQUEST, "INVALID_REQUEST"),
            "{why}: {:?}",
            reply.body
        );
        assert_eq!(reply.body["field"], field, "{why}: names the field");
    }

    // Characters, not bytes, are counted: 64 characters fit, 63 of them four bytes long. A name needs a
    // letter or digit, so symbols alone are refused.
    app.create_key(&ops, key(&format!("A{}", "\u{1F600}".repeat(63)))).await;
    let symbols = app.post(&keys, &ops.maker, key(&"\u{1F600}".repeat(3))).await;
    assert_eq!(symbols.body["field"], "name", "a name of symbols alone names nothing: {:?}", symbols.body);
    // NFC and NFD spellings are distinct names; the same spelling again is taken.
    let (nfc, _) = app.create_key(&ops, key("caf\u{00E9}")).await;
    let (nfd, _) = app.create_key(&ops, key("cafe\u{0301}")).await;
    assert_ne!(nfc, nfd, "NFC and NFD spellings are two keys");
    let again = app.post(&keys, &ops.maker, key("caf\u{00E9}")).await;
    assert_eq!((again.status, again.code()), (StatusCode::CONFLICT, "NAME_TAKEN"), "the same spelling twice");
    assert_healthy(&app, "deceptive names").await;
    app.assert_no_secret_leaked();
}

/// A service protected by the actix glue on a real loopback port, its key limited to 10.0.0.0/8.
async fn protected_service(trusted: Vec<ipnetwork::IpNetwork>) -> (SocketAddr, String, actix_web::dev::ServerHandle) {
    let store = Arc::new(MemoryStore::new());
    let verifier = Verifier::new(store, VerifierConfig::default(), Arc::new(SystemClock));
    let manage = Management::new(verifier.clone(), "kgop".parse().unwrap(), None);
    let tenant = TenantId::parse("acme").unwrap();
    let patch = TenantPatch {
        name: Some(TenantName::parse("Acme").unwrap()),
        dual_control: Some(false),
        ..TenantPatch::default()
    };
    manage.create_tenant(&Caller::system(), patch, tenant.clone(), Vec::new()).await.unwrap();
    // Dual control off is a widening: a tenant admin (a second person) approves it.
    let admin = Caller::operator(OperatorId::from_bytes([2; 16]), tenant.clone(), RoleSet::of([Role::Admin]));
    manage.approve_policy(&admin, &tenant).await.unwrap();
    let spec = KeySpec {
        name: KeyName::parse("branch-office").unwrap(),
        notes: None,
        account: None,
        environment: Environment::Test,
        privileges: Privileges {
            scopes: ScopeSet::parse(["balance:read"]).unwrap(),
            limits: Limits::single(None, None, None, IpAllowList::parse(["10.0.0.0/8"]).unwrap()).unwrap(),
        },
        owner: keygate_domain::Owner::default(),
        expiry: ExpiryRequest::Default,
        signing: None,
    };
    let maker = Caller::operator(OperatorId::from_bytes([1; 16]), tenant.clone(), RoleSet::of([Role::Maker]));
    let (_, token) = manage.create_key(&maker, &tenant, spec).await.unwrap();
    let keygate = web::Data::new(Keygate::new(verifier).trusted_proxies(trusted));
    let server = HttpServer::new(move || {
        App::new().app_data(keygate.clone()).service(
            web::resource("/balance").wrap(RequireScope::new("balance:read")).route(
                web::get().to(|key: VerifiedKey| async move { HttpResponse::Ok().body(key.key_id.to_string()) }),
            ),
        )
    })
    .workers(1)
    .bind("127.0.0.1:0")
    .unwrap();
    let addr = server.addrs()[0];
    let server = server.run();
    let handle = server.handle();
    tokio::spawn(server);
    (addr, token.expect("secrets are shown at creation by default").expose().to_owned(), handle)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn x_forwarded_for_counts_only_from_a_trusted_proxy() {
    let client = reqwest::Client::new();
    let cases = [
        (vec![], Some("10.1.2.3"), 403, "a forged header from an untrusted peer is ignored"),
        (vec![], None, 403, "the peer itself (127.0.0.1) is outside 10.0.0.0/8"),
        (vec!["127.0.0.1/32"], Some("10.1.2.3"), 200, "a trusted proxy's header is believed"),
        (vec!["127.0.0.1/32"], Some("10.1.2.3, 203.0.113.9"), 403, "the right-most untrusted hop is the client"),
        (vec!["127.0.0.1/32"], Some("not-an-address"), 403, "a garbled chain falls back to the peer"),
        (vec!["127.0.0.1/32"], None, 403, "no header: the proxy itself is the client"),
    ];
    for (trusted, forwarded, status, why) in cases {
        let trusted = trusted.iter().map(|n| n.parse().unwrap()).collect();
        let (addr, token, handle) = protected_service(trusted).await;
        let send = || {
            let mut request = client.get(format!("http://{addr}/balance")).bearer_auth(&token);
            if let Some(forwarded) = forwarded {
                request = request.header("x-forwarded-for", forwarded);
            }
            request.send()
        };
        let response = send().await.expect("sent");
        assert_eq!(response.status().as_u16(), status, "{why}");
        if status == 403 {
            let problem: Value = response.json().await.expect("problem+json");
            assert_eq!(problem["code"], "IP_NOT_ALLOWED", "{why}: code");
        }
        assert_eq!(send().await.expect("sent again").status().as_u16(), status, "{why}: the service is still up");
        handle.stop(true).await;
    }
}
