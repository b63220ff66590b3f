//! Row 4: amount-bearing verification on PostgreSQL (random keys, one hot key, then random keys with a
//! fresh idempotency key per request), each beside its floor, pgbench running the spend's charge, the
//! same conditional upsert of the day, week and month totals (`xtask/bench/spend.pgbench`, checked
//! against `CHARGE` in `crates/keygate-store/src/pg/totals.rs`) with the same concurrency; then
//! releases, beside pgbench running the release's statements in its one transaction
//! (`xtask/bench/release.pgbench`, checked against `RELEASE` in `spends.rs` and `LOCK` and `GIVE_BACK`
//! in `totals.rs`). Afterwards the money adds up: what the store holds as spent equals what keygated
//! acknowledged (its `OK` verdicts), each idempotency key claimed one spend, each release gave back
//! once, and a key with a small daily volume hammered concurrently is never taken over it.

use std::path::Path;
use std::time::Duration;

use super::http::metric;
use super::load::{median, median_wrk, paired_ratio, pgbench, wrk, wrk_on, PgBench, Wrk};
use super::proc::field;
use super::report::{ms, pct, Report, Row};
use super::stack::Stack;
use super::{profile, Settings};

const AMOUNT: &str = "0.01";
const CURRENCY: &str = "USD";
const VOLUME: &str = "100000000000000";
const TARGET: f64 = 0.80;
/// Row 4b's target: one hot key against pgbench's charge on one row.
const HOT_TARGET: f64 = 0.95;
const OK_SERIES: &str = "keygate_verifications_total{code=\"OK\"}";
/// Spends made for each release run, per second of it and per spend a second row 4a managed (the
/// releases must not run out: the count of real releases shows it if they do).
const RELEASE_MARGIN: f64 = 2.0;
/// A pgbench client's releases of one run are numbered within this stride (see release.pgbench).
const CLIENT_STRIDE: u64 = 100_000_000;

