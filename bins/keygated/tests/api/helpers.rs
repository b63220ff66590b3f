//! `spawn_app()`: the real server on port 0, typed request helpers, and the record of every response
//! and log line so a test can prove no issued secret leaked: no key secret or operator token (nor its
//! 44-character secret part) outside the one response that issued it, no stored hash of any of them
//! (hex, base64 or a byte list) and nothing of the admin token in any response or log line.

use std::fmt::Write as _;
use std::io::Write;
use std::sync::{Arc, Mutex, OnceLock};

use keygate_credential::{Pepper, SecretHasher, Token, TokenPrefix};
use keygated::Config;
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use sha2::{Digest, Sha256};
use tracing_subscriber::fmt::MakeWriter;

pub const ADMIN: &str = "admin-token-for-tests-0123456789abcdef";

/// Every log line of the process, at TRACE level.
fn logs() -> &'static Mutex<Vec<u8>> {
    static LOGS: OnceLock<Mutex<Vec<u8>>> = OnceLock::new();
    LOGS.get_or_init(|| {
        #[derive(Clone, Copy)]
        struct Sink;
        impl Write for Sink {
            fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
                logs().lock().unwrap().extend_from_slice(buf);
                Ok(buf.len())
            }
            fn flush(&mut self) -> std::io::Result<()> {
                Ok(())
            }
        }
        impl<'a> MakeWriter<'a> for Sink {
            type Writer = Sink;
            fn make_writer(&'a self) -> Sink {
                Sink
            }
        }
        let _ = tracing_subscriber::fmt()
            .with_max_level(tracing::Level::TRACE)
            .with_writer(Sink)
            .with_ansi(false)
            .try_init();
        Mutex::new(Vec::new())
    })
}

pub struct TestApp {
    pub base: String,
    client: reqwest::Client,
    /// (route, body) of every response, to check secrets appear only where issued.
    responses: Arc<Mutex<Vec<(String, String)>>>,
    /// Secrets issued in this test, with the route that issued them.
    secrets: Arc<Mutex<Vec<String>>>,
    /// The pepper the server hashes secrets with, to compute the hashes that must not leak.
    pepper: Option<String>,
    handle: actix_web::dev::ServerHandle,
    /// A service credential for every tenant, presented on `/v1/verify` when a test gives no token.
    pub service: String,
}

pub struct Reply {
    pub status: StatusCode,
    pub headers: reqwest::header::HeaderMap,
    pub body: Value,
}

impl Reply {
    pub fn code(&self) -> &str {
        self.body["code"].as_str().unwrap_or("")
    }
}

pub async fn spawn_app(database_url: Option<&str>) -> TestApp {
    spawn_app_with(database_url, |_| {}).await
}

/// [`spawn_app`] with settings changed by `adjust`.
pub async fn spawn_app_with(database_url: Option<&str>, adjust: impl FnOnce(&mut Config)) -> TestApp {
    spawn(database_url, adjust, Arc::new(keygate_verifier::SystemClock)).await
}

/// [`spawn_app`] on `clock`, for tests that cross a midnight on cue.
pub async fn spawn_app_at(database_url: Option<&str>, clock: Arc<dyn keygate_domain::Clock>) -> TestApp {
    spawn(database_url, |_| {}, clock).await
}

/// [`spawn_app_at`] with settings changed by `adjust`.
pub async fn spawn_app_at_with(
    database_url: Option<&str>,
    clock: Arc<dyn keygate_domain::Clock>,
    adjust: impl FnOnce(&mut Config),
) -> TestApp {
    spawn(database_url, adjust, clock).await
}

