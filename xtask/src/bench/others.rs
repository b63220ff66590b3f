//! The rows that need servers of their own: memory per key (the `bench-memory` probe), revocation
//! propagation between two keygated processes on one database (row 6), and the wallet example with and
//! without its middleware (row 5).

use std::process::Command;
use std::time::Duration;

use super::load::{median_wrk, paired_ratio, wrk, wrk_on};
use super::proc::{self, field, output, Server};
use super::report::{ms, pct, Report, Row};
use super::stack::Stack;
use super::Settings;

const WALLET_COST_TARGET: f64 = 0.15;
/// Row 9: resident bytes per stored key, record and cache entry.
const MEMORY_TARGET: f64 = 1024.0;

/// One `bench-memory` run, per key.
struct Probe {
    key: f64,
    cache: f64,
    audit: f64,
    store: f64,
    rss_total_kib: f64,
}

impl Probe {
    fn total(&self) -> f64 {
        self.key + self.cache
    }
}

fn probe(s: &Settings, run: usize) -> Result<Probe, String> {
    let mut cmd = Command::new(s.bin("bench-memory"));
    cmd.args(["--keys", &s.memory_keys.to_string(), "--max-seconds", "400"]);
    // Freed pages go back to the system at once rather than 10 ms later: the sizes read are then what
    // is held, not what a moment's frees (a table or a log outgrowing its buffer) had left resident.
    // With the default delay the same probe read 918 to 1,123 bytes a key in six runs; with none,
    // 1,022 to 1,032.
    cmd.env("MIMALLOC_PURGE_DELAY", "0");
    s.note("bench-memory", &cmd);
    let line = output(&mut cmd, &format!("bench-memory-{run}"), &s.logs, Duration::from_secs(450))?;
    println!("memory {run}: {}", line.trim());
    #[allow(clippy::cast_precision_loss)]
    let keys = s.memory_keys as f64;
    let (start, store, cached) =
        (field(&line, "rss_start_kib")?, field(&line, "rss_store_kib")?, field(&line, "rss_cached_kib")?);
    let audit_copy = field(&line, "rss_audit_copy_kib")?;
    let per_key = |kib: f64| kib * 1024.0 / keys;
    let (store_per_key, audit) = (per_key(store - start), per_key(audit_copy - cached));
    Ok(Probe {
        key: store_per_key - audit,
        cache: per_key(cached - store),
        audit,
        store: store_per_key,
        rss_total_kib: cached,
    })
}

/// Row 9: the probe run `--runs` times (its resident size moves with the allocator's timing, the
/// audit copy's most), the run of the median total reported with the range.
pub fn memory(s: &Settings, report: &mut Report) -> Result<(), String> {
    let mut runs = (0..s.runs.max(1)).map(|run| probe(s, run)).collect::<Result<Vec<_>, _>>()?;
    runs.sort_by(|a, b| a.total().total_cmp(&b.total()));
    let range = format!(
        "{:.0} to {:.0} over {} runs",
        runs.first().map_or(0.0, Probe::total),
        runs.last().map_or(0.0, Probe::total),
        runs.len()
    );
    let median = &runs[runs.len() / 2];
    let (key_per_key, cache_per_key, audit_per_key) = (median.key, median.cache, median.audit);
    let (store_per_key, cached) = (median.store, median.rss_total_kib);
    report.row(
        Row::new(
            "9",
            &format!("Resident memory of keygated's in-memory store with {} keys (`bench-memory`)", s.memory_keys),
        )
        .measured(format!(
            "**{:.0} bytes per key** (the median run; {range}): {key_per_key:.0} for the key in the store \
                 (record, hash, indexes) + {cache_per_key:.0} once it is cached and its use written; its audit \
                 entry {audit_per_key:.0} more (a copy of every entry read back and measured apart); {:.0} MiB \
                 resident in all",
            key_per_key + cache_per_key,
            cached / 1024.0
        ))
        .target(
            format!("≤ {MEMORY_TARGET:.0} bytes per key for the key record and its cache entry (audit entries apart)"),
            key_per_key + cache_per_key <= MEMORY_TARGET,
        )
        .figures(&[
            ("key_bytes_per_key", key_per_key),
            ("cache_bytes_per_key", cache_per_key),
            ("audit_bytes_per_key", audit_per_key),
            ("store_bytes_per_key", store_per_key),
            ("rss_total_kib", cached),
        ]),
    );
    Ok(())
}

