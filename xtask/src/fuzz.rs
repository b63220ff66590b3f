//! `cargo xtask fuzz [seconds] [--asan] [--dev]`: bounded libFuzzer runs (cargo-fuzz, nightly) of
//! every parser target.
//!
//! Each target runs for `seconds` (default 60; CI runs 10) over a fresh corpus directory under
//! `target/fuzz/runs/`, reading the seed corpus kept in the repository (`fuzz/corpus/<target>/`) without
//! writing to it, so a run never dirties the tree. Both fuzz crates build into one target directory,
//! `target/fuzz`. A crash is reported with libFuzzer's own lines and the path of the input it saved
//! (`fuzz/artifacts/<target>/`, ignored by git), and fails the task after every target has run.
//! Installs cargo-fuzz with `cargo install cargo-fuzz --locked` when it is missing.
//!
//! Builds without a sanitizer unless `--asan` is given: the code under test forbids `unsafe`, and what
//! the targets look for (panics, broken properties, timeouts, memory blow-ups) needs none. Without
//! the address sanitizer the build takes about 40% less time and the runs execute about six times more
//! inputs.
//!
//! `--dev` builds without optimisation (cargo-fuzz's `--dev`: coverage-instrumented, debug
//! assertions on), which CI uses: its 10-second runs are a smoke test of every target, and the
//! release build of `json_bodies` (all of keygated, instrumented) cost CI about 10 minutes of its
//! 30, the dev build about 4. A dev build executes several times fewer inputs a second; fuzz for
//! real with the default release build.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Instant;

use crate::run::{status, workspace_root};

/// (fuzz crate, target) for every target, cheapest crate first.
const TARGETS: &[(&str, &str)] = &[
    ("crates/keygate-credential/fuzz", "parse_token"),
    ("crates/keygate-credential/fuzz", "parse_scope"),
    ("crates/keygate-credential/fuzz", "parse_amount"),
    ("crates/keygate-credential/fuzz", "parse_limits"),
    ("crates/keygate-credential/fuzz", "parse_signature"),
    ("bins/keygated/fuzz", "json_bodies"),
];

/// Seconds per target when none is given.
const DEFAULT_SECONDS: u64 = 60;

/// Seconds per target in CI.
const CI_SECONDS: u64 = 10;

/// The full task: `cargo xtask fuzz [seconds per target] [--asan]`.
pub fn run(args: &[String]) -> Result<(), String> {
    let asan = args.iter().any(|a| a == "--asan");
    let build = if args.iter().any(|a| a == "--dev") { Build::Dev } else { Build::Release };
    let seconds = match args.iter().find(|a| *a != "--asan" && *a != "--dev") {
        None => DEFAULT_SECONDS,
        Some(text) => text
            .parse::<u64>()
            .ok()
            .filter(|s| (1..=86_400).contains(s))
            .ok_or_else(|| format!("seconds must be a whole number from 1 to 86400, not {text:?}"))?,
    };
    fuzz_all(seconds, if asan { "address" } else { "none" }, build)
}

/// The short version CI runs: every target for a few seconds, built unoptimised.
pub fn ci() -> Result<(), String> {
    fuzz_all(CI_SECONDS, "none", Build::Dev)
}

/// Which cargo profile the targets are built with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Build {
    /// cargo-fuzz's default: optimised, with debug assertions.
    Release,
    /// `--dev`: unoptimised, quicker to build.
    Dev,
}

impl Build {
    /// The flags `cargo fuzz build` and `cargo fuzz run` take for it (the same for both, or `run`
    /// builds the other profile).
    fn flags(self) -> &'static [&'static str] {
        match self {
            Self::Release => &[],
            Self::Dev => &["--dev"],
        }
    }

    fn name(self) -> &'static str {
        match self {
            Self::Release => "release",
            Self::Dev => "dev",
        }
    }
}

/// What one target's run did.
struct Outcome {
    target: &'static str,
    executions: u64,
    per_second: u64,
    new_inputs: usize,
    crashed: bool,
}

fn fuzz_all(seconds: u64, sanitizer: &'static str, build: Build) -> Result<(), String> {
    let root = workspace_root();
    let started = Instant::now();
    ensure_cargo_fuzz()?;
    let toolchain = toolchain();
    let target_dir = root.join("target").join("fuzz");
    let build_started = Instant::now();
    let mut crates: Vec<&str> = TARGETS.iter().map(|(dir, _)| *dir).collect();
    crates.dedup();
    for dir in &crates {
        let mut cmd = cargo_fuzz(toolchain, &root, &target_dir);
        cmd.args(["build", "--sanitizer", sanitizer, "--fuzz-dir", dir]).args(build.flags());
        status(&mut cmd, &format!("cargo fuzz build ({dir})"))?;
    }
    let build_seconds = build_started.elapsed().as_secs();
    let mut outcomes = Vec::new();
    for (dir, target) in TARGETS {
        let run = Run { toolchain, root: &root, dir, target, target_dir: &target_dir, seconds, sanitizer, build };
        outcomes.push(run.go()?);
    }
    println!(
        "\nfuzz: {seconds} s per target, sanitizer {sanitizer}, {} build {build_seconds} s, total {} s",
        build.name(),
        started.elapsed().as_secs()
    );
    println!("  {:<14} {:>13} {:>10} {:>11}  result", "target", "executions", "exec/s", "new inputs");
    for o in &outcomes {
        let result = if o.crashed { "CRASH" } else { "ok" };
        println!("  {:<14} {:>13} {:>10} {:>11}  {result}", o.target, o.executions, o.per_second, o.new_inputs);
    }
    let crashed: Vec<&str> = outcomes.iter().filter(|o| o.crashed).map(|o| o.target).collect();
    if crashed.is_empty() {
        Ok(())
    } else {
        Err(format!("crash in {}: see the output above and fuzz/artifacts/<target>/", crashed.join(", ")))
    }
}

