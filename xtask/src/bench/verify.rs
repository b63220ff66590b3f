//! Rows 1, 2, 3 and 7: `POST /v1/verify` of random keys on the floor, on keygated in memory and on
//! keygated over PostgreSQL with a warm cache (with PostgreSQL's transaction counter read around it),
//! then garbage: bad checksums (which must reach no store at all), unknown ids and wrong secrets (which
//! must cost the same). Floor and subjects run in turn within each round, so drifting background load
//! falls on all of them alike. Row 2b: what the service credential costs that plain verify.

use std::fmt::Write as _;
use std::time::Duration;

use super::load::{median_wrk, paired_ratio, wrk, wrk_on, Wrk};
use super::pg::SETTLE;
use super::proc::field;
use super::report::{ms, pct, Report, Row};
use super::stack::Stack;
use super::{profile, Settings};

/// Row 2's throughput target (share of the floor's) and rows 2 and 3's latency bound.
const THROUGHPUT_TARGET: f64 = 0.80;
const P99_TARGET_US: f64 = 2000.0;
/// Row 3's target: PostgreSQL with a warm cache against row 2 (memory), paired by round. A warm cache
/// makes no store round trip on the request path, so it should cost what memory costs.
const WARM_TARGET: f64 = 0.95;
/// Row 2b: the most service authentication may cost the plain verify (of throughput and of server CPU
/// per request).
const SERVICE_AUTH_TARGET: f64 = 0.05;

pub(super) fn warm(s: &Settings, label: &str, base: &str, file: &str) -> Result<(), String> {
    let line = s.client(label, &["warm", "--base", base, "--tokens", file], Duration::from_secs(300))?;
    println!("{label}: {line}");
    Ok(())
}

pub(super) fn describe(w: &Wrk) -> String {
    let cpu = if w.cpu_us.is_nan() { String::new() } else { format!(", server CPU {:.1} µs/request", w.cpu_us) };
    format!("{:.0} req/s, p50 {}, p99 {}{cpu}", w.rps, ms(w.p50_us), ms(w.p99_us))
}

