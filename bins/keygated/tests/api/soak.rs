//! The bounded soak: mixed verification and management traffic at a fixed rate against a keygated child
//! process (in-memory store), reporting errors, latency per 10 s window and the child's resident memory.
//!
//! It runs `KEYGATE_SOAK_SECONDS` (default 30, what CI runs as part of the test suite) at
//! `KEYGATE_SOAK_RATE` requests per second (default 200); `cargo xtask soak` runs it for 5 minutes in
//! release mode and shows the report. The load is open-loop: request `n` is due at `n / rate` seconds
//! whatever happened before it, and its latency is counted from when it was due, so a stall shows up
//! in the figures instead of slowing the load down. It passes when no request failed or got an
//! unexpected answer, every request was sent, and resident memory grew less than [`RSS_GROWTH_LIMIT_MIB`].

use std::collections::VecDeque;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use tokio::task::JoinSet;
use tokio::time::Instant;

use crate::child::{report, Http, Keygated};
use crate::helpers::{Operators, Reply};

/// Length of one reporting window.
const WINDOW: Duration = Duration::from_secs(10);
/// The bound on the child's resident memory growth from before the load to its end.
const RSS_GROWTH_LIMIT_MIB: u64 = 50;
/// More requests than this waiting for an answer means keygated is not keeping up: each further one
/// counts as an error instead of being sent.
const MAX_IN_FLIGHT: usize = 256;

fn setting(name: &str, default: u64) -> u64 {
    std::env::var(name).ok().and_then(|v| v.trim().parse().ok()).filter(|v| *v > 0).unwrap_or(default)
}

/// The keys the traffic uses.
struct Fixture {
    ops: Operators,
    /// Active keys without limits: (id, secret).
    plain: Vec<(String, String)>,
    /// Active keys with a (large) daily volume in XOF.
    paying: Vec<String>,
    /// A rejected key's secret.
    rejected: String,
    /// Keys in the middle of the management cycle.
    cycle: Mutex<VecDeque<Step>>,
    names: AtomicU64,
}

/// The next move of one key through create -> approve -> verify -> revoke -> approve revocation -> refused.
#[derive(Debug, Clone)]
struct Step {
    id: String,
    secret: String,
    stage: Stage,
}

#[derive(Debug, Clone, Copy)]
enum Stage {
    Approve,
    Verify,
    Revoke,
    ApproveRevocation,
    VerifyRevoked,
}

async fn fixture(http: &Http) -> Fixture {
    let ops = http.tenant("soak", json!({})).await;
    let mut plain = Vec::new();
    for i in 0..16 {
        plain.push(http.active_key(&ops, json!({"name": format!("plain-{i}"), "scopes": ["balance:read"]})).await);
    }
    let mut paying = Vec::new();
    for i in 0..4 {
        let limits = json!({"currency": "XOF", "daily_volume": "1000000000000.00"});
        let body = json!({"name": format!("paying-{i}"), "scopes": ["operations:write"], "limits": limits});
        paying.push(http.active_key(&ops, body).await.1);
    }
    let created = http.post(&ops.keys(), &ops.maker, json!({"name": "rejected", "scopes": ["a:read"]})).await;
    let id = created.body["key"]["id"].as_str().unwrap();
    let rejected = http.post(&format!("{}/reject", ops.key(id)), &ops.checker, json!({"reason": "soak"})).await;
    assert_eq!(rejected.body["state"], "rejected", "{:?}", rejected.body);
    let rejected = created.body["secret"].as_str().unwrap().to_owned();
    Fixture { ops, plain, paying, rejected, cycle: Mutex::new(VecDeque::new()), names: AtomicU64::new(0) }
}

fn expect(
    reply: Result<Reply, reqwest::Error>,
    status: StatusCode,
    check: impl Fn(&Value) -> bool,
) -> Result<Value, String> {
    let reply = reply.map_err(|e| format!("no answer: {e}"))?;
    if reply.status == status && check(&reply.body) {
        Ok(reply.body)
    } else {
        Err(format!("{} {}", reply.status, reply.body))
    }
}

fn valid(body: &Value) -> bool {
    body["valid"] == true
}

