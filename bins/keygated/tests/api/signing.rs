//! Signed requests over HTTP (issue 16): keys made with `signing`, `POST /v1/verify-signed` with RFC
//! 9421 signatures made here with `keygate_credential::signing` (checked against the RFC's own vectors
//! in that crate), the failure of every changed byte with its code, replays refused once across two
//! servers on one database, stale signatures by the tenant's skew, and the server setting HMAC needs.

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use keygate_credential::signing::{sha256, sign_request, HmacSecret, Message, SignParams};
use keygate_domain::SigningAlgorithm;
use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::helpers::{Operators, TestApp};

/// The signing master key the servers of these tests hold.
pub const SIGNING_KEY: &str = "8f1c3a5e7b9d0f2a4c6e8a0b2d4f6a8c0e2a4c6e8b0d2f4a6c8e0a2c4e6a8b0d";

/// Who signs: the key id and a signing function.
pub struct Signer {
    pub keyid: String,
    alg: SigningAlgorithm,
    key: SignerKey,
}

enum SignerKey {
    Hmac(HmacSecret),
    Ed25519(Box<ed25519_dalek::SigningKey>),
}

impl Signer {
    pub fn hmac(keyid: &str, secret_b64: &str) -> Self {
        let bytes: [u8; 32] = STANDARD.decode(secret_b64).unwrap().try_into().unwrap();
        Self {
            keyid: keyid.to_owned(),
            alg: SigningAlgorithm::HmacSha256,
            key: SignerKey::Hmac(HmacSecret::from_bytes(bytes)),
        }
    }

    pub fn ed25519(keyid: &str, seed: [u8; 32]) -> Self {
        let key = Box::new(ed25519_dalek::SigningKey::from_bytes(&seed));
        Self { keyid: keyid.to_owned(), alg: SigningAlgorithm::Ed25519, key: SignerKey::Ed25519(key) }
    }

    fn sign(&self, base: &[u8]) -> Vec<u8> {
        match &self.key {
            SignerKey::Hmac(secret) => secret.sign(base),
            SignerKey::Ed25519(key) => ed25519_dalek::Signer::sign(key.as_ref(), base).to_bytes().to_vec(),
        }
    }
}

/// A request as a client sends it.
#[derive(Clone)]
pub struct Sent {
    pub method: String,
    pub authority: String,
    pub path: String,
    pub query: String,
    pub body: Vec<u8>,
}

impl Sent {
    pub fn cash_out(body: &str) -> Self {
        Self {
            method: "POST".into(),
            authority: "wallet.example.com".into(),
            path: "/v1/cash-out".into(),
            query: "account=shop-4711".into(),
            body: body.as_bytes().to_vec(),
        }
    }
}

pub fn now() -> i64 {
    // The clients of these tests sign with the wall clock, as real ones do; the server reads it too.
    keygate_domain::Clock::now(&keygate_verifier::SystemClock).timestamp()
}

/// The signature fields `holder` makes for `sent` at `created` with `nonce`: the headers object of
/// `/v1/verify-signed`.
pub fn headers(holder: &Signer, sent: &Sent, created: i64, nonce: &str) -> Value {
    let message = Message {
        method: &sent.method,
        authority: &sent.authority,
        path: &sent.path,
        query: &sent.query,
        headers: &[],
    };
    let params = SignParams { keyid: &holder.keyid, alg: holder.alg, created, nonce };
    let fields = sign_request(&message, Some(&sent.body), params, |base| holder.sign(base));
    let mut headers = json!({"signature-input": fields.signature_input, "signature": fields.signature});
    if let Some(digest) = fields.content_digest {
        headers["content-digest"] = json!(digest);
    }
    headers
}

/// The `/v1/verify-signed` body for `received` (what the server got) carrying `headers`.
pub fn ask(received: &Sent, headers: &Value) -> Value {
    json!({
        "method": received.method, "authority": received.authority, "path": received.path, "query": received.query,
        "headers": headers, "body_sha256": hex(&sha256(&received.body)),
        "tenant_id": "acme", "required_scopes": ["payouts:write"],
    })
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().fold(String::new(), |mut out, b| {
        use std::fmt::Write as _;
        let _ = write!(out, "{b:02x}");
        out
    })
}

