//! What one verification costs, beside its floor, in one run:
//!
//! - `floor`: a bare SHA-256 of 32 bytes plus a `HashMap<KeyId, u64>` look-up among 100,000 entries,
//!   the least any design that hashes the secret and finds the key must do;
//! - `hot key`: `verify` of one cached key, no amount, in a `MemoryStore` of 100,000 active keys;
//! - `hot key, one rate limit`: the same for a key with one request rate limit (never reached: a
//!   billion a day), answered from the slice leased from the store, beside the hot key without one;
//! - `random keys`: the same cycling through all 100,000 keys, after warming the cache;
//! - `verify_signed`: an RFC 9421 signed request (no amount) of one cached key, for `hmac-sha256` and for
//!   `ed25519`, each with a fresh nonce signed outside the timed part (the nonce's record is timed);
//! - `postgres spend` (only with `KEYGATE_TEST_DATABASE_URL`): a verification that spends an amount
//!   against PostgreSQL, i.e. one round trip, in a fresh test database dropped afterwards.
#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used)]

use std::collections::HashMap;
use std::hint::black_box;
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, TimeZone, Utc};
use criterion::{criterion_group, criterion_main, BatchSize, Criterion};
use keygate_credential::signing::{sha256, sign_request, Message, SignParams, SigningMasterKey};
use keygate_credential::{SecretHasher, Token, TokenPrefix};
use keygate_domain::{
    Actor, ActorId, Clock, Currency, Environment, ExpiryRequest, IpAllowList, Key, KeyId, KeyName, Limits, ManualClock,
    NewKey, OperatorId, Privileges, Role, RoleSet, ScopeSet, Signing, SigningAlgorithm, TenantId, TenantName,
    TenantPolicy,
};
use keygate_store::{AuditEntry, AuditHash, AuditKind, KeyChange, KeyRecord, KeyStore, KeyWrite, MemoryStore, Tenant};
use keygate_verifier::{Money, RequestContext, SignedRequest, Verifier, VerifierConfig};
use sha2::{Digest, Sha256};
use tokio::runtime::Runtime;

const KEYS: usize = 100_000;

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 23, 12, 0, 0).unwrap()
}

/// Keys are created active at once: this tenant has no dual control.
fn policy() -> TenantPolicy {
    TenantPolicy {
        dual_control: false,
        live_enabled: true,
        max_key_lifetime_days: None,
        allow_never_expiring: false,
        integrator_approvals: false,
        ..TenantPolicy::narrowest()
    }
}

async fn given_tenant(store: &dyn KeyStore) -> TenantId {
    let id = TenantId::parse("bench").unwrap();
    let tenant = Tenant {
        id: id.clone(),
        name: TenantName::parse("Bench").unwrap(),
        policy: policy(),
        pending_policy: None,
        timezone_change: None,
        created_at: now(),
        updated_at: now(),
        version: 1,
    };
    let audit = AuditEntry::new(&id, None, ActorId::System, AuditKind::TenantCreated, now());
    store.create_tenant(&tenant, &[], &[audit]).await.unwrap();
    id
}

/// An active key with `limits`, ready to commit, and its token text (unpeppered hash).
fn active_key(tenant: &TenantId, n: usize, limits: Limits) -> (KeyChange, String) {
    let maker = Actor::new(ActorId::Operator(OperatorId::from_bytes([1; 16])), RoleSet::of([Role::Maker]));
    let token = Token::generate(Environment::Live);
    let new = NewKey {
        id: token.key_id(),
        tenant: tenant.clone(),
        account: None,
        name: KeyName::parse(&format!("key-{n}")).unwrap(),
        notes: None,
        environment: Environment::Live,
        privileges: Privileges { scopes: ScopeSet::parse(["balance:read", "operations:write"]).unwrap(), limits },
        expiry: ExpiryRequest::InDays(365),
        rotation: None,
        owner: keygate_domain::Owner::default(),
    };
    let created = Key::create(new, &maker, &policy(), now()).unwrap();
    let plain = token.to_plain(&TokenPrefix::default());
    let record = KeyRecord {
        key: created.key.clone(),
        secret_hash: Some(SecretHasher::new(None).hash(token.key_id(), token.secret())),
        masked: Some(plain.masked().into()),
        signing: None,
        last_used_at: None,
        last_used_ip: None,
    };
    let audit = AuditEntry {
        tenant: tenant.clone(),
        key: Some(created.key.id),
        actor: maker.id,
        action: AuditKind::Key(created.action),
        reason: None,
        details: None,
        at: now(),
        seq: 0,
        hash: AuditHash::ZERO,
    };
    (KeyChange { write: KeyWrite::Insert(record), audit }, plain.expose().to_owned())
}

