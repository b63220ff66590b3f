//! `cargo xtask bench`: keygate measured against the floor of its own stack, in one run.
//!
//! Release builds, loopback only, every load fixed in connections and duration and repeated (medians
//! reported), every wait bounded. Each row is a ratio against a floor measured in the same run: a bare
//! actix-web server answering keygated's JSON (`bins/bench-floor`), pgbench running keygate's own
//! statements (a spend's charge, a release), the same keygated asked without a service credential,
//! the wallet route without its middleware, the same verify without a rate limit. The servers are
//! pinned to one CPU and the load generators to the other, floor and subject alike, but in rows 2c and
//! 3d: with every server on two workers on a two-core machine, nothing can be pinned away from wrk, so
//! nothing is pinned there (the rows say so). Row 8e is a correctness figure, not a ratio: the requests
//! a rate limit allowed in each window over two processes. Writes `docs/performance.md` and
//! `target/bench/results.json`; creates and drops its own database `keygate_bench_<pid>`.
//!
//! Flags: `--duration S` (5), `--runs N` (3), `--connections C` (16), `--keys N` (10000),
//! `--memory-keys N` (1000000), `--pin auto|off`, `--no-micro`, `--no-profile`, `--pg-host`,
//! `--pg-port`, `--pg-user`, `--output FILE` (docs/performance.md), `--only ROW` (the release build, the
//! stack and one row alone, in a few minutes, for working on what it measures: `verify` is rows 1, 2,
//! 3 and 7 (verify on the floor, in memory and on PostgreSQL with a warm cache), `request-log` row 3c,
//! `workers` rows 2c and 3d (verify on two workers vs the floor on two), `rate` row 8d (verify with one
//! rate limit vs without, over HTTP), `rate-exactness` row 8e (one key's limit over two processes at
//! full load), `amounts` rows 4a to 4e (verifications with an amount, and releases, against pgbench);
//! it writes `target/bench/results-ROW.json` and leaves the report alone), `--no-build`
//! (measure the binaries already in `target/bench/bin`, such as an earlier build's copied back, for a
//! before/after).

mod gateway;
mod http;
mod load;
mod micro;
mod money;
mod others;
mod pg;
mod proc;
mod profile;
mod rate;
mod rate_exactness;
mod report;
mod request_log;
mod stack;
mod verify;
mod workers;

use std::cell::RefCell;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use crate::run::workspace_root;
use pg::Pg;
use proc::{output, Server};
use report::Report;

/// A row that `--only` runs alone.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Only {
    /// Rows 1, 2, 3 and 7 (`--only verify`).
    Verify,
    /// Row 3c (`--only request-log`).
    RequestLog,
    /// Rows 2c and 3d (`--only workers`).
    Workers,
    /// Row 8d (`--only rate`).
    Rate,
    /// Row 8e (`--only rate-exactness`).
    RateExactness,
    /// Rows 4a to 4e (`--only amounts`).
    Amounts,
}

impl Only {
    const NAMES: [(&'static str, Self); 6] = [
        ("verify", Self::Verify),
        ("request-log", Self::RequestLog),
        ("workers", Self::Workers),
        ("rate", Self::Rate),
        ("rate-exactness", Self::RateExactness),
        ("amounts", Self::Amounts),
    ];

    fn parse(name: &str) -> Result<Self, String> {
        Self::NAMES.iter().find(|(n, _)| *n == name).map(|(_, only)| *only).ok_or_else(|| {
            let names: Vec<&str> = Self::NAMES.iter().map(|(n, _)| *n).collect();
            format!("--only takes {}, not {name:?}", names.join(", "))
        })
    }

    /// Its name on the command line (and in `results-<name>.json`).
    fn name(self) -> &'static str {
        Self::NAMES.iter().find(|(_, only)| *only == self).map_or("", |(n, _)| n)
    }
}

/// Everything a phase needs to know about the run.
pub struct Settings {
    pub root: PathBuf,
    /// `target/bench`.
    pub out: PathBuf,
    /// `target/bench/logs`: every process's output.
    pub logs: PathBuf,
    /// The cargo target directory.
    pub target: PathBuf,
    /// `target/bench/bin`: this run's copies of the release binaries, so a concurrent rebuild of
    /// `target/release` cannot swap a binary under the run (or under the profiler).
    pub bins: PathBuf,
    /// `xtask/bench`: the wrk and pgbench scripts.
    pub scripts: PathBuf,
    pub duration: u64,
    pub warmup: u64,
    pub runs: usize,
    pub connections: usize,
    pub wrk_threads: usize,
    pub keys: usize,
    pub memory_keys: usize,
    /// HTTP workers of every server (keygated, floor, wallet).
    pub workers: usize,
    pub server_cpu: Option<String>,
    pub load_cpu: Option<String>,
    pub pg: Pg,
    pub admin: String,
    pub micro: bool,
    pub profile: bool,
    /// Rebuild the release binaries and copy them to `bins` (else measure the copies already there).
    pub build: bool,
    pub report_path: PathBuf,
    /// `--only`: the one row to measure, when not all of them.
    pub only: Option<Only>,
    /// One command line per kind of run, in the order first run, for the report.
    pub commands: RefCell<Vec<(String, String)>>,
}

