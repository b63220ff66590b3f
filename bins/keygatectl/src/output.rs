//! How answers are shown: a table for people (the default), `--output json` (the API's JSON, one
//! document) or `--output jsonl` (one object per line; lists follow every page). Colour only when
//! standard output is a terminal and `NO_COLOR` is not set.

use std::io::{IsTerminal as _, Write as _};

use clap::ValueEnum;
use serde_json::Value;

use crate::error::CliError;
use crate::table::{self, Column};

/// The output format.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum OutputMode {
    /// Aligned columns for people.
    Table,
    /// The API's JSON, one document.
    Json,
    /// One JSON object per line; lists follow every page.
    Jsonl,
}

/// Where and how answers are written.
pub struct Output {
    pub mode: OutputMode,
    colour: bool,
}

impl Output {
    pub fn new(mode: OutputMode) -> Self {
        let colour = std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none();
        Self { mode, colour }
    }

    /// One answer: a two-column table, or the JSON document.
    pub fn object(&self, value: &Value) -> Result<(), CliError> {
        match self.mode {
            OutputMode::Table => out(&table::object(value, self.colour)),
            OutputMode::Json => out(&pretty(value)),
            OutputMode::Jsonl => out(&format!("{value}\n")),
        }
    }

    /// Some rows under `columns` (the table form of a list page).
    pub fn rows(&self, columns: &[Column], rows: &[Value]) -> Result<(), CliError> {
        out(&table::rows(columns, rows, self.colour))
    }
}

/// Pretty JSON with a final newline.
pub fn pretty(value: &Value) -> String {
    let mut text = serde_json::to_string_pretty(value).unwrap_or_else(|_| value.to_string());
    text.push('\n');
    text
}

/// Writes to standard output; a closed pipe (`| head`) is not an error worth a message.
pub fn out(text: &str) -> Result<(), CliError> {
    let mut stdout = std::io::stdout().lock();
    match stdout.write_all(text.as_bytes()).and_then(|()| stdout.flush()) {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => Err(CliError::usage(format!("writing output: {e}"))),
        _ => Ok(()),
    }
}

/// Writes one line to standard error (notes and warnings, never data).
pub fn note(text: &str) {
    let _ = writeln!(std::io::stderr().lock(), "{text}");
}
