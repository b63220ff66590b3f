//! keygatectl, the operators' command line: a client of keygated's JSON API and nothing else. It never
//! touches a database and depends on no keygate library crate; every command is one API call (or a
//! documented sequence of them). It never takes a token or a key secret as an argument (they would
//! show in `ps`), never prints a secret but in the one command that received it, and never writes one
//! to a file another user can read.

// The doc comments of the command line are its help text, read in a terminal: no Markdown there.
#![allow(clippy::doc_markdown)]

pub mod cli;
mod client;
mod commands;
mod config;
mod error;
mod output;
mod secret;
mod table;

use std::io::Write as _;
use std::process::ExitCode;

use clap::Parser as _;

pub use error::CliError;

/// Parses the command line, runs the command and maps the outcome to the exit code: 0 success,
/// 1 refused by the server, 2 usage error, 3 server unavailable.
pub fn main() -> ExitCode {
    let cli = match cli::Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            // clap prints help and version on stdout (exit 0) and usage errors on stderr (exit 2).
            let _ = e.print();
            return ExitCode::from(u8::try_from(e.exit_code()).unwrap_or(2));
        }
    };
    match commands::run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            let text = e.to_string();
            if !text.is_empty() {
                let _ = writeln!(std::io::stderr().lock(), "{text}");
            }
            ExitCode::from(e.exit_code())
        }
    }
}
