//! Row 8e: whether a rate limit holds across processes under full load. One key with a limit of 1,000
//! per 10 s, seeded through the API on the stack's PostgreSQL keygated (process A); a second keygated on
//! the same database (process B, started like the revocation row's, but pinned and configured as A);
//! `bench-client rate-exactness` sends 20,000 verifications over 16 connections, half to each process,
//! starting half a second before a window ends so the run crosses a window's turn under load. The
//! client files each allowed answer into the window the server counted it in (windows are fixed and
//! aligned to the epoch, as the verifier aligns them; refusals carry `retry_after`) and the row reports
//! every window's count. Met only if no window allowed more than the limit.

use std::time::Duration;

use super::proc::field;
use super::report::{Report, Row};
use super::stack::{self, Stack};
use super::Settings;

const LIMIT: u64 = 1000;
const WINDOW_SECONDS: u32 = 10;
const REQUESTS: usize = 20_000;
const CONNECTIONS: usize = 16;

/// `per_window=start:allowed+straddling/refused,...` as (start, allowed, straddling, refused).
fn per_window(line: &str) -> Vec<(i64, u64, u64, u64)> {
    let words = line.split_whitespace().find_map(|w| w.strip_prefix("per_window=")).unwrap_or("");
    let one = |w: &str| {
        let (start, rest) = w.split_once(':')?;
        let (counts, refused) = rest.split_once('/')?;
        let (allowed, straddling) = counts.split_once('+')?;
        Some((start.parse().ok()?, allowed.parse().ok()?, straddling.parse().ok()?, refused.parse().ok()?))
    };
    words.split(',').filter_map(one).collect()
}

pub fn row(s: &Settings, stack: &Stack, report: &mut Report) -> Result<(), String> {
    let settings = [("KEYGATE_REQUEST_LOG", "false")];
    let b = s.keygated_with("keygated-postgres-exactness-b", Some(&stack.db.url()), true, &settings)?;
    let dir = s.out.join("postgres-exactness");
    let rate = format!("exactness:{LIMIT}:{WINDOW_SECONDS}");
    let seeded = stack::seed(s, &stack.postgres, ("exactness", 1), &dir, &["--rate", &rate])?;
    println!("seeding one key limited to {LIMIT} per {WINDOW_SECONDS} s: {seeded}");
    let tokens = dir.join("tokens.txt").display().to_string();
    let (a_url, b_url) = (stack.postgres.url(), b.url());
    let (requests, connections, limit, window) =
        (REQUESTS.to_string(), CONNECTIONS.to_string(), LIMIT.to_string(), WINDOW_SECONDS.to_string());
    let line = s.client(
        "rate-exactness",
        &[
            "rate-exactness",
            "--a",
            &a_url,
            "--b",
            &b_url,
            "--tokens",
            &tokens,
            "--requests",
            &requests,
            "--concurrency",
            &connections,
            "--limit",
            &limit,
            "--window-seconds",
            &window,
        ],
        Duration::from_secs(300),
    )?;
    drop(b);
    println!("rate exactness: {line}");
    let windows = per_window(&line);
    let (max, within) = (field(&line, "max_allowed")?, field(&line, "within_limit")? > 0.5);
    let (other, unresolved, straddling) =
        (field(&line, "other")?, field(&line, "unresolved")?, field(&line, "straddling")?);
    let (seconds, sent) = (field(&line, "seconds")?, field(&line, "requests")?);
    let counts: Vec<String> = windows
        .iter()
        .enumerate()
        .map(|(n, (_, allowed, straddling, refused))| {
            let maybe = if *straddling > 0 { format!(" (+{straddling} straddling)") } else { String::new() };
            format!("window {}: **{allowed}** allowed{maybe}, {refused} refused", n + 1)
        })
        .collect();
    #[allow(clippy::cast_precision_loss)]
    let figures = [
        ("max_allowed", max),
        ("windows", windows.len() as f64),
        ("requests", sent),
        ("seconds", seconds),
        ("allowed", field(&line, "allowed")?),
        ("allowed_a", field(&line, "allowed_a")?),
        ("allowed_b", field(&line, "allowed_b")?),
        ("refused", field(&line, "refused")?),
        ("straddling", straddling),
        ("other", other),
        ("unresolved", unresolved),
    ];
    let mut row = Row::new(
        "8e",
        &format!(
            "Rate-limit exactness: 2 keygated processes on one PostgreSQL database, 1 key limited to {LIMIT} per \
                 {WINDOW_SECONDS} s, {REQUESTS} verifications at full load ({CONNECTIONS} connections, half to each \
                 process, `bench-client rate-exactness`; the processes placed as the other keygated of the run), \
                 started 0.15 s before a window ends (at full speed the 20,000 take about 0.4 s, so the end falls \
                 inside); no request sent in a window's last 20 ms, so an allowed answer \
                 can be placed in its window by its send and receipt times (one that straddles counts in both)"
        ),
    )
    .measured(format!(
        "{}; max **{max:.0}** allowed in a window; {sent:.0} requests in {seconds:.2} s ({:.0} allowed on A, {:.0} \
             on B); {straddling:.0} allowed answers straddling a window's end (counted in both), {other:.0} other \
             answers, {unresolved:.0} refusals not placed",
        counts.join("; "),
        field(&line, "allowed_a")?,
        field(&line, "allowed_b")?,
    ))
    .target(
        format!("allowed ≤ {LIMIT} per window, every window"),
        within && windows.len() >= 2 && other < 0.5 && unresolved < 0.5,
    )
    .figures(&figures);
    #[allow(clippy::cast_precision_loss)]
    row.figures.extend(
        windows
            .iter()
            .enumerate()
            .map(|(n, (_, allowed, _, _))| (format!("window_{}_allowed", n + 1), *allowed as f64)),
    );
    report.row(row);
    Ok(())
}
