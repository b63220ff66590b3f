//! The `keygatectl` binary: everything lives in the library, so its tests can render the help text
//! without a process; this only turns the outcome into the exit code.

fn main() -> std::process::ExitCode {
    keygatectl::main()
}
