//! `bench-memory`: what one key costs keygated in memory. It wires a `MemoryStore` and a `Verifier`
//! exactly as keygated's start-up does with default settings (cache of 1,000,000 keys, 30 s TTL, no
//! pepper), inserts `--keys N` active keys through `KeyStore::commit` the way management issues them
//! (two scopes, XOF limits, 90-day expiry, the audit entry beside each), then verifies each key once
//! so the cache holds it too and writes the usage buffer out (as a stop does: every key's use is in the
//! store, rather than however much the buffer's early writes had taken when the size is read), and
//! prints its own resident size after each step. Last, it reads every
//! audit entry back from the store into one `Vec` (grown as the store's chain grows) and reads its size
//! again: what the audit entries cost, measured apart, so the key can be told from its audit trail:
//!
//! `keys=N rss_start_kib=.. rss_store_kib=.. rss_cached_kib=.. rss_audit_copy_kib=.. seconds_insert=.. seconds_verify=..`
//!
//! It allocates with mimalloc, as keygated does: the allocator's size classes are part of what a key costs.
//! `cargo xtask bench` runs it with `MIMALLOC_PURGE_DELAY=0`, so each reading is what is held.
//!
//! Benchmark-only: keygated has no bulk-load path and must not grow one for this.

#![allow(clippy::print_stdout, clippy::print_stderr)]

use std::process::ExitCode;
use std::sync::Arc;
use std::time::{Duration, Instant};

use bench_floor::{issue, rss_kib, Flags};
use keygate_credential::{Secret, Token, TokenPrefix};
use keygate_domain::{Environment, KeyId};
use keygate_store::{KeyStore, MemoryStore};
use keygate_verifier::{RequestContext, SystemClock, Verifier, VerifierConfig};

const BATCH: usize = 1000;

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("bench-memory: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(probe()) {
        Ok(line) => {
            println!("{line}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("bench-memory: {e}");
            ExitCode::FAILURE
        }
    }
}

async fn probe() -> Result<String, String> {
    let flags = Flags::parse(std::env::args().skip(1))?;
    let keys: usize = flags.or("keys", 1_000_000)?;
    let limit_seconds: u64 = flags.or("max-seconds", 240)?;
    let deadline = Instant::now() + Duration::from_secs(limit_seconds);

    // As keygated's start-up: the in-memory store and a verifier with the default configuration.
    let store: Arc<dyn KeyStore> = Arc::new(MemoryStore::new());
    let verifier = Verifier::new(store.clone(), VerifierConfig::default(), Arc::new(SystemClock));
    // The probe's own list of (id, secret), to verify each key afterwards: allocated and touched
    // before the first reading, so it is in every reading and in none of the differences.
    let mut issued = vec![(KeyId::from_bytes([1; 16]), [1u8; 32]); keys];
    let rss_start = rss_kib();

    let tenant = issue::create_tenant(&verifier, "bench").await?;

    let started = Instant::now();
    let mut batch = Vec::with_capacity(BATCH);
    for (n, slot) in issued.iter_mut().enumerate() {
        let (change, token) = issue::active_key(&verifier, &tenant, n)?;
        batch.push(change);
        *slot = (token.key_id(), *token.secret().expose());
        if batch.len() == BATCH || n + 1 == keys {
            store.commit(&batch).await.map_err(|e| e.to_string())?;
            batch.clear();
            if Instant::now() > deadline {
                return Err(format!("gave up after {} keys: over {limit_seconds} s", n + 1));
            }
        }
    }
    let seconds_insert = started.elapsed().as_secs_f64();
    let rss_store = rss_kib();

    let started = Instant::now();
    let ctx = RequestContext::default();
    let prefix = TokenPrefix::default();
    for (n, (id, secret)) in issued.iter().enumerate() {
        let text = Token::new(Environment::Live, *id, Secret::from_bytes(*secret)).to_plain(&prefix);
        verifier.verify(text.expose().as_bytes(), &ctx).await.map_err(|e| format!("key {n} did not verify: {e}"))?;
        if n % BATCH == 0 && Instant::now() > deadline {
            return Err(format!("gave up verifying after {n} keys: over {limit_seconds} s"));
        }
    }
    let seconds_verify = started.elapsed().as_secs_f64();
    verifier.shutdown().await;
    let rss_cached = rss_kib();
    let audit = store.audit(&tenant, None, None, u32::MAX).await.map_err(|e| e.to_string())?.items;
    if audit.len() < keys {
        return Err(format!("read back {} audit entries for {keys} keys", audit.len()));
    }
    let rss_audit_copy = rss_kib();
    drop(audit);
    Ok(format!(
        "keys={keys} rss_start_kib={rss_start} rss_store_kib={rss_store} rss_cached_kib={rss_cached} \
         rss_audit_copy_kib={rss_audit_copy} \
         seconds_insert={seconds_insert:.2} seconds_verify={seconds_verify:.2}"
    ))
}
