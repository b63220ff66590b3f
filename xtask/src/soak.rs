//! `cargo xtask soak [seconds] [rate]`: the bounded soak, in release mode, with its report shown.
//!
//! The load generator is the test `soak::mixed_traffic_at_a_fixed_rate_has_no_errors_and_bounded_memory`
//! of `bins/keygated/tests/api` (Rust, loopback only): it starts the keygated binary, sends mixed
//! verification and management traffic at a fixed rate and reports errors, p99 latency per 10 s window
//! and the child's resident memory. This task runs that one test for `seconds` (default 300) at `rate`
//! requests per second (default 200). CI does not call this: the test suite already runs the same test
//! for 30 s (its default), so `ci()` has nothing left to do.

use std::process::Command;

use crate::run::{status, workspace_root};

/// The test that drives the load.
const SOAK_TEST: &str = "soak::mixed_traffic_at_a_fixed_rate_has_no_errors_and_bounded_memory";

/// The full task: `cargo xtask soak [seconds] [rate]`.
pub fn run(args: &[String]) -> Result<(), String> {
    let number = |index: usize, name: &str, default: u64| -> Result<u64, String> {
        args.get(index).map_or(Ok(default), |text| {
            text.parse::<u64>()
                .ok()
                .filter(|n| (1..=86_400).contains(n))
                .ok_or_else(|| format!("{name} must be a whole number from 1 to 86400, got {text:?}"))
        })
    };
    let seconds = number(0, "seconds", 300)?;
    let rate = number(1, "rate", 200)?;
    if args.len() > 2 {
        return Err("usage: cargo xtask soak [seconds (default 300)] [requests per second (default 200)]".into());
    }
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
    let mut command = Command::new(cargo);
    command
        .args(["test", "--release", "--locked", "-p", "keygated", "--test", "api", "--", SOAK_TEST, "--exact"])
        .args(["--nocapture", "--test-threads", "1"])
        .env("KEYGATE_SOAK_SECONDS", seconds.to_string())
        .env("KEYGATE_SOAK_RATE", rate.to_string())
        .current_dir(workspace_root());
    status(&mut command, &format!("soak: {seconds} s at {rate} requests/s (release)"))
}

/// The short version CI runs: nothing here, because `cargo test` already ran the soak test for 30 s.
// Same signature as every task's `ci()`, which `cargo xtask ci` calls in turn.
#[allow(clippy::unnecessary_wraps)]
pub fn ci() -> Result<(), String> {
    Ok(())
}
