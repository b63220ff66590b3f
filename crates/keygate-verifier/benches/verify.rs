//! What one verification costs, beside its floor, in one run:
//!
//! - `floor`: a bare SHA-256 of 32 bytes plus a `HashMap<KeyId, u64>` look-up among 100,000 entries,
//!   the least any design that hashes the secret and finds the key must do;
//! - `hot key`: `verify` of one cached key, no amount, in a `MemoryStore` of 100,000 active keys;
//! - `hot key, one rate limit`: the same for a key with one request rate limit (never reached: a
//!   billion a day), answered from the slice leased from the store, beside the hot key without one;
//! - `random keys`: the same cycling through all 100,000 keys, after warming the cache;
//! - `postgres spend` (only with `KEYGATE_TEST_DATABASE_URL`): a verification that spends an amount
//!   against PostgreSQL, i.e. one round trip, in a fresh test database dropped afterwards.
#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used)]

use std::collections::HashMap;
use std::hint::black_box;
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, TimeZone, Utc};
use criterion::{criterion_group, criterion_main, Criterion};
use keygate_credential::{SecretHasher, Token, TokenPrefix};
use keygate_domain::{
    Actor, ActorId, Currency, Environment, ExpiryRequest, IpAllowList, Key, KeyId, KeyName, Limits, ManualClock,
    NewKey, OperatorId, Privileges, Role, RoleSet, ScopeSet, TenantId, TenantName, TenantPolicy,
};
use keygate_store::{AuditEntry, AuditHash, AuditKind, KeyChange, KeyRecord, KeyStore, KeyWrite, MemoryStore, Tenant};
use keygate_verifier::{Money, RequestContext, Verifier, VerifierConfig};
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
        masked: Some(plain.masked().to_owned()),
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
    targets = floor, memory, postgres
}
criterion_main!(benches);