async fn spawn(
    database_url: Option<&str>,
    adjust: impl FnOnce(&mut Config),
    clock: Arc<dyn keygate_domain::Clock>,
) -> TestApp {
    let _ = logs();
    let mut config = Config::for_tests(ADMIN);
    config.database_url = database_url.map(str::to_owned);
    adjust(&mut config);
    let pepper = config.pepper.clone();
    let running = keygated::start_at(config, clock).await.expect("server starts");
    let handle = running.server.handle();
    tokio::spawn(running.server);
    let mut app = TestApp {
        base: format!("http://{}", running.addr),
        client: reqwest::Client::new(),
        responses: Arc::default(),
        secrets: Arc::default(),
        pepper,
        handle,
        service: String::new(),
    };
    app.service = app.issued(&create_service(&app, "test-gateway", json!("*")).await);
    app
}

/// Issues a service credential as the system admin; returns its token.
pub async fn create_service(api: &impl Api, name: &str, tenants: Value) -> String {
    let created = api.post_json("/v1/services", ADMIN, json!({"name": name, "tenants": tenants})).await;
    assert_eq!(created.status, StatusCode::CREATED, "service created: {:?}", created.body);
    created.body["token"].as_str().unwrap().to_owned()
}

impl TestApp {
    pub async fn stop(&self) {
        self.handle.stop(true).await;
    }

    /// A request with `token` as its bearer; on `/v1/verify` with no token, the test's service credential.
    pub async fn raw(&self, method: Method, path: &str, token: Option<&str>, body: Option<Value>) -> Reply {
        let mut request = self.client.request(method, format!("{}{path}", self.base));
        let token = token
            .filter(|t| !t.is_empty())
            .or(matches!(path, "/v1/verify" | "/v1/verify-signed").then_some(self.service.as_str()));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request.send().await.expect("request sent");
        self.reply(path, response).await
    }

    pub async fn reply(&self, path: &str, response: reqwest::Response) -> Reply {
        let status = response.status();
        let headers = response.headers().clone();
        let text = response.text().await.unwrap();
        self.responses.lock().unwrap().push((path.to_owned(), text.clone()));
        let body: Value = serde_json::from_str(&text).unwrap_or(Value::String(text));
        // The routes that issue a webhook signing secret: registering and rotating. Whatever test
        // calls them, the secret is checked like every other.
        if path.ends_with("/webhooks") || path.ends_with("/rotate-secret") {
            if let Some(secret) = body["secret"].as_str().filter(|s| s.starts_with("whsec_")) {
                self.issued(secret);
            }
        }
        Reply { status, headers, body }
    }

    pub fn client(&self) -> &reqwest::Client {
        &self.client
    }

    pub async fn get(&self, path: &str, token: &str) -> Reply {
        self.raw(Method::GET, path, Some(token), None).await
    }

    pub async fn post(&self, path: &str, token: &str, body: Value) -> Reply {
        self.raw(Method::POST, path, Some(token), Some(body)).await
    }

    pub async fn patch(&self, path: &str, token: &str, body: Value) -> Reply {
        self.raw(Method::PATCH, path, Some(token), Some(body)).await
    }

    /// Remembers a secret this test was issued, so leaks of it can be checked.
    pub fn issued(&self, secret: &str) -> String {
        self.secrets.lock().unwrap().push(secret.to_owned());
        secret.to_owned()
    }

    /// A tenant with the given policy and a maker, two checkers and an auditor (see [`onboard`]);
    /// every token it was issued is remembered for the leak checks.
    pub async fn tenant(&self, id: &str, policy: Value) -> Operators {
        let ops = onboard(self, id, policy).await;
        for token in [&ops.admin, &ops.admin2, &ops.maker, &ops.checker, &ops.checker2, &ops.auditor] {
            self.issued(token);
        }
        ops
    }

    /// `asker` invites an operator, `approver` approves; returns the invitee's token (see [`invite`]).
    pub async fn invite(&self, tenant: &str, asker: &str, approver: &str, body: Value) -> String {
        self.issued(&invite(self, tenant, asker, approver, body).await)
    }

