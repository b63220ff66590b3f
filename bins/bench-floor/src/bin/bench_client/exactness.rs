//! `bench-client rate-exactness`: whether a rate limit holds across processes at full load. One key
//! (the first of `--tokens`, seeded with `--rate` on a store both processes share), `--requests N`
//! verifications sent by `--concurrency C` connections, half of them to process `--a` and half to
//! `--b`, each request timed with the clock the server reads. The answers are filed into the windows
//! the server counted them in (`windows.rs`); the line says each window's allowed count and the largest.
//!
//! The load starts `--lead-ms` before a window ends, so one window's end falls inside it and the next
//! starts under full load. In the last `--guard-ms` of every window no request is sent (connections wait
//! for the new window): an allowed answer that straddles a window's end could belong to either window,
//! and the guard keeps such answers rare; any left are counted in both windows, never dropped.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use bench_floor::Flags;
use chrono::{DateTime, TimeDelta, Utc};
use futures_util::future::join_all;
use keygate_domain::{Clock, RateLimit};
use keygate_verifier::SystemClock;
use serde_json::{json, Value};

use super::windows::{Answer, Filed, Verdict, Window};
use super::{read_lines, Api};

/// How long until the end of the window holding `now`, when that is within `guard`.
fn in_guard(rate: &RateLimit, now: DateTime<Utc>, guard: TimeDelta) -> Option<Duration> {
    let end = rate.window_start(now.timestamp()) + i64::from(rate.window_seconds());
    let left = DateTime::from_timestamp(end, 0)? - now;
    (left <= guard).then(|| left.to_std().unwrap_or_default())
}

async fn ask(api: &Api, body: &Value, process: usize) -> Answer {
    let sent = SystemClock.now();
    let reply = api.post("/v1/verify", None, body).await;
    let received = SystemClock.now();
    let verdict = match reply {
        Ok((200, v)) if v["valid"] == json!(true) => Verdict::Allowed,
        Ok((200, v)) if v["code"] == json!("RATE_LIMITED") => match v["retry_after"].as_u64() {
            Some(retry_after) => Verdict::Refused { retry_after },
            None => Verdict::Other,
        },
        _ => Verdict::Other,
    };
    Answer { sent, received, process, verdict }
}

pub async fn run(flags: &Flags) -> Result<String, String> {
    let tokens = flags.text("tokens")?;
    let apis = [
        Api::new(flags.text("a")?)?.with_service_beside(tokens)?,
        Api::new(flags.text("b")?)?.with_service_beside(tokens)?,
    ];
    let token = read_lines(tokens)?.into_iter().next().ok_or("no token in the file")?;
    let requests: usize = flags.or("requests", 20_000)?;
    let concurrency: usize = flags.or("concurrency", 16)?;
    let limit: u64 = flags.or("limit", 1000)?;
    let window: u32 = flags.or("window-seconds", 10)?;
    let lead = TimeDelta::milliseconds(flags.or("lead-ms", 150)?);
    let guard = TimeDelta::milliseconds(flags.or("guard-ms", 20)?);
    let within = Duration::from_secs(flags.or("max-seconds", 120)?);
    // The limit as the key carries it: the server's window arithmetic, done here the same way.
    let rate = RateLimit::new("exactness", limit, window).map_err(|e| e.to_string())?;
    let body = json!({ "key": token });

    // One request to each process first (its cache), recorded like the rest: it counts in its window.
    let mut answers = vec![ask(&apis[0], &body, 0).await, ask(&apis[1], &body, 1).await];
    // Start `lead` before the end of a window at least a second away.
    let now = SystemClock.now();
    let step = i64::from(window);
    let mut end = rate.window_start(now.timestamp()) + step;
    while DateTime::from_timestamp(end, 0).ok_or("time out of range")? - lead - now < TimeDelta::seconds(1) {
        end += step;
    }
    let start = DateTime::from_timestamp(end, 0).ok_or("time out of range")? - lead;
    tokio::time::sleep((start - now).to_std().unwrap_or_default()).await;

    let started = Instant::now();
    let next = Arc::new(AtomicUsize::new(0));
    let connections: Vec<_> = (0..concurrency.max(1))
        .map(|c| {
            let (api, body, next, rate) = (apis[c % 2].clone(), body.clone(), next.clone(), rate.clone());
            // A task per connection, so the client's own work spreads over the runtime's threads.
            tokio::spawn(async move {
                let mut mine = Vec::new();
                while next.fetch_add(1, Ordering::Relaxed) < requests && started.elapsed() < within {
                    if let Some(wait) = in_guard(&rate, SystemClock.now(), guard) {
                        tokio::time::sleep(wait + Duration::from_millis(1)).await;
                    }
                    mine.push(ask(&api, &body, c % 2).await);
                }
                mine
            })
        })
        .collect();
    for mine in join_all(connections).await {
        answers.extend(mine.map_err(|e| format!("a connection failed: {e}"))?);
    }
    let seconds = started.elapsed().as_secs_f64();
    let filed = Filed::of(&answers, &rate);
    let count = |f: fn(&Window) -> u64| filed.windows.values().map(f).sum::<u64>();
    let allowed = count(|w| w.allowed);
    let within_limit = filed.windows.values().all(|w| w.upper_bound() <= limit);
    Ok(format!(
        "requests={} allowed={allowed} allowed_a={} allowed_b={} straddling={} refused={} other={} unresolved={} \
         windows={} max_allowed={} within_limit={} seconds={seconds:.3} per_window={}",
        answers.len(),
        count(|w| w.by_process[0]),
        count(|w| w.by_process[1]),
        filed.straddling,
        count(|w| w.refused),
        filed.other,
        filed.unresolved,
        filed.windows.len(),
        filed.max(),
        u8::from(within_limit),
        filed.words()
    ))
}
