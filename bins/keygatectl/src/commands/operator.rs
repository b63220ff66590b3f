//! `keygatectl operator`: invitations under dual control (one admin asks, another approves, the
//! invitee claims with both halves), the list, disabling, and claiming an invitation for a token.

use std::path::PathBuf;

use clap::Subcommand;
use serde_json::json;

use super::{list, read_input, reason_body, Ctx};
use crate::client::segment;
use crate::error::CliError;
use crate::secret;
use crate::table::Column;

const COLUMNS: &[Column] =
    &[("ID", "id"), ("NAME", "name"), ("EMAIL", "email"), ("ROLES", "roles"), ("STATE", "state")];

#[derive(Subcommand)]
pub enum OperatorCommand {
    /// Ask to invite an operator (admin); prints the first half of the invitation
    Invite {
        /// Display name
        #[arg(long)]
        name: String,
        /// Email address, unique in the tenant
        #[arg(long)]
        email: String,
        /// A role: admin, maker, checker or auditor (repeatable)
        #[arg(long = "role", value_name = "ROLE")]
        roles: Vec<String>,
        /// Write the invitation to this new file (mode 0600) instead of printing it
        #[arg(long, value_name = "PATH")]
        secret_file: Option<PathBuf>,
    },
    /// List the tenant's operators
    List,
    /// Approve an invitation or a change of roles (an admin other than the asker); prints the second half
    Approve {
        /// The operator's id
        id: String,
        /// Write the invitation's second half to this new file (mode 0600) instead of printing it
        #[arg(long, value_name = "PATH")]
        secret_file: Option<PathBuf>,
    },
    /// Reject a pending invitation or change of roles
    Reject {
        /// The operator's id
        id: String,
    },
    /// Disable an operator at once (its token stops working)
    Disable {
        /// The operator's id
        id: String,
        /// Why; kept in the audit log
        #[arg(long)]
        reason: Option<String>,
    },
    /// Ask to enable a disabled operator again (waits for a second admin)
    Enable {
        /// The operator's id
        id: String,
    },
    /// Claim an invitation (no credential needed); prints the operator's token
    Claim {
        /// A file (or - for standard input) holding the invitation: its first half on the first line,
        /// the second half (when the invitation has two) on the second
        #[arg(long, value_name = "PATH")]
        invitation_file: PathBuf,
        /// Write the token to this new file (mode 0600), ready to be a profile's token_file
        #[arg(long, value_name = "PATH")]
        secret_file: Option<PathBuf>,
    },
}

pub fn run(ctx: &Ctx, command: OperatorCommand) -> Result<(), CliError> {
    let one = |id: &str, action: &str| ctx.tenant_path(&format!("/operators/{}{action}", segment(id)));
    match command {
        OperatorCommand::Invite { name, email, roles, secret_file } => {
            let body = json!({ "name": name, "email": email, "roles": roles });
            let sink = secret::prepare(secret_file.as_deref())?;
            let invited = ctx.client.post(&ctx.tenant_path("/operators")?, Some(&body))?;
            secret::show(&ctx.out, invited, &[&["invitation"]], sink)
        }
        OperatorCommand::List => list(ctx, &ctx.tenant_path("/operators")?, &[], COLUMNS),
        OperatorCommand::Approve { id, secret_file } => {
            let sink = secret::prepare(secret_file.as_deref())?;
            let decided = ctx.client.post(&one(&id, "/approve")?, None)?;
            secret::show(&ctx.out, decided, &[&["invitation"], &["invitation_2"]], sink)
        }
        OperatorCommand::Reject { id } => ctx.out.object(&ctx.client.post(&one(&id, "/reject")?, None)?),
        OperatorCommand::Disable { id, reason } => {
            ctx.out.object(&ctx.client.post(&one(&id, "/disable")?, reason_body(reason.as_ref()).as_ref())?)
        }
        OperatorCommand::Enable { id } => ctx.out.object(&ctx.client.post(&one(&id, "/enable")?, None)?),
        OperatorCommand::Claim { invitation_file, secret_file } => {
            let text = read_input(&invitation_file)?;
            let mut halves = text.lines().map(str::trim).filter(|l| !l.is_empty());
            let first = halves.next().ok_or_else(|| CliError::usage("the invitation file is empty"))?;
            let mut body = json!({ "invitation": first });
            if let Some(second) = halves.next() {
                body["invitation_2"] = json!(second);
            }
            let sink = secret::prepare(secret_file.as_deref())?;
            let claimed = ctx.client.call_anonymous(reqwest::Method::POST, "/v1/operators/claim", Some(&body))?;
            secret::show(&ctx.out, claimed, &[&["token"]], sink)
        }
    }
}