/// A `MemoryStore` holding `KEYS` active keys, committed in batches; their token texts.
async fn populated_store() -> (Arc<MemoryStore>, Vec<String>) {
    let store = Arc::new(MemoryStore::new());
    let tenant = given_tenant(&*store).await;
    let mut tokens = Vec::with_capacity(KEYS);
    let mut batch = Vec::with_capacity(1000);
    for n in 0..KEYS {
        let (change, token) = active_key(&tenant, n, Limits::none());
        batch.push(change);
        tokens.push(token);
        if batch.len() == 1000 {
            store.commit(&batch).await.unwrap();
            batch.clear();
        }
    }
    store.commit(&batch).await.unwrap();
    (store, tokens)
}

fn verifier(store: Arc<dyn KeyStore>) -> Verifier {
    let config = VerifierConfig { cache_capacity: 2 * KEYS as u64, ..VerifierConfig::default() };
    Verifier::new(store, config, Arc::new(ManualClock::new(now())))
}

fn floor(c: &mut Criterion) {
    let map: HashMap<KeyId, u64> = (0..KEYS as u64).map(|n| (Token::generate(Environment::Live).key_id(), n)).collect();
    let hot = *map.keys().next().unwrap();
    let bytes = [7u8; 32];
    c.bench_function("floor: sha256 of 32 bytes + HashMap look-up among 100k", |b| {
        b.iter(|| (Sha256::digest(black_box(&bytes)), map.get(black_box(&hot)).copied()));
    });
}

fn memory(c: &mut Criterion) {
    let runtime = Runtime::new().unwrap();
    let (verifier, tokens) = runtime.block_on(async {
        let (store, tokens) = populated_store().await;
        (verifier(store), tokens)
    });
    let ctx = RequestContext::default();
    let hot = tokens[0].clone();
    runtime.block_on(verifier.verify(hot.as_bytes(), &ctx)).unwrap();
    c.bench_function("verify: hot cached key, no amount, 100k keys", |b| {
        b.to_async(&runtime).iter(|| verifier.verify(black_box(hot.as_bytes()), &ctx));
    });
    let rated = runtime.block_on(async {
        let tenant = TenantId::parse("bench").unwrap();
        let per_day = keygate_domain::RateLimit::new("per-day", 1_000_000_000, 86_400).unwrap();
        let (change, token) = active_key(&tenant, KEYS, Limits::none().with_rate(vec![per_day]).unwrap());
        verifier.store().commit(&[change]).await.unwrap();
        verifier.verify(token.as_bytes(), &ctx).await.unwrap();
        token
    });
    c.bench_function("verify: hot cached key, one rate limit, 100k keys", |b| {
        b.to_async(&runtime).iter(|| verifier.verify(black_box(rated.as_bytes()), &ctx));
    });

    runtime.block_on(async {
        for token in &tokens {
            verifier.verify(token.as_bytes(), &ctx).await.unwrap();
        }
    });
    let mut next = 0;
    c.bench_function("verify: random cached keys among 100k, no amount", |b| {
        b.to_async(&runtime).iter(|| {
            // A stride coprime with KEYS visits every key in a scattered order.
            next = (next + 7919) % KEYS;
            verifier.verify(black_box(tokens[next].as_bytes()), &ctx)
        });
    });
    runtime.block_on(verifier.shutdown());
}

/// A signed request of `keyid` at the clock's now with a fresh nonce, signed by `sign`.
fn signed_request(
    keyid: &str,
    alg: SigningAlgorithm,
    now: i64,
    n: u64,
    sign: &dyn Fn(&[u8]) -> Vec<u8>,
) -> SignedRequest {
    let body = br#"{"amount":"250.00","currency":"XOF"}"#;
    let message =
        Message { method: "POST", authority: "wallet.example.com", path: "/v1/cash-out", query: "", headers: &[] };
    let nonce = format!("bench-{n}");
    let params = SignParams { keyid, alg, created: now, nonce: &nonce };
    let fields = sign_request(&message, Some(body), params, sign);
    let mut headers =
        vec![("signature-input".to_owned(), fields.signature_input), ("signature".to_owned(), fields.signature)];
    headers.extend(fields.content_digest.map(|d| ("content-digest".to_owned(), d)));
    SignedRequest {
        method: "POST".into(),
        authority: "wallet.example.com".into(),
        path: "/v1/cash-out".into(),
        query: String::new(),
        headers,
        body_sha256: Some(sha256(body)),
    }
}