/// Request `n` of the mix: 80% verification (plain, with an amount, refused), 20% management.
async fn request(http: &Http, f: &Fixture, n: u64) -> Result<(), String> {
    let ops = &f.ops;
    let pick = |len: usize| usize::try_from(n / 20).unwrap_or(0) % len;
    match n % 20 {
        0..=10 => {
            let (_, secret) = &f.plain[pick(f.plain.len())];
            let body = json!({"key": secret, "tenant_id": "soak", "required_scopes": ["balance:read"]});
            expect(http.verify(body).await, StatusCode::OK, valid).map(drop)
        }
        11..=13 => {
            let body = json!({"key": f.paying[pick(f.paying.len())], "amount": "125", "currency": "XOF",
                              "required_scopes": ["operations:write"]});
            expect(http.verify(body).await, StatusCode::OK, valid).map(drop)
        }
        14 => {
            expect(http.verify(json!({"key": f.rejected})).await, StatusCode::OK, |b| b["code"] == "REJECTED").map(drop)
        }
        15 => {
            let (_, secret) = &f.plain[pick(f.plain.len())];
            let body = json!({"key": secret, "required_scopes": ["payouts:write"]});
            expect(http.verify(body).await, StatusCode::OK, |b| b["code"] == "INSUFFICIENT_SCOPE").map(drop)
        }
        16 => {
            let (id, _) = &f.plain[pick(f.plain.len())];
            let reply = http.call(Method::GET, &ops.key(id), Some(&ops.auditor), None).await;
            expect(reply, StatusCode::OK, |b| b["id"] == id.as_str()).map(drop)
        }
        17 => {
            let reply = http.call(Method::GET, &format!("{}?limit=50", ops.keys()), Some(&ops.auditor), None).await;
            expect(reply, StatusCode::OK, |b| b["items"].is_array()).map(drop)
        }
        _ => manage(http, f).await,
    }
}

/// One move of the management cycle: the oldest key waiting for its next step, or a new key.
async fn manage(http: &Http, f: &Fixture) -> Result<(), String> {
    let ops = &f.ops;
    let waiting = f.cycle.lock().unwrap().pop_front();
    let Some(step) = waiting else {
        let name = format!("cycle-{}", f.names.fetch_add(1, Ordering::Relaxed));
        let body = json!({"name": name, "scopes": ["balance:read"], "expires_in_days": 30});
        let reply = http.call(Method::POST, &ops.keys(), Some(&ops.maker), Some(body)).await;
        let created = expect(reply, StatusCode::CREATED, |b| b["key"]["state"] == "pending_approval")?;
        let id = created["key"]["id"].as_str().unwrap_or_default().to_owned();
        let secret = created["secret"].as_str().unwrap_or_default().to_owned();
        f.cycle.lock().unwrap().push_back(Step { id, secret, stage: Stage::Approve });
        return Ok(());
    };
    let post = |path: String, token: &str, body: Value| {
        let http = http.clone();
        let token = token.to_owned();
        async move { http.call(Method::POST, &path, Some(&token), Some(body)).await }
    };
    let key = ops.key(&step.id);
    let next = match step.stage {
        Stage::Approve => {
            let reply = post(format!("{key}/approve"), &ops.checker, json!({})).await;
            expect(reply, StatusCode::OK, |b| b["state"] == "active")?;
            Some(Stage::Verify)
        }
        Stage::Verify => {
            expect(http.verify(json!({"key": step.secret})).await, StatusCode::OK, valid)?;
            Some(Stage::Revoke)
        }
        Stage::Revoke => {
            let reply = post(format!("{key}/revoke"), &ops.maker, json!({"reason": "soak cycle"})).await;
            expect(reply, StatusCode::OK, |b| b["state"] == "revocation_pending")?;
            Some(Stage::ApproveRevocation)
        }
        Stage::ApproveRevocation => {
            let reply = post(format!("{key}/revocation/approve"), &ops.checker2, json!({})).await;
            expect(reply, StatusCode::OK, |b| b["state"] == "revoked")?;
            Some(Stage::VerifyRevoked)
        }
        Stage::VerifyRevoked => {
            expect(http.verify(json!({"key": step.secret})).await, StatusCode::OK, |b| b["code"] == "REVOKED")?;
            None
        }
    };
    if let Some(stage) = next {
        f.cycle.lock().unwrap().push_back(Step { stage, ..step });
    }
    Ok(())
}

/// What one window saw.
#[derive(Default)]
struct Window {
    latencies: Vec<Duration>,
    errors: u64,
    rss_kib: u64,
}

#[derive(Default)]
struct Results {
    windows: Vec<Window>,
    errors: Vec<String>,
}

impl Results {
    fn record(&mut self, window: usize, latency: Duration, outcome: Result<(), String>) {
        if self.windows.len() <= window {
            self.windows.resize_with(window + 1, Window::default);
        }
        let slot = &mut self.windows[window];
        slot.latencies.push(latency);
        if let Err(why) = outcome {
            slot.errors += 1;
            if self.errors.len() < 20 {
                self.errors.push(why);
            }
        }
    }
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss, clippy::cast_precision_loss)]
    let rank = ((sorted.len() as f64) * p).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