/// The first string literal after `marker` in the workspace file `file`, with Rust's line
/// continuations folded (a backslash at the end of a line drops it and the next line's indentation).
fn literal_after(root: &Path, file: &str, marker: &str) -> Result<String, String> {
    let path = root.join(file);
    let source = std::fs::read_to_string(&path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    let at = source.find(marker).ok_or_else(|| format!("no {marker} in {file}"))?;
    let open = at + source[at..].find('"').ok_or_else(|| format!("no string after {marker} in {file}"))? + 1;
    let literal =
        &source[open..open + source[open..].find('"').ok_or_else(|| format!("{marker} is not terminated"))?];
    let mut folded = String::new();
    let mut rest = literal;
    while let Some(at) = rest.find("\\\n") {
        folded.push_str(&rest[..at]);
        rest = rest[at + 2..].trim_start();
    }
    folded.push_str(rest);
    Ok(folded)
}

/// Checks that the statement of `script` on the line starting with `start`, its pgbench variables
/// spelled back as placeholders (`spellings`, in order), is `rust` (whitespace aside).
fn same_statement(
    script: &str,
    name: &str,
    start: &str,
    spellings: &[(&str, &str)],
    rust: &str,
    origin: &str,
) -> Result<(), String> {
    let line = script.lines().find(|l| l.starts_with(start)).ok_or_else(|| format!("no {start}… in {name}"))?;
    let mut as_rust = line.trim_end().trim_end_matches("\\gset").trim_end().trim_end_matches(';').to_owned();
    for (pgbench, placeholder) in spellings {
        as_rust = as_rust.replace(pgbench, placeholder);
    }
    let norm = |t: &str| t.split_whitespace().collect::<Vec<_>>().join(" ");
    if norm(&as_rust) == norm(rust) {
        Ok(())
    } else {
        Err(format!("xtask/bench/{name} no longer runs {origin}:\n  Rust:    {rust}\n  pgbench: {as_rust}"))
    }
}

const TOTALS: &str = "crates/keygate-store/src/pg/totals.rs";
const SPENDS: &str = "crates/keygate-store/src/pg/spends.rs";

/// Refuses to measure a floor that no longer runs keygate's statements (`root`: the workspace).
fn check_scripts(root: &Path) -> Result<(), String> {
    let read = |name: &str| {
        let path = root.join("xtask/bench").join(name);
        std::fs::read_to_string(&path).map_err(|e| format!("cannot read {}: {e}", path.display()))
    };
    let windows = "ARRAY['day', 'week', 'month']";
    let starts = "ARRAY[:day::date, :week::date, :month::date]";

    let charge = literal_after(root, TOTALS, "const CHARGE: &str")?;
    same_statement(
        &read("spend.pgbench")?,
        "spend.pgbench",
        "WITH w AS",
        &[
            (windows, "$5"),
            (starts, "$6"),
            ("ARRAY[:volume::numeric, NULL, NULL]", "$7"),
            ("('000' || :key)::text", "$2"),
            (":tenant::text", "$1"),
            (":currency::text", "$3"),
            (":amount::numeric", "$4::numeric"),
            (":version::int8", "$8"),
        ],
        &charge,
        "CHARGE of totals.rs",
    )?;

    let release_script = read("release.pgbench")?;
    let release = literal_after(root, SPENDS, "static RELEASE")?
        .replace("{COLUMNS}", &literal_after(root, SPENDS, "const COLUMNS")?);
    same_statement(
        &release_script,
        "release.pgbench",
        "UPDATE spends ",
        &[("('000' || :spend)::text", "$1")],
        &release,
        "RELEASE of spends.rs",
    )?;
    let totals = [
        (windows, "$4"),
        (starts, "$5"),
        (":tenant_id::text", "$1"),
        (":key_id::text", "$2"),
        (":currency::text", "$3"),
        (":amount::numeric", "$6"),
    ];
    for (start, constant) in [("SELECT 1 FROM spend_totals", "LOCK"), ("UPDATE spend_totals", "GIVE_BACK")] {
        let rust = literal_after(root, TOTALS, &format!("const {constant}: &str"))?;
        same_statement(&release_script, "release.pgbench", start, &totals, &rust, &format!("{constant} of totals.rs"))?;
    }
    Ok(())
}

/// Hundredths of a decimal text (`"12.34"` -> 1234).
fn cents(text: &str) -> Result<i64, String> {
    let value: f64 = text.trim().parse().map_err(|_| format!("not an amount: {text:?}"))?;
    #[allow(clippy::cast_possible_truncation)]
    Ok((value * 100.0).round() as i64)
}

/// A count read with psql.
fn count(stack: &Stack, sql: &str) -> Result<i64, String> {
    let text = stack.db.query(sql)?;
    text.trim().parse().map_err(|_| format!("not a count: {text:?}"))
}

/// Hundredths spent in the day windows of the bench tenant's keys.
fn spent_cents(stack: &Stack) -> Result<i64, String> {
    cents(
        &stack.db.query(
            "SELECT COALESCE(sum(spent), 0) FROM spend_totals WHERE tenant_id = 'bench' AND window_kind = 'day'",
        )?,
    )
}

/// One keygated run with the accounting around it.
struct Spent {
    run: Wrk,
    /// `OK` verdicts keygated counted during the run.
    acknowledged: i64,
    /// Spends the store recorded during the run.
    stored: i64,
    /// Idempotency keys the store kept during the run.
    claims: i64,
}

impl Spent {
    /// Zero overspend: the stored spends equal keygated's acknowledgements; the client saw at most the
    /// connections' worth fewer (requests cut off when wrk stopped); no errors.
    fn balanced(&self, s: &Settings) -> bool {
        let client = self.seen();
        #[allow(clippy::cast_possible_wrap)]
        let in_flight_ok = client >= 0 && client <= self.stored && self.stored <= client + s.connections as i64;
        self.stored == self.acknowledged && in_flight_ok && self.run.errors < 0.5
    }

    /// Valid verdicts wrk saw (-1: not counted).
    fn seen(&self) -> i64 {
        #[allow(clippy::cast_possible_truncation)]
        self.run.valid.map_or(-1, |v| v.round() as i64)
    }

    fn books(&self) -> String {
        format!("{}/{}/{}", self.stored, self.acknowledged, self.seen())
    }
}

fn measured_run(s: &Settings, stack: &Stack, label: &str, script: &str, args: &[&str]) -> Result<Spent, String> {
    let port = stack.postgres.port;
    let claims = || count(stack, "SELECT count(*) FROM spend_idempotency WHERE tenant_id = 'bench'");
    let (ok0, spent0, claims0) = (metric(port, OK_SERIES)?, spent_cents(stack)?, claims()?);
    let run = wrk_on(s, label, &stack.postgres, script, args, s.duration)?;
    // Let requests that were in flight when wrk stopped finish before reading the totals.
    std::thread::sleep(Duration::from_millis(500));
    let (ok1, spent1, claims1) = (metric(port, OK_SERIES)?, spent_cents(stack)?, claims()?);
    // One spend is one hundredth (AMOUNT).
    let stored = spent1 - spent0;
    #[allow(clippy::cast_possible_truncation)]
    let acknowledged = (ok1 - ok0).round() as i64;
    Ok(Spent { run, acknowledged, stored, claims: claims1 - claims0 })
}

/// The starts of the day, ISO week and month that contain now, in UTC (the bench tenants' zone).
struct Windows {
    day: String,
    week: String,
    month: String,
}

impl Windows {
    fn now(stack: &Stack) -> Result<Self, String> {
        let text = stack.db.query(
            "SELECT d, date_trunc('week', d)::date, date_trunc('month', d)::date \
             FROM (SELECT (now() AT TIME ZONE 'UTC')::date AS d) AS today",
        )?;
        match text.split('|').map(str::trim).collect::<Vec<_>>()[..] {
            [day, week, month] => Ok(Self { day: day.to_owned(), week: week.to_owned(), month: month.to_owned() }),
            _ => Err(format!("unexpected window starts {text:?}")),
        }
    }
}

// One measurement sequence, read top to bottom: set-up, rounds, books, rows.
#[allow(clippy::too_many_lines)]
pub fn rows(s: &Settings, stack: &Stack, report: &mut Report) -> Result<(), String> {
    check_scripts(&s.root)?;
    let windows = Windows::now(stack)?;
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
            ("currency", CURRENCY.to_owned()),
            ("day", windows.day.clone()),
            ("week", windows.week.clone()),
            ("month", windows.month.clone()),
            ("amount", AMOUNT.to_owned()),
            ("volume", VOLUME.to_owned()),
            ("version", version.clone()),
        ]
    };
    let counting = |tokens: &str| [tokens.to_owned(), AMOUNT.to_owned(), CURRENCY.to_owned()];

    wrk(s, "warmup-amount", &stack.postgres.url(), "verify.lua", &[&tokens, AMOUNT, CURRENCY], s.warmup)?;
    let warm_idempotent = [tokens.as_str(), AMOUNT, CURRENCY, "warmup"];
    wrk(s, "warmup-idempotent", &stack.postgres.url(), "verify_idempotent.lua", &warm_idempotent, s.warmup)?;
    pgbench(s, "warmup", &stack.db.name, &script, &defines(&keys), s.warmup)?;
    let (mut random, mut idempotent, mut hottest) = (Vec::new(), Vec::new(), Vec::new());
    let (mut floor_random, mut floor_hot): (Vec<PgBench>, Vec<PgBench>) = (Vec::new(), Vec::new());
    for round in 0..s.runs {
        let args = counting(&tokens);
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        random.push(measured_run(s, stack, &format!("amount-random-{round}"), "verify_counting.lua", &args)?);
        floor_random.push(pgbench(
            s,
            &format!("random-{round}"),
            &stack.db.name,
            &script,
            &defines(&keys),
            s.duration,
        )?);
        let tag = format!("idempotent-{round}");
        idempotent.push(measured_run(
            s,
            stack,
            &format!("amount-idempotent-{round}"),
            "verify_idempotent.lua",
            &[&tokens, AMOUNT, CURRENCY, &tag],
        )?);
        let args = counting(&hot);
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        hottest.push(measured_run(s, stack, &format!("amount-hot-{round}"), "verify_counting.lua", &args)?);
        floor_hot.push(pgbench(s, &format!("hot-{round}"), &stack.db.name, &script, &defines("1"), s.duration)?);
        println!(
            "round {round}: random {:.0} req/s vs pgbench {:.0} tps | idempotent {:.0} req/s | hot {:.0} req/s vs \
             pgbench {:.0} tps",
            random[round].run.rps,
            floor_random[round].tps,
            idempotent[round].run.rps,
            hottest[round].run.rps,
            floor_hot[round].tps
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
            &[&tokens, AMOUNT, CURRENCY],
        )?;
    }

    let balanced = random.iter().chain(&hottest).all(|spent| spent.balanced(s));
    let books = |runs: &[Spent]| runs.iter().map(Spent::books).collect::<Vec<_>>().join(", ");
    let tps = |runs: &[PgBench]| runs.iter().map(|p| p.tps).collect::<Vec<_>>();
    let spent_rps = |runs: &[Spent]| runs.iter().map(|x| x.run.rps).collect::<Vec<_>>();
    let random_ratio = paired_ratio(&spent_rps(&random), &tps(&floor_random));
    let hot_ratio = paired_ratio(&spent_rps(&hottest), &tps(&floor_hot));
    let wrk_median = |runs: &[Spent]| median_wrk(&runs.iter().map(|x| x.run).collect::<Vec<_>>());
    let (r, fr) = (wrk_median(&random), median(&tps(&floor_random)));
    let (h, fh) = (wrk_median(&hottest), median(&tps(&floor_hot)));
    let random_ms = median(&floor_random.iter().map(|p| p.latency_ms).collect::<Vec<_>>());
    let hot_ms = median(&floor_hot.iter().map(|p| p.latency_ms).collect::<Vec<_>>());
    let failed: f64 = floor_random.iter().chain(&floor_hot).map(|p| p.failed).sum();
    report.row(
        Row::new(
            "4a",
            &format!("Amount-bearing `POST /v1/verify` on PostgreSQL, {} random keys (one spend each)", s.keys),
        )
        .floor(format!(
            "pgbench, the same charge (`CHARGE`: day, week and month totals in one upsert), random keys: {fr:.0} tps, \
             mean latency {random_ms:.2} ms"
        ))
        .measured(format!(
            "{:.0} req/s, p50 {}, p99 {} = **{} of pgbench**; books (stored/acknowledged/seen by wrk, per run): {}",
            r.rps,
            ms(r.p50_us),
            ms(r.p99_us),
            pct(random_ratio),
            books(&random)
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
            .floor(format!("pgbench, the same charge, one key: {fh:.0} tps, mean latency {hot_ms:.2} ms"))
            .measured(format!(
                "{:.0} req/s, p50 {}, p99 {} = **{} of pgbench**; books: {}",
                h.rps,
                ms(h.p50_us),
                ms(h.p99_us),
                pct(hot_ratio),
                books(&hottest)
            ))
            .target(format!("≥ {} of pgbench; zero overspend", pct(HOT_TARGET)), hot_ratio >= HOT_TARGET && balanced)
            .figures(&[
                ("rps", h.rps),
                ("pgbench_tps", fh),
                ("ratio", hot_ratio),
                ("p50_us", h.p50_us),
                ("p99_us", h.p99_us),
            ]),
    );
    report.row(idempotent_row(s, &idempotent, &random, &floor_random));
    report.row(contention(s, stack)?);
    // Enough spends for the releases to outrun the spends twice over.
    let fastest_spends = random.iter().chain(&idempotent).map(|x| x.run.rps).fold(0.0, f64::max);
    let charge_tps = floor_random.iter().map(|p| p.tps).fold(0.0, f64::max);
    report.row(releases(s, stack, &windows, fastest_spends, charge_tps)?);
    Ok(())
}

/// Row 4d: as 4a, each request with an idempotency key of its own, beside 4a's own floor runs.
fn idempotent_row(s: &Settings, idempotent: &[Spent], random: &[Spent], floor_random: &[PgBench]) -> Row {
    let rps = |runs: &[Spent]| runs.iter().map(|x| x.run.rps).collect::<Vec<_>>();
    let tps: Vec<f64> = floor_random.iter().map(|p| p.tps).collect();
    let ratio = paired_ratio(&rps(idempotent), &tps);
    let to_plain = paired_ratio(&rps(idempotent), &rps(random));
    let w = median_wrk(&idempotent.iter().map(|x| x.run).collect::<Vec<_>>());
    let floor = median(&tps);
    // Every acknowledged spend claimed its own key: one claim per stored spend.
    let claimed = idempotent.iter().all(|x| x.claims == x.stored && x.balanced(s));
    let books = idempotent
        .iter()
        .map(|x| format!("{}/{}/{}/{}", x.claims, x.stored, x.acknowledged, x.seen()))
        .collect::<Vec<_>>()
        .join(", ");
    Row::new(
        "4d",
        &format!(
            "Amount-bearing `POST /v1/verify` with a fresh `idempotency_key` per request on PostgreSQL, {} random \
             keys (a claim and a spend each)",
            s.keys
        ),
    )
    .floor(format!("pgbench, the same charge, random keys (row 4a's runs, paired by round): {floor:.0} tps"))
    .measured(format!(
        "{:.0} req/s, p50 {}, p99 {} = **{} of pgbench** ({} of row 4a's rate without a key); books (claims kept/\
         stored/acknowledged/seen by wrk, per run): {books}",
        w.rps,
        ms(w.p50_us),
        ms(w.p99_us),
        pct(ratio),
        pct(to_plain)
    ))
    .target(format!("≥ {} of pgbench; zero overspend; one claim per spend", pct(TARGET)), ratio >= TARGET && claimed)
    .figures(&[
        ("rps", w.rps),
        ("pgbench_tps", floor),
        ("ratio", ratio),
        ("ratio_to_4a", to_plain),
        ("p50_us", w.p50_us),
        ("p99_us", w.p99_us),
    ])
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
            "Daily volume under contention: one key with 10.00 {CURRENCY} a day, 1,500 spends of {AMOUNT} at {} at a \
             time",
            s.connections
        ),
    )
    .measured(format!("{check}; stored spent {}.{:02}", limited / 100, limited % 100))
    .target("exactly 1,000 acknowledged, stored spent = 10.00 = acknowledged".to_owned(), exact)
    .figures(&[("acknowledged", acknowledged), ("stored_cents", stored_cents)]))
}

