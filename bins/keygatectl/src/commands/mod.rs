//! The commands, one file per group. Each maps to one API call or a documented sequence of them, and
//! shows the answer through [`Output`]; none holds a rule of keygate's: the server decides.

pub mod audit;
pub mod key;
mod key_body;
mod key_bulk;
pub mod leak;
pub mod operator;
pub mod service;
pub mod tenant;
pub mod verify;
pub mod webhook;

use std::path::Path;

use serde_json::Value;

use crate::cli::{Cli, Command};
use crate::client::{segment, Client, Query};
use crate::config;
use crate::error::CliError;
use crate::output::{note, out, Output, OutputMode};
use crate::table::Column;

/// What every command runs with.
pub struct Ctx {
    pub client: Client,
    pub out: Output,
    tenant: Option<String>,
}

impl Ctx {
    /// The configured tenant, or a usage error saying how to give one.
    pub fn tenant(&self) -> Result<&str, CliError> {
        self.tenant
            .as_deref()
            .ok_or_else(|| CliError::usage("no tenant: pass --tenant, set KEYGATE_TENANT or a profile's tenant"))
    }

    /// `/v1/tenants/{tenant}{rest}` for the configured tenant.
    pub fn tenant_path(&self, rest: &str) -> Result<String, CliError> {
        Ok(format!("/v1/tenants/{}{rest}", segment(self.tenant()?)))
    }

    /// The configured tenant, when there is one (verify's optional `tenant_id`).
    pub fn tenant_opt(&self) -> Option<&str> {
        self.tenant.as_deref()
    }
}

/// Runs the parsed command line.
pub fn run(cli: Cli) -> Result<(), CliError> {
    if let Command::Completions { shell } = cli.command {
        let mut command = <Cli as clap::CommandFactory>::command();
        let mut buffer = Vec::new();
        clap_complete::generate(shell, &mut command, "keygatectl", &mut buffer);
        return out(&String::from_utf8_lossy(&buffer));
    }
    let settings = config::resolve(&cli.global)?;
    let ctx = Ctx {
        client: Client::new(settings.url, settings.token)?,
        out: Output::new(cli.global.output),
        tenant: settings.tenant,
    };
    match cli.command {
        Command::Tenant(c) => tenant::run(&ctx, c),
        Command::Operator(c) => operator::run(&ctx, c),
        Command::Key(c) => key::run(&ctx, c),
        Command::Service(c) => service::run(&ctx, c),
        Command::Audit(c) => audit::run(&ctx, c),
        Command::Webhook(c) => webhook::run(&ctx, c),
        Command::Leak(c) => leak::run(&ctx, c),
        Command::Verify(args) => verify::run(&ctx, args),
        Command::Completions { .. } => Ok(()),
    }
}

/// A listing: one page as a table (the next page's cursor on stderr) or as the API's document, or
/// every page as JSON lines.
pub fn list(ctx: &Ctx, path: &str, query: &Query<'_>, columns: &[Column]) -> Result<(), CliError> {
    match ctx.out.mode {
        OutputMode::Jsonl => each_item(ctx, path, query, |item| out(&format!("{item}\n"))),
        OutputMode::Json => out(&crate::output::pretty(&ctx.client.get(path, query)?)),
        OutputMode::Table => {
            let page = ctx.client.get(path, query)?;
            let items = page["items"].as_array().cloned().unwrap_or_default();
            ctx.out.rows(columns, &items)?;
            if let Some(cursor) = page["next_cursor"].as_str() {
                note(&format!("more: pass --cursor {cursor}"));
            }
            Ok(())
        }
    }
}

/// Calls `each` with every item of every page of a listing, following `next_cursor`.
pub fn each_item(
    ctx: &Ctx,
    path: &str,
    query: &Query<'_>,
    mut each: impl FnMut(&Value) -> Result<(), CliError>,
) -> Result<(), CliError> {
    let mut query: Vec<(&str, Option<String>)> = query.to_vec();
    loop {
        let page = ctx.client.get(path, &query)?;
        for item in page["items"].as_array().map(Vec::as_slice).unwrap_or_default() {
            each(item)?;
        }
        match page["next_cursor"].as_str() {
            Some(cursor) => {
                query.retain(|(k, _)| *k != "cursor");
                query.push(("cursor", Some(cursor.to_owned())));
            }
            None => return Ok(()),
        }
    }
}

/// The text of `path`, or standard input for `-`, trimmed.
pub fn read_input(path: &Path) -> Result<String, CliError> {
    let text = if path == Path::new("-") {
        std::io::read_to_string(std::io::stdin()).map_err(|e| CliError::usage(format!("standard input: {e}")))?
    } else {
        std::fs::read_to_string(path).map_err(|e| CliError::usage(format!("{}: {e}", path.display())))?
    };
    Ok(text.trim().to_owned())
}

/// `{"reason": ...}` when a reason was given, else no body.
pub fn reason_body(reason: Option<&String>) -> Option<Value> {
    reason.map(|r| serde_json::json!({ "reason": r }))
}