/// Installs cargo-fuzz if `cargo fuzz` is not there.
fn ensure_cargo_fuzz() -> Result<(), String> {
    let found = Command::new(cargo()).args(["fuzz", "--version"]).stdout(Stdio::null()).stderr(Stdio::null()).status();
    if found.is_ok_and(|s| s.success()) {
        return Ok(());
    }
    let started = Instant::now();
    status(Command::new(cargo()).args(["install", "cargo-fuzz", "--locked"]), "cargo install cargo-fuzz --locked")?;
    println!("cargo-fuzz installed in {} s", started.elapsed().as_secs());
    Ok(())
}

/// `+nightly` when rustup has a nightly toolchain; otherwise the default toolchain with
/// `RUSTC_BOOTSTRAP=1`, which accepts the `-Z` flags cargo-fuzz passes.
fn toolchain() -> Option<&'static str> {
    let nightly =
        Command::new(cargo()).args(["+nightly", "--version"]).stdout(Stdio::null()).stderr(Stdio::null()).status();
    if nightly.is_ok_and(|s| s.success()) {
        return Some("+nightly");
    }
    println!("note: no nightly toolchain; fuzzing with the default one and RUSTC_BOOTSTRAP=1");
    None
}

fn cargo() -> String {
    // Not $CARGO: that is the toolchain's own cargo binary, which does not take `+nightly`.
    "cargo".to_owned()
}

/// `cargo [+nightly] fuzz`, building into `target_dir`.
fn cargo_fuzz(toolchain: Option<&str>, root: &Path, target_dir: &Path) -> Command {
    let mut cmd = Command::new(cargo());
    if let Some(toolchain) = toolchain {
        cmd.arg(toolchain);
    } else {
        cmd.env("RUSTC_BOOTSTRAP", "1");
    }
    cmd.arg("fuzz")
        .current_dir(root)
        .env("CARGO_TARGET_DIR", target_dir)
        // Set by `cargo xtask` for the toolchain that built xtask; it would override `+nightly`.
        .env_remove("RUSTUP_TOOLCHAIN")
        .env_remove("RUSTC")
        .env_remove("CARGO");
    cmd
}

/// One target's run.
struct Run<'a> {
    toolchain: Option<&'a str>,
    root: &'a Path,
    dir: &'a str,
    target: &'static str,
    target_dir: &'a Path,
    seconds: u64,
    sanitizer: &'a str,
    build: Build,
}

impl Run<'_> {
    /// Runs the target over a fresh corpus directory plus the seeds, and reads libFuzzer's final stats.
    fn go(&self) -> Result<Outcome, String> {
        let Self { toolchain, root, dir, target, target_dir, seconds, sanitizer, build } = *self;
        let runs = target_dir.join("runs");
        let corpus = runs.join(target);
        let log = runs.join(format!("{target}.log"));
        if corpus.exists() {
            fs::remove_dir_all(&corpus).map_err(|e| format!("cannot clear {}: {e}", corpus.display()))?;
        }
        fs::create_dir_all(&corpus).map_err(|e| format!("cannot create {}: {e}", corpus.display()))?;
        let seeds: PathBuf = root.join(dir).join("corpus").join(target);
        let log_file = fs::File::create(&log).map_err(|e| format!("cannot create {}: {e}", log.display()))?;
        let mut cmd = cargo_fuzz(toolchain, root, target_dir);
        cmd.args(["run", "--sanitizer", sanitizer, "--fuzz-dir", dir])
            .args(build.flags())
            .arg(target)
            .arg(&corpus)
            .arg(&seeds)
            .arg("--")
            .arg(format!("-max_total_time={seconds}"))
            .args(["-timeout=10", "-rss_limit_mb=2048", "-print_final_stats=1"])
            .stdout(log_file.try_clone().map_err(|e| e.to_string())?)
            .stderr(log_file);
        println!("\n==> fuzz {target} for {seconds} s (log: {})", log.display());
        let exit = cmd.status().map_err(|e| format!("could not start cargo fuzz run {target}: {e}"))?;
        let text = fs::read_to_string(&log).unwrap_or_default();
        let stat = |name: &str| {
            text.lines()
                .find_map(|l| l.strip_prefix(&format!("stat::{name}:")))
                .and_then(|v| v.trim().parse::<u64>().ok())
                .unwrap_or(0)
        };
        let outcome = Outcome {
            target,
            executions: stat("number_of_executed_units"),
            per_second: stat("average_exec_per_sec"),
            new_inputs: fs::read_dir(&corpus).map_or(0, Iterator::count),
            crashed: !exit.success(),
        };
        if outcome.crashed {
            let lines: Vec<&str> = text.lines().collect();
            let tail = &lines[lines.len().saturating_sub(40)..];
            println!("{target} FAILED ({exit}); last lines of its log:\n{}", tail.join("\n"));
        } else {
            println!(
                "{target}: {} executions ({} per second), {} new inputs",
                outcome.executions, outcome.per_second, outcome.new_inputs
            );
        }
        Ok(outcome)
    }
}
