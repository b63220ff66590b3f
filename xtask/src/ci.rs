//! `cargo xtask ci`: everything CI checks, in the order that fails fastest.

use std::process::{Command, Stdio};
use std::time::Instant;

use crate::run::{cargo, workspace_root};
use crate::tidy::tidy;

/// Tests run at once by cargo-nextest. Most tests wait (on PostgreSQL, on servers and child
/// processes they start), so twice the two cores of a CI machine keeps both busy; more starts enough
/// pools to approach PostgreSQL's default 100 connections.
const TEST_THREADS: &str = "4";

/// Format check, lints with warnings denied, repository rules, every test of every crate, then the
/// short fuzz, schema and soak passes. Prints how long each step took, also when one fails.
///
/// With `KEYGATE_TEST_DATABASE_URL` set the store, verifier and server suites also run on PostgreSQL.
/// Under CI (`CI=true`) the variable is required, so a missing database fails instead of skipping.
pub fn ci() -> Result<(), String> {
    let in_ci = std::env::var("CI").is_ok_and(|v| v == "true" || v == "1");
    let database = std::env::var("KEYGATE_TEST_DATABASE_URL").unwrap_or_default();
    if in_ci && database.is_empty() {
        return Err("CI=true but KEYGATE_TEST_DATABASE_URL is not set: the PostgreSQL suites would not run".into());
    }
    if database.is_empty() {
        println!("note: KEYGATE_TEST_DATABASE_URL is not set; PostgreSQL suites run only on the in-memory store");
    }
    let mut steps = Steps::default();
    let result = steps.all();
    steps.print();
    result
}

/// Each step's name and seconds, in order.
#[derive(Default)]
struct Steps(Vec<(&'static str, u64)>);

impl Steps {
    fn all(&mut self) -> Result<(), String> {
        self.step("fmt", || cargo(&["fmt", "--all", "--", "--check"]))?;
        self.step("clippy", || cargo(&["clippy", "--workspace", "--all-targets", "--locked", "--", "-D", "warnings"]))?;
        self.step("tidy", || {
            println!("\n==> tidy");
            tidy(&workspace_root())
        })?;
        self.step("tests", tests)?;
        self.step("fuzz", crate::fuzz::ci)?;
        self.step("schemathesis", crate::schemathesis::ci)?;
        self.step("soak", crate::soak::ci)
    }

    fn step(&mut self, name: &'static str, run: impl FnOnce() -> Result<(), String>) -> Result<(), String> {
        let started = Instant::now();
        let result = run();
        self.0.push((name, started.elapsed().as_secs()));
        result
    }

    fn print(&self) {
        let total: u64 = self.0.iter().map(|(_, s)| s).sum();
        let steps: Vec<String> = self.0.iter().map(|(name, s)| format!("{name} {s} s")).collect();
        println!("\nci: {} ({total} s in all)", steps.join(", "));
    }
}

/// Every test of every crate: with cargo-nextest when it is installed (each test its own process,
/// [`TEST_THREADS`] at once, so the suites' waits overlap), then the doc tests, which nextest does not
/// run; else `cargo test`, one test binary after another.
fn tests() -> Result<(), String> {
    let nextest =
        Command::new("cargo").args(["nextest", "--version"]).stdout(Stdio::null()).stderr(Stdio::null()).status();
    if nextest.is_ok_and(|s| s.success()) {
        cargo(&["nextest", "run", "--workspace", "--locked", "--no-fail-fast", "--test-threads", TEST_THREADS])?;
        cargo(&["test", "--workspace", "--locked", "--doc"])
    } else {
        println!("note: cargo-nextest is not installed; running the tests with cargo test, one binary at a time");
        cargo(&["test", "--workspace", "--locked", "--no-fail-fast"])
    }
}
