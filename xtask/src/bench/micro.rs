//! The criterion micro-benchmarks that already exist (`keygate-credential`'s `token`,
//! `keygate-verifier`'s `verify`, the latter with its PostgreSQL case on a database of its own), run
//! with short measurement times; their medians are read from criterion's
//! `target/criterion/**/new/{benchmark,estimates}.json` (only those written by this run). Then the
//! in-process timing of `Verifier::verify` by kind of credential (`bench-client timing`).

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, SystemTime};

use super::proc::output;
use super::report::{pct, Report, Row};
use super::Settings;

/// `verify` may cost at most this many times the floor (SHA-256 of 32 bytes + a `HashMap` look-up):
/// a hot key, and a random key among 100,000 (which also pays for memory the CPU cache does not hold).
const HOT_TARGET_FACTOR: f64 = 3.0;
const RANDOM_TARGET_FACTOR: f64 = 8.0;
/// The rate-limited row: the share of the throughput without a rate limit it must keep.
const RATE_TARGET: f64 = 0.95;

pub fn run(s: &Settings, report: &mut Report) -> Result<(), String> {
    // Only estimates written after this marker count (criterion keeps older benchmarks' results).
    let marker = s.out.join("criterion.marker");
    std::fs::write(&marker, b"").map_err(|e| format!("cannot write {}: {e}", marker.display()))?;
    let since = std::fs::metadata(&marker).and_then(|m| m.modified()).map_err(|e| e.to_string())?;
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
    let criterion_args = ["--", "--noplot", "--warm-up-time", "1", "--measurement-time", "2"];
    for (package, bench) in [("keygate-credential", "token"), ("keygate-verifier", "verify")] {
        let mut cmd = Command::new(&cargo);
        cmd.current_dir(&s.root).args(["bench", "-p", package, "--bench", bench]).args(criterion_args);
        cmd.env("KEYGATE_TEST_DATABASE_URL", s.pg.url("postgres"));
        s.note(&format!("criterion-{bench}"), &cmd);
        println!("cargo bench -p {package} --bench {bench} (logs in {})", s.shown(&s.logs));
        output(&mut cmd, &format!("criterion-{bench}"), &s.logs, Duration::from_secs(900))?;
    }
    let criterion = s.target.join("criterion");
    let mut found = Vec::new();
    collect(&criterion, since, &mut found, 0);
    found.sort_by(|a, b| a.0.cmp(&b.0));
    report.micro = found;

    let line = s.client("timing", &["timing", "--keys", "10000", "--rounds", "31"], Duration::from_secs(300))?;
    println!("in-process timing: {line}");
    report.timing = Some(line);

    let micro = report.micro.clone();
    let median = |needle: &str| micro.iter().find(|(name, _)| name.contains(needle)).map(|(_, ns)| *ns);
    if let (Some(floor), Some(hot), Some(random)) = (
        median("floor: sha256 of 32 bytes + HashMap"),
        median("verify: hot cached key, no amount"),
        median("verify: random cached keys"),
    ) {
        let (hot_x, random_x) = (hot / floor, random / floor);
        report.row(
            Row::new("8", "In-process `Verifier::verify` (criterion), 100,000 keys in a `MemoryStore`, no amount")
                .floor(format!("SHA-256 of 32 bytes + `HashMap` look-up among 100,000: {floor:.0} ns"))
                .measured(format!(
                    "hot key {hot:.0} ns = **{hot_x:.1}x**; random keys {random:.0} ns = **{random_x:.1}x** the floor"
                ))
                .target(
                    format!("hot ≤ {HOT_TARGET_FACTOR}x, random ≤ {RANDOM_TARGET_FACTOR}x the floor"),
                    hot_x <= HOT_TARGET_FACTOR && random_x <= RANDOM_TARGET_FACTOR,
                )
                .figures(&[
                    ("floor_ns", floor),
                    ("hot_ns", hot),
                    ("random_ns", random),
                    ("hot_factor", hot_x),
                    ("random_factor", random_x),
                ]),
        );
    }
    // Signed requests (RFC 9421) next to the bearer row: what the signature base, the check and the
    // nonce's record add to a hot cached key. No target: the floor is the algorithm itself.
    if let (Some(hot), Some(hmac), Some(ed25519)) = (
        median("verify: hot cached key, no amount"),
        median("verify_signed: hmac-sha256"),
        median("verify_signed: ed25519"),
    ) {
        report.row(
            Row::new("8b", "In-process `Verifier::verify_signed` (criterion), one cached key, no amount, fresh nonce")
                .floor(format!("bearer `verify` of a hot key: {hot:.0} ns"))
                .measured(format!(
                    "hmac-sha256 {hmac:.0} ns = **{:.1}x**; ed25519 {ed25519:.0} ns = **{:.1}x** the bearer row",
                    hmac / hot,
                    ed25519 / hot
                ))
                .figures(&[("bearer_hot_ns", hot), ("hmac_ns", hmac), ("ed25519_ns", ed25519)]),
        );
    }
    // The rate-limited row, in process: a hot key with one rate limit (answered from its leased slice)
    // beside the same hot key without one. (The HTTP form of this row and the two-process exactness
    // row are not measured yet.)
    if let (Some(plain), Some(rated)) =
        (median("verify: hot cached key, no amount"), median("verify: hot cached key, one rate limit"))
    {
        let share = plain / rated;
        report.row(
            Row::new("8c", "In-process `Verifier::verify` of a hot key with one rate limit, vs the same without")
                .floor(format!("hot key without a rate limit: {plain:.0} ns"))
                .measured(format!("{rated:.0} ns = **{}** of the throughput without", pct(share)))
                .target(format!("≥ {}", pct(RATE_TARGET)), share >= RATE_TARGET)
                .figures(&[("plain_ns", plain), ("rated_ns", rated), ("share", share)]),
        );
    }
    if let (Some(floor), Some(full)) = (median("floor: sha256 of 32 bytes"), median("parse + sha256 + ct compare")) {
        println!("credential: parse + hash + compare = {full:.0} ns, {} of it the bare SHA-256", pct(floor / full));
    }
    Ok(())
}

