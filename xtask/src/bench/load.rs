//! Load generators: wrk (HTTP, fixed connections and duration, one `KGBENCH` line from the scripts in
//! `xtask/bench/`) and pgbench (the floor of the amount rows). Each run is bounded by its own duration
//! plus a margin, and pinned to the load CPU when the run pins.

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use super::proc::{cpu_seconds, field, output, Server};
use super::Settings;

/// One wrk run.
#[derive(Debug, Clone, Copy, Default)]
pub struct Wrk {
    /// Requests completed per second.
    pub rps: f64,
    pub p50_us: f64,
    pub p99_us: f64,
    pub max_us: f64,
    pub requests: f64,
    /// Connect, read, write errors and timeouts.
    pub errors: f64,
    /// Responses other than 2xx/3xx.
    pub non2xx: f64,
    /// `"valid":true` verdicts, when the script counts them.
    pub valid: Option<f64>,
    /// CPU time the server used per request, in microseconds (see [`wrk_on`]).
    pub cpu_us: f64,
}

/// [`wrk`] against `server`, also measuring the CPU time the server used per request.
pub fn wrk_on(
    s: &Settings,
    label: &str,
    server: &Server,
    script: &str,
    args: &[&str],
    seconds: u64,
) -> Result<Wrk, String> {
    wrk_on_with(s, label, server, (script, args), seconds, s.connections)
}

/// Where and how wide a wrk run is: its connections, its threads, the CPU it is pinned to (if any).
#[derive(Debug, Clone, Copy)]
pub struct Shape<'a> {
    pub connections: usize,
    pub threads: usize,
    pub cpu: Option<&'a str>,
}

impl<'a> Shape<'a> {
    /// The run's shape: its connections and wrk threads, on the load CPU when it pins.
    pub fn of(s: &'a Settings) -> Self {
        Self { connections: s.connections, threads: s.wrk_threads, cpu: s.load_cpu.as_deref() }
    }
}

/// [`wrk_on`] with `connections` instead of the run's.
pub fn wrk_on_with(
    s: &Settings,
    label: &str,
    server: &Server,
    (script, args): (&str, &[&str]),
    seconds: u64,
    connections: usize,
) -> Result<Wrk, String> {
    wrk_shaped_on(s, label, server, (script, args), seconds, Shape { connections, ..Shape::of(s) })
}

/// [`wrk_on`] in `shape` instead of the run's.
pub fn wrk_shaped_on(
    s: &Settings,
    label: &str,
    server: &Server,
    (script, args): (&str, &[&str]),
    seconds: u64,
    shape: Shape<'_>,
) -> Result<Wrk, String> {
    let before = cpu_seconds(server.pid());
    let mut run = wrk_with(s, label, &server.url(), (script, args), seconds, shape)?;
    let used = cpu_seconds(server.pid()) - before;
    run.cpu_us = if run.requests > 0.0 { used * 1e6 / run.requests } else { f64::NAN };
    Ok(run)
}

/// Runs wrk against `url` with `script` and its arguments, for `seconds`.
pub fn wrk(s: &Settings, label: &str, url: &str, script: &str, args: &[&str], seconds: u64) -> Result<Wrk, String> {
    wrk_with(s, label, url, (script, args), seconds, Shape::of(s))
}

/// [`wrk`] in `shape`.
fn wrk_with(
    s: &Settings,
    label: &str,
    url: &str,
    (script, args): (&str, &[&str]),
    seconds: u64,
    shape: Shape<'_>,
) -> Result<Wrk, String> {
    let mut cmd = match shape.cpu {
        Some(cpu) => {
            let mut c = Command::new("taskset");
            c.args(["-c", cpu, "wrk"]);
            c
        }
        None => Command::new("wrk"),
    };
    let script = s.scripts.join(script);
    cmd.args(["-t", &shape.threads.to_string(), "-c", &shape.connections.to_string()])
        .args(["-d", &format!("{seconds}s"), "--timeout", "2s", "-s"])
        .arg(&script)
        .arg(url)
        .arg("--")
        .args(args);
    s.note(&format!("wrk-{label}"), &cmd);
    let text = output(&mut cmd, &format!("wrk-{label}"), &s.logs, Duration::from_secs(seconds + 30))?;
    let line =
        text.lines().find(|l| l.starts_with("KGBENCH")).ok_or_else(|| format!("wrk {label}: no result in {text}"))?;
    let requests = field(line, "requests")?;
    let seconds = field(line, "duration_us")? / 1e6;
    let errors = ["connect", "read", "write", "timeout"].iter().map(|n| field(line, n).unwrap_or(0.0)).sum();
    Ok(Wrk {
        rps: if seconds > 0.0 { requests / seconds } else { 0.0 },
        p50_us: field(line, "p50_us")?,
        p99_us: field(line, "p99_us")?,
        max_us: field(line, "max_us")?,
        requests,
        errors,
        non2xx: field(line, "status")?,
        valid: field(line, "valid").ok(),
        cpu_us: f64::NAN,
    })
}