// One measurement sequence, read top to bottom: warm, settle, rounds, settle, rows.
#[allow(clippy::too_many_lines)]
pub fn rows(s: &Settings, stack: &Stack, report: &mut Report) -> Result<(), String> {
    let mem_tokens = stack.memory_dir.join("tokens.txt").display().to_string();
    let pg_file = |name: &str| stack.postgres_dir.join(name).display().to_string();
    let pg_tokens = pg_file("tokens.txt");
    let (floor, memory, postgres) = (stack.floor.url(), stack.memory.url(), stack.postgres.url());

    warm(s, "warm-memory", &memory, &mem_tokens)?;
    warm(s, "warm-postgres", &postgres, &pg_tokens)?;
    for (label, url, tokens) in
        [("floor", &floor, &mem_tokens), ("memory", &memory, &mem_tokens), ("postgres", &postgres, &pg_tokens)]
    {
        wrk(s, &format!("warmup-{label}"), url, "verify.lua", &[tokens], s.warmup)?;
    }
    std::thread::sleep(SETTLE);
    let before = stack.db.transactions()?;
    let window = std::time::Instant::now();
    let (mut f, mut m, mut p) = (Vec::new(), Vec::new(), Vec::new());
    for round in 0..s.runs {
        f.push(wrk_on(s, &format!("floor-{round}"), &stack.floor, "verify.lua", &[&mem_tokens], s.duration)?);
        m.push(wrk_on(s, &format!("memory-{round}"), &stack.memory, "verify.lua", &[&mem_tokens], s.duration)?);
        p.push(wrk_on(s, &format!("postgres-{round}"), &stack.postgres, "verify.lua", &[&pg_tokens], s.duration)?);
        println!(
            "round {round}: floor {} | memory {} | postgres {}",
            describe(&f[round]),
            describe(&m[round]),
            describe(&p[round])
        );
    }
    std::thread::sleep(SETTLE);
    let after = stack.db.transactions()?;
    let window = window.elapsed().as_secs_f64();
    let rps = |runs: &[Wrk]| runs.iter().map(|w| w.rps).collect::<Vec<_>>();
    let cpu = |runs: &[Wrk]| runs.iter().map(|w| w.cpu_us).collect::<Vec<_>>();
    let ratios = [
        (paired_ratio(&rps(&m), &rps(&f)), paired_ratio(&cpu(&m), &cpu(&f))),
        (paired_ratio(&rps(&p), &rps(&f)), paired_ratio(&cpu(&p), &cpu(&f))),
    ];
    let warm_ratio = paired_ratio(&rps(&p), &rps(&m));
    let (f, m, p) = (median_wrk(&f), median_wrk(&m), median_wrk(&p));
    #[allow(clippy::cast_precision_loss)]
    let (transactions, keys) = ((after - before) as f64, s.keys as f64);
    let per_request = transactions / p.requests.max(1.0);
    // What a cache that never asks per request still costs: each key read again once per TTL (30 s)
    // in which it is used (ahead of expiry, in the background), and one usage flush per 5 s.
    let refresh_bound = keys * (window / 30.0).ceil() + window / 5.0;

    report.row(
        Row::new("1", "Floor: bare actix-web answering keygated's verdict JSON, no work")
            .measured(describe(&f))
            .figures(&[
                ("rps", f.rps),
                ("p50_us", f.p50_us),
                ("p99_us", f.p99_us),
                ("errors", f.errors),
                ("server_cpu_us_per_request", f.cpu_us),
            ]),
    );
    for ((id, title, w, extra), (ratio, cpu_ratio)) in [
        (
            "2",
            format!("`POST /v1/verify`, in-memory store, {} random active keys, no amount", s.keys),
            &m,
            String::new(),
        ),
        (
            "3",
            format!("`POST /v1/verify`, PostgreSQL store, cache warm, {} random keys, no amount", s.keys),
            &p,
            format!(
                "; **{} of row 2** (memory, median of the rounds' paired ratios); {transactions:.0} PostgreSQL \
                 transactions in {window:.0} s for {:.0} requests = {per_request:.4} per request, {:.1} per key (TTL \
                 renewals and usage flushes)",
                pct(warm_ratio),
                p.requests,
                transactions / keys
            ),
        ),
    ]
    .into_iter()
    .zip(ratios)
    {
        let clean = w.p99_us < P99_TARGET_US && w.errors + w.non2xx < 0.5;
        let mut met = ratio >= THROUGHPUT_TARGET && clean;
        let mut target = format!("≥ {} of floor, p99 < {}", pct(THROUGHPUT_TARGET), ms(P99_TARGET_US));
        if id == "3" {
            // No round trip per request: what remains is cache renewals once per TTL and usage flushes.
            met = warm_ratio >= WARM_TARGET && clean && transactions <= refresh_bound;
            target = format!(
                "≥ {} of row 2 (memory), paired by round, p99 < {}; no DB round trip per request: at most one \
                 refresh per key per TTL and one usage flush per 5 s (≤ {refresh_bound:.0} transactions here)",
                pct(WARM_TARGET),
                ms(P99_TARGET_US)
            );
        }
        let mut figures = vec![
            ("rps", w.rps),
            ("ratio", ratio),
            ("p50_us", w.p50_us),
            ("p99_us", w.p99_us),
            ("errors", w.errors + w.non2xx),
            ("server_cpu_us_per_request", w.cpu_us),
            ("floor_cpu_us_per_request", f.cpu_us),
        ];
        if id == "3" {
            figures.extend([
                ("transactions", transactions),
                ("transactions_per_request", per_request),
                ("ratio_to_memory", warm_ratio),
            ]);
        }
        report.row(
            Row::new(id, &title)
                .floor(format!("{:.0} req/s", f.rps))
                .measured(format!(
                    "{} = **{} of floor** (CPU per request: {:.1}x the floor's){extra}",
                    describe(w),
                    pct(ratio),
                    cpu_ratio
                ))
                .target(target, met)
                .figures(&figures),
        );
    }
    // After row 7, whose PostgreSQL transactions are counted from `after`.
    garbage(s, stack, report, after)?;
    if s.profile {
        let args = [mem_tokens.as_str()];
        profile::record(s, report, "row 1, the floor", &stack.floor, &floor, "verify.lua", &args)?;
        profile::record(s, report, "row 2, keygated in memory", &stack.memory, &memory, "verify.lua", &args)?;
        // Row 7's rounds outlasted the valid keys' TTL: warm them again, as row 3 measured them.
        warm(s, "warm-postgres-again", &postgres, &pg_tokens)?;
        let args = [pg_tokens.as_str()];
        let title = "row 3, keygated on PostgreSQL, cache warm";
        profile::record(s, report, title, &stack.postgres, &postgres, "verify.lua", &args)?;
    }
    Ok(())
}

