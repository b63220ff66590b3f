//! `cargo xtask ci`: everything CI checks, in the order that fails fastest.

use crate::run::{cargo, workspace_root};
use crate::tidy::tidy;

/// Format check, lints with warnings denied, repository rules, every test of every crate, then the
/// short fuzz, schema and soak passes.
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
    cargo(&["fmt", "--all", "--", "--check"])?;
    cargo(&["clippy", "--workspace", "--all-targets", "--locked", "--", "-D", "warnings"])?;
    println!("\n==> tidy");
    tidy(&workspace_root())?;
    cargo(&["test", "--workspace", "--locked", "--no-fail-fast"])?;
    crate::fuzz::ci()?;
    crate::schemathesis::ci()?;
    crate::soak::ci()?;
    Ok(())
}
