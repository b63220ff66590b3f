//! Row 3c: what the request log costs row 3's verify. Two keygated processes on the stack's PostgreSQL
//! database (its keys, its service credential), one with the request log on (the default) and one with
//! `KEYGATE_REQUEST_LOG=false`, asked in turn with the same tokens, so the comparison holds nothing but
//! the log. Once at full load (wrk at the run's connections, as fast as the servers answer) and once at
//! half load: `bench-client paced` offering half the no-log process's full-load rate, open loop (wrk
//! at half the connections would still saturate a one-worker server, so it is not half load). The
//! lines dropped (`keygate_request_log_dropped_total`) and written are read from the logging process's
//! `/metrics`.
//! The stack's own servers run with the log off, so rows 2 and 3 stay comparable with earlier runs.
//! PostgreSQL shares the machine's cores, so the CPU its backends spend for the run's database (the
//! inserts, their indexes and WAL records) is measured per request beside keygated's.

use std::time::Duration;

use super::http::metric;
use super::load::{median_wrk, paired_ratio, wrk_on_with, Wrk};
use super::pg::{BenchDb, SETTLE};
use super::proc::{self, cpu_seconds, field, output, Server};
use super::report::{ms, pct, Report, Row};
use super::stack::Stack;
use super::Settings;

/// The most the log may cost at half load (of throughput), with no line dropped.
const TARGET: f64 = 0.10;

fn describe(w: &Wrk) -> String {
    format!("{:.0} req/s, p50 {}, p99 {}, server CPU {:.1} µs/request", w.rps, ms(w.p50_us), ms(w.p99_us), w.cpu_us)
}

/// The processes of PostgreSQL that work for `db`: its backends but the asking one. The WAL writer,
/// checkpointer and background writer are left out: they serve every database of the server, and on a
/// shared machine another's work would be counted.
fn pg_pids(db: &BenchDb) -> Result<Vec<u32>, String> {
    let text =
        db.query("SELECT pid FROM pg_stat_activity WHERE pid <> pg_backend_pid() AND datname = current_database()")?;
    text.lines().map(|l| l.trim().parse().map_err(|_| format!("unexpected pid {l:?}"))).collect()
}

/// `measure()`, also answering the CPU seconds PostgreSQL's processes spent for `db` meanwhile (a
/// backend that ends during it takes its share along: pools keep theirs).
fn with_pg_cpu<T>(db: &BenchDb, measure: impl FnOnce() -> Result<T, String>) -> Result<(T, f64), String> {
    let before = pg_pids(db)?;
    let used_before: f64 = before.iter().map(|&pid| cpu_seconds(pid)).sum();
    let out = measure()?;
    let mut pids = pg_pids(db)?;
    pids.extend(before);
    pids.sort_unstable();
    pids.dedup();
    Ok((out, pids.iter().map(|&pid| cpu_seconds(pid)).sum::<f64>() - used_before))
}

/// One load level: rounds alternating which process goes first; the medians, the paired throughput
/// cost and CPU cost, and the lines the logging process dropped meanwhile.
struct Level {
    on: Wrk,
    off: Wrk,
    cost: f64,
    cpu_cost: f64,
    dropped: f64,
    /// PostgreSQL's CPU per request, medians, in microseconds: with the log on, and off.
    pg_on_us: f64,
    pg_off_us: f64,
    /// How much more CPU keygated and PostgreSQL together spend per request with the log on (paired).
    total_cpu_cost: f64,
}

fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    values.get(values.len() / 2).copied().unwrap_or(f64::NAN)
}

