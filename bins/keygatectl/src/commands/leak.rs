//! `keygatectl leak report`: tokens found where they should not be, sent with a service credential
//! (the tokens come from a file or standard input, never from an argument).

use std::path::PathBuf;

use clap::Subcommand;
use serde_json::{json, Value};

use super::{read_input, Ctx};
use crate::error::CliError;
use crate::output::OutputMode;
use crate::table::Column;

const COLUMNS: &[Column] = &[("TOKEN_TYPE", "token_type"), ("LABEL", "label")];

#[derive(Subcommand)]
pub enum LeakCommand {
    /// Report leaked tokens (a service credential); each is labelled, and a live key is acted on by
    /// its tenant's on_leak
    Report {
        /// A file (or - for standard input): one token a line, or the JSON array of the leak API
        #[arg(long, value_name = "PATH")]
        file: PathBuf,
        /// Where the tokens were found (each entry's `url`; `--url` is keygated's own address)
        #[arg(long, value_name = "URL")]
        found_url: Option<String>,
    },
}

pub fn run(ctx: &Ctx, command: LeakCommand) -> Result<(), CliError> {
    let LeakCommand::Report { file, found_url } = command;
    let text = read_input(&file)?;
    let body = if text.starts_with('[') {
        serde_json::from_str(&text).map_err(|e| CliError::usage(format!("{}: {e}", file.display())))?
    } else {
        let entries: Vec<Value> = text
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .map(|token| {
                let mut entry = json!({ "token": token, "type": "keygate_api_key", "source": "keygatectl" });
                if let Some(url) = &found_url {
                    entry["url"] = json!(url);
                }
                entry
            })
            .collect();
        Value::Array(entries)
    };
    let answer = ctx.client.post("/v1/leaks", Some(&body))?;
    // The answer repeats each token it was sent: show only its type and label in a table.
    match ctx.out.mode {
        OutputMode::Table => ctx.out.rows(COLUMNS, answer.as_array().map(Vec::as_slice).unwrap_or_default()),
        _ => ctx.out.object(&answer),
    }
}