fn ms(d: Duration) -> String {
    format!("{:.1} ms", d.as_secs_f64() * 1000.0)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mixed_traffic_at_a_fixed_rate_has_no_errors_and_bounded_memory() {
    let seconds = setting("KEYGATE_SOAK_SECONDS", 30);
    let rate = setting("KEYGATE_SOAK_RATE", 200);
    let server = Keygated::start(None, &[]).await;
    let http = server.http.clone();
    let fixture = Arc::new(fixture(&http).await);
    let results = Arc::new(Mutex::new(Results::default()));
    let in_flight = Arc::new(AtomicUsize::new(0));
    let rss_start = server.rss_kib();

    // Act: `rate` requests per second for `seconds`, open-loop.
    let total = seconds * rate;
    let period = Duration::from_secs(1) / u32::try_from(rate).unwrap();
    let started = Instant::now();
    let mut tasks = JoinSet::new();
    let mut sampled_windows = 0;
    for n in 0..total {
        let due = started + period * u32::try_from(n).unwrap();
        tokio::time::sleep_until(due).await;
        let window = usize::try_from((due - started).as_secs() / WINDOW.as_secs()).unwrap();
        while sampled_windows < window {
            results.lock().unwrap().windows.resize_with(sampled_windows + 1, Window::default);
            results.lock().unwrap().windows[sampled_windows].rss_kib = server.rss_kib();
            sampled_windows += 1;
        }
        if in_flight.load(Ordering::Acquire) >= MAX_IN_FLIGHT {
            let overloaded = Err(format!("{MAX_IN_FLIGHT} requests waiting for an answer; request {n} not sent"));
            results.lock().unwrap().record(window, Duration::ZERO, overloaded);
            continue;
        }
        in_flight.fetch_add(1, Ordering::AcqRel);
        let (http, fixture, results, in_flight) = (http.clone(), fixture.clone(), results.clone(), in_flight.clone());
        tasks.spawn(async move {
            let outcome = request(&http, &fixture, n).await;
            let latency = due.elapsed();
            in_flight.fetch_sub(1, Ordering::AcqRel);
            results.lock().unwrap().record(window, latency, outcome.map_err(|e| format!("request {n}: {e}")));
        });
        // Reap finished tasks as we go, so the set stays small.
        while tasks.try_join_next().is_some() {}
    }
    let drained =
        tokio::time::timeout(Duration::from_secs(30), async { while tasks.join_next().await.is_some() {} }).await;
    assert!(drained.is_ok(), "every request answered within 30 s of the last one");
    let rss_end = server.rss_kib();
    let mut results = std::mem::take(&mut *results.lock().unwrap());
    let last = results.windows.len().saturating_sub(1);
    if let Some(window) = results.windows.get_mut(last) {
        window.rss_kib = rss_end;
    }

    // Report, then assert.
    let errors: u64 = results.windows.iter().map(|w| w.errors).sum();
    let sent: usize = results.windows.iter().map(|w| w.latencies.len()).sum();
    report(&format!(
        "soak: {seconds} s at {rate} req/s against keygated (in-memory store, pid {}): {sent} requests, {errors} errors",
        server.pid
    ));
    report("  window       requests  errors       p50       p99       max   RSS");
    let window_secs = WINDOW.as_secs();
    for (i, w) in results.windows.iter_mut().enumerate() {
        w.latencies.sort();
        let from = u64::try_from(i).unwrap() * window_secs;
        report(&format!(
            "  {:<11} {:>9} {:>7} {:>9} {:>9} {:>9}   {:.1} MiB",
            format!("{from}-{}s", from + window_secs),
            w.latencies.len(),
            w.errors,
            ms(percentile(&w.latencies, 0.50)),
            ms(percentile(&w.latencies, 0.99)),
            ms(w.latencies.last().copied().unwrap_or_default()),
            kib_to_mib(w.rss_kib),
        ));
    }
    let growth = rss_end.saturating_sub(rss_start);
    report(&format!(
        "  RSS before the load {:.1} MiB, at its end {:.1} MiB: growth {:.1} MiB (bound {RSS_GROWTH_LIMIT_MIB} MiB)",
        kib_to_mib(rss_start),
        kib_to_mib(rss_end),
        kib_to_mib(growth)
    ));
    for error in &results.errors {
        report(&format!("  error: {error}"));
    }
    assert_eq!(errors, 0, "no request failed: {:?}\n{}", results.errors, server.output());
    assert_eq!(u64::try_from(sent).unwrap(), total, "every request is accounted for");
    assert!(growth < RSS_GROWTH_LIMIT_MIB * 1024, "resident memory grew {growth} KiB");
}

#[allow(clippy::cast_precision_loss)]
fn kib_to_mib(kib: u64) -> f64 {
    kib as f64 / 1024.0
}
