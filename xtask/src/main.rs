//! keygate's developer tasks, run as `cargo xtask <task>`. Automation lives here, not in shell scripts.
//!
//! Tasks: `ci` (what CI runs: fmt, clippy, tidy, the whole test suite), `tidy` (repository rules).
//! It never changes the source tree except through `cargo fmt` when asked (`cargo xtask fmt`).

#![allow(clippy::print_stdout, clippy::print_stderr)]

mod ci;
mod run;
mod tidy;

use std::process::ExitCode;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let task = args.first().map_or("help", String::as_str);
    let result = match task {
        "ci" => ci::ci(),
        "tidy" => tidy::tidy(&run::workspace_root()),
        "fmt" => run::cargo(&["fmt", "--all"]),
        _ => {
            eprintln!("usage: cargo xtask <ci | tidy | fmt>");
            eprintln!("  ci    fmt check, clippy (warnings denied), tidy, the whole test suite");
            eprintln!("  tidy  repository rules: module docs, dependency direction, no clock reads");
            eprintln!("  fmt   format the workspace");
            return if task == "help" { ExitCode::SUCCESS } else { ExitCode::FAILURE };
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("xtask {task}: {message}");
            ExitCode::FAILURE
        }
    }
}
