//! Parse + hash + constant-time compare of a token, beside a bare SHA-256 of 32 bytes in the same run.
#![allow(missing_docs)]

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, Criterion};
use keygate_credential::{Pepper, SecretHasher, Token, TokenPrefix};
use keygate_domain::Environment;
use sha2::{Digest, Sha256};

fn bench(c: &mut Criterion) {
    let prefix = TokenPrefix::default();
    let token = Token::generate(Environment::Live);
    let text = token.to_plain(&prefix).expose().to_owned();
    let plain_hasher = SecretHasher::new(None);
    let peppered = SecretHasher::new(Some(&Pepper::new(b"a pepper of thirty-two bytes!!!!".to_vec())));
    let stored = plain_hasher.hash(token.key_id(), token.secret());
    let stored_peppered = peppered.hash(token.key_id(), token.secret());
    let bytes = [7u8; 32];

    let mut group = c.benchmark_group("credential");
    group.bench_function("floor: sha256 of 32 bytes", |b| b.iter(|| Sha256::digest(black_box(&bytes))));
    group.bench_function("parse", |b| b.iter(|| Token::parse(black_box(text.as_bytes()), &prefix)));
    group.bench_function("parse + sha256 + ct compare", |b| {
        b.iter(|| {
            let t = Token::parse(black_box(text.as_bytes()), &prefix).ok()?;
            Some(plain_hasher.hash(t.key_id(), t.secret()).matches(&stored))
        });
    });
    group.bench_function("parse + hmac-sha256 + ct compare", |b| {
        b.iter(|| {
            let t = Token::parse(black_box(text.as_bytes()), &prefix).ok()?;
            Some(peppered.hash(t.key_id(), t.secret()).matches(&stored_peppered))
        });
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
