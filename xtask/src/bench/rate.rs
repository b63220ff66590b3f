//! Row 8d: what one request rate limit costs row 2's verify over HTTP (row 8c measures it in process).
//! The stack's in-memory keygated holds row 2's keys and, seeded here through the API like any client
//! would (`bench-client seed --rate`), as many keys of another tenant that each carry one rate limit,
//! high enough never to refuse during the run. Both sets are asked in turn in each round, on the same
//! process, so the comparison holds nothing but the limit. Counting verdicts costs wrk time, so the
//! rounds use row 2's script and a counting run after them shows that no rated request was refused.

use super::load::{median_wrk, paired_ratio, wrk_on, Wrk};
use super::report::{pct, Report, Row};
use super::stack::{self, Stack};
use super::verify::{describe, warm};
use super::Settings;

/// The share of the throughput without a limit that the rate-limited verify must keep.
const TARGET: f64 = 0.95;
/// The limit every rated key carries: a billion a day, as row 8c's key (never refused here; each
/// process still leases a tenth of it per key and window, and again when a lease is a second old).
const RATE: &str = "per-day:1000000000:86400";

pub fn row(s: &Settings, stack: &Stack, report: &mut Report) -> Result<(), String> {
    let dir = s.out.join("memory-rate");
    let seeded = stack::seed(s, &stack.memory, ("bench-rate", s.keys), &dir, &["--rate", RATE])?;
    println!("seeding {} keys with one rate limit in memory: {seeded}", s.keys);
    let plain = stack.memory_dir.join("tokens.txt").display().to_string();
    let rated = dir.join("tokens.txt").display().to_string();
    let url = stack.memory.url();
    warm(s, "warm-rate-plain", &url, &plain)?;
    warm(s, "warm-rate-rated", &url, &rated)?;
    wrk_on(s, "warmup-rate-plain", &stack.memory, "verify.lua", &[&plain], s.warmup)?;
    wrk_on(s, "warmup-rate-rated", &stack.memory, "verify.lua", &[&rated], s.warmup)?;
    let (mut with, mut without) = (Vec::new(), Vec::new());
    for round in 0..s.runs {
        // Alternate which goes first, so a load that drifts within a round favours neither.
        let mut pair = [("plain", &plain), ("rated", &rated)];
        if round % 2 == 1 {
            pair.reverse();
        }
        for (name, tokens) in pair {
            let run = wrk_on(s, &format!("verify-{name}-{round}"), &stack.memory, "verify.lua", &[tokens], s.duration)?;
            if name == "rated" {
                with.push(run);
            } else {
                without.push(run);
            }
        }
        println!("round {round}: without a limit {} | with one {}", describe(&without[round]), describe(&with[round]));
    }
    let counted = wrk_on(s, "count-rate-rated", &stack.memory, "verify_counting.lua", &[&rated], s.warmup)?;
    let refused = counted.requests - counted.valid.unwrap_or(0.0);
    let rps = |runs: &[Wrk]| runs.iter().map(|w| w.rps).collect::<Vec<_>>();
    let cpu = |runs: &[Wrk]| runs.iter().map(|w| w.cpu_us).collect::<Vec<_>>();
    let share = paired_ratio(&rps(&with), &rps(&without));
    let cpu_ratio = paired_ratio(&cpu(&with), &cpu(&without));
    let (with, without) = (median_wrk(&with), median_wrk(&without));
    let clean = with.errors + with.non2xx + without.errors + without.non2xx < 0.5 && refused < 0.5;
    report.row(
        Row::new(
            "8d",
            &format!(
                "`POST /v1/verify` over HTTP, in-memory store, {} random keys each with one rate limit ({} per day, \
                 never reached), vs row 2's keys without, one keygated asked in turn",
                s.keys, "1,000,000,000"
            ),
        )
        .floor(format!("without a limit: {}", describe(&without)))
        .measured(format!(
            "with one: {} = **{}** of the throughput without (median of the {} rounds' paired ratios; CPU per \
             request {cpu_ratio:.2}x); {refused:.0} of {:.0} rated requests refused in a counting run after the rounds",
            describe(&with),
            pct(share),
            s.runs,
            counted.requests
        ))
        .target(format!("≥ {} of the throughput without, none refused", pct(TARGET)), share >= TARGET && clean)
        .figures(&[
            ("rated_rps", with.rps),
            ("plain_rps", without.rps),
            ("share", share),
            ("cpu_ratio", cpu_ratio),
            ("rated_p99_us", with.p99_us),
            ("plain_p99_us", without.p99_us),
            ("rated_cpu_us", with.cpu_us),
            ("plain_cpu_us", without.cpu_us),
            ("refused", refused),
        ]),
    );
    Ok(())
}