impl Settings {
    fn parse(args: &[String]) -> Result<Self, String> {
        let mut flags = std::collections::HashMap::new();
        let mut switches = Vec::new();
        let mut it = args.iter();
        while let Some(arg) = it.next() {
            match arg.as_str() {
                "--no-micro" | "--no-profile" | "--no-build" => switches.push(arg.clone()),
                name if name.starts_with("--") => {
                    let value = it.next().ok_or_else(|| format!("{name} needs a value"))?;
                    flags.insert(name.trim_start_matches("--").to_owned(), value.clone());
                }
                other => return Err(format!("unexpected argument {other:?}")),
            }
        }
        let get = |name: &str, default: &str| flags.get(name).cloned().unwrap_or_else(|| default.to_owned());
        let num = |name: &str, default: usize| -> Result<usize, String> {
            get(name, &default.to_string()).parse().map_err(|_| format!("--{name} must be a whole number"))
        };
        let root = workspace_root();
        let target = std::env::var_os("CARGO_TARGET_DIR").map_or_else(|| root.join("target"), PathBuf::from);
        let out = target.join("bench");
        let cpus = std::thread::available_parallelism().map_or(1, std::num::NonZeroUsize::get);
        let pin = match get("pin", "auto").as_str() {
            "auto" => cpus >= 2,
            "off" => false,
            other => return Err(format!("--pin must be auto or off, not {other:?}")),
        };
        let duration = num("duration", 5)?.clamp(1, 120) as u64;
        Ok(Self {
            logs: out.join("logs"),
            bins: out.join("bin"),
            target: target.clone(),
            scripts: root.join("xtask/bench"),
            out,
            duration,
            warmup: 2.min(duration),
            runs: num("runs", 3)?.clamp(1, 15),
            connections: num("connections", 16)?.clamp(1, 1024),
            wrk_threads: if pin { 1 } else { 2.min(cpus) },
            keys: num("keys", 10_000)?.clamp(10, 200_000),
            memory_keys: num("memory-keys", 1_000_000)?.clamp(1000, 5_000_000),
            workers: if pin { 1 } else { cpus },
            server_cpu: pin.then(|| "1".to_owned()),
            load_cpu: pin.then(|| "0".to_owned()),
            pg: Pg {
                host: get("pg-host", "127.0.0.1"),
                port: get("pg-port", "5432").parse().map_err(|_| "--pg-port must be a port number")?,
                user: get("pg-user", "postgres"),
                logs: PathBuf::new(),
            },
            admin: format!("bench-admin-token-{}-0123456789abcdefghij", std::process::id()),
            micro: !switches.iter().any(|s| s == "--no-micro"),
            profile: !switches.iter().any(|s| s == "--no-profile"),
            build: !switches.iter().any(|s| s == "--no-build"),
            report_path: root.join(get("output", "docs/performance.md")),
            only: flags.get("only").map(|name| Only::parse(name)).transpose()?,
            commands: RefCell::new(Vec::new()),
            root,
        })
    }

    /// Records `cmd` as the command line of runs like `label` (`wrk-floor-2` is a `wrk-floor`), with
    /// the workspace path, the admin token and API tokens replaced by placeholders.
    pub fn note(&self, label: &str, cmd: &Command) {
        let kind = label.trim_end_matches(|c: char| c.is_ascii_digit()).trim_end_matches('-').to_owned();
        let mut commands = self.commands.borrow_mut();
        if commands.iter().any(|(k, _)| *k == kind) {
            return;
        }
        let root = format!("{}/", self.root.display());
        let word = |w: &std::ffi::OsStr| {
            let w = w.to_string_lossy().replace(&root, "").replace(&self.admin, "$ADMIN");
            if w.starts_with("kg_live_") {
                "$TOKEN".to_owned()
            } else {
                w
            }
        };
        let mut line: Vec<String> =
            cmd.get_envs().filter_map(|(k, v)| Some(format!("{}={}", k.to_string_lossy(), word(v?)))).collect();
        line.push(word(cmd.get_program()));
        line.extend(cmd.get_args().map(word));
        commands.push((kind, line.join(" ")));
    }

    /// Path of a release binary.
    pub fn bin(&self, name: &str) -> PathBuf {
        self.bins.join(name)
    }