/// Row 7.
fn garbage(s: &Settings, stack: &Stack, report: &mut Report, settled: u64) -> Result<(), String> {
    let pg_file = |name: &str| stack.postgres_dir.join(name).display().to_string();
    let postgres = stack.postgres.url();
    let bad_file = pg_file("bad_checksum.txt");
    let mut bad = Vec::new();
    for round in 0..s.runs {
        bad.push(wrk_on(s, &format!("bad-checksum-{round}"), &stack.postgres, "verify.lua", &[&bad_file], s.duration)?);
    }
    std::thread::sleep(SETTLE);
    let bad_transactions = stack.db.transactions()? - settled;
    #[allow(clippy::cast_precision_loss)]
    let bad_transactions_f = bad_transactions as f64;
    let bad = median_wrk(&bad);

    let (unknown_file, wrong_file) = (pg_file("unknown_id.txt"), pg_file("wrong_secret.txt"));
    warm(s, "warm-unknown", &postgres, &unknown_file)?;
    warm(s, "warm-wrong", &postgres, &wrong_file)?;
    let (mut unknown, mut wrong) = (Vec::new(), Vec::new());
    for round in 0..s.runs {
        unknown.push(wrk_on(
            s,
            &format!("unknown-id-{round}"),
            &stack.postgres,
            "verify.lua",
            &[&unknown_file],
            s.duration,
        )?);
        wrong.push(wrk_on(
            s,
            &format!("wrong-secret-{round}"),
            &stack.postgres,
            "verify.lua",
            &[&wrong_file],
            s.duration,
        )?);
    }
    let (unknown, wrong) = (median_wrk(&unknown), median_wrk(&wrong));
    // Equal cost is judged where background load cannot tell the two apart: one connection sending
    // an unknown id and a wrong secret in turn, each request timed; and in process (no HTTP). Both
    // files are warmed again first, so both kinds are in the same cache state (an answer, positive or
    // negative, is read again from PostgreSQL once its TTL runs out).
    warm(s, "rewarm-unknown", &postgres, &unknown_file)?;
    warm(s, "rewarm-wrong", &postgres, &wrong_file)?;
    let pairs = s.client(
        "alternate",
        &["alternate", "--base", &postgres, "--first", &unknown_file, "--second", &wrong_file, "--requests", "10000"],
        Duration::from_secs(120),
    )?;
    let (u50, w50) = (field(&pairs, "first_p50_us")?, field(&pairs, "second_p50_us")?);
    let (umean, wmean) = (field(&pairs, "first_mean_us")?, field(&pairs, "second_mean_us")?);
    let http_gap = (u50 - w50).abs() / w50;
    let mean_gap = (umean - wmean).abs() / wmean;
    let mut measured = format!(
        "bad checksum: {}, **{bad_transactions} PostgreSQL transactions** in {:.0} requests; \
         unknown id under load: {}; wrong secret under load: {}; \
         alternating on one connection ({} pairs): unknown id p50 {u50:.0} µs / mean {umean:.0} µs, \
         wrong secret p50 {w50:.0} µs / mean {wmean:.0} µs (p50 differs by {}, mean by {})",
        describe(&bad),
        bad.requests,
        describe(&unknown),
        describe(&wrong),
        field(&pairs, "pairs")?,
        pct(http_gap),
        pct(mean_gap)
    );
    let mut figures = vec![
        ("bad_checksum_rps", bad.rps),
        ("bad_checksum_p50_us", bad.p50_us),
        ("bad_checksum_transactions", bad_transactions_f),
        ("unknown_id_rps", unknown.rps),
        ("unknown_id_p50_us", unknown.p50_us),
        ("unknown_id_cpu_us", unknown.cpu_us),
        ("wrong_secret_rps", wrong.rps),
        ("wrong_secret_p50_us", wrong.p50_us),
        ("wrong_secret_cpu_us", wrong.cpu_us),
        ("alternating_unknown_id_p50_us", u50),
        ("alternating_wrong_secret_p50_us", w50),
        ("alternating_unknown_id_mean_us", umean),
        ("alternating_wrong_secret_mean_us", wmean),
    ];
    let mut equal = http_gap <= 0.10 && mean_gap <= 0.10;
    if let Some(line) = &report.timing {
        let (u, w) = (field(line, "unknown_id_ns")?, field(line, "wrong_secret_ns")?);
        let gap = (u - w).abs() / w;
        let _ = write!(measured, "; in process: unknown id {u:.0} ns, wrong secret {w:.0} ns (differ by {})", pct(gap));
        figures.extend([("in_process_unknown_id_ns", u), ("in_process_wrong_secret_ns", w)]);
        equal &= gap <= 0.10;
    }
    report.row(
        Row::new("7", "Garbage on the PostgreSQL keygated: bad checksum, unknown id, wrong secret for a known id")
            .measured(measured)
            .target(
                "bad checksum: 0 store access; unknown id costs what a wrong secret costs (alternating HTTP p50 \
                 and mean, and in process, within 10%)"
                    .to_owned(),
                bad_transactions == 0 && equal,
            )
            .figures(&figures),
    );
    Ok(())
}

