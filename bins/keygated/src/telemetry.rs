//! Logs and metrics. Log lines carry method, route pattern, status and latency; never a header, a
//! body, a token, a secret or a hash.

use std::collections::HashMap;
use std::sync::{OnceLock, PoisonError, RwLock};
use std::time::Instant;

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::middleware::Next;
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};
use tracing_subscriber::EnvFilter;

/// Installs the global log subscriber (`pretty` or `json`). A second call is a no-op.
pub fn init_logging(filter: &str, format: &str) {
    let filter = EnvFilter::try_new(filter).unwrap_or_else(|_| EnvFilter::new("info"));
    // Colour only on a terminal, so redirected logs stay plain text.
    let ansi = std::io::IsTerminal::is_terminal(&std::io::stdout());
    let builder = tracing_subscriber::fmt().with_env_filter(filter).with_target(true).with_ansi(ansi);
    let _ = if format == "json" { builder.json().try_init() } else { builder.try_init() };
}

fn handle() -> &'static PrometheusHandle {
    static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();
    HANDLE.get_or_init(|| {
        let buckets = [0.000_05, 0.000_1, 0.000_25, 0.000_5, 0.001, 0.002_5, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1.0];
        let builder = PrometheusBuilder::new()
            .set_buckets_for_metric(Matcher::Suffix("_seconds".to_owned()), &buckets)
            .unwrap_or_else(|_| PrometheusBuilder::new());
        let recorder = builder.build_recorder();
        let handle = recorder.handle();
        // Another recorder may already be installed (several servers in one test process): then this
        // one renders nothing, which only the tests of /metrics could notice, and they install first.
        let _ = metrics::set_global_recorder(recorder);
        start_upkeep(handle.clone());
        handle
    })
}

/// How often histogram samples are folded into their buckets.
const UPKEEP_EVERY: std::time::Duration = std::time::Duration::from_secs(5);

/// Folds the histograms' raw samples into their buckets every [`UPKEEP_EVERY`]. A recorder built
/// rather than installed by its exporter leaves this to its caller: without it every request's
/// samples (two histograms' worth) were kept until the next scrape of `/metrics`, so a process nobody
/// scraped grew by about 16 bytes a request. A thread, not a task: it must run whatever the runtime.
fn start_upkeep(handle: PrometheusHandle) {
    let started = std::thread::Builder::new().name("keygate-metrics-upkeep".to_owned()).spawn(move || loop {
        std::thread::sleep(UPKEEP_EVERY);
        handle.run_upkeep();
    });
    if let Err(error) = started {
        tracing::warn!(%error, "the metrics upkeep thread did not start; histograms are folded at each scrape only");
    }
}

/// Makes sure the recorder is installed before the first request.
pub fn init_metrics() {
    handle();
}

/// The Prometheus text exposition.
pub fn render() -> String {
    handle().render()
}

/// The method as a metrics label: the seven a client of this API uses, and `other` for anything a
/// client invents, so no request can add a series (labels are kept for the life of the process).
pub fn method_label(method: &actix_web::http::Method) -> &'static str {
    use actix_web::http::Method;
    match *method {
        Method::GET => "GET",
        Method::HEAD => "HEAD",
        Method::POST => "POST",
        Method::PUT => "PUT",
        Method::PATCH => "PATCH",
        Method::DELETE => "DELETE",
        Method::OPTIONS => "OPTIONS",
        _ => "other",
    }
}

/// One request series' handles: its counter (route, method, status) and its route's histogram.
#[derive(Clone)]
struct Series {
    requests: metrics::Counter,
    seconds: metrics::Histogram,
}

/// The handles of every series seen, registered once each: `counter!` with labels builds and hashes
/// a labelled key (and allocates the status text) on every call. Bounded: the route patterns are the
/// server's own, the methods are [`method_label`]'s eight and statuses are three digits.
fn series(route: &str, method: &'static str, status: u16) -> Series {
    // By route first, so a look-up borrows the route rather than allocating a key.
    type Table = RwLock<HashMap<String, HashMap<(&'static str, u16), Series>>>;
    static SERIES: OnceLock<Table> = OnceLock::new();
    let table = SERIES.get_or_init(Table::default);
    let known =
        table.read().unwrap_or_else(PoisonError::into_inner).get(route).and_then(|r| r.get(&(method, status)).cloned());
    if let Some(found) = known {
        return found;
    }
    let made = Series {
        requests: metrics::counter!("keygate_http_requests_total", "route" => route.to_owned(), "method" => method, "status" => status.to_string()),
        seconds: metrics::histogram!("keygate_http_request_seconds", "route" => route.to_owned()),
    };
    let mut table = table.write().unwrap_or_else(PoisonError::into_inner);
    table.entry(route.to_owned()).or_default().entry((method, status)).or_insert(made).clone()
}

/// Counts and times every request by route pattern and status, and logs it.
pub async fn observe(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let started = Instant::now();
    let method = method_label(req.method());
    let response = next.call(req).await?;
    let route = response.request().match_pattern();
    let route = route.as_deref().unwrap_or("unmatched");
    let status = response.status().as_u16();
    let elapsed = started.elapsed();
    let series = series(route, method, status);
    series.requests.increment(1);
    series.seconds.record(elapsed.as_secs_f64());
    if status >= 500 {
        tracing::warn!(%method, %route, status, micros = elapsed.as_micros(), "request failed");
    } else {
        tracing::debug!(%method, %route, status, micros = elapsed.as_micros(), "request");
    }
    Ok(response)
}