/// One release run of keygated with its books.
struct Released {
    run: Wrk,
    /// Spends the store turned released during the run.
    stored: i64,
    /// Hundredths the day windows got back during the run.
    given_back: i64,
}

impl Released {
    /// Every answer wrk saw was a release that gave back (no id ran out, no error); the store released
    /// those and at most the connections' worth more (cut off when wrk stopped); each gave back once.
    fn once(&self, s: &Settings) -> bool {
        #[allow(clippy::cast_possible_truncation)]
        let seen = self.run.valid.map_or(-1, |v| v.round() as i64);
        #[allow(clippy::cast_possible_truncation)]
        let requests = self.run.requests.round() as i64;
        #[allow(clippy::cast_possible_wrap)]
        let in_flight_ok = seen <= self.stored && self.stored <= seen + s.connections as i64;
        seen == requests && in_flight_ok && self.given_back == self.stored && self.run.errors + self.run.non2xx < 0.5
    }
}

/// Makes the spends of one keygated release run (`bench-client spends`, over HTTP), beside the
/// service credential the wrk script presents.
fn make_spends(s: &Settings, stack: &Stack, run: usize, file: &Path, count: usize) -> Result<(), String> {
    let line = s.client(
        &format!("spends-{run}"),
        &[
            "spends",
            "--base",
            &stack.postgres.url(),
            "--tokens",
            &stack.postgres_dir.join("tokens.txt").display().to_string(),
            "--count",
            &count.to_string(),
            "--concurrency",
            &s.connections.to_string(),
            "--amount",
            AMOUNT,
            "--currency",
            CURRENCY,
            "--out",
            &file.display().to_string(),
        ],
        Duration::from_secs(60 + count as u64 / 200),
    )?;
    println!("{}: {line}", s.shown(file));
    Ok(())
}