/// Row 2b: row 2's plain verify on one in-memory keygated run with `KEYGATE_VERIFY_AUTH=none`, asked in
/// turn with the service credential (`Authorization: Bearer`, authenticated exactly as under `required`,
/// the default: the setting only decides what happens to a request without one) and without it. One
/// process answers both, so the comparison holds nothing but the credential: not another store's
/// layout, nor another process's placement. The cost is a few percent, so it takes three times the
/// run's rounds to rise above background load. Beside it, the in-process cost of authentication
/// (`bench-client timing`) as a share of the same plain verify's server CPU per request.
#[allow(clippy::too_many_lines)]
pub fn service_auth(s: &Settings, report: &mut Report) -> Result<(), String> {
    let server = s.keygated_with("keygated-memory-noauth", None, true, &[("KEYGATE_VERIFY_AUTH", "none")])?;
    let url = server.url();
    let dir = s.out.join("memory-noauth");
    let keys = s.keys.to_string();
    let dir_text = dir.display().to_string();
    let seeded = s.client(
        "seed-noauth",
        &["seed", "--base", &url, "--admin", &s.admin, "--tenant", "bench", "--keys", &keys, "--out", &dir_text],
        Duration::from_secs(600),
    )?;
    println!("seeding {} keys in memory (no service required): {seeded}", s.keys);
    // verify.lua presents the service credential written beside the tokens: the same tokens where
    // there is none are asked without.
    let with_service = dir.join("tokens.txt");
    let anonymous = dir.join("anonymous");
    std::fs::create_dir_all(&anonymous).map_err(|e| format!("cannot create {}: {e}", anonymous.display()))?;
    std::fs::copy(&with_service, anonymous.join("tokens.txt")).map_err(|e| format!("cannot copy the tokens: {e}"))?;
    let with_service = with_service.display().to_string();
    let anonymous = anonymous.join("tokens.txt").display().to_string();

    warm(s, "warm-noauth", &url, &with_service)?;
    wrk(s, "warmup-service", &url, "verify.lua", &[&with_service], s.warmup)?;
    wrk(s, "warmup-anonymous", &url, "verify.lua", &[&anonymous], s.warmup)?;
    let (mut with, mut without) = (Vec::new(), Vec::new());
    for round in 0..3 * s.runs {
        // Alternate which goes first, so a load that drifts within a round favours neither.
        let mut pair = [("anonymous", &anonymous), ("service", &with_service)];
        if round % 2 == 1 {
            pair.reverse();
        }
        for (name, tokens) in pair {
            let run = wrk_on(s, &format!("verify-{name}-{round}"), &server, "verify.lua", &[tokens], s.duration)?;
            if name == "service" {
                with.push(run);
            } else {
                without.push(run);
            }
        }
        println!(
            "round {round}: without {} | with the service credential {}",
            describe(&without[round]),
            describe(&with[round])
        );
    }
    drop(server);
    let rps = |runs: &[Wrk]| runs.iter().map(|w| w.rps).collect::<Vec<_>>();
    let cpu = |runs: &[Wrk]| runs.iter().map(|w| w.cpu_us).collect::<Vec<_>>();
    let cost = 1.0 - paired_ratio(&rps(&with), &rps(&without));
    let cpu_cost = paired_ratio(&cpu(&with), &cpu(&without)) - 1.0;
    let (with, without) = (median_wrk(&with), median_wrk(&without));
    // A refused credential would be a 401: every answer must be a 200.
    let clean = with.errors + with.non2xx + without.errors + without.non2xx < 0.5;
    let mut figures = vec![
        ("service_rps", with.rps),
        ("anonymous_rps", without.rps),
        ("cost", cost),
        ("cpu_cost", cpu_cost),
        ("service_cpu_us", with.cpu_us),
        ("anonymous_cpu_us", without.cpu_us),
        ("service_p99_us", with.p99_us),
        ("anonymous_p99_us", without.p99_us),
        ("errors", with.errors + with.non2xx + without.errors + without.non2xx),
    ];
    let mut in_process = String::new();
    if let Some(ns) = report.timing.as_deref().and_then(|line| field(line, "service_auth_ns").ok()) {
        let share = ns / (without.cpu_us * 1000.0);
        let _ = write!(
            in_process,
            "; in process, `authenticate_service` takes {ns:.0} ns = {} of the plain verify's server CPU per request",
            pct(share)
        );
        figures.extend([("in_process_service_auth_ns", ns), ("in_process_share", share)]);
    }
    report.row(
        Row::new(
            "2b",
            &format!(
                "Service authentication on row 2's plain verify: `POST /v1/verify` with the service credential \
                 (`Authorization: Bearer`, what `KEYGATE_VERIFY_AUTH=required` asks) vs without (`none`), one \
                 in-memory keygated, {} random keys",
                s.keys
            ),
        )
        .floor(format!("without: {}", describe(&without)))
        .measured(format!(
            "with: {}: authentication costs **{}** of throughput (median of the {} rounds' paired ratios) and **{}** \
             more server CPU per request{in_process}",
            describe(&with),
            pct(cost),
            3 * s.runs,
            pct(cpu_cost)
        ))
        .target(
            format!("≤ {} of throughput and of CPU per request", pct(SERVICE_AUTH_TARGET)),
            cost <= SERVICE_AUTH_TARGET && cpu_cost <= SERVICE_AUTH_TARGET && clean,
        )
        .figures(&figures),
    );
    Ok(())
}
