//! PostgreSQL goes away while keygated serves traffic, then comes back.
//!
//! The server runs as a child process on a PostgreSQL cluster the test owns (`own_postgres`), which is
//! stopped with `pg_ctl stop -m immediate` and started again. While it is down, every verification that
//! needs the store must answer 503 `STORE_UNAVAILABLE` (problem+json) within the store timeout, never
//! 200 and never 401; a cached key without an amount may keep verifying for at most the cache TTL;
//! `/readyz` is 503. Once it is back, keygated recovers without a restart.

use std::time::{Duration, Instant};

use futures_util::future::join_all;
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

use crate::child::{report, Http, Keygated};
use crate::helpers::ADMIN;
use crate::own_postgres::OwnPostgres;

/// `KEYGATE_STORE_TIMEOUT_MS` of the server under test.
const STORE_TIMEOUT: Duration = Duration::from_millis(500);
/// `KEYGATE_CACHE_TTL_SECONDS` of the server under test.
const CACHE_TTL: Duration = Duration::from_secs(2);
/// Allowance on top of the store timeout for HTTP on loopback and scheduling on a busy CI machine.
const ANSWER_SLACK: Duration = Duration::from_millis(250);
/// How long after PostgreSQL is back every probe must answer 200 again.
const RECOVERY_LIMIT: Duration = Duration::from_secs(10);

/// One kind of request sent during the outage.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Probe {
    /// A key verified just before the outage, no amount: may answer 200 while its cache entry lives.
    CachedNoAmount,
    /// The same key with an amount: always a store round trip (a fresh read).
    CachedWithAmount,
    /// A key with a daily volume, verified with an amount just before: the atomic spend.
    SpendDailyVolume,
    /// A key never verified by this process: the look-up needs the store.
    Uncached,
    /// `GET /readyz`.
    Readiness,
    /// A management read, authenticated by an operator token.
    Management,
}

const PROBES: [Probe; 6] = [
    Probe::CachedNoAmount,
    Probe::CachedWithAmount,
    Probe::SpendDailyVolume,
    Probe::Uncached,
    Probe::Readiness,
    Probe::Management,
];

struct Setup {
    cached: String,
    wallet: String,
    uncached: String,
    key_path: String,
    auditor: String,
}

/// One answer: when it was asked (since PostgreSQL went down), how long it took, and what came back.
struct Answer {
    probe: Probe,
    asked: Duration,
    took: Duration,
    outcome: Result<(StatusCode, String, Value), String>,
}

impl Setup {
    async fn send(&self, http: &Http, probe: Probe) -> Result<(StatusCode, String, Value), String> {
        let verify = |body: Value| (Method::POST, "/v1/verify".to_owned(), None, Some(body));
        let (method, path, token, body) = match probe {
            Probe::CachedNoAmount => verify(json!({"key": self.cached})),
            Probe::CachedWithAmount => verify(json!({"key": self.cached, "amount": "1.00"})),
            Probe::SpendDailyVolume => verify(json!({"key": self.wallet, "amount": "1.00", "currency": "XOF"})),
            Probe::Uncached => verify(json!({"key": self.uncached})),
            Probe::Readiness => (Method::GET, "/readyz".to_owned(), None, None),
            Probe::Management => (Method::GET, self.key_path.clone(), Some(self.auditor.as_str()), None),
        };
        let reply = http.call(method, &path, token, body).await.map_err(|e| e.to_string())?;
        let content_type =
            reply.headers.get("content-type").and_then(|v| v.to_str().ok()).unwrap_or_default().to_owned();
        Ok((reply.status, content_type, reply.body))
    }

    /// Every probe once, concurrently.
    async fn round(&self, http: &Http, since: Instant) -> Vec<Answer> {
        join_all(PROBES.iter().map(|&probe| async move {
            let started = Instant::now();
            let outcome = self.send(http, probe).await;
            Answer { probe, asked: started - since, took: started.elapsed(), outcome }
        }))
        .await
    }
}

fn is_success(outcome: &Result<(StatusCode, String, Value), String>) -> bool {
    matches!(outcome, Ok((StatusCode::OK, _, body)) if body["valid"] != false)
}