    /// Runs `bench-client <args>` within `within`; its one result line.
    pub fn client(&self, label: &str, args: &[&str], within: Duration) -> Result<String, String> {
        let mut cmd = Command::new(self.bin("bench-client"));
        cmd.args(args);
        self.note(label, &cmd);
        output(&mut cmd, label, &self.logs, within).map(|s| s.trim().to_owned())
    }

    /// Starts keygated (in memory, or on `database`), pinned to the server CPU when `pinned`.
    pub fn keygated(&self, name: &str, database: Option<&str>, pinned: bool) -> Result<Server, String> {
        self.keygated_with(name, database, pinned, &[])
    }

    /// [`Settings::keygated`] with more `KEYGATE_*` settings.
    pub fn keygated_with(
        &self,
        name: &str,
        database: Option<&str>,
        pinned: bool,
        settings: &[(&str, &str)],
    ) -> Result<Server, String> {
        let port = proc::free_port()?;
        let cpu = if pinned { self.server_cpu.as_deref() } else { None };
        let mut cmd = proc::pinned(cpu, &self.bin("keygated"));
        for (var, _) in std::env::vars().filter(|(v, _)| v.starts_with("KEYGATE_")) {
            cmd.env_remove(var);
        }
        cmd.env("KEYGATE_LISTEN", format!("127.0.0.1:{port}"))
            .env("KEYGATE_ADMIN_TOKEN", &self.admin)
            .env("KEYGATE_WORKERS", self.workers.to_string())
            .env("KEYGATE_LOG", "info");
        if let Some(url) = database {
            cmd.env("KEYGATE_DATABASE_URL", url);
        }
        for (var, value) in settings {
            cmd.env(var, value);
        }
        self.note(name, &cmd);
        Server::start(name, cmd, port, &self.logs, Duration::from_secs(60))
    }

    /// Path relative to the workspace, for the report.
    pub fn shown(&self, path: &Path) -> String {
        path.strip_prefix(&self.root).unwrap_or(path).display().to_string()
    }
}

/// Installs `package` with apt-get when we are root; otherwise says what to install.
fn install(s: &Settings, package: &str) -> Result<(), String> {
    let root = Command::new("id").arg("-u").output().is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0");
    if !root {
        return Err(format!("{package} is missing: install it (Debian: apt-get install -y {package})"));
    }
    println!("\n==> installing {package} with apt-get");
    let mut update = Command::new("apt-get");
    update.args(["update", "-qq"]);
    output(&mut update, "apt-get-update", &s.logs, Duration::from_secs(300))?;
    let mut install = Command::new("apt-get");
    install.args(["install", "-y", "-qq", package]).env("DEBIAN_FRONTEND", "noninteractive");
    output(&mut install, &format!("apt-get-install-{package}"), &s.logs, Duration::from_secs(300))?;
    Ok(())
}

/// Installs wrk and nginx with apt-get when they are missing and we are root; otherwise says what to
/// install.
fn ensure_tools(s: &Settings) -> Result<(), String> {
    let found = |tool: &str| {
        Command::new("sh").arg("-c").arg(format!("command -v {tool}")).output().is_ok_and(|o| o.status.success())
    };
    for (tool, package) in [("wrk", "wrk"), ("nginx", "nginx")] {
        if !found(tool) {
            install(s, package)?;
        }
    }
    for tool in ["wrk", "nginx", "psql", "pgbench"] {
        if !found(tool) {
            return Err(format!("{tool} is missing (Debian: wrk, nginx, postgresql-client)"));
        }
    }
    if s.server_cpu.is_some() && !found("taskset") {
        return Err("taskset is missing (Debian: util-linux); or run with --pin off".into());
    }
    Ok(())
}

/// Copies the release binaries the run starts into `target/bench/bin`.
fn snapshot(s: &Settings) -> Result<(), String> {
    std::fs::create_dir_all(&s.bins).map_err(|e| format!("cannot create {}: {e}", s.bins.display()))?;
    for name in ["keygated", "bench-floor", "bench-client", "bench-memory", "wallet-api"] {
        let from = s.target.join("release").join(name);
        std::fs::copy(&from, s.bin(name)).map_err(|e| format!("cannot copy {}: {e}", from.display()))?;
    }
    Ok(())
}

fn phase(name: &str) -> Instant {
    println!("\n==> bench: {name}");
    Instant::now()
}