    /// A key created by the maker and approved by the first checker: (id, secret).
    pub async fn active_key(&self, ops: &Operators, body: Value) -> (String, String) {
        let (id, secret) = self.create_key(ops, body).await;
        let approved = self.post(&format!("{}/approve", ops.key(&id)), &ops.checker, json!({})).await;
        assert_eq!(approved.status, StatusCode::OK, "approved: {:?}", approved.body);
        (id, secret)
    }

    /// Creates a key as `maker`; returns (key id, secret).
    pub async fn create_key(&self, ops: &Operators, body: Value) -> (String, String) {
        let created = self.post(&format!("/v1/tenants/{}/keys", ops.tenant), &ops.maker, body).await;
        assert_eq!(created.status, StatusCode::CREATED, "key created: {:?}", created.body);
        let secret = self.issued(created.body["secret"].as_str().unwrap());
        (created.body["key"]["id"].as_str().unwrap().to_owned(), secret)
    }

    /// Registers a webhook endpoint as `admin` (its `whsec_` secret is remembered by [`TestApp::reply`]).
    pub async fn create_webhook(&self, ops: &Operators, admin: &str, body: Value) -> Reply {
        self.post(&format!("/v1/tenants/{}/webhooks", ops.tenant), admin, body).await
    }

    /// Rotates a webhook's secret as `admin` (the new secret is remembered by [`TestApp::reply`]).
    pub async fn rotate_webhook_secret(&self, ops: &Operators, admin: &str, id: &str) -> Reply {
        let path = format!("/v1/tenants/{}/webhooks/{id}/rotate-secret", ops.tenant);
        self.post(&path, admin, json!({})).await
    }

    /// `POST /v1/leaks` with `body` exactly as given and `headers`. The answer echoes the tokens it was
    /// sent, by design: this checks it echoes no other, then keeps it for the leak checks with each
    /// sent token replaced, so a secret still counts as leaked anywhere else.
    pub async fn report_leaks(&self, body: &[u8], headers: &[(&str, String)]) -> Reply {
        let mut request =
            self.client.post(format!("{}/v1/leaks", self.base)).header("content-type", "application/json");
        for (name, value) in headers {
            request = request.header(*name, value);
        }
        let response = request.body(body.to_vec()).send().await.expect("report sent");
        let status = response.status();
        let headers = response.headers().clone();
        let text = response.text().await.unwrap();
        let sent: Vec<String> = serde_json::from_slice::<Vec<Value>>(body)
            .unwrap_or_default()
            .iter()
            .filter_map(|entry| entry["token"].as_str().map(str::to_owned))
            .filter(|token| !token.is_empty())
            .collect();
        let reply: Value = serde_json::from_str(&text).unwrap_or(Value::String(text.clone()));
        for answer in reply.as_array().into_iter().flatten() {
            let echoed = answer["token_raw"].as_str().expect("token_raw");
            assert!(sent.iter().any(|t| t == echoed) || echoed.is_empty(), "echoes only a token it was sent");
        }
        let kept = sent.iter().fold(text, |kept, token| kept.replace(token.as_str(), "<reported>"));
        self.responses.lock().unwrap().push(("/v1/leaks".to_owned(), kept));
        Reply { status, headers, body: reply }
    }

    pub async fn verify(&self, body: Value) -> Value {
        let reply = self.post("/v1/verify", "", body).await;
        assert_eq!(reply.status, StatusCode::OK, "verify answers 200: {:?}", reply.body);
        reply.body
    }

