//! `POST /v1/leaks`: a report signed as GitHub's secret-scanning partner programme signs it (a P-256
//! key made here, its public half in a GitHub-shaped key file), or sent with a service credential,
//! labels every token and acts on live keys by their tenant's `on_leak`; anything else is 401 and
//! changes nothing.

use std::path::PathBuf;

use base64::Engine as _;
use keygate_credential::{Secret, Token, TokenPrefix};
use p256::ecdsa::signature::Signer as _;
use p256::ecdsa::{Signature, SigningKey};
use p256::pkcs8::{EncodePublicKey as _, LineEnding};
use rand_core::{OsRng, RngCore as _};
use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::helpers::{create_service, Operators, Reply, TestApp};

/// The identifier the key file lists (GitHub's are hex digests like this one).
pub const IDENTIFIER: &str = "bcb53661c06b4728e59d897fb6165d5c9cda0fd9cdf9d09ead458168deb7518c";

/// The partner: a signing key, and the key file keygated reads its public half from.
pub struct Partner {
    key: SigningKey,
    dir: PathBuf,
}

impl Partner {
    /// A fresh key pair, its public key written as GitHub publishes it into a directory of its own.
    pub fn new() -> Self {
        let key = SigningKey::random(&mut OsRng);
        let pem = key.verifying_key().to_public_key_pem(LineEnding::LF).unwrap();
        let dir = std::env::temp_dir().join(format!("keygate-leak-keys-{}", OsRng.next_u64()));
        std::fs::create_dir_all(&dir).unwrap();
        // A second, older key is listed too, as during a rotation.
        let older = SigningKey::random(&mut OsRng).verifying_key().to_public_key_pem(LineEnding::LF).unwrap();
        let file = json!({"public_keys": [
            {"key_identifier": "90a421169f0a406205f1563a953312f0be898d3c7b6c06b681aa86a874555f4a", "key": older,
             "is_current": false},
            {"key_identifier": IDENTIFIER, "key": pem, "is_current": true}
        ]});
        std::fs::write(dir.join("secret_scanning.json"), file.to_string()).unwrap();
        Self { key, dir }
    }

    /// The key file's path, for `KEYGATE_LEAK_PUBLIC_KEYS`.
    pub fn key_file(&self) -> PathBuf {
        self.dir.join("secret_scanning.json")
    }

    /// The two headers signing `body`.
    pub fn sign(&self, body: &[u8]) -> Headers {
        vec![
            ("Github-Public-Key-Identifier", IDENTIFIER.to_owned()),
            ("Github-Public-Key-Signature", self.signature(body)),
        ]
    }

    /// Base64 of the DER signature of `body`.
    pub fn signature(&self, body: &[u8]) -> String {
        let signature: Signature = self.key.sign(body);
        base64::engine::general_purpose::STANDARD.encode(signature.to_der().as_bytes())
    }
}

