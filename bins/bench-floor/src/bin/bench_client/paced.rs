//! `bench-client paced`: `POST /v1/verify` at a fixed rate (open loop), where wrk can only send as
//! fast as the server answers.
//!
//! A closed-loop load (wrk's) saturates a one-worker server at a handful of connections, so "half the
//! connections" is still full load. To ask what a feature costs at half load, the offered rate must be
//! half: request `i` is due at `i / rate` seconds, whatever the answers before it did. At most
//! `--connections` are in flight; a request due while all are busy waits for one, and its latency is
//! counted from when it was due (no coordinated omission), so a server that falls behind shows it in
//! both its achieved rate and its tail.
//!
//! Prints `offered=<rate> achieved=<answers per second> requests=<answered> errors=<no answer>
//! non2xx=<answers not 2xx> p50_us= p99_us= max_us= seconds=<from the first due time to the last
//! answer>`.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use bench_floor::Flags;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::read_lines;

/// What one request left: microseconds from its due time, and its status (0: no answer).
type Outcome = (u64, u16);

/// A request may leave this much before it is due: tokio's timer ticks every millisecond, and a
/// connection that slept to the tick after its due time would fall behind at high rates.
const EARLY: Duration = Duration::from_micros(900);

pub async fn run(flags: &Flags) -> Result<String, String> {
    let base = flags.text("base")?;
    let address = base.trim_start_matches("http://").trim_end_matches('/').to_owned();
    let tokens = read_lines(flags.text("tokens")?)?;
    let tokens_path = std::path::Path::new(flags.text("tokens")?).with_file_name("service.txt");
    let service = read_lines(&tokens_path.display().to_string())?.into_iter().next();
    if tokens.is_empty() {
        return Err("no token in the file".into());
    }
    let rate: f64 = flags.or("rate", 1000.0)?;
    let seconds: f64 = flags.or("seconds", 5.0)?;
    let connections: usize = flags.or("connections", 16)?;
    if !(rate >= 1.0 && seconds > 0.0 && connections > 0) {
        return Err("--rate ≥ 1, --seconds > 0 and --connections > 0".into());
    }
    // Requests formatted once, as wrk's script does, so the client spends its time sending: plain
    // HTTP/1.1 on kept-alive connections (an HTTP library cost more than the server at these rates).
    let requests: Arc<Vec<Vec<u8>>> =
        Arc::new(tokens.iter().map(|t| request(&address, service.as_deref(), t)).collect());
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
    let total = (rate * seconds).round() as u64;
    let next = Arc::new(AtomicU64::new(0));
    let start = Instant::now() + Duration::from_millis(50);
    let mut tasks = Vec::with_capacity(connections);
    for _ in 0..connections {
        let (address, requests, next) = (address.clone(), requests.clone(), next.clone());
        tasks.push(tokio::spawn(async move { connection(&address, &requests, &next, total, start, rate).await }));
    }
    let mut outcomes = Vec::new();
    for task in tasks {
        outcomes.extend(task.await.map_err(|e| e.to_string())??);
    }
    Ok(summary(rate, &outcomes, start.elapsed().as_secs_f64()))
}

/// `POST /v1/verify` with `token`, as bytes.
fn request(address: &str, service: Option<&str>, token: &str) -> Vec<u8> {
    let body = format!("{{\"key\":\"{token}\"}}");
    let authorization = service.map(|s| format!("Authorization: Bearer {s}\r\n")).unwrap_or_default();
    format!(
        "POST /v1/verify HTTP/1.1\r\nHost: {address}\r\nContent-Type: application/json\r\n{authorization}\
         Content-Length: {}\r\n\r\n{body}",
        body.len()
    )
    .into_bytes()
}

/// One connection: takes the next request number whenever it is free, sends it when due, and reads
/// its answer. A connection that fails is opened again.
async fn connection(
    address: &str,
    requests: &[Vec<u8>],
    next: &AtomicU64,
    total: u64,
    start: Instant,
    rate: f64,
) -> Result<Vec<Outcome>, String> {
    let mut stream = None;
    let mut buffer = Vec::with_capacity(4096);
    let mut outcomes = Vec::new();
    loop {
        let i = next.fetch_add(1, Ordering::Relaxed);
        if i >= total {
            return Ok(outcomes);
        }
        #[allow(clippy::cast_precision_loss)] // Request counts stay far below 2^52.
        let due = start + Duration::from_secs_f64(i as f64 / rate);
        if let Some(wait) = due.checked_duration_since(Instant::now()).filter(|w| *w > EARLY) {
            tokio::time::sleep(wait.saturating_sub(EARLY)).await;
        }
        let sent = Instant::now().max(due);
        if stream.is_none() {
            let opened = TcpStream::connect(address).await.map_err(|e| format!("connect {address}: {e}"))?;
            opened.set_nodelay(true).map_err(|e| e.to_string())?;
            stream = Some(opened);
        }
        let status = match stream.as_mut() {
            Some(s) => exchange(s, &requests[usize::try_from(i).unwrap_or(0) % requests.len()], &mut buffer).await,
            None => None,
        };
        if status.is_none() {
            stream = None;
        }
        outcomes.push((u64::try_from(sent.elapsed().as_micros()).unwrap_or(u64::MAX), status.unwrap_or(0)));
    }
}

/// Writes `request` and reads one answer (headers, then `Content-Length` bytes of body): its status,
/// or `None` when the connection failed or the answer did not parse.
async fn exchange(stream: &mut TcpStream, request: &[u8], buffer: &mut Vec<u8>) -> Option<u16> {
    stream.write_all(request).await.ok()?;
    buffer.clear();
    let mut chunk = [0u8; 4096];
    loop {
        if let Some(end) = buffer.windows(4).position(|w| w == b"\r\n\r\n") {
            let head = std::str::from_utf8(&buffer[..end]).ok()?;
            let status = head.split(' ').nth(1)?.parse().ok()?;
            let length: usize = head
                .lines()
                .find_map(|l| l.split_once(':').filter(|(n, _)| n.eq_ignore_ascii_case("content-length")))
                .and_then(|(_, v)| v.trim().parse().ok())?;
            while buffer.len() < end + 4 + length {
                let n = stream.read(&mut chunk).await.ok().filter(|n| *n > 0)?;
                buffer.extend_from_slice(&chunk[..n]);
            }
            return Some(status);
        }
        let n = stream.read(&mut chunk).await.ok().filter(|n| *n > 0)?;
        buffer.extend_from_slice(&chunk[..n]);
    }
}

fn summary(rate: f64, outcomes: &[Outcome], elapsed: f64) -> String {
    let answered: Vec<u64> = outcomes.iter().filter(|(_, s)| *s != 0).map(|(us, _)| *us).collect();
    let errors = outcomes.len() - answered.len();
    let non2xx = outcomes.iter().filter(|(_, s)| *s != 0 && !(200..300).contains(s)).count();
    let mut sorted = answered.clone();
    sorted.sort_unstable();
    let at = |q: f64| {
        #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss, clippy::cast_precision_loss)]
        let i = ((sorted.len() as f64 - 1.0) * q).round() as usize;
        sorted.get(i).copied().unwrap_or(0)
    };
    #[allow(clippy::cast_precision_loss)]
    let achieved = answered.len() as f64 / elapsed.max(f64::EPSILON);
    format!(
        "offered={rate:.0} achieved={achieved:.1} requests={} errors={errors} non2xx={non2xx} p50_us={} p99_us={} \
         max_us={} seconds={elapsed:.3}",
        answered.len(),
        at(0.50),
        at(0.99),
        sorted.last().copied().unwrap_or(0)
    )
}
