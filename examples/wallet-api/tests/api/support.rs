//! `spawn_app()`: the wallet API on a free port over a fresh in-memory store, seeded like the demo,
//! on a clock stopped at midday (so no test straddles a UTC day), with helpers to call it and to
//! issue or revoke keys.

use std::net::TcpListener;
use std::sync::Arc;

use actix_web::{web, App, HttpServer};
use chrono::{TimeZone, Utc};
use std::sync::atomic::{AtomicU64, Ordering};

use keygate_credential::signing::{sign_request, HmacSecret, Message, SignParams, SigningMasterKey};
use keygate_domain::{Clock, Environment, Key, Limits, ManualClock, SigningAlgorithm, TenantId};
use keygate_store::MemoryStore;
use keygate_verifier::actix::Keygate;
use keygate_verifier::{Verifier, VerifierConfig};
use rust_decimal::Decimal;
use serde_json::Value;
use wallet_api::demo::{self, KeyRequest};
use wallet_api::{routes, Wallet};

/// How a request presents its key.
#[derive(Debug, Clone, Copy)]
pub enum Credential<'a> {
    /// `Authorization: Bearer <token>`.
    Bearer(&'a str),
    /// `X-API-KEY: <token>`.
    ApiKey(&'a str),
    /// No key at all.
    Missing,
    /// A signed request (RFC 9421, HMAC-SHA256) under the key `keyid`, made at the test clock's now.
    Signed(&'a Signer),
}

/// A key's signing identity: its `keyid` (the key id) and HMAC secret.
#[derive(Debug)]
pub struct Signer {
    pub keyid: String,
    pub secret: HmacSecret,
}

/// What came back, read once.
#[derive(Debug)]
pub struct Reply {
    pub status: u16,
    pub content_type: String,
    pub www_authenticate: Option<String>,
    pub retry_after: Option<String>,
    pub body: Value,
}

impl Reply {
    /// The problem's `code`, or `""` for a body without one.
    pub fn code(&self) -> &str {
        self.body["code"].as_str().unwrap_or("")
    }
}

/// A running wallet API.
pub struct TestApp {
    pub base: String,
    pub verifier: Verifier,
    pub wallet: web::Data<Wallet>,
    /// The demo key's token (distributor `demo`, every wallet scope, the seed's limits).
    pub demo_token: String,
    /// The demo key's signing identity.
    pub demo_signer: Signer,
    pub clock: Arc<ManualClock>,
    client: reqwest::Client,
}

pub async fn spawn_app() -> TestApp {
    let clock = Arc::new(ManualClock::new(Utc.with_ymd_and_hms(2026, 11, 23, 12, 0, 0).unwrap()));
    let config =
        VerifierConfig { signing_key: Some(SigningMasterKey::from_bytes([5; 32])), ..VerifierConfig::default() };
    let verifier = Verifier::new(Arc::new(MemoryStore::new()), config, clock.clone());
    let seeded = demo::seed(&verifier).await.unwrap();
    let demo_token = seeded.token.expose().to_owned();
    let demo_signer = Signer { keyid: seeded.key.id.to_string(), secret: seeded.signing_secret.unwrap() };
    demo::create_tenant(&verifier, "other").await.unwrap();
    let keygate = web::Data::new(Keygate::new(verifier.clone()).environment(Environment::Live));
    let wallet = web::Data::new(demo::wallet(clock.clone()).unwrap());

    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let app_wallet = wallet.clone();
    let server =
        HttpServer::new(move || App::new().app_data(keygate.clone()).app_data(app_wallet.clone()).configure(routes))
            .workers(1)
            .listen(listener)
            .unwrap()
            .run();
    tokio::spawn(server);
    TestApp {
        base: format!("http://127.0.0.1:{port}"),
        verifier,
        wallet,
        demo_token,
        demo_signer,
        clock,
        client: reqwest::Client::new(),
    }
}

impl TestApp {
    /// Issues a key to distributor `tenant` with these scopes and limits; returns it and its token.
    pub async fn issue(&self, tenant: &str, name: &str, scopes: &[&str], limits: Limits) -> (Key, String) {
        let tenant = TenantId::parse(tenant).unwrap();
        let issued = demo::issue_key(&self.verifier, &tenant, KeyRequest { name, scopes, limits }).await.unwrap();
        (issued.key, issued.token.expose().to_owned())
    }

    /// [`TestApp::issue`], answering the key's signing identity instead of its token.
    pub async fn issue_signer(&self, tenant: &str, name: &str, scopes: &[&str], limits: Limits) -> Signer {
        let tenant = TenantId::parse(tenant).unwrap();
        let issued = demo::issue_key(&self.verifier, &tenant, KeyRequest { name, scopes, limits }).await.unwrap();
        Signer { keyid: issued.key.id.to_string(), secret: issued.signing_secret.unwrap() }
    }

    /// The signature fields of `request` under `signer`, with a fresh nonce, at the test clock's now.
    pub fn sign(&self, request: &reqwest::Request, signer: &Signer) -> Vec<(&'static str, String)> {
        static NONCE: AtomicU64 = AtomicU64::new(0);
        let url = request.url();
        let authority = format!("{}:{}", url.host_str().unwrap(), url.port().unwrap());
        let message = Message {
            method: request.method().as_str(),
            authority: &authority,
            path: url.path(),
            query: url.query().unwrap_or_default(),
            headers: &[],
        };
        let nonce = format!("n-{}", NONCE.fetch_add(1, Ordering::Relaxed));
        let created = self.clock.now().timestamp();
        let params = SignParams { keyid: &signer.keyid, alg: SigningAlgorithm::HmacSha256, created, nonce: &nonce };
        let body = request.body().and_then(reqwest::Body::as_bytes);
        let fields = sign_request(&message, body, params, |base| signer.secret.sign(base));
        let mut headers = vec![("signature-input", fields.signature_input), ("signature", fields.signature)];
        headers.extend(fields.content_digest.map(|d| ("content-digest", d)));
        headers
    }

    /// Sends `request` as built, with `headers` added.
    pub async fn execute(&self, mut request: reqwest::Request, headers: &[(&'static str, String)]) -> Reply {
        for (name, value) in headers {
            request.headers_mut().insert(*name, value.parse().unwrap());
        }
        read(self.client.execute(request).await.unwrap()).await
    }

    /// Revokes a key through the store (maker asks, checker approves).
    pub async fn revoke(&self, key: &Key) {
        demo::revoke(&self.verifier, key).await.unwrap();
    }

    /// Sets a distributor's balance.
    pub fn open(&self, tenant: &str, balance: &str) {
        self.wallet.open(&TenantId::parse(tenant).unwrap(), balance.parse::<Decimal>().unwrap());
    }

    /// `GET {path}`.
    pub async fn get(&self, path: &str, credential: Credential<'_>) -> Reply {
        self.send(self.client.get(format!("{}{path}", self.base)), credential).await
    }

    /// `POST {path}` with a JSON body.
    pub async fn post(&self, path: &str, credential: Credential<'_>, body: &Value) -> Reply {
        self.send(self.client.post(format!("{}{path}", self.base)).json(body), credential).await
    }

    /// `POST {path}` with a raw body.
    pub async fn post_raw(&self, path: &str, credential: Credential<'_>, body: &'static str) -> Reply {
        let request = self.client.post(format!("{}{path}", self.base)).header("content-type", "application/json");
        self.send(request.body(body), credential).await
    }

    async fn send(&self, request: reqwest::RequestBuilder, credential: Credential<'_>) -> Reply {
        let request = match credential {
            Credential::Bearer(token) => request.header("authorization", format!("Bearer {token}")),
            Credential::ApiKey(token) => request.header("x-api-key", token),
            Credential::Missing | Credential::Signed(_) => request,
        };
        let request = request.build().unwrap();
        let headers = match credential {
            Credential::Signed(signer) => self.sign(&request, signer),
            _ => Vec::new(),
        };
        self.execute(request, &headers).await
    }
}

async fn read(response: reqwest::Response) -> Reply {
    let header = |name: &str| response.headers().get(name).map(|v| v.to_str().unwrap().to_owned());
    let content_type = header("content-type").unwrap_or_default();
    let www_authenticate = header("www-authenticate");
    let retry_after = header("retry-after");
    let status = response.status().as_u16();
    let text = response.text().await.unwrap();
    let body = serde_json::from_str(&text).unwrap_or(Value::String(text));
    Reply { status, content_type, www_authenticate, retry_after, body }
}

/// `{"amount": amount, "currency": currency}`.
pub fn operation(amount: &str, currency: &str) -> Value {
    serde_json::json!({ "amount": amount, "currency": currency })
}

/// Asserts a refusal: its status, problem+json, and code.
pub fn check_problem(reply: &Reply, status: u16, code: &str, why: &str) {
    assert_eq!((reply.status, reply.code()), (status, code), "{why}: {reply:?}");
    assert_eq!(reply.content_type, "application/problem+json", "{why}: a problem+json body");
}
