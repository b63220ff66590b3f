//! `keygatectl audit`: the tenant's audit log, newest first, and the check of its hash chain (exit 1
//! when the chain is broken).

use clap::Subcommand;

use super::key::Page;
use super::{list, Ctx};
use crate::error::CliError;
use crate::table::Column;

const COLUMNS: &[Column] = &[
    ("SEQ", "seq"),
    ("AT", "at"),
    ("ACTOR", "actor"),
    ("ACTION", "action"),
    ("KEY_ID", "key_id"),
    ("REASON", "reason"),
];

#[derive(Subcommand)]
pub enum AuditCommand {
    /// The audit log, newest first
    List {
        /// Only this key's entries
        #[arg(long, value_name = "ID")]
        key_id: Option<String>,
        #[command(flatten)]
        page: Page,
    },
    /// Check the hash chain has not been edited (exit 1 when it has)
    Verify,
}

pub fn run(ctx: &Ctx, command: AuditCommand) -> Result<(), CliError> {
    match command {
        AuditCommand::List { key_id, page } => {
            let query = [("key_id", key_id), ("limit", page.limit.map(|l| l.to_string())), ("cursor", page.cursor)];
            list(ctx, &ctx.tenant_path("/audit")?, &query, COLUMNS)
        }
        AuditCommand::Verify => {
            let answer = ctx.client.get(&ctx.tenant_path("/audit/verify")?, &[])?;
            ctx.out.object(&answer)?;
            if answer["valid"].as_bool() == Some(true) {
                Ok(())
            } else {
                Err(CliError::Denied(format!("the audit chain is broken at entry {}", answer["first_bad_sequence"])))
            }
        }
    }
}