/// `--only`: the stack and one row; its figures go to `target/bench/results-<row>.json`, never to the
/// report, which holds whole runs only.
fn run_only(s: &Settings, only: Only, mut report: Report, started: Instant) -> Result<(), String> {
    let t = phase("servers, database and keys");
    let stack = stack::Stack::start(s)?;
    report.phase("set-up", t);
    match only {
        Only::Verify => {
            let t = phase("rows 1-3 and 7: verification against the floor");
            verify::rows(s, &stack, &mut report)?;
            report.phase("verification rows", t);
        }
        Only::RequestLog => {
            let t = phase("row 3c: request logging on vs off");
            request_log::row(s, &stack, &mut report)?;
            report.phase("request log", t);
        }
        Only::Workers => {
            let t = phase("rows 2c and 3d: verification on 2 workers against the floor on 2 workers");
            workers::rows(s, &stack, &mut report)?;
            report.phase("2 workers", t);
        }
        Only::Rate => {
            let t = phase("row 8d: verification with one rate limit vs without");
            rate::row(s, &stack, &mut report)?;
            report.phase("rate limit", t);
        }
        Only::RateExactness => {
            let t = phase("row 8e: rate-limit exactness over two processes");
            rate_exactness::row(s, &stack, &mut report)?;
            report.phase("rate-limit exactness", t);
        }
        Only::Amounts => {
            let t = phase("row 4: amounts and releases against pgbench");
            money::rows(s, &stack, &mut report)?;
            report.phase("amount rows", t);
        }
    }
    let name = only.name();
    drop(stack);
    report.finish(started.elapsed().as_secs_f64());
    let path = s.out.join(format!("results-{name}.json"));
    report.write_json(&path)?;
    println!("\n{}", report.summary());
    println!("bench: wrote {} in {:.0} s", s.shown(&path), started.elapsed().as_secs_f64());
    Ok(())
}

/// The full task.
pub fn run(args: &[String]) -> Result<(), String> {
    let started = Instant::now();
    let mut s = Settings::parse(args)?;
    std::fs::create_dir_all(&s.logs).map_err(|e| format!("cannot create {}: {e}", s.logs.display()))?;
    s.pg.logs = s.logs.clone();
    ensure_tools(&s)?;
    s.pg.query("postgres", "SELECT 1").map_err(|e| format!("PostgreSQL is not reachable: {e}"))?;
    let mut report = Report::new(&s);

    let t = phase("release build");
    if s.build {
        crate::run::cargo(&["build", "--release", "-p", "keygated", "-p", "bench-floor", "-p", "wallet-api"])?;
        snapshot(&s)?;
    } else if !s.bin("keygated").exists() {
        return Err(format!("--no-build: no binaries in {} to measure", s.bins.display()));
    }
    report.phase("release build", t);
    if let Some(only) = s.only {
        return run_only(&s, only, report, started);
    }

    if s.micro {
        let t = phase("criterion micro-benchmarks and in-process timing");
        micro::run(&s, &mut report)?;
        report.phase("micro-benchmarks", t);
    }
    let t = phase("memory per key");
    others::memory(&s, &mut report)?;
    report.phase("memory", t);

    let t = phase("servers, database and keys");
    let stack = stack::Stack::start(&s)?;
    report.phase("set-up", t);
    let t = phase("rows 1-3 and 7: verification against the floor");
    verify::rows(&s, &stack, &mut report)?;
    report.phase("verification rows", t);
    let t = phase("rows 2c and 3d: verification on 2 workers against the floor on 2 workers");
    workers::rows(&s, &stack, &mut report)?;
    report.phase("2 workers", t);
    let t = phase("row 4: amounts and releases against pgbench");
    money::rows(&s, &stack, &mut report)?;
    report.phase("amount rows", t);
    let t = phase("rows 6 and 6b: revocation and suspension propagation");
    others::revocation(&s, &stack, &mut report)?;
    report.phase("revocation", t);
    let t = phase("row 10: nginx with and without keygate");
    gateway::row(&s, &stack, &mut report)?;
    report.phase("gateway", t);
    let t = phase("row 3c: request logging on vs off");
    request_log::row(&s, &stack, &mut report)?;
    report.phase("request log", t);
    let t = phase("row 8d: verification with one rate limit vs without");
    rate::row(&s, &stack, &mut report)?;
    report.phase("rate limit", t);
    let t = phase("row 8e: rate-limit exactness over two processes");
    rate_exactness::row(&s, &stack, &mut report)?;
    report.phase("rate-limit exactness", t);
    drop(stack);

    let t = phase("row 2b: service authentication on the plain verify");
    verify::service_auth(&s, &mut report)?;
    report.phase("service authentication", t);
    let t = phase("row 5: wallet-api with and without the middleware");
    others::wallet(&s, &mut report)?;
    report.phase("wallet", t);

    report.finish(started.elapsed().as_secs_f64());
    report.write(&s)?;
    println!("\n{}", report.summary());
    println!(
        "bench: wrote {} and {} in {:.0} s",
        s.shown(&s.report_path),
        s.shown(&s.out.join("results.json")),
        started.elapsed().as_secs_f64()
    );
    Ok(())
}