/// One pgbench run.
#[derive(Debug, Clone, Copy, Default)]
pub struct PgBench {
    /// Transactions per second (without connection time).
    pub tps: f64,
    pub latency_ms: f64,
    pub failed: f64,
}

/// Runs `xtask/bench/<script>` with `defines` on `db` for `seconds`, prepared statements, one client
/// per connection of the run.
pub fn pgbench(
    s: &Settings,
    label: &str,
    db: &str,
    script: &Path,
    defines: &[(&str, String)],
    seconds: u64,
) -> Result<PgBench, String> {
    let mut cmd = match &s.load_cpu {
        Some(cpu) => {
            let mut c = Command::new("taskset");
            c.args(["-c", cpu, "pgbench"]);
            c
        }
        None => Command::new("pgbench"),
    };
    cmd.args(["-h", &s.pg.host, "-p", &s.pg.port.to_string(), "-U", &s.pg.user, "-n", "-M", "prepared"])
        .args(["-c", &s.connections.to_string(), "-j", "1", "-T", &seconds.to_string(), "-f"])
        .arg(script);
    for (name, value) in defines {
        cmd.arg("-D").arg(format!("{name}={value}"));
    }
    cmd.arg(db);
    s.note(&format!("pgbench-{label}"), &cmd);
    let text = output(&mut cmd, &format!("pgbench-{label}"), &s.logs, Duration::from_secs(seconds + 60))?;
    let number_after = |prefix: &str| {
        text.lines()
            .find_map(|l| l.trim().strip_prefix(prefix))
            .and_then(|rest| rest.split_whitespace().next())
            .and_then(|n| n.parse::<f64>().ok())
    };
    Ok(PgBench {
        tps: number_after("tps = ").ok_or_else(|| format!("pgbench {label}: no tps in {text}"))?,
        latency_ms: number_after("latency average = ").unwrap_or(f64::NAN),
        failed: number_after("number of failed transactions: ").unwrap_or(0.0),
    })
}

/// The median (mean of the middle two for an even count); NaN for none.
pub fn median(values: &[f64]) -> f64 {
    let mut v: Vec<f64> = values.iter().copied().filter(|x| !x.is_nan()).collect();
    if v.is_empty() {
        return f64::NAN;
    }
    v.sort_by(f64::total_cmp);
    let mid = v.len() / 2;
    if v.len() % 2 == 1 {
        v[mid]
    } else {
        f64::midpoint(v[mid - 1], v[mid])
    }
}

/// The medians of several wrk runs, field by field.
pub fn median_wrk(runs: &[Wrk]) -> Wrk {
    let m = |f: fn(&Wrk) -> f64| median(&runs.iter().map(f).collect::<Vec<_>>());
    Wrk {
        rps: m(|w| w.rps),
        p50_us: m(|w| w.p50_us),
        p99_us: m(|w| w.p99_us),
        max_us: m(|w| w.max_us),
        requests: runs.iter().map(|w| w.requests).sum(),
        errors: runs.iter().map(|w| w.errors).sum(),
        non2xx: runs.iter().map(|w| w.non2xx).sum(),
        valid: runs.iter().map(|w| w.valid).sum(),
        cpu_us: m(|w| w.cpu_us),
    }
}

/// The median over rounds of `subject / floor`, each round's pair measured back to back (so a load
/// that drifts during the run weighs on both sides of each ratio alike).
pub fn paired_ratio(subject: &[f64], floor: &[f64]) -> f64 {
    median(&subject.iter().zip(floor).map(|(s, f)| s / f).collect::<Vec<_>>())
}
