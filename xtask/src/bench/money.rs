//! Row 4: amount-bearing verification on PostgreSQL (random keys, then one hot key), each beside its
//! floor, pgbench running the same conditional upsert (`xtask/bench/spend.pgbench`, checked against
//! `SPEND` in `crates/keygate-store/src/pg/spend.rs`) with the same concurrency. Afterwards the money
//! adds up: what the store holds as spent equals what keygated acknowledged (its `OK` verdicts), and a
//! key with a small daily volume hammered concurrently is never taken over it.

use std::time::Duration;

use super::http::metric;
use super::load::{median, median_wrk, paired_ratio, pgbench, wrk, wrk_on, PgBench, Wrk};
use super::proc::field;
use super::report::{ms, pct, Report, Row};
use super::stack::Stack;
use super::{profile, Settings};

const AMOUNT: &str = "0.01";
const VOLUME: &str = "100000000000000";
const TARGET: f64 = 0.80;
const OK_SERIES: &str = "keygate_verifications_total{code=\"OK\"}";

/// The spend statement of spend.rs, with Rust's line continuations folded.
fn spend_statement(s: &Settings) -> Result<String, String> {
    let path = s.root.join("crates/keygate-store/src/pg/spend.rs");
    let source = std::fs::read_to_string(&path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    let start =
        source.find("const SPEND: &str = \"").ok_or("no SPEND constant in spend.rs")? + "const SPEND: &str = \"".len();
    let literal = &source[start..start + source[start..].find("\";").ok_or("SPEND is not terminated")?];
    let mut folded = String::new();
    let mut rest = literal;
    while let Some(at) = rest.find("\\\n") {
        folded.push_str(&rest[..at]);
        rest = rest[at + 2..].trim_start();
    }
    folded.push_str(rest);
    Ok(folded)
}

/// Refuses to measure a floor that no longer runs keygate's statement.
fn check_script(s: &Settings) -> Result<(), String> {
    let path = s.scripts.join("spend.pgbench");
    let script = std::fs::read_to_string(&path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    let insert = script.lines().find(|l| l.starts_with("INSERT")).ok_or("no INSERT in spend.pgbench")?;
    let mut as_rust = insert.trim_end_matches(';').to_owned();
    for (pgbench, placeholder) in [
        ("('000' || :key)::text", "$2"),
        (":tenant::text", "$1"),
        (":day::date", "$3"),
        (":amount::numeric", "$4"),
        (":volume::numeric", "$5"),
        (":version::int8", "$6"),
    ] {
        as_rust = as_rust.replace(pgbench, placeholder);
    }
    let spend = spend_statement(s)?;
    let norm = |t: &str| t.split_whitespace().collect::<Vec<_>>().join(" ");
    if norm(&as_rust) == norm(&spend) {
        Ok(())
    } else {
        Err(format!(
            "xtask/bench/spend.pgbench no longer runs SPEND of spend.rs:\n  spend.rs: {spend}\n  pgbench:  {as_rust}"
        ))
    }
}

/// Hundredths of a decimal text (`"12.34"` -> 1234).
fn cents(text: &str) -> Result<i64, String> {
    let value: f64 = text.trim().parse().map_err(|_| format!("not an amount: {text:?}"))?;
    #[allow(clippy::cast_possible_truncation)]
    Ok((value * 100.0).round() as i64)
}

/// One keygated run with the accounting around it.
struct Spent {
    run: Wrk,
    /// `OK` verdicts keygated counted during the run.
    acknowledged: i64,
    /// Spends the store recorded during the run.
    stored: i64,
}

fn measured_run(s: &Settings, stack: &Stack, label: &str, tokens: &str) -> Result<Spent, String> {
    let port = stack.postgres.port;
    let total = || {
        stack
            .db
            .query("SELECT COALESCE(sum(spent), 0) FROM spend_totals WHERE tenant_id = 'bench' AND window_kind = 'day'")
    };
    let (ok0, spent0) = (metric(port, OK_SERIES)?, cents(&total()?)?);
    let run = wrk_on(s, label, &stack.postgres, "verify_counting.lua", &[tokens, AMOUNT, "USD"], s.duration)?;
    // Let requests that were in flight when wrk stopped finish before reading the totals.
    std::thread::sleep(Duration::from_millis(500));
    let (ok1, spent1) = (metric(port, OK_SERIES)?, cents(&total()?)?);
    // One spend is one hundredth (AMOUNT).
    let stored = spent1 - spent0;
    #[allow(clippy::cast_possible_truncation)]
    let acknowledged = (ok1 - ok0).round() as i64;
    Ok(Spent { run, acknowledged, stored })
}

// One measurement sequence, read top to bottom: set-up, rounds, books, rows.
#[allow(clippy::too_many_lines)]
pub fn rows(s: &Settings, stack: &Stack, report: &mut Report) -> Result<(), String> {
    check_script(s)?;
    let day = stack.db.query("SELECT (now() AT TIME ZONE 'UTC')::date")?;
    let versions =
        stack.db.query("SELECT min(version) || ' ' || max(version) FROM keys WHERE tenant_id = 'pgbench'")?;
    let version = match versions.split_whitespace().collect::<Vec<_>>()[..] {
        [low, high] if low == high => low.to_owned(),
        _ => return Err(format!("the pgbench keys do not share one version: {versions:?}")),
    };
    let tokens = stack.postgres_dir.join("tokens.txt");
    let hot = stack.postgres_dir.join("hot.txt");
    let first = std::fs::read_to_string(&tokens).map_err(|e| e.to_string())?.lines().next().unwrap_or("").to_owned();
    std::fs::write(&hot, format!("{first}\n")).map_err(|e| e.to_string())?;
    let (tokens, hot) = (tokens.display().to_string(), hot.display().to_string());
    let script = s.scripts.join("spend.pgbench");
    let keys = s.keys.to_string();
    let defines = |keys: &str| {
        vec![
            ("tenant", "pgbench".to_owned()),
            ("keys", keys.to_owned()),
            ("day", day.clone()),
            ("amount", AMOUNT.to_owned()),
            ("volume", VOLUME.to_owned()),
            ("version", version.clone()),
        ]
    };

    wrk(s, "warmup-amount", &stack.postgres.url(), "verify.lua", &[&tokens, AMOUNT, "USD"], s.warmup)?;
    pgbench(s, "warmup", &stack.db.name, &script, &defines(&keys), s.warmup)?;
    let (mut random, mut hottest, mut floor_random, mut floor_hot): (
        Vec<Spent>,
        Vec<Spent>,
        Vec<PgBench>,
        Vec<PgBench>,
    ) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for round in 0..s.runs {
        random.push(measured_run(s, stack, &format!("amount-random-{round}"), &tokens)?);
        floor_random.push(pgbench(
            s,
            &format!("random-{round}"),
            &stack.db.name,
            &script,
            &defines(&keys),
            s.duration,
        )?);
        hottest.push(measured_run(s, stack, &format!("amount-hot-{round}"), &hot)?);
        floor_hot.push(pgbench(s, &format!("hot-{round}"), &stack.db.name, &script, &defines("1"), s.duration)?);
        println!(
            "round {round}: random {:.0} req/s vs pgbench {:.0} tps | hot {:.0} req/s vs pgbench {:.0} tps",
            random[round].run.rps, floor_random[round].tps, hottest[round].run.rps, floor_hot[round].tps
        );
    }
    if s.profile {
        profile::record(
            s,
            report,
            "row 4a, keygated spending on PostgreSQL",
            &stack.postgres,
            &stack.postgres.url(),
            "verify.lua",
            &[&tokens, AMOUNT, "USD"],
        )?;
    }

    // Zero overspend: every run's stored spends equal keygated's acknowledgements; the client saw at
    // most the connections' worth fewer (requests cut off when wrk stopped).
    let mut books = Vec::new();
    let mut balanced = true;
    for spent in random.iter().chain(&hottest) {
        #[allow(clippy::cast_possible_truncation, clippy::cast_possible_wrap)]
        let client = spent.run.valid.map_or(-1, |v| v.round() as i64);
        #[allow(clippy::cast_possible_wrap)]
        let in_flight_ok = client >= 0 && client <= spent.stored && spent.stored <= client + s.connections as i64;
        balanced &= spent.stored == spent.acknowledged && in_flight_ok && spent.run.errors < 0.5;
        books.push(format!("{}/{}/{client}", spent.stored, spent.acknowledged));
    }
    let tps = |runs: &[PgBench]| runs.iter().map(|p| p.tps).collect::<Vec<_>>();
    let spent_rps = |runs: &[Spent]| runs.iter().map(|x| x.run.rps).collect::<Vec<_>>();
    let random_ratio = paired_ratio(&spent_rps(&random), &tps(&floor_random));
    let hot_ratio = paired_ratio(&spent_rps(&hottest), &tps(&floor_hot));
    let (r, fr) = (
        median_wrk(&random.iter().map(|x| x.run).collect::<Vec<_>>()),
        median(&floor_random.iter().map(|p| p.tps).collect::<Vec<_>>()),
    );
    let (h, fh) = (
        median_wrk(&hottest.iter().map(|x| x.run).collect::<Vec<_>>()),
        median(&floor_hot.iter().map(|p| p.tps).collect::<Vec<_>>()),
    );
    let random_ms = median(&floor_random.iter().map(|p| p.latency_ms).collect::<Vec<_>>());
    let hot_ms = median(&floor_hot.iter().map(|p| p.latency_ms).collect::<Vec<_>>());
    let failed: f64 = floor_random.iter().chain(&floor_hot).map(|p| p.failed).sum();
    report.row(
        Row::new(
            "4a",
            &format!("Amount-bearing `POST /v1/verify` on PostgreSQL, {} random keys (one spend each)", s.keys),
        )
        .floor(format!("pgbench, same upsert, random keys: {fr:.0} tps, mean latency {random_ms:.2} ms"))
        .measured(format!(
            "{:.0} req/s, p50 {}, p99 {} = **{} of pgbench**; books (stored/acknowledged/seen by wrk, per run): {}",
            r.rps,
            ms(r.p50_us),
            ms(r.p99_us),
            pct(random_ratio),
            books[..random.len()].join(", ")
        ))
        .target(
            format!("≥ {} of pgbench; zero overspend", pct(TARGET)),
            random_ratio >= TARGET && balanced && failed == 0.0,
        )
        .figures(&[
            ("rps", r.rps),
            ("pgbench_tps", fr),
            ("ratio", random_ratio),
            ("p50_us", r.p50_us),
            ("p99_us", r.p99_us),
        ]),
    );
    report.row(
        Row::new("4b", "The same on one hot key (every spend on one row)")
            .floor(format!("pgbench, same upsert, one key: {fh:.0} tps, mean latency {hot_ms:.2} ms"))
            .measured(format!(
                "{:.0} req/s, p50 {}, p99 {} = **{} of pgbench**; books: {}",
                h.rps,
                ms(h.p50_us),
                ms(h.p99_us),
                pct(hot_ratio),
                books[random.len()..].join(", ")
            ))
            .target("zero overspend (no throughput target)".to_owned(), balanced)
            .figures(&[
                ("rps", h.rps),
                ("pgbench_tps", fh),
                ("ratio", hot_ratio),
                ("p50_us", h.p50_us),
                ("p99_us", h.p99_us),
            ]),
    );
    report.row(contention(s, stack)?);
    Ok(())
}

/// Row 4c: a key with a small daily volume, spent on concurrently past its limit, is never taken over it.
fn contention(s: &Settings, stack: &Stack) -> Result<Row, String> {
    let check = s.client(
        "spend-check",
        &[
            "spend-check",
            "--base",
            &stack.postgres.url(),
            "--tokens",
            &stack.postgres_dir.join("limited.txt").display().to_string(),
            "--requests",
            "1500",
            "--concurrency",
            &s.connections.to_string(),
            "--amount",
            AMOUNT,
        ],
        Duration::from_secs(300),
    )?;
    let limited = cents(&stack.db.query(
        "SELECT COALESCE(sum(s.spent), 0) FROM spend_totals s JOIN keys k USING (tenant_id, key_id) \
         WHERE k.tenant_id = 'bench' AND k.name = 'limited' AND s.window_kind = 'day'",
    )?)?;
    let acknowledged = field(&check, "acknowledged")?;
    #[allow(clippy::cast_possible_truncation)]
    let exact = limited == acknowledged.round() as i64 && limited == 1000 && field(&check, "other")? < 0.5;
    #[allow(clippy::cast_precision_loss)]
    let stored_cents = limited as f64;

    Ok(Row::new(
        "4c",
        &format!(
            "Daily volume under contention: one key with 10.00 USD a day, 1,500 spends of {AMOUNT} at {} at a time",
            s.connections
        ),
    )
    .measured(format!("{check}; stored spent {}.{:02}", limited / 100, limited % 100))
    .target("exactly 1,000 acknowledged, stored spent = 10.00 = acknowledged".to_owned(), exact)
    .figures(&[("acknowledged", acknowledged), ("stored_cents", stored_cents)]))
}