pub async fn verdict(app: &TestApp, body: Value) -> (bool, String) {
    let reply = app.post("/v1/verify-signed", "", body).await;
    assert_eq!(reply.status, StatusCode::OK, "verify-signed answers 200: {:?}", reply.body);
    (reply.body["valid"] == true, reply.body["code"].as_str().unwrap_or("OK").to_owned())
}

/// A signing key made by the maker and approved: (id, `signing_secret` if HMAC, the creation answer).
pub async fn signing_key(app: &TestApp, ops: &Operators, body: Value) -> (String, Option<String>, Value) {
    let created = app.post(&ops.keys(), &ops.maker, body).await;
    assert_eq!(created.status, StatusCode::CREATED, "{:?}", created.body);
    if let Some(secret) = created.body["secret"].as_str() {
        app.issued(secret);
    }
    let id = created.body["key"]["id"].as_str().unwrap().to_owned();
    let approved = app.post(&format!("{}/approve", ops.key(&id)), &ops.checker, json!({})).await;
    assert_eq!(approved.status, StatusCode::OK, "{:?}", approved.body);
    let signing_secret = created.body["signing_secret"].as_str().map(str::to_owned);
    (id, signing_secret, created.body)
}

pub async fn a_signed_request_verifies_once_and_any_changed_byte_fails(app: &TestApp) {
    let ops = app.tenant("acme", json!({})).await;
    let (id, secret, created) = signing_key(
        app,
        &ops,
        json!({"name": "hmac", "scopes": ["payouts:write"], "signing": {"algorithm": "hmac-sha256"}}),
    )
    .await;
    let secret = secret.expect("an hmac key's signing secret in its creation response");
    assert_eq!(STANDARD.decode(&secret).unwrap().len(), 32, "32 bytes, base64");
    assert_eq!(created["key"]["signing"], json!({"algorithm": "hmac-sha256", "key_id": id, "public_key": null}));
    assert_eq!(created["key"]["bearer"], true);
    let view = app.get(&ops.key(&id), &ops.auditor).await;
    assert_eq!(view.body["signing"]["key_id"], id.as_str(), "the key id is shown in the key view");
    assert!(!view.body.to_string().contains(&secret), "the signing secret is shown once");
    let listed = app.get(&ops.keys(), &ops.auditor).await;
    assert!(!listed.body.to_string().contains(&secret), "nor in listings");

    let holder = Signer::hmac(&id, &secret);
    let sent = Sent::cash_out(r#"{"amount":"250.00","currency":"XOF"}"#);
    let signed = headers(&holder, &sent, now(), "nonce-1");
    assert_eq!(verdict(app, ask(&sent, &signed)).await, (true, "OK".into()), "a signed request verifies");
    assert_eq!(verdict(app, ask(&sent, &signed)).await, (false, "REPLAYED".into()), "the same request again");

    let changed = |f: &dyn Fn(&mut Sent)| {
        let mut received = sent.clone();
        f(&mut received);
        received
    };
    let cases: [(Sent, &str, &str); 6] = [
        (changed(&|s| s.method = "PUT".into()), "BAD_SIGNATURE", "another method"),
        (changed(&|s| s.path = "/v1/cash-oux".into()), "BAD_SIGNATURE", "one byte of the path"),
        (changed(&|s| s.query = "account=shop-4712".into()), "BAD_SIGNATURE", "one byte of the query"),
        (changed(&|s| s.query = String::new()), "BAD_SIGNATURE", "no query"),
        (changed(&|s| s.authority = "wallet.example.org".into()), "BAD_SIGNATURE", "another authority"),
        (changed(&|s| s.body[12] ^= 1), "DIGEST_MISMATCH", "one byte of the body"),
    ];
    for (n, (received, code, why)) in cases.iter().enumerate() {
        let signed = headers(&holder, &sent, now(), &format!("changed-{n}"));
        assert_eq!(verdict(app, ask(received, &signed)).await, (false, (*code).to_owned()), "{why}");
    }
    // A digest that matches the changed body, under the original signature, still fails the signature.
    let tampered = changed(&|s| s.body[12] ^= 1);
    let mut forged = headers(&holder, &sent, now(), "forged");
    forged["content-digest"] = json!(keygate_credential::signing::content_digest(&tampered.body));
    assert_eq!(verdict(app, ask(&tampered, &forged)).await, (false, "BAD_SIGNATURE".into()), "a digest swapped");

    let stale = headers(&holder, &sent, now() - 301, "stale");
    assert_eq!(verdict(app, ask(&sent, &stale)).await, (false, "STALE_SIGNATURE".into()), "301 s old");
    let future = headers(&holder, &sent, now() + 301, "future");
    assert_eq!(verdict(app, ask(&sent, &future)).await, (false, "STALE_SIGNATURE".into()), "301 s ahead");
    let fresh = headers(&holder, &sent, now() - 200, "fresh-enough");
    assert_eq!(verdict(app, ask(&sent, &fresh)).await, (true, "OK".into()), "200 s old is within 300");

    let unknown = Signer::hmac("3mC9dLq0Xv7tRb2Nw8Yk1e", &secret);
    let signed = headers(&unknown, &sent, now(), "unknown");
    assert_eq!(verdict(app, ask(&sent, &signed)).await, (false, "BAD_SIGNATURE".into()), "an unknown keyid");
    let wrong = Signer::hmac(&id, &STANDARD.encode([9u8; 32]));
    let signed = headers(&wrong, &sent, now(), "wrong");
    assert_eq!(verdict(app, ask(&sent, &signed)).await, (false, "BAD_SIGNATURE".into()), "a wrong secret");
    let as_ed25519 = Signer { alg: SigningAlgorithm::Ed25519, ..Signer::hmac(&id, &secret) };
    let signed = headers(&as_ed25519, &sent, now(), "other-alg");
    assert_eq!(verdict(app, ask(&sent, &signed)).await, (false, "BAD_SIGNATURE".into()), "another alg");

    // A signature that leaves out @query, or its nonce.
    let mut incomplete = headers(&holder, &sent, now(), "incomplete");
    let input = incomplete["signature-input"].as_str().unwrap().replace(" \"@query\"", "");
    incomplete["signature-input"] = json!(input);
    assert_eq!(verdict(app, ask(&sent, &incomplete)).await, (false, "SIGNATURE_INCOMPLETE".into()), "no @query");
    let mut no_digest = headers(&holder, &sent, now(), "no-digest");
    let input = no_digest["signature-input"].as_str().unwrap().replace(" \"content-digest\"", "");
    no_digest["signature-input"] = json!(input);
    assert_eq!(verdict(app, ask(&sent, &no_digest)).await, (false, "SIGNATURE_INCOMPLETE".into()), "a body uncovered");

    // The policy still applies: a scope the key lacks.
    let mut other_scope = ask(&sent, &headers(&holder, &sent, now(), "scope"));
    other_scope["required_scopes"] = json!(["payouts:approve"]);
    assert_eq!(verdict(app, other_scope).await, (false, "INSUFFICIENT_SCOPE".into()), "then the usual policy");

    // Without a body: no content-digest needed, and @query of an empty query is "?".
    let get = Sent { method: "GET".into(), query: String::new(), body: Vec::new(), ..sent.clone() };
    let signed = headers(&holder, &get, now(), "get");
    assert!(signed.get("content-digest").is_none());
    assert_eq!(verdict(app, ask(&get, &signed)).await, (true, "OK".into()), "a GET without a query");

    // Every verdict about the key is in its request log, like /v1/verify's.
    let lines = crate::requests::await_lines(app, &format!("{}/requests", ops.key(&id)), &ops.auditor, 16).await;
    let outcomes = crate::requests::by_outcome(&lines);
    let expected = [("OK", 3), ("REPLAYED", 1), ("BAD_SIGNATURE", 8), ("DIGEST_MISMATCH", 1), ("STALE_SIGNATURE", 2)];
    let expected = expected.into_iter().map(|(c, n)| (c.to_owned(), n)).chain([("INSUFFICIENT_SCOPE".to_owned(), 1)]);
    // An unknown keyid and a signature that does not say which key (incomplete) name no key.
    assert_eq!(outcomes, expected.collect(), "the key's verdicts, as /v1/verify's are logged");
}

pub async fn an_ed25519_key_verifies_its_holders_signature_and_signs_only(app: &TestApp) {
    let ops = app.tenant("acme", json!({})).await;
    let seed = [42u8; 32];
    let public = ed25519_dalek::SigningKey::from_bytes(&seed).verifying_key().to_bytes();
    let body = json!({
        "name": "ed", "scopes": ["payouts:write"], "bearer": false,
        "signing": {"algorithm": "ed25519", "public_key": STANDARD.encode(public)},
    });
    let (id, secret, created) = signing_key(app, &ops, body).await;
    assert!(secret.is_none() && created.get("signing_secret").is_none(), "keygate holds no ed25519 secret");
    assert!(created.get("secret").is_none(), "a signing-only key shows no bearer token");
    assert_eq!(created["key"]["bearer"], false);
    assert_eq!(created["key"]["signing"]["public_key"], STANDARD.encode(public));

    let audit = app.get("/v1/tenants/acme/audit?limit=200", &ops.auditor).await;
    let created_entry = audit.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["key_id"] == id.as_str() && e["action"] == "key.requested");
    let details = &created_entry.expect("the key's creation is audited")["details"]["signing"];
    assert_eq!((&details["algorithm"], &details["bearer"]), (&json!("ed25519"), &json!(false)), "with its credential");

    let sent = Sent::cash_out(r#"{"amount":"10.00"}"#);
    let holder = Signer::ed25519(&id, seed);
    let signed = headers(&holder, &sent, now(), "ed-1");
    assert_eq!(verdict(app, ask(&sent, &signed)).await, (true, "OK".into()), "the holder's own signature");
    let other = Signer::ed25519(&id, [7u8; 32]);
    let signed = headers(&other, &sent, now(), "ed-2");
    assert_eq!(verdict(app, ask(&sent, &signed)).await, (false, "BAD_SIGNATURE".into()), "another key pair");

    let refusals = [
        (json!({"algorithm": "ed25519"}), "signing.public_key", "no public key"),
        (json!({"algorithm": "ed25519", "public_key": STANDARD.encode([1u8; 31])}), "signing.public_key", "31 bytes"),
        (json!({"algorithm": "rsa-pss-sha512"}), "signing.algorithm", "an algorithm keygate does not take"),
    ];
    for (signing, field, why) in refusals {
        let reply =
            app.post(&ops.keys(), &ops.maker, json!({"name": "x", "scopes": ["a:read"], "signing": signing})).await;
        assert_eq!((reply.status, reply.body["field"].as_str()), (StatusCode::BAD_REQUEST, Some(field)), "{why}");
    }
    let reply = app.post(&ops.keys(), &ops.maker, json!({"name": "x", "scopes": ["a:read"], "bearer": false})).await;
    assert_eq!(
        (reply.status, reply.body["field"].as_str()),
        (StatusCode::BAD_REQUEST, Some("bearer")),
        "no credential"
    );

    // A narrower skew applies at once; a wider one waits for a second admin.
    let narrowed = app.patch("/v1/tenants/acme", &ops.admin, json!({"policy": {"signature_skew_seconds": 60}})).await;
    assert_eq!(narrowed.body["policy"]["signature_skew_seconds"], 60, "{:?}", narrowed.body);
    let signed = headers(&holder, &sent, now() - 90, "ed-3");
    assert_eq!(verdict(app, ask(&sent, &signed)).await, (false, "STALE_SIGNATURE".into()), "90 s past a 60 s skew");
    let widened = app.patch("/v1/tenants/acme", &ops.admin, json!({"policy": {"signature_skew_seconds": 900}})).await;
    assert_eq!(widened.body["policy"]["signature_skew_seconds"], 60, "not at once: {:?}", widened.body);
    assert_eq!(widened.body["pending_policy"]["settings"]["signature_skew_seconds"], 900);
    let out = app.patch("/v1/tenants/acme", &ops.admin, json!({"policy": {"signature_skew_seconds": 901}})).await;
    assert_eq!(out.body["field"], "policy.signature_skew_seconds", "{:?}", out.body);
}

/// Where the tenant reveals secrets after approval, the HMAC signing secret comes with the reveal; a
/// rotation's successor gets its own, in the rotation's answer.
pub async fn a_signing_secret_is_revealed_after_approval_and_renewed_by_rotation(app: &TestApp) {
    let ops = app.tenant("acme", json!({"reveal": "after_approval"})).await;
    let body = json!({"name": "late", "scopes": ["payouts:write"], "signing": {"algorithm": "hmac-sha256"}});
    let (id, secret, created) = signing_key(app, &ops, body).await;
    assert!(secret.is_none() && created.get("secret").is_none(), "nothing at creation: {created}");
    let revealed = app.post(&format!("{}/secret", ops.key(&id)), &ops.maker, json!({})).await;
    assert_eq!(revealed.status, StatusCode::OK, "{:?}", revealed.body);
    app.issued(revealed.body["secret"].as_str().unwrap());
    let secret = revealed.body["signing_secret"].as_str().expect("the signing secret at the reveal").to_owned();
    let sent = Sent::cash_out(r#"{"amount":"5"}"#);
    let signed = headers(&Signer::hmac(&id, &secret), &sent, now(), "late-1");
    assert_eq!(verdict(app, ask(&sent, &signed)).await, (true, "OK".into()), "the revealed secret signs");

    let ops = app.tenant("globex", json!({})).await;
    let body = json!({"name": "old", "scopes": ["payouts:write"], "signing": {"algorithm": "hmac-sha256"}});
    let (old, old_secret, _) = signing_key(app, &ops, body).await;
    let rotated = app.post(&format!("{}/rotate", ops.key(&old)), &ops.maker, json!({})).await;
    assert_eq!(rotated.status, StatusCode::CREATED, "{:?}", rotated.body);
    app.issued(rotated.body["secret"].as_str().unwrap());
    let new_secret = rotated.body["signing_secret"].as_str().expect("the successor's signing secret");
    assert_ne!(Some(new_secret), old_secret.as_deref(), "a successor has its own signing secret");
    assert_eq!(rotated.body["key"]["signing"]["algorithm"], "hmac-sha256", "and signs the same way");
}

pub async fn an_hmac_key_needs_the_servers_signing_key(app: &TestApp) {
    let ops = app.tenant("acme", json!({})).await;
    let body = json!({"name": "hmac", "scopes": ["a:read"], "signing": {"algorithm": "hmac-sha256"}});
    let reply = app.post(&ops.keys(), &ops.maker, body).await;
    assert_eq!((reply.status, reply.body["field"].as_str()), (StatusCode::BAD_REQUEST, Some("signing.algorithm")));
    assert!(reply.body["detail"].as_str().unwrap_or_default().contains("KEYGATE_SIGNING_KEY"), "{:?}", reply.body);
}

/// The same signed request sent to two servers at once, many times: exactly one of each pair verifies.
pub async fn a_replay_raced_across_two_servers_succeeds_once(first: &TestApp, second: &TestApp) {
    let ops = first.tenant("acme", json!({})).await;
    let body = json!({"name": "hmac", "scopes": ["payouts:write"], "signing": {"algorithm": "hmac-sha256"}});
    let (id, secret, _) = signing_key(first, &ops, body).await;
    let holder = Signer::hmac(&id, &secret.unwrap());
    let sent = Sent::cash_out(r#"{"amount":"1.00"}"#);
    for round in 0..12 {
        let asked = ask(&sent, &headers(&holder, &sent, now(), &format!("race-{round}")));
        let (a, b) = tokio::join!(verdict(first, asked.clone()), verdict(second, asked));
        let codes = [a.1.as_str(), b.1.as_str()];
        assert!(codes.contains(&"OK") && codes.contains(&"REPLAYED"), "round {round}: exactly one wins: {codes:?}");
    }
}

/// Runs the independent Python client (`tests/python/rfc9421_client.py`, the `PyPI` library
/// http-message-signatures) on `jobs`. `None` where it cannot run, which fails under `CI=true`: CI
/// installs the library, so a missing one there is a broken set-up, not a reason to skip.
fn python_client(jobs: &Value) -> Option<Value> {
    use std::io::Write as _;
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/python/rfc9421_client.py");
    let ci = std::env::var("CI").is_ok_and(|v| v == "true");
    let spawned = std::process::Command::new("python3")
        .arg(script)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn();
    let mut child = match spawned {
        Ok(child) => child,
        Err(e) if ci => panic!("python3 is needed under CI: {e}"),
        Err(_) => return None,
    };
    child.stdin.take().unwrap().write_all(jobs.to_string().as_bytes()).unwrap();
    let out = child.wait_with_output().unwrap();
    if !out.status.success() {
        let error = String::from_utf8_lossy(&out.stderr);
        assert!(!ci && error.contains("ModuleNotFoundError"), "the Python client failed: {error}");
        return None;
    }
    Some(serde_json::from_slice(&out.stdout).unwrap())
}

pub async fn an_independent_python_client_and_keygate_agree(app: &TestApp) {
    let ops = app.tenant("acme", json!({})).await;
    let hmac = json!({"name": "py-hmac", "scopes": ["payouts:write"], "signing": {"algorithm": "hmac-sha256"}});
    let (hmac_id, secret, _) = signing_key(app, &ops, hmac).await;
    let secret = secret.unwrap();
    let seed = [11u8; 32];
    let public = STANDARD.encode(ed25519_dalek::SigningKey::from_bytes(&seed).verifying_key().to_bytes());
    let ed = json!({"name": "py-ed", "scopes": ["payouts:write"], "signing": {"algorithm": "ed25519", "public_key": public}});
    let (ed_id, _, _) = signing_key(app, &ops, ed).await;

    let post = Sent::cash_out(r#"{"amount":"250","currency":"XOF"}"#);
    let get = Sent {
        method: "GET".into(),
        path: "/v1/balance".into(),
        query: String::new(),
        body: Vec::new(),
        ..post.clone()
    };
    let url = |s: &Sent| {
        let query = if s.query.is_empty() { String::new() } else { format!("?{}", s.query) };
        format!("https://{}{}{query}", s.authority, s.path)
    };
    let job = |alg: &str, key: &str, keyid: &str, s: &Sent, nonce: &str| {
        json!({"alg": alg, "key": key, "keyid": keyid, "method": s.method, "url": url(s),
               "body": String::from_utf8(s.body.clone()).unwrap(), "created": now(), "nonce": nonce})
    };
    let ours = headers(&Signer::hmac(&hmac_id, &secret), &post, now(), "ours-hmac");
    let ours_ed = headers(&Signer::ed25519(&ed_id, seed), &get, now(), "ours-ed");
    let check = |alg: &str, key: &str, s: &Sent, headers: &Value| {
        json!({"alg": alg, "key": key, "method": s.method, "url": url(s),
               "body": String::from_utf8(s.body.clone()).unwrap(), "headers": headers})
    };
    let jobs = json!({
        "sign": [
            job("hmac-sha256", &secret, &hmac_id, &post, "py-1"),
            job("ed25519", &STANDARD.encode(seed), &ed_id, &get, "py-2"),
            job("ed25519", &STANDARD.encode(seed), &ed_id, &post, "py-3"),
        ],
        "verify": [check("hmac-sha256", &secret, &post, &ours), check("ed25519", &public, &get, &ours_ed)],
    });
    let Some(answer) = python_client(&jobs) else { return };
    let signed = answer["signed"].as_array().unwrap();
    let expected =
        [(&post, "an HMAC-signed POST"), (&get, "an Ed25519-signed GET with no query"), (&post, "an Ed25519 POST")];
    for (fields, (sent, why)) in signed.iter().zip(expected) {
        assert_eq!(verdict(app, ask(sent, fields)).await, (true, "OK".into()), "the Python client's {why}: {fields}");
    }
    assert_eq!(verdict(app, ask(&post, &signed[0])).await, (false, "REPLAYED".into()), "and its replay");
    assert_eq!(answer["verified"], json!([true, true]), "the Python library accepts keygate's client signatures");
}