/// What an answer during the outage broke, if anything.
fn outage_violation(answer: &Answer) -> Option<String> {
    let Ok((status, content_type, body)) = &answer.outcome else {
        return Some(format!("no HTTP answer: {:?}", answer.outcome.as_ref().err()));
    };
    if answer.took > STORE_TIMEOUT + ANSWER_SLACK {
        return Some(format!("answered after {:?}, over the store timeout {STORE_TIMEOUT:?}", answer.took));
    }
    if *status == StatusCode::OK {
        let cached_and_fresh = answer.probe == Probe::CachedNoAmount && answer.asked < CACHE_TTL;
        return if body["valid"] == true && cached_and_fresh {
            None
        } else {
            Some(format!("200 without the store: {body}"))
        };
    }
    let failed_closed = *status == StatusCode::SERVICE_UNAVAILABLE
        && content_type.starts_with("application/problem+json")
        && body["code"] == "STORE_UNAVAILABLE";
    (!failed_closed).then(|| format!("{status} {content_type} {body}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_database_outage_fails_closed_within_the_store_timeout_and_recovers_without_a_restart() {
    let Some(postgres) = tokio::task::spawn_blocking(OwnPostgres::start).await.unwrap() else { return };
    let settings = [
        ("KEYGATE_STORE_TIMEOUT_MS", "500"),
        ("KEYGATE_CACHE_TTL_SECONDS", "2"),
        ("KEYGATE_DATABASE_CONNECTIONS", "4"),
    ];
    let server = Keygated::start(Some(&postgres.url()), &settings).await;
    let http = &server.http;
    let ops = http.tenant("acme", json!({})).await;
    let (_, cached) = http.active_key(&ops, json!({"name": "cached", "scopes": ["a:read"]})).await;
    let (_, wallet) = http
        .active_key(
            &ops,
            json!({"name": "wallet", "scopes": ["a:read"], "limits": {"currency": "XOF", "daily_volume": "1000.00"}}),
        )
        .await;
    let (uncached_id, uncached) = http.active_key(&ops, json!({"name": "uncached", "scopes": ["a:read"]})).await;
    let setup = Setup { cached, wallet, uncached, key_path: ops.key(&uncached_id), auditor: ops.auditor.clone() };
    // Warm the cache with the first three probes (and check their shape): the uncached key stays cold.
    for probe in [Probe::CachedNoAmount, Probe::CachedWithAmount, Probe::SpendDailyVolume, Probe::Readiness] {
        let outcome = setup.send(http, probe).await;
        assert!(is_success(&outcome), "{probe:?} succeeds before the outage: {outcome:?}");
    }

    // Act: the database host dies.
    let ctl = postgres.ctl();
    tokio::task::spawn_blocking(move || ctl.stop_immediately()).await.unwrap();
    let down = Instant::now();
    let mut answers = Vec::new();
    for _ in 0..100 {
        if down.elapsed() > CACHE_TTL + Duration::from_secs(1) {
            break;
        }
        answers.extend(setup.round(http, down).await);
        tokio::time::sleep(Duration::from_millis(100)).await;
    }

    // Assert: fail closed, in time.
    let violations: Vec<String> = answers
        .iter()
        .filter_map(|a| outage_violation(a).map(|why| format!("{:?} asked at {:?}: {why}", a.probe, a.asked)))
        .collect();
    assert!(violations.is_empty(), "during the outage:\n{}\n{}", violations.join("\n"), server.output());
    let after_ttl = answers.iter().filter(|a| a.probe == Probe::CachedNoAmount && a.asked > CACHE_TTL).count();
    assert!(after_ttl > 0, "the cached key was asked about after its TTL ran out");
    report_outage(&answers);

    // Act: the database comes back; keygated is not restarted.
    let ctl = postgres.ctl();
    tokio::task::spawn_blocking(move || ctl.start()).await.unwrap();
    let up = Instant::now();
    let mut recovered = None;
    for _ in 0..200 {
        let round = setup.round(http, up).await;
        if round.iter().all(|a| is_success(&a.outcome)) {
            recovered = Some(up.elapsed());
            break;
        }
        assert!(up.elapsed() < RECOVERY_LIMIT, "not recovered within {RECOVERY_LIMIT:?}:\n{}", server.output());
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let recovered = recovered.expect("recovered");
    let usage = http.get(&format!("{}/usage", ops.key(&uncached_id)), ADMIN).await;
    assert_eq!(usage.status, StatusCode::OK, "management works again: {:?}", usage.body);
    report(&format!("outage: every probe answered 200 again {recovered:?} after PostgreSQL was back"));
}

fn report_outage(answers: &[Answer]) {
    for probe in PROBES {
        let mut took: Vec<Duration> = answers.iter().filter(|a| a.probe == probe).map(|a| a.took).collect();
        took.sort();
        let served = answers
            .iter()
            .filter(|a| a.probe == probe && is_success(&a.outcome))
            .map(|a| a.asked)
            .max()
            .map_or_else(|| "never".to_owned(), |last| format!("until {last:?}"));
        let (Some(min), Some(max)) = (took.first(), took.last()) else { continue };
        report(&format!(
            "outage: {probe:?}: {} answers, {min:?}..{max:?} (median {:?}), 200 {served}",
            took.len(),
            took[took.len() / 2]
        ));
    }
}
