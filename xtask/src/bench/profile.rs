//! Where a server spends its CPU under load: `perf record -e cpu-clock` on its process during one extra
//! wrk run, then `perf report` by shared object and symbol, grouped into areas (kernel and network,
//! HTTP stack, allocation, hashing, cache, metrics, JSON, keygate's own code). Skipped, with a note,
//! where perf cannot sample.

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use super::load::wrk;
use super::proc::{output, Server};
use super::report::{Profile, Report};
use super::Settings;

/// Areas by the first pattern the lower-cased symbol contains, checked in this order (the kernel and
/// the vDSO are recognised by their object).
const AREAS: &[(&str, &[&str])] = &[
    ("actix-web routing (regex)", &["regex"]),
    ("SHA-256", &["sha2", "sha256", "hmac"]),
    (
        "allocation and copying",
        &["malloc", "free", "realloc", "memcpy", "memmove", "memset", "_int_", "alloc::", "raw_vec"],
    ),
    ("key cache", &["quick_cache", "moka", "cache::"]),
    ("metrics", &["metrics"]),
    ("tracing", &["tracing"]),
    ("JSON and text formatting", &["serde", "json", "fmt::", "chrono", "format"]),
    ("keygate's own code", &["keygate"]),
    ("actix-web, HTTP and tokio", &["actix", "http", "h1::", "tokio", "mio", "bytes", "futures", "epoll"]),
];

fn area(object: &str, symbol: &str) -> &'static str {
    if object.starts_with("[kernel") || object.starts_with("[vdso") {
        return "kernel (network, scheduling, system calls)";
    }
    let symbol = symbol.to_lowercase();
    AREAS.iter().find(|(_, needles)| needles.iter().any(|n| symbol.contains(n))).map_or("other", |(name, _)| name)
}

/// Profiles `server` during a wrk run of `script` with `args`, and adds what it found to the report.
pub fn record(
    s: &Settings,
    report: &mut Report,
    label: &str,
    server: &Server,
    url: &str,
    script: &str,
    args: &[&str],
) -> Result<(), String> {
    let data = s.out.join(format!("perf-{}.data", server.port));
    let mut perf = Command::new("perf");
    if let Some(cpu) = &s.load_cpu {
        perf = Command::new("taskset");
        perf.args(["-c", cpu, "perf"]);
    }
    let seconds = s.duration.to_string();
    perf.args(["record", "-e", "cpu-clock", "-F", "999", "-p", &server.pid().to_string(), "-o"])
        .arg(&data)
        .args(["--", "sleep", &seconds])
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    s.note("perf-record", &perf);
    let Ok(mut recording) = perf.spawn() else {
        println!("profile skipped: perf is not available");
        return Ok(());
    };
    let load = wrk(s, "profiled", url, script, args, s.duration);
    let deadline = Instant::now() + Duration::from_secs(s.duration + 30);
    let status = loop {
        if let Ok(Some(status)) = recording.try_wait() {
            break Some(status);
        }
        if Instant::now() > deadline {
            let _ = recording.kill();
            let _ = recording.wait();
            break None;
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    load?;
    if !status.is_some_and(|s| s.success()) {
        println!("profile skipped: perf record did not succeed here");
        return Ok(());
    }
    let mut reading = Command::new("perf");
    reading
        .args(["report", "--stdio", "--no-children", "--sort", "dso,symbol", "--percent-limit", "0.2", "-i"])
        .arg(&data);
    s.note("perf-report", &reading);
    let text = output(&mut reading, "perf-report", &s.logs, Duration::from_secs(120))?;
    let mut profile = Profile { label: label.to_owned(), ..Profile::default() };
    for line in text.lines().filter(|l| !l.trim_start().starts_with('#')) {
        let mut words = line.split_whitespace();
        let Some(share) = words.next().and_then(|w| w.strip_suffix('%')).and_then(|w| w.parse::<f64>().ok()) else {
            continue;
        };
        let object = words.next().unwrap_or("").to_owned();
        // `[.]` or `[k]`, then the symbol, then perf's empty source columns (`-`).
        let mut rest: Vec<&str> = words.skip(1).collect();
        while rest.last() == Some(&"-") {
            rest.pop();
        }
        let symbol = rest.join(" ");
        let share = share / 100.0;
        let name = area(&object, &symbol);
        match profile.areas.iter_mut().find(|(a, _)| a == name) {
            Some((_, total)) => *total += share,
            None => profile.areas.push((name.to_owned(), share)),
        }
        if profile.top.len() < 15 {
            profile.top.push((share, object, symbol));
        }
    }
    profile.areas.sort_by(|a, b| b.1.total_cmp(&a.1));
    println!("profile of {label}: {:?}", profile.areas);
    report.profiles.push(profile);
    Ok(())
}