    /// No issued secret appears in any response other than the one that issued it, nor in any log line.
    pub fn assert_no_secret_leaked(&self) {
        let secrets = self.secrets.lock().unwrap().clone();
        let responses = self.responses.lock().unwrap();
        let logs = String::from_utf8_lossy(&logs().lock().unwrap()).into_owned();
        for secret in &secrets {
            let shown = responses.iter().filter(|(_, body)| body.contains(secret.as_str())).count();
            assert!(
                shown <= 1,
                "a secret appeared in {shown} responses; it must appear only in the one that issued it"
            );
            assert!(!logs.contains(secret.as_str()), "a secret appeared in the logs");
            // The 44-character secret part alone must not appear either.
            let body = &secret[secret.len() - 50..secret.len() - 6];
            assert!(!logs.contains(body), "a secret's body appeared in the logs");
            let shown = responses.iter().filter(|(_, text)| text.contains(body)).count();
            assert!(shown <= 1, "a secret's body appeared in {shown} responses");
        }
        assert!(!logs.contains(ADMIN), "the admin token appeared in the logs");
        let hasher = SecretHasher::new(self.pepper.as_ref().map(|p| Pepper::new(p.as_bytes().to_vec())).as_ref());
        let mut stored: Vec<(&str, [u8; 32])> = vec![("the admin token", Sha256::digest(ADMIN).into())];
        stored.extend(secrets.iter().filter_map(|s| stored_hash(&hasher, s)).map(|h| ("an issued secret", h)));
        for (whose, hash) in &stored {
            for (form, text) in encodings(hash) {
                assert!(!logs.contains(&text), "the hash of {whose} appeared in the logs ({form})");
                let shown = responses.iter().find(|(_, body)| body.contains(&text));
                assert!(
                    shown.is_none(),
                    "the hash of {whose} appeared in a response of {:?} ({form})",
                    shown.map(|r| &r.0)
                );
            }
        }
        for (route, body) in responses.iter() {
            assert!(!body.contains(ADMIN), "the admin token appeared in a response of {route}");
        }
    }
}

/// The hash the store keeps for an issued key secret or operator token (`{prefix}_{env}_…`).
fn stored_hash(hasher: &SecretHasher, secret: &str) -> Option<[u8; 32]> {
    let prefix = TokenPrefix::parse(secret.split('_').next()?).ok()?;
    let token = Token::parse(secret.as_bytes(), &prefix).ok()?;
    Some(*hasher.hash(token.key_id(), token.secret()).as_bytes())
}