impl Drop for Partner {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// One entry of a report.
fn found(token: &str, url: &str) -> Value {
    json!({"token": token, "type": "keygate_api_key", "url": url, "source": "content"})
}

fn body(entries: &[Value]) -> Vec<u8> {
    serde_json::to_vec(entries).unwrap()
}

/// Sends `entries` signed by the partner.
async fn signed(app: &TestApp, partner: &Partner, entries: &[Value]) -> Reply {
    let body = body(entries);
    app.report_leaks(&body, &partner.sign(&body)).await
}

fn labels(reply: &Reply) -> Vec<&str> {
    assert_eq!(reply.status, StatusCode::OK, "the report is answered: {:?}", reply.body);
    reply.body.as_array().unwrap().iter().map(|a| a["label"].as_str().unwrap()).collect()
}

/// The same key id with another secret, its checksum valid: a well-formed token that does not match.
pub fn wrong_secret(token: &str) -> String {
    let prefix = TokenPrefix::parse(token.split('_').next().unwrap()).unwrap();
    let parsed = Token::parse(token.as_bytes(), &prefix).unwrap();
    let mut bytes = [0u8; 32];
    OsRng.fill_bytes(&mut bytes);
    Token::new(parsed.environment(), parsed.key_id(), Secret::from_bytes(bytes)).to_plain(&prefix).expose().to_owned()
}

/// A well-formed token of a key that does not exist.
fn unknown_key() -> String {
    Token::generate(keygate_domain::Environment::Test).to_plain(&TokenPrefix::default()).expose().to_owned()
}

/// The key's audit entries, oldest first.
async fn history(app: &TestApp, ops: &Operators, id: &str) -> Vec<Value> {
    let reply = app.get(&format!("/v1/tenants/{}/audit?key_id={id}", ops.tenant), &ops.auditor).await;
    let mut items = reply.body["items"].as_array().unwrap().clone();
    items.reverse();
    items
}

fn actions(entries: &[Value]) -> Vec<(&str, &str)> {
    entries.iter().map(|e| (e["action"].as_str().unwrap(), e["actor"].as_str().unwrap())).collect()
}

async fn key(app: &TestApp, ops: &Operators, id: &str) -> Value {
    app.get(&ops.key(id), &ops.auditor).await.body
}

pub async fn a_signed_report_suspends_a_live_key_and_labels_every_token(app: &TestApp, partner: &Partner) {
    let ops = app.tenant("acme", json!({})).await;
    let (id, secret) = app.active_key(&ops, json!({"name": "pos", "scopes": ["a:read"]})).await;
    let (revoked, revoked_secret) = app.active_key(&ops, json!({"name": "old", "scopes": ["a:read"]})).await;
    let asked = app.post(&format!("{}/revoke", ops.key(&revoked)), &ops.maker, json!({"reason": "retired"})).await;
    assert_eq!(asked.status, StatusCode::OK, "{:?}", asked.body);
    let done = app.post(&format!("{}/revocation/approve", ops.key(&revoked)), &ops.checker, json!({})).await;
    assert_eq!(done.body["state"], "revoked", "{:?}", done.body);
    let (pending, pending_secret) = app.create_key(&ops, json!({"name": "new", "scopes": ["a:read"]})).await;

    let url = "https://github.com/octo/app/blob/1a2b3c/config.yml#L3";
    let tokens = [
        secret.clone(),
        revoked_secret,
        pending_secret,
        unknown_key(),
        "kg_live_garbage".to_owned(),
        wrong_secret(&secret),
        "not a token at all \u{0}".to_owned(),
    ];
    let entries: Vec<Value> = tokens.iter().map(|t| found(t, url)).collect();
    let reply = signed(app, partner, &entries).await;
    let expected = ["true_positive", "false_positive", "false_positive", "false_positive", "false_positive"];
    assert_eq!(labels(&reply), [&expected[..], &["false_positive", "false_positive"]].concat(), "in order");
    for (answer, token) in reply.body.as_array().unwrap().iter().zip(&tokens) {
        assert_eq!(answer["token_raw"], json!(token), "token_raw is exactly the token received");
        assert_eq!(answer["token_type"], "keygate_api_key", "token_type is the type received");
    }

    assert_eq!(app.verify(json!({"key": secret})).await["code"], "SUSPENDED", "the live key is stopped");
    let stopped = key(app, &ops, &id).await;
    assert_eq!(stopped["state"], "suspended");
    assert_eq!(stopped["suspension"]["suspended_by"], "leak-report");
    let log = history(app, &ops, &id).await;
    let tail = &actions(&log)[log.len() - 2..];
    assert_eq!(tail, [("key.leaked", "leak-report"), ("key.suspended", "leak-report")], "{log:?}");
    let leaked = &log[log.len() - 2];
    assert_eq!(leaked["details"], json!({"url": url, "source": "content", "type": "keygate_api_key"}));
    for other in [&revoked, &pending] {
        let entries = history(app, &ops, other).await;
        assert!(actions(&entries).iter().all(|(a, _)| *a != "key.leaked"), "nothing recorded for a false positive");
    }
    assert_eq!(key(app, &ops, &pending).await["state"], "pending_approval", "a pending key is left alone");
}

pub async fn unsigned_or_wrongly_signed_reports_are_401_and_change_nothing(app: &TestApp, partner: &Partner) {
    let ops = app.tenant("acme", json!({})).await;
    let (id, secret) = app.active_key(&ops, json!({"name": "pos", "scopes": ["a:read"]})).await;
    let report = body(&[found(&secret, "https://github.com/octo/app/blob/1a2b3c/.env")]);
    let good = partner.signature(&report);
    let mut flipped = base64::engine::general_purpose::STANDARD.decode(&good).unwrap();
    let last = flipped.len() - 1;
    flipped[last] ^= 1;
    let flipped = base64::engine::general_purpose::STANDARD.encode(flipped);
    let mut tampered = report.clone();
    tampered[3] ^= 1;
    let other_key = Partner::new();
    let cases: Vec<(&str, Vec<u8>, Headers)> = vec![
        ("no signature, no credential", report.clone(), vec![]),
        ("a signature with a bit flipped", report.clone(), headers(IDENTIFIER, &flipped)),
        ("a body changed after signing", tampered, headers(IDENTIFIER, &good)),
        ("an identifier the file does not list", report.clone(), headers("0123456789abcdef", &good)),
        ("signed by a key the file does not hold", report.clone(), headers(IDENTIFIER, &other_key.signature(&report))),
        (
            "an identifier without a signature",
            report.clone(),
            vec![("Github-Public-Key-Identifier", IDENTIFIER.into())],
        ),
        ("a signature that is not base64", report.clone(), headers(IDENTIFIER, "%%%")),
        ("an operator's token", report.clone(), vec![("authorization", format!("Bearer {}", ops.maker))]),
        ("the key's own token", report.clone(), vec![("authorization", format!("Bearer {secret}"))]),
    ];
    for (case, body, headers) in cases {
        let reply = app.report_leaks(&body, &headers).await;
        assert_eq!((reply.status, reply.code()), (StatusCode::UNAUTHORIZED, "UNAUTHENTICATED"), "{case}");
    }
    // A bad signature is judged alone: a valid service credential beside it does not let it in.
    let mut both = headers(IDENTIFIER, &flipped);
    both.push(("authorization", format!("Bearer {}", app.service)));
    assert_eq!(app.report_leaks(&report, &both).await.status, StatusCode::UNAUTHORIZED, "no fallback");

    assert_eq!(app.verify(json!({"key": secret})).await["valid"], true, "the key still verifies");
    let entries = history(app, &ops, &id).await;
    assert!(actions(&entries).iter().all(|(a, _)| *a != "key.leaked"), "nothing recorded");
    let proper = app.report_leaks(&report, &headers(IDENTIFIER, &good)).await;
    assert_eq!(labels(&proper), ["true_positive"], "the same report, properly signed, is taken");
}

/// Request headers, by name.
type Headers = Vec<(&'static str, String)>;

fn headers(identifier: &str, signature: &str) -> Headers {
    vec![("Github-Public-Key-Identifier", identifier.to_owned()), ("Github-Public-Key-Signature", signature.to_owned())]
}

pub async fn a_service_reports_and_a_bound_service_only_about_its_tenants(app: &TestApp, _partner: &Partner) {
    let acme = app.tenant("acme", json!({})).await;
    let globex = app.tenant("globex", json!({})).await;
    let (acme_key, acme_secret) = app.active_key(&acme, json!({"name": "pos", "scopes": ["a:read"]})).await;
    let (globex_key, globex_secret) = app.active_key(&globex, json!({"name": "pos", "scopes": ["a:read"]})).await;
    let scanner = app.issued(&create_service(app, "acme-scanner", json!(["acme"])).await);
    let bearer = vec![("authorization", format!("Bearer {scanner}"))];
    let url = "https://paste.example/raw/1";

    let theirs = app.report_leaks(&body(&[found(&globex_secret, url)]), &bearer).await;
    assert_eq!(labels(&theirs), ["false_positive"], "another tenant's key is a false positive");
    assert_eq!(app.verify(json!({"key": globex_secret.clone()})).await["valid"], true, "and is left working");
    assert!(actions(&history(app, &globex, &globex_key).await).iter().all(|(a, _)| *a != "key.leaked"));

    let own = app.report_leaks(&body(&[found(&acme_secret, url)]), &bearer).await;
    assert_eq!(labels(&own), ["true_positive"], "its own tenant's key");
    assert_eq!(app.verify(json!({"key": acme_secret})).await["code"], "SUSPENDED");
    assert_eq!(key(app, &acme, &acme_key).await["suspension"]["suspended_by"], "leak-report");

    // A service for every tenant reports any tenant's key (X-API-KEY works as for /v1/verify).
    let every = vec![("x-api-key", app.service.clone())];
    let any = app.report_leaks(&body(&[found(&globex_secret, url)]), &every).await;
    assert_eq!(labels(&any), ["true_positive"]);
    assert_eq!(app.verify(json!({"key": globex_secret})).await["code"], "SUSPENDED");
}

pub async fn a_report_holds_at_most_a_thousand_tokens(app: &TestApp, partner: &Partner) {
    // Malformed tokens cost no store round trip, so a full report is quick to answer.
    let many: Vec<Value> = (0..1000).map(|n| found(&format!("kg_live_{n}"), "https://x.test/f")).collect();
    let full = signed(app, partner, &many).await;
    assert!(body(&many).len() > 64 * 1024, "a full report is larger than other routes accept");
    let labels = labels(&full);
    assert_eq!(labels.len(), 1000, "each token is answered");
    assert!(labels.iter().all(|l| *l == "false_positive"));
    let mut over = many.clone();
    over.push(found("kg_live_1000", "https://x.test/f"));
    let refused = signed(app, partner, &over).await;
    assert_eq!((refused.status.as_u16(), refused.code()), (413, "TOO_MANY_TOKENS"), "{:?}", refused.body);
    let huge = vec![found(&"k".repeat(300 * 1024), "https://x.test/f")];
    let refused = signed(app, partner, &huge).await;
    assert_eq!((refused.status.as_u16(), refused.code()), (413, "BODY_TOO_LARGE"), "over 256 KiB");
    let not_a_list = body(&[]).iter().chain(b" {}").copied().collect::<Vec<u8>>();
    let malformed = app.report_leaks(&not_a_list, &partner.sign(&not_a_list)).await;
    assert_eq!(malformed.status, StatusCode::BAD_REQUEST, "a signed body that is not a report is 400");
}

pub async fn each_on_leak_policy_is_followed(app: &TestApp, partner: &Partner) {
    let url = "https://github.com/octo/app/blob/1a2b3c/config.yml";

    // suspend_and_revoke: stopped at once, and the revocation waits for a checker.
    let strict = app.tenant("strict", json!({"on_leak": "suspend_and_revoke"})).await;
    let (id, secret) = app.active_key(&strict, json!({"name": "pos", "scopes": ["a:read"]})).await;
    assert_eq!(labels(&signed(app, partner, &[found(&secret, url)]).await), ["true_positive"]);
    let stopped = key(app, &strict, &id).await;
    assert_eq!(stopped["state"], "suspended", "{stopped:?}");
    assert_eq!(stopped["revocation"]["requested_by"], "leak-report", "the revocation is asked by leak-report");
    let log = history(app, &strict, &id).await;
    let tail = &actions(&log)[log.len() - 3..];
    let expected = [("key.leaked", "leak-report"), ("key.suspended", "leak-report")];
    assert_eq!(tail, [&expected[..], &[("key.revocation_requested", "leak-report")]].concat());
    let approved = app.post(&format!("{}/revocation/approve", strict.key(&id)), &strict.checker, json!({})).await;
    assert_eq!(approved.body["state"], "revoked", "a checker approves it: {:?}", approved.body);
    assert_eq!(app.verify(json!({"key": secret})).await["code"], "REVOKED");

    // Steps already done are skipped: a revocation asked by a maker is not asked again.
    let (asked, asked_secret) = app.active_key(&strict, json!({"name": "asked", "scopes": ["a:read"]})).await;
    let revoke = app.post(&format!("{}/revoke", strict.key(&asked)), &strict.maker, json!({"reason": "retired"})).await;
    assert_eq!(revoke.body["state"], "revocation_pending", "{:?}", revoke.body);
    assert_eq!(labels(&signed(app, partner, &[found(&asked_secret, url)]).await), ["true_positive"]);
    let both = key(app, &strict, &asked).await;
    assert_eq!(both["state"], "suspended");
    assert_ne!(both["revocation"]["requested_by"], "leak-report", "the maker's request stands");
    let log = history(app, &strict, &asked).await;
    assert_eq!(&actions(&log)[log.len() - 2..], expected, "suspended, not asked again");
    // And a suspended key is not suspended again (another url: another report).
    let again = signed(app, partner, &[found(&asked_secret, "https://github.com/octo/other")]).await;
    assert_eq!(labels(&again), ["true_positive"], "a suspended key is still a live one");
    let log = history(app, &strict, &asked).await;
    assert_eq!(actions(&log)[log.len() - 1], ("key.leaked", "leak-report"), "recorded, nothing else to do");

    // notify: recorded only; the key keeps working.
    let relaxed = app.tenant("relaxed", json!({"on_leak": "notify"})).await;
    let (id, secret) = app.active_key(&relaxed, json!({"name": "pos", "scopes": ["a:read"]})).await;
    assert_eq!(labels(&signed(app, partner, &[found(&secret, url)]).await), ["true_positive"]);
    assert_eq!(app.verify(json!({"key": secret})).await["valid"], true, "notify leaves the key working");
    let log = history(app, &relaxed, &id).await;
    assert_eq!(actions(&log)[log.len() - 1], ("key.leaked", "leak-report"), "the report is audited");
    assert_eq!(key(app, &relaxed, &id).await["state"], "active");
}

pub async fn the_same_key_and_url_reported_twice_is_audited_once(app: &TestApp, partner: &Partner) {
    let ops = app.tenant("acme", json!({})).await;
    let (id, secret) = app.active_key(&ops, json!({"name": "pos", "scopes": ["a:read"]})).await;
    let url = "https://github.com/octo/app/commit/9f8e7d";
    for _ in 0..2 {
        assert_eq!(labels(&signed(app, partner, &[found(&secret, url)]).await), ["true_positive"]);
    }
    // Twice in one report, too.
    let twice = signed(app, partner, &[found(&secret, url), found(&secret, url)]).await;
    assert_eq!(labels(&twice), ["true_positive", "true_positive"], "each entry is answered");
    let count = |log: &[Value], action: &str| log.iter().filter(|e| e["action"] == action).count();
    let log = history(app, &ops, &id).await;
    assert_eq!((count(&log, "key.leaked"), count(&log, "key.suspended")), (1, 1), "recorded and acted on once");
    let elsewhere = signed(app, partner, &[found(&secret, "https://github.com/octo/fork/commit/9f8e7d")]).await;
    assert_eq!(labels(&elsewhere), ["true_positive"]);
    let log = history(app, &ops, &id).await;
    assert_eq!((count(&log, "key.leaked"), count(&log, "key.suspended")), (2, 1), "another url is another report");
    let chain = app.get(&format!("/v1/tenants/{}/audit/verify", ops.tenant), &ops.auditor).await;
    assert_eq!(chain.body["valid"], true, "the audit chain holds: {:?}", chain.body);
}

/// A key file that is not GitHub's shape, or lists a key that is not P-256, stops start-up naming the
/// setting.
#[tokio::test]
async fn a_bad_key_file_stops_start_up_naming_the_setting() {
    let partner = Partner::new();
    let path = partner.key_file();
    for text in
        [r#"{"keys": []}"#, r#"{"public_keys": []}"#, r#"{"public_keys": [{"key_identifier": "a", "key": "x"}]}"#]
    {
        std::fs::write(&path, text).unwrap();
        let mut config = keygated::Config::for_tests(crate::helpers::ADMIN);
        config.leak_public_keys = Some(path.clone());
        let error = keygated::start(config).await.err().expect("start-up refuses it").to_string();
        assert!(error.contains("KEYGATE_LEAK_PUBLIC_KEYS"), "{error}");
    }
    let mut config = keygated::Config::for_tests(crate::helpers::ADMIN);
    config.leak_public_keys = Some(partner.dir.join("missing.json"));
    assert!(keygated::start(config).await.is_err(), "a missing file too");
}