/// Every `(full_id, median ns)` under `dir` whose `new/estimates.json` was written after `since`.
fn collect(dir: &Path, since: SystemTime, found: &mut Vec<(String, f64)>, depth: usize) {
    let Ok(entries) = std::fs::read_dir(dir) else { return };
    if depth > 6 {
        return;
    }
    for entry in entries.flatten() {
        let path = entry.path();
        if !path.is_dir() {
            continue;
        }
        if path.file_name().is_some_and(|n| n == "new") {
            if let Some(result) = read_estimate(&path, since) {
                found.push(result);
            }
        } else {
            collect(&path, since, found, depth + 1);
        }
    }
}

fn read_estimate(new: &Path, since: SystemTime) -> Option<(String, f64)> {
    let estimates: PathBuf = new.join("estimates.json");
    let modified = std::fs::metadata(&estimates).ok()?.modified().ok()?;
    if modified < since {
        return None;
    }
    let benchmark = std::fs::read_to_string(new.join("benchmark.json")).ok()?;
    let id = string_after(&benchmark, "\"full_id\":")?;
    let text = std::fs::read_to_string(&estimates).ok()?;
    let median = &text[text.find("\"median\":")?..];
    let value = median[median.find("\"point_estimate\":")? + "\"point_estimate\":".len()..]
        .split([',', '}'])
        .next()?
        .trim()
        .parse()
        .ok()?;
    Some((id, value))
}

/// The JSON string value after `key` (no escapes expected in criterion's ids but `\"`).
fn string_after(text: &str, key: &str) -> Option<String> {
    let rest = text[text.find(key)? + key.len()..].trim_start().strip_prefix('"')?;
    let mut out = String::new();
    let mut chars = rest.chars();
    while let Some(c) = chars.next() {
        match c {
            '"' => return Some(out),
            '\\' => out.push(chars.next()?),
            c => out.push(c),
        }
    }
    None
}