/// Row 4e: `POST /v1/spends/{spend_id}/release`, every spend released once, beside pgbench running the
/// release's statements on held spends of its own.
#[allow(clippy::too_many_lines)]
fn releases(s: &Settings, stack: &Stack, windows: &Windows, spend_rps: f64, charge_tps: f64) -> Result<Row, String> {
    // Run 0 is the warm-up.
    let seconds = |run: usize| if run == 0 { s.warmup } else { s.duration };
    #[allow(clippy::cast_precision_loss, clippy::cast_possible_truncation, clippy::cast_sign_loss)]
    let needed = |rate: f64, run: usize| (rate * RELEASE_MARGIN * seconds(run) as f64).ceil() as usize;

    // keygated's spends, made over its API (random keys of tenant `bench`), one file per run.
    let files: Vec<_> = (0..=s.runs).map(|run| stack.postgres_dir.join(format!("release-{run}.txt"))).collect();
    for (run, file) in files.iter().enumerate() {
        make_spends(s, stack, run, file, needed(spend_rps, run) + s.connections)?;
    }
    // pgbench's: held spends of the `pgbench` keys, made in SQL, numbered as release.pgbench reads them,
    // and window totals for every one of those keys (a release gives back to them).
    #[allow(clippy::cast_precision_loss)]
    let per_client = |run: usize| needed(charge_tps / s.connections.max(1) as f64, run) + 10;
    let base = |run: usize| 1_000_000_000_000_000_000_u64 + (run as u64 + 1) * 10_000_000_000;
    if (0..=s.runs).any(|run| per_client(run) as u64 >= CLIENT_STRIDE) {
        return Err(format!("pgbench would release more than {CLIENT_STRIDE} spends per client and run"));
    }
    let Windows { day, week, month } = windows;
    for run in 0..=s.runs {
        stack.db.query(&format!(
            "INSERT INTO spends (tenant_id, spend_id, key_id, amount, currency, day, week, month, state, created_at) \
             SELECT 'pgbench', '000' || ({base} + c * {CLIENT_STRIDE} + n)::text, \
               '000' || (1000000000000000000 + floor(random() * {keys})::bigint)::text, \
               {AMOUNT}, '{CURRENCY}', '{day}', '{week}', '{month}', 'held', now() \
             FROM generate_series(0, {clients}) AS c, generate_series(1, {per_client}) AS n",
            base = base(run),
            keys = s.keys,
            clients = s.connections - 1,
            per_client = per_client(run),
        ))?;
    }
    stack.db.query(&format!(
        "INSERT INTO spend_totals (tenant_id, key_id, currency, window_kind, starts_on, spent) \
         SELECT k.tenant_id, k.key_id, '{CURRENCY}', w.kind, w.starts_on, 1000 FROM keys k \
         CROSS JOIN (VALUES ('day', '{day}'::date), ('week', '{week}'::date), ('month', '{month}'::date)) \
           AS w (kind, starts_on) \
         WHERE k.tenant_id = 'pgbench' ON CONFLICT DO NOTHING"
    ))?;
    // Fresh planner statistics, so autovacuum stays away during the measurements.
    stack.db.query("VACUUM ANALYZE spends, spend_totals")?;
    let script = s.scripts.join("release.pgbench");
    let defines = |run: usize| vec![("base", base(run).to_string()), ("n", "0".to_owned())];

    let threads = s.wrk_threads.to_string();
    let file = |run: usize| files[run].display().to_string();
    wrk(s, "warmup-release", &stack.postgres.url(), "release.lua", &[&file(0), &threads], s.warmup)?;
    pgbench(s, "release-warmup", &stack.db.name, &script, &defines(0), s.warmup)?;
    let released = || count(stack, "SELECT count(*) FROM spends WHERE tenant_id = 'bench' AND state = 'released'");
    let (mut runs, mut floor): (Vec<Released>, Vec<PgBench>) = (Vec::new(), Vec::new());
    for round in 0..s.runs {
        let (stored0, spent0) = (released()?, spent_cents(stack)?);
        let run = wrk_on(
            s,
            &format!("release-{round}"),
            &stack.postgres,
            "release.lua",
            &[&file(round + 1), &threads],
            s.duration,
        )?;
        std::thread::sleep(Duration::from_millis(500));
        let (stored1, spent1) = (released()?, spent_cents(stack)?);
        runs.push(Released { run, stored: stored1 - stored0, given_back: spent0 - spent1 });
        floor.push(pgbench(s, &format!("release-{round}"), &stack.db.name, &script, &defines(round + 1), s.duration)?);
        println!("round {round}: release {:.0} req/s vs pgbench {:.0} tps", runs[round].run.rps, floor[round].tps);
    }

    let once = runs.iter().all(|r| r.once(s)) && floor.iter().all(|p| p.failed == 0.0);
    let tps: Vec<f64> = floor.iter().map(|p| p.tps).collect();
    let ratio = paired_ratio(&runs.iter().map(|r| r.run.rps).collect::<Vec<_>>(), &tps);
    let w = median_wrk(&runs.iter().map(|r| r.run).collect::<Vec<_>>());
    let (floor_tps, floor_ms) = (median(&tps), median(&floor.iter().map(|p| p.latency_ms).collect::<Vec<_>>()));
    let books = runs
        .iter()
        .map(|r| format!("{}/{}/{}/{:.0}", r.stored, r.given_back, r.run.valid.unwrap_or(-1.0), r.run.requests))
        .collect::<Vec<_>>()
        .join(", ");
    Ok(Row::new(
        "4e",
        &format!(
            "`POST /v1/spends/{{spend_id}}/release` on PostgreSQL: spends of {AMOUNT} {CURRENCY} on {} random keys, \
             each released once",
            s.keys
        ),
    )
    .floor(format!(
        "pgbench, the same statements in one transaction (`RELEASE`, `LOCK`, `GIVE_BACK`), its own held spends: \
         {floor_tps:.0} tps, mean latency {floor_ms:.2} ms"
    ))
    .measured(format!(
        "{:.0} req/s, p50 {}, p99 {}, server CPU {:.1} µs/request = **{} of pgbench**; books (released in the \
         store/hundredths given back/`\"released\":true` seen by wrk/requests, per run): {books}",
        w.rps,
        ms(w.p50_us),
        ms(w.p99_us),
        w.cpu_us,
        pct(ratio)
    ))
    .target(format!("≥ {} of pgbench; each spend given back once", pct(TARGET)), ratio >= TARGET && once)
    .figures(&[
        ("rps", w.rps),
        ("pgbench_tps", floor_tps),
        ("ratio", ratio),
        ("p50_us", w.p50_us),
        ("p99_us", w.p99_us),
        ("server_cpu_us_per_request", w.cpu_us),
    ]))
}

#[cfg(test)]
mod tests {
    /// The pgbench floors run keygate's statements as they are now (what the run checks first).
    #[test]
    fn pgbench_scripts_run_keygates_statements() {
        super::check_scripts(&crate::run::workspace_root()).unwrap();
    }
}