/// What turns a signature base into signature bytes.
type SignFn<'a> = Box<dyn Fn(&[u8]) -> Vec<u8> + 'a>;

fn signed(c: &mut Criterion) {
    let runtime = Runtime::new().unwrap();
    let clock = Arc::new(ManualClock::new(now()));
    let master = SigningMasterKey::from_bytes([3; 32]);
    let seed = [9u8; 32];
    let public = ed25519_dalek::SigningKey::from_bytes(&seed).verifying_key().to_bytes();
    let (verifier, hmac_id, ed_id) = runtime.block_on(async {
        let store = Arc::new(MemoryStore::new());
        let tenant = given_tenant(&*store).await;
        let mut ids = Vec::new();
        for (n, spec) in [
            Signing::new(SigningAlgorithm::HmacSha256, None, true).unwrap(),
            Signing::new(SigningAlgorithm::Ed25519, Some(&public), false).unwrap(),
        ]
        .into_iter()
        .enumerate()
        {
            let (mut change, _) = active_key(&tenant, n, Limits::none());
            if let KeyWrite::Insert(record) = &mut change.write {
                record.signing = Some(spec);
                ids.push(record.key.id.to_string());
            }
            store.commit(&[change]).await.unwrap();
        }
        let config = VerifierConfig { signing_key: Some(master.clone()), ..VerifierConfig::default() };
        (Verifier::new(store, config, clock.clone()), ids[0].clone(), ids[1].clone())
    });
    let secret = master.derive(&hmac_id);
    let ed = ed25519_dalek::SigningKey::from_bytes(&seed);
    let signers: [(&str, SigningAlgorithm, &str, SignFn<'_>); 2] = [
        (
            "verify_signed: hmac-sha256, cached key, no amount",
            SigningAlgorithm::HmacSha256,
            &hmac_id,
            Box::new(|b| secret.sign(b)),
        ),
        (
            "verify_signed: ed25519, cached key, no amount",
            SigningAlgorithm::Ed25519,
            &ed_id,
            Box::new(|b| ed25519_dalek::Signer::sign(&ed, b).to_bytes().to_vec()),
        ),
    ];
    let ctx = RequestContext::default();
    let mut n = 0u64;
    for (name, alg, keyid, sign) in &signers {
        let first = signed_request(keyid, *alg, clock.now().timestamp(), n, sign.as_ref());
        runtime.block_on(verifier.verify_signed(&first, &ctx)).unwrap();
        c.bench_function(name, |b| {
            b.to_async(&runtime).iter_batched(
                || {
                    // 10 ms a request: nonces expire past the skew, so the bounded map never fills.
                    n += 1;
                    clock.advance(chrono::Duration::milliseconds(10));
                    signed_request(keyid, *alg, clock.now().timestamp(), n, sign.as_ref())
                },
                |request| {
                    let verifier = verifier.clone();
                    let ctx = ctx.clone();
                    async move { verifier.verify_signed(black_box(&request), &ctx).await.unwrap() }
                },
                BatchSize::SmallInput,
            );
        });
    }
    runtime.block_on(verifier.shutdown());
}

fn postgres(c: &mut Criterion) {
    let runtime = Runtime::new().unwrap();
    let Some(db) = runtime.block_on(keygate_store::testing::TestDatabase::create()) else { return };
    let usd = Currency::parse("USD").unwrap();
    let (verifier, token) = runtime.block_on(async {
        let store = Arc::new(db.store());
        let tenant = given_tenant(&*store).await;
        let huge = "100000000000000000".parse().unwrap();
        let limits = Limits::single(Some(usd), None, Some(huge), IpAllowList::default()).unwrap();
        let (change, token) = active_key(&tenant, 0, limits);
        store.commit(&[change]).await.unwrap();
        (verifier(store), token)
    });
    let ctx = RequestContext {
        amount: Some(Money { amount: "0.01".parse().unwrap(), currency: Some(usd) }),
        ..RequestContext::default()
    };
    runtime.block_on(verifier.verify(token.as_bytes(), &ctx)).unwrap();
    c.bench_function("verify: spend an amount against PostgreSQL (one round trip)", |b| {
        b.to_async(&runtime).iter(|| verifier.verify(black_box(token.as_bytes()), &ctx));
    });
    runtime.block_on(async {
        verifier.shutdown().await;
        drop(verifier);
        db.drop_database().await;
    });
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(60).warm_up_time(Duration::from_secs(1)).measurement_time(Duration::from_secs(6));
    targets = floor, memory, signed, postgres
}
criterion_main!(benches);