/// The forms a 32-byte hash could take in a log line or a body: hex, base64 (standard and URL-safe,
/// padded or not) and Rust's byte-array debug form.
fn encodings(hash: &[u8; 32]) -> Vec<(&'static str, String)> {
    let hex = hash.iter().fold(String::new(), |mut out, b| {
        let _ = write!(out, "{b:02x}");
        out
    });
    let standard = base64(hash, b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/");
    let url_safe = base64(hash, b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_");
    vec![
        ("hex", hex.clone()),
        ("upper-case hex", hex.to_uppercase()),
        ("base64", standard.trim_end_matches('=').to_owned()),
        ("url-safe base64", url_safe.trim_end_matches('=').to_owned()),
        ("byte list", format!("{hash:?}").trim_matches(['[', ']']).to_owned()),
    ]
}

fn base64(bytes: &[u8], alphabet: &[u8; 64]) -> String {
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let n = chunk.iter().enumerate().fold(0u32, |acc, (i, &b)| acc | u32::from(b) << (16 - 8 * i));
        for i in 0..4 {
            let index = usize::try_from(n >> (18 - 6 * i) & 63).unwrap();
            out.push(if i <= chunk.len() { char::from(alphabet[index]) } else { '=' });
        }
    }
    out
}

pub struct Operators {
    pub tenant: String,
    pub admin: String,
    pub admin2: String,
    pub maker: String,
    pub checker: String,
    pub checker2: String,
    pub auditor: String,
}

impl Operators {
    pub fn keys(&self) -> String {
        format!("/v1/tenants/{}/keys", self.tenant)
    }

    pub fn key(&self, id: &str) -> String {
        format!("/v1/tenants/{}/keys/{id}", self.tenant)
    }
}

pub fn live_policy() -> Value {
    json!({"live_enabled": true})
}

/// Anything that can `POST` JSON to a keygated: the in-process app and the child process.
pub trait Api {
    /// `POST path` with `token` (empty: none) and `body`.
    fn post_json(&self, path: &str, token: &str, body: Value) -> impl std::future::Future<Output = Reply>;
}

impl Api for TestApp {
    async fn post_json(&self, path: &str, token: &str, body: Value) -> Reply {
        let token = (!token.is_empty()).then_some(token);
        self.raw(Method::POST, path, token, Some(body)).await
    }
}

/// A tenant set up the way a real one starts: the system admin creates it with two first admins (a
/// looser policy asked in the body waits for one of them), each claims its invitation, one admin
/// invites every operator and the other approves, and each operator claims both halves.
pub async fn onboard(api: &impl Api, id: &str, policy: Value) -> Operators {
    let admins = json!([
        {"name": "Ada Admin", "email": format!("ada@{id}.test")},
        {"name": "Abe Admin", "email": format!("abe@{id}.test")}
    ]);
    let body = json!({"id": id, "name": format!("Tenant {id}"), "policy": policy, "admins": admins});
    let created = api.post_json("/v1/tenants", ADMIN, body).await;
    assert_eq!(created.status, StatusCode::CREATED, "tenant {id} created: {:?}", created.body);
    let mut first_admins = Vec::new();
    for invited in created.body["invitations"].as_array().unwrap() {
        first_admins.push(claim(api, invited["invitation"].as_str().unwrap(), None).await);
    }
    let (ada, abe) = (first_admins[0].clone(), first_admins[1].clone());
    if !created.body["pending_policy"].is_null() {
        let approved = api.post_json(&format!("/v1/tenants/{id}/policy/approve"), &ada, json!({})).await;
        assert_eq!(approved.status, StatusCode::OK, "policy approved by a first admin: {:?}", approved.body);
    }
    let mut tokens = Vec::new();
    for (name, role) in
        [("Mary Maker", "maker"), ("Chuck Checker", "checker"), ("Cleo Checker", "checker"), ("Audrey", "auditor")]
    {
        let email = format!("{}@{id}.test", name.split(' ').next().unwrap().to_lowercase());
        tokens.push(invite(api, id, &ada, &abe, json!({"name": name, "email": email, "roles": [role]})).await);
    }
    let [maker, checker, checker2, auditor] = <[String; 4]>::try_from(tokens).unwrap();
    Operators { tenant: id.to_owned(), admin: ada, admin2: abe, maker, checker, checker2, auditor }
}

/// `asker` invites an operator, `approver` approves where dual control asks for it, and the invitee
/// claims with what it was given; returns its token.
pub async fn invite(api: &impl Api, tenant: &str, asker: &str, approver: &str, body: Value) -> String {
    let op = api.post_json(&format!("/v1/tenants/{tenant}/operators"), asker, body).await;
    assert_eq!(op.status, StatusCode::CREATED, "operator invited: {:?}", op.body);
    let first = op.body["invitation"].as_str().unwrap().to_owned();
    if op.body["operator"]["state"] == "invited" {
        return claim(api, &first, None).await;
    }
    let path = format!("/v1/tenants/{tenant}/operators/{}/approve", op.body["operator"]["id"].as_str().unwrap());
    let answer = api.post_json(&path, approver, json!({})).await;
    assert_eq!(answer.status, StatusCode::OK, "operator approved: {:?}", answer.body);
    claim(api, &first, answer.body["invitation_2"].as_str()).await
}

/// Claims an invitation (both halves where given); returns the token.
pub async fn claim(api: &impl Api, first: &str, second: Option<&str>) -> String {
    let mut body = json!({"invitation": first});
    if let Some(second) = second {
        body["invitation_2"] = json!(second);
    }
    let claimed = api.post_json("/v1/operators/claim", "", body).await;
    assert_eq!(claimed.status, StatusCode::CREATED, "invitation claimed: {:?}", claimed.body);
    claimed.body["token"].as_str().unwrap().to_owned()
}
