//! Rows 2c and 3d: rows 2 and 3's verify with every server on two HTTP workers, against the floor on
//! two workers, in the same rounds. The machine has two cores, so a two-worker server cannot be pinned
//! away from wrk: here nothing is pinned, and the floor, keygated, wrk (two threads) and PostgreSQL
//! share both cores alike. The rows say so, and measure what a deployment with a worker per core gets
//! rather than the pinned rows' clean split of server and load.
//!
//! The in-memory keygated is a process of its own (a store cannot be shared with the stack's), seeded
//! with as many random keys as row 2's; the PostgreSQL one runs on the stack's database with row 3's
//! keys. Both caches are warmed before the rounds, and the request log is off, as in rows 2 and 3.

use super::load::{median_wrk, paired_ratio, wrk_shaped_on, Shape, Wrk};
use super::pg::SETTLE;
use super::report::{pct, Report, Row};
use super::stack::{self, Stack};
use super::verify::{describe, warm};
use super::Settings;

/// The servers' HTTP workers (and wrk's threads) in these rows.
const WORKERS: usize = 2;
/// The share of the floor's throughput each keygated must reach on two workers.
const TARGET: f64 = 0.80;

pub fn rows(s: &Settings, stack: &Stack, report: &mut Report) -> Result<(), String> {
    let workers = WORKERS.to_string();
    let settings = [("KEYGATE_WORKERS", workers.as_str()), ("KEYGATE_REQUEST_LOG", "false")];
    let floor = stack::floor(s, "bench-floor-2-workers", WORKERS, false)?;
    let memory = s.keygated_with("keygated-memory-2-workers", None, false, &settings)?;
    let postgres = s.keygated_with("keygated-postgres-2-workers", Some(&stack.db.url()), false, &settings)?;
    let memory_dir = s.out.join("memory-2-workers");
    println!(
        "seeding {} keys in memory (2 workers): {}",
        s.keys,
        stack::seed(s, &memory, ("bench", s.keys), &memory_dir, &[])?
    );
    let mem_tokens = memory_dir.join("tokens.txt").display().to_string();
    let pg_tokens = stack.postgres_dir.join("tokens.txt").display().to_string();
    warm(s, "warm-memory-2-workers", &memory.url(), &mem_tokens)?;
    warm(s, "warm-postgres-2-workers", &postgres.url(), &pg_tokens)?;

    let shape = Shape { connections: s.connections, threads: WORKERS, cpu: None };
    let servers =
        [("floor", &floor, &mem_tokens), ("memory", &memory, &mem_tokens), ("postgres", &postgres, &pg_tokens)];
    for (name, server, tokens) in servers {
        wrk_shaped_on(s, &format!("warmup-{name}-2-workers"), server, ("verify.lua", &[tokens]), s.warmup, shape)?;
    }
    std::thread::sleep(SETTLE);
    let mut runs: [Vec<Wrk>; 3] = Default::default();
    for round in 0..s.runs {
        for ((name, server, tokens), runs) in servers.iter().zip(&mut runs) {
            let label = format!("{name}-2-workers-{round}");
            runs.push(wrk_shaped_on(s, &label, server, ("verify.lua", &[tokens]), s.duration, shape)?);
        }
        let [f, m, p] = &runs;
        println!(
            "round {round} on 2 workers: floor {} | memory {} | postgres {}",
            describe(&f[round]),
            describe(&m[round]),
            describe(&p[round])
        );
    }
    drop((floor, memory, postgres));
    let rps = |runs: &[Wrk]| runs.iter().map(|w| w.rps).collect::<Vec<_>>();
    let cpu = |runs: &[Wrk]| runs.iter().map(|w| w.cpu_us).collect::<Vec<_>>();
    let [f_runs, m_runs, p_runs] = &runs;
    let f = median_wrk(f_runs);
    let how = format!(
        "nothing pinned: the floor and keygated with `KEYGATE_WORKERS=2`, wrk -t{WORKERS} -c{} and PostgreSQL \
         share both cores",
        s.connections
    );
    let memory_title = format!(
        "`POST /v1/verify`, in-memory store (a keygated of its own, seeded like row 2's), {} random active keys, 2 \
         workers vs the floor on 2 workers",
        s.keys
    );
    let postgres_title = format!(
        "`POST /v1/verify`, PostgreSQL store, cache warm, row 3's {} random keys, 2 workers vs the floor on 2 workers",
        s.keys
    );
    for (id, title, subject) in [("2c", memory_title, m_runs), ("3d", postgres_title, p_runs)] {
        let ratio = paired_ratio(&rps(subject), &rps(f_runs));
        let cpu_ratio = paired_ratio(&cpu(subject), &cpu(f_runs));
        let w = median_wrk(subject);
        let clean = w.errors + w.non2xx + f.errors + f.non2xx < 0.5;
        report.row(
            Row::new(id, &format!("{title} ({how})"))
                .floor(format!("floor on 2 workers: {}", describe(&f)))
                .measured(format!(
                    "{} = **{} of floor** (median of the {} rounds' paired ratios; CPU per request: {cpu_ratio:.1}x the \
                     floor's)",
                    describe(&w),
                    pct(ratio),
                    s.runs
                ))
                .target(format!("≥ {} of the floor on 2 workers", pct(TARGET)), ratio >= TARGET && clean)
                .figures(&[
                    ("rps", w.rps),
                    ("ratio", ratio),
                    ("p50_us", w.p50_us),
                    ("p99_us", w.p99_us),
                    ("errors", w.errors + w.non2xx),
                    ("server_cpu_us_per_request", w.cpu_us),
                    ("floor_rps", f.rps),
                    ("floor_p99_us", f.p99_us),
                    ("floor_cpu_us_per_request", f.cpu_us),
                ]),
        );
    }
    Ok(())
}
