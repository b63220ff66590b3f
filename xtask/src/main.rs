//! keygate's developer tasks, run as `cargo xtask <task>`. Automation lives here, not in shell scripts.
//!
//! Tasks: `ci` (what CI runs: fmt, clippy, tidy, the whole test suite, then short fuzz, schema and
//! soak passes), `tidy` (repository rules), `openapi` (writes `docs/openapi.json` from the code), `bench` (performance report), `soak` (bounded load),
//! `fuzz` (bounded fuzzing), `schemathesis` (API schema testing).
//! It never changes the source tree except through `cargo fmt` when asked (`cargo xtask fmt`).

#![allow(clippy::print_stdout, clippy::print_stderr)]

mod bench;
mod ci;
mod fuzz;
mod openapi;
mod run;
mod schemathesis;
mod soak;
mod tidy;

use std::process::ExitCode;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let task = args.first().map_or("help", String::as_str);
    let result = match task {
        "ci" => ci::ci(),
        "tidy" => tidy::tidy(&run::workspace_root()),
        "fmt" => run::cargo(&["fmt", "--all"]),
        "bench" => bench::run(&args[1..]),
        "soak" => soak::run(&args[1..]),
        "fuzz" => fuzz::run(&args[1..]),
        "schemathesis" => schemathesis::run(&args[1..]),
        "openapi" => openapi::run(),
        _ => {
            eprintln!("usage: cargo xtask <ci | tidy | fmt | openapi | bench | soak | fuzz | schemathesis>");
            eprintln!("  ci            fmt check, clippy (warnings denied), tidy, all tests, short fuzz/schema/soak");
            eprintln!("  tidy          repository rules: module docs, dependency direction, no clock reads");
            eprintln!("  fmt           format the workspace");
            eprintln!("  openapi       write the OpenAPI document generated from the code to docs/openapi.json");
            eprintln!("  bench         release benchmarks against their floors -> docs/performance.md");
            eprintln!("  soak          bounded mixed load against keygated (default 5 minutes)");
            eprintln!("  fuzz          bounded cargo-fuzz runs of every parser target [seconds] [--asan] [--dev]");
            eprintln!("  schemathesis  schema-driven API testing against the served /openapi.json");
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