/// Rows 6 and 6b: a revocation approved, and a suspension (one person, one call), on process A, each
/// polled on process B until B refuses the key.
pub fn revocation(s: &Settings, stack: &Stack, report: &mut Report) -> Result<(), String> {
    let b = s.keygated("keygated-postgres-b", Some(&stack.db.url()), false)?;
    let stopped = |mode: &str, tenant: &str| {
        let (a_url, b_url) = (stack.postgres.url(), b.url());
        let args =
            ["revocation", "--a", &a_url, "--b", &b_url, "--admin", &s.admin, "--keys", "100", "--max-seconds", "35"];
        let args: Vec<&str> = args.into_iter().chain(["--mode", mode, "--tenant", tenant]).collect();
        s.client(mode, &args, Duration::from_secs(600))
    };
    let line = stopped("revoke", "revocations")?;
    let suspended = stopped("suspend", "suspensions")?;
    drop(b);
    println!("revocation: {line}");
    println!("suspension: {suspended}");
    let (p50, p99, max, missed) =
        (field(&line, "p50_ms")?, field(&line, "p99_ms")?, field(&line, "max_ms")?, field(&line, "missed")?);
    report.row(
        Row::new(
            "6",
            "Revocation propagation: 100 revocations approved on process A, polled on process B (same database)",
        )
        .measured(format!(
            "from sending the approval until B refuses: p50 **{p50:.1} ms**, p99 **{p99:.1} ms**, max {max:.1} ms; \
                 {missed:.0} not refused within 35 s ({line})"
        ))
        .target("p99 < 1 s, max < cache TTL (30 s)".to_owned(), p99 < 1000.0 && max < 30_000.0 && missed == 0.0)
        .figures(&[("p50_ms", p50), ("p99_ms", p99), ("max_ms", max), ("missed", missed)]),
    );
    let (p50, p99, max, missed) = (
        field(&suspended, "p50_ms")?,
        field(&suspended, "p99_ms")?,
        field(&suspended, "max_ms")?,
        field(&suspended, "missed")?,
    );
    report.row(
        Row::new(
            "6b",
            "Suspension propagation: 100 suspensions (one call by one checker) on process A, polled on process B",
        )
        .measured(format!(
            "from sending the suspension until B refuses it as SUSPENDED: p50 **{p50:.1} ms**, p99 **{p99:.1} ms**, \
                 max {max:.1} ms; {missed:.0} not refused within 35 s ({suspended})"
        ))
        .target("p99 < 100 ms".to_owned(), p99 < 100.0 && missed == 0.0)
        .figures(&[("p50_ms", p50), ("p99_ms", p99), ("max_ms", max), ("missed", missed)]),
    );
    Ok(())
}

fn wallet_server(s: &Settings, name: &str, unprotected: bool) -> Result<Server, String> {
    let port = proc::free_port()?;
    let mut cmd = proc::pinned(s.server_cpu.as_deref(), &s.bin("wallet-api"));
    cmd.env("WALLET_LISTEN", format!("127.0.0.1:{port}")).env_remove("KEYGATE_DATABASE_URL").env_remove("RUST_LOG");
    if unprotected {
        cmd.env("WALLET_UNPROTECTED", "1");
    }
    s.note(name, &cmd);
    Server::start(name, cmd, port, &s.logs, Duration::from_secs(30))
}

pub fn wallet(s: &Settings, report: &mut Report) -> Result<(), String> {
    let protected = wallet_server(s, "wallet-protected", false)?;
    let open = wallet_server(s, "wallet-unprotected", true)?;
    let mut token = String::new();
    for _ in 0..100 {
        if let Some(found) =
            protected.output().lines().find_map(|l| l.split_once("(shown once): ").map(|(_, t)| t.trim().to_owned()))
        {
            token = found;
            break;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    if token.is_empty() {
        return Err("wallet-api printed no demo token".into());
    }
    let path = "/api/v1/distributors/demo/balance";
    // Both get the same request, `Authorization` header included: the row measures the middleware, not
    // actix-web parsing and copying a header only one side is sent.
    let args = [path, token.as_str()];
    wrk(s, "warmup-wallet-protected", &protected.url(), "wallet.lua", &args, s.warmup)?;
    wrk(s, "warmup-wallet-unprotected", &open.url(), "wallet.lua", &args, s.warmup)?;
    let (mut with, mut without) = (Vec::new(), Vec::new());
    for round in 0..s.runs {
        // Alternate which goes first, so a load that drifts within a round favours neither.
        let mut pair = [("unprotected", &open), ("protected", &protected)];
        if round % 2 == 1 {
            pair.reverse();
        }
        for (name, server) in &pair {
            let run = wrk_on(s, &format!("wallet-{name}-{round}"), server, "wallet.lua", &args, s.duration)?;
            if *name == "protected" {
                with.push(run);
            } else {
                without.push(run);
            }
        }
        println!("round {round}: unprotected {:.0} req/s | protected {:.0} req/s", without[round].rps, with[round].rps);
    }
    let rps = |runs: &[super::load::Wrk]| runs.iter().map(|w| w.rps).collect::<Vec<_>>();
    let cpu = |runs: &[super::load::Wrk]| runs.iter().map(|w| w.cpu_us).collect::<Vec<_>>();
    let cost = 1.0 - paired_ratio(&rps(&with), &rps(&without));
    let cpu_cost = 1.0 - paired_ratio(&cpu(&without), &cpu(&with));
    let (with, without) = (median_wrk(&with), median_wrk(&without));
    let clean = with.errors + with.non2xx + without.errors + without.non2xx < 0.5;
    report.row(
        Row::new(
            "5",
            "wallet-api `GET /api/v1/distributors/{id}/balance`, with `RequireScope` vs the same route without it \
             (the same request to both, its `Authorization: Bearer` header included)",
        )
        .floor(format!(
            "unprotected: {:.0} req/s, p99 {}, server CPU {:.1} µs/request",
            without.rps,
            ms(without.p99_us),
            without.cpu_us
        ))
        .measured(format!(
            "protected: {:.0} req/s, p99 {}, server CPU {:.1} µs/request: the middleware costs **{}** of throughput \
             (median of the rounds' paired ratios) and **{}** in server CPU per request",
            with.rps,
            ms(with.p99_us),
            with.cpu_us,
            pct(cost),
            pct(cpu_cost)
        ))
        .target(
            format!(
                "< {} of throughput (and of CPU per request, which background load disturbs less)",
                pct(WALLET_COST_TARGET)
            ),
            cost < WALLET_COST_TARGET && cpu_cost < WALLET_COST_TARGET && clean,
        )
        .figures(&[
            ("protected_rps", with.rps),
            ("unprotected_rps", without.rps),
            ("cost", cost),
            ("cpu_cost", cpu_cost),
            ("protected_cpu_us", with.cpu_us),
            ("unprotected_cpu_us", without.cpu_us),
            ("protected_p99_us", with.p99_us),
        ]),
    );
    Ok(())
}