/// `bench-client paced` against `server` at `rate` for the run's duration, as a [`Wrk`] (the server's
/// CPU per request measured around it, as [`super::load::wrk_on`] does).
fn paced(s: &Settings, label: &str, server: &Server, tokens: &str, rate: f64) -> Result<Wrk, String> {
    let mut cmd = proc::pinned(s.load_cpu.as_deref(), &s.bin("bench-client"));
    let (rate, seconds, connections) = (format!("{rate:.0}"), s.duration.to_string(), s.connections.to_string());
    cmd.args(["paced", "--base", &server.url(), "--tokens", tokens, "--rate", &rate, "--seconds", &seconds]);
    cmd.args(["--connections", &connections]);
    s.note(label, &cmd);
    let before = cpu_seconds(server.pid());
    let line = output(&mut cmd, label, &s.logs, Duration::from_secs(s.duration + 60))?;
    let used = cpu_seconds(server.pid()) - before;
    let requests = field(&line, "requests")?;
    Ok(Wrk {
        rps: field(&line, "achieved")?,
        p50_us: field(&line, "p50_us")?,
        p99_us: field(&line, "p99_us")?,
        max_us: field(&line, "max_us")?,
        requests,
        errors: field(&line, "errors")?,
        non2xx: field(&line, "non2xx")?,
        valid: None,
        cpu_us: if requests > 0.0 { used * 1e6 / requests } else { f64::NAN },
    })
}

/// One load level: `load(server, label)` on each process in turn, `s.runs` rounds.
fn level(
    s: &Settings,
    db: &BenchDb,
    servers: [&Server; 2],
    what: &str,
    load: impl Fn(&Server, &str) -> Result<Wrk, String>,
) -> Result<Level, String> {
    let [on_server, off_server] = servers;
    let dropped_before = metric(on_server.port, "keygate_request_log_dropped_total")?;
    let (mut on, mut off) = (Vec::new(), Vec::new());
    let (mut pg_on, mut pg_off) = (Vec::new(), Vec::new());
    for round in 0..s.runs {
        let mut pair = [("on", on_server), ("off", off_server)];
        if round % 2 == 1 {
            pair.reverse();
        }
        for (name, server) in pair {
            let label = format!("request-log-{name}-{what}-{round}");
            let (run, pg) = with_pg_cpu(db, || load(server, &label))?;
            let pg_us = if run.requests > 0.0 { pg * 1e6 / run.requests } else { f64::NAN };
            if name == "on" {
                on.push(run);
                pg_on.push(pg_us);
            } else {
                off.push(run);
                pg_off.push(pg_us);
            }
        }
        println!(
            "round {round} at {what}: on {}, PostgreSQL {:.1} µs/request | off {}, PostgreSQL {:.1} µs/request",
            describe(&on[round]),
            pg_on[round],
            describe(&off[round]),
            pg_off[round]
        );
    }
    // The last lines leave within the flush interval.
    std::thread::sleep(SETTLE);
    let dropped = metric(on_server.port, "keygate_request_log_dropped_total")? - dropped_before;
    let rps = |runs: &[Wrk]| runs.iter().map(|w| w.rps).collect::<Vec<_>>();
    let cpu = |runs: &[Wrk]| runs.iter().map(|w| w.cpu_us).collect::<Vec<_>>();
    let total = |runs: &[Wrk], pg: &[f64]| runs.iter().zip(pg).map(|(w, p)| w.cpu_us + p).collect::<Vec<_>>();
    let total_cpu_cost = paired_ratio(&total(&on, &pg_on), &total(&off, &pg_off)) - 1.0;
    Ok(Level {
        cost: 1.0 - paired_ratio(&rps(&on), &rps(&off)),
        cpu_cost: paired_ratio(&cpu(&on), &cpu(&off)) - 1.0,
        on: median_wrk(&on),
        off: median_wrk(&off),
        dropped,
        pg_on_us: median(pg_on),
        pg_off_us: median(pg_off),
        total_cpu_cost,
    })
}

