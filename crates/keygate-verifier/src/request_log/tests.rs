use std::sync::Arc;
use std::time::Duration;

use chrono::{TimeZone, Utc};
use keygate_domain::{Environment, KeyId, ManualClock, Scope, TenantId};
use keygate_policy::{Denial, RequestContext};
use keygate_store::{KeyStore, MemoryStore, RequestFilter};

use super::{RequestLog, RequestLogOptions};
use crate::outcome::VerifyError;
use crate::verifier::Subject;

fn subject(tenant: &str, n: u8) -> Subject {
    Subject {
        tenant: TenantId::parse(tenant).unwrap(),
        key: KeyId::from_bytes([n; 16]),
        environment: Environment::Live,
        account: None,
    }
}

fn quiet() -> RequestLogOptions {
    // Nothing is written until the test flushes.
    RequestLogOptions { interval: Duration::from_secs(3600), ..RequestLogOptions::default() }
}

fn start(store: &Arc<MemoryStore>, options: RequestLogOptions) -> (RequestLog, Arc<ManualClock>) {
    let clock = Arc::new(ManualClock::new(Utc.with_ymd_and_hms(2026, 11, 23, 9, 0, 0).unwrap()));
    (RequestLog::start(store.clone(), clock.clone(), options), clock)
}

async fn stored(store: &MemoryStore, tenant: &str) -> usize {
    let tenant = TenantId::parse(tenant).unwrap();
    store.requests(&tenant, &RequestFilter::default(), None, 1000).await.unwrap().items.len()
}

#[tokio::test]
async fn a_noted_outcome_is_written_with_its_code_and_status_and_none_without_a_key() {
    let store = Arc::new(MemoryStore::new());
    let (log, _) = start(&store, quiet());
    let ctx = RequestContext { required_scopes: vec![Scope::parse("balance:read").unwrap()], ..Default::default() };
    let revoked: Result<crate::Verified, VerifyError> = Err(Denial::Revoked.into());
    log.note(Some(&subject("acme", 1)), &ctx, &revoked, Duration::from_micros(42), None);
    log.note(None, &ctx, &Err(Denial::Malformed.into()), Duration::from_micros(1), None);
    assert_eq!(stored(&store, "acme").await, 0, "nothing is written before the flush");
    log.flush().await.unwrap();
    let tenant = TenantId::parse("acme").unwrap();
    let page = store.requests(&tenant, &RequestFilter::default(), None, 10).await.unwrap();
    assert_eq!(page.items.len(), 1, "one line: the malformed token named no key");
    let line = &page.items[0];
    assert_eq!((line.outcome.as_ref(), line.status, line.latency_us), ("REVOKED", 401, 42), "code, status, latency");
    assert_eq!(line.required_scopes, ctx.required_scopes, "what was asked");
}

#[tokio::test]
async fn a_full_buffer_drops_lines_and_counts_them_without_waiting() {
    let store = Arc::new(MemoryStore::new());
    let (log, _) = start(&store, RequestLogOptions { capacity: 10, ..quiet() });
    let ok: Result<crate::Verified, VerifyError> = Err(Denial::Expired.into());
    for _ in 0..15 {
        log.note(Some(&subject("acme", 1)), &RequestContext::default(), &ok, Duration::ZERO, None);
    }
    assert_eq!(log.dropped(), 5, "the five lines beyond the bound are dropped");
    log.flush().await.unwrap();
    assert_eq!(stored(&store, "acme").await, 10, "the ten that fitted are written");
}

#[tokio::test]
async fn the_writing_task_flushes_by_itself_and_shutdown_writes_the_rest() {
    let store = Arc::new(MemoryStore::new());
    let (log, _) = start(&store, RequestLogOptions { interval: Duration::from_millis(10), ..quiet() });
    let denied: Result<crate::Verified, VerifyError> = Err(Denial::Expired.into());
    log.note(Some(&subject("acme", 1)), &RequestContext::default(), &denied, Duration::ZERO, None);
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while stored(&store, "acme").await < 1 {
        assert!(tokio::time::Instant::now() < deadline, "the line is written within 10 s");
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    log.note(Some(&subject("acme", 1)), &RequestContext::default(), &denied, Duration::ZERO, None);
    log.shutdown().await.unwrap();
    assert_eq!(stored(&store, "acme").await, 2, "shutdown writes what was waiting");
}

#[tokio::test]
async fn the_prune_deletes_only_lines_older_than_the_retention() {
    let store = Arc::new(MemoryStore::new());
    let options = RequestLogOptions { retention: chrono::Duration::days(30), prune_batch: 2, ..quiet() };
    let (log, clock) = start(&store, options);
    let denied: Result<crate::Verified, VerifyError> = Err(Denial::Expired.into());
    for _ in 0..5 {
        log.note(Some(&subject("acme", 1)), &RequestContext::default(), &denied, Duration::ZERO, None);
    }
    clock.advance(chrono::Duration::days(10));
    log.note(Some(&subject("acme", 2)), &RequestContext::default(), &denied, Duration::ZERO, None);
    log.flush().await.unwrap();
    clock.advance(chrono::Duration::days(20));
    assert_eq!(log.prune().await.unwrap(), 0, "exactly 30 days old is still kept");
    clock.advance(chrono::Duration::microseconds(1));
    assert_eq!(log.prune().await.unwrap(), 5, "the five older lines go, over several batches");
    assert_eq!(stored(&store, "acme").await, 1, "the younger line stays");
}