pub fn row(s: &Settings, stack: &Stack, report: &mut Report) -> Result<(), String> {
    let db = stack.db.url();
    let on_server = s.keygated_with("keygated-postgres-log-on", Some(&db), true, &[("KEYGATE_REQUEST_LOG", "true")])?;
    let off_server =
        s.keygated_with("keygated-postgres-log-off", Some(&db), true, &[("KEYGATE_REQUEST_LOG", "false")])?;
    let tokens = stack.postgres_dir.join("tokens.txt").display().to_string();
    for server in [&on_server, &off_server] {
        let line = s.client(
            &format!("warm-log-{}", server.port),
            &["warm", "--base", &server.url(), "--tokens", &tokens],
            Duration::from_secs(300),
        )?;
        println!("warm {}: {line}", server.port);
        wrk_on_with(
            s,
            &format!("warmup-log-{}", server.port),
            server,
            ("verify.lua", &[&tokens]),
            s.warmup,
            s.connections,
        )?;
    }
    let servers = [&on_server, &off_server];
    let full = level(s, &stack.db, servers, "full load", |server, label| {
        wrk_on_with(s, label, server, ("verify.lua", &[&tokens]), s.duration, s.connections)
    })?;
    // Half of what the process without the log answers at full load, offered at a fixed rate.
    let half_rate = (full.off.rps / 2.0).max(1.0);
    let light = level(s, &stack.db, servers, "half load", |server, label| paced(s, label, server, &tokens, half_rate))?;
    let written = metric(on_server.port, "keygate_request_log_written_total")?;
    let clean = [&full.on, &full.off, &light.on, &light.off].iter().all(|w| w.errors + w.non2xx < 0.5);
    report.row(
        Row::new(
            "3c",
            &format!(
                "Request logging on row 3's verify: `POST /v1/verify`, PostgreSQL store, cache warm, {} random keys, \
                 the request log on (default) vs `KEYGATE_REQUEST_LOG=false`, two keygated on one database asked \
                 in turn: full load (wrk, {} connections) and half load (`bench-client paced`, open loop, \
                 {half_rate:.0} req/s = half the no-log full-load rate, at most {} in flight)",
                s.keys, s.connections, s.connections
            ),
        )
        .floor(format!("off: {} (full), {} (half)", describe(&full.off), describe(&light.off)))
        .measured(format!(
            "on, full load: {}: logging costs **{}** of throughput and {} more CPU per request, **{:.0} lines \
             dropped**; half load: {}: **{}** of throughput, {} CPU, {:.0} dropped; {written:.0} lines written; \
             PostgreSQL CPU per request on vs off: {:.1} vs {:.1} µs (full), {:.1} vs {:.1} µs (half); keygated and \
             PostgreSQL together: {} more CPU per request (full), {} (half)",
            describe(&full.on),
            pct(full.cost),
            pct(full.cpu_cost),
            full.dropped,
            describe(&light.on),
            pct(light.cost),
            pct(light.cpu_cost),
            light.dropped,
            full.pg_on_us,
            full.pg_off_us,
            light.pg_on_us,
            light.pg_off_us,
            pct(full.total_cpu_cost),
            pct(light.total_cpu_cost),
        ))
        .target(
            format!("≤ {} of throughput at half load, 0 lines dropped there", pct(TARGET)),
            light.cost <= TARGET && light.dropped < 0.5 && clean,
        )
        .figures(&[
            ("full_on_rps", full.on.rps),
            ("full_off_rps", full.off.rps),
            ("full_cost", full.cost),
            ("full_cpu_cost", full.cpu_cost),
            ("full_dropped", full.dropped),
            ("full_on_p99_us", full.on.p99_us),
            ("full_pg_on_cpu_us", full.pg_on_us),
            ("full_pg_off_cpu_us", full.pg_off_us),
            ("half_on_rps", light.on.rps),
            ("half_off_rps", light.off.rps),
            ("half_cost", light.cost),
            ("half_cpu_cost", light.cpu_cost),
            ("half_dropped", light.dropped),
            ("half_on_p99_us", light.on.p99_us),
            ("half_pg_on_cpu_us", light.pg_on_us),
            ("half_pg_off_cpu_us", light.pg_off_us),
            ("half_rate", half_rate),
            ("full_total_cpu_cost", full.total_cpu_cost),
            ("half_total_cpu_cost", light.total_cpu_cost),
            ("lines_written", written),
        ]),
    );
    Ok(())
}
