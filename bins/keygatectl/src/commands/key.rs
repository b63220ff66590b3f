//! `keygatectl key`: a key's life under dual control (create, approve or reject, change and approve
//! the widening, suspend and resume, revoke and approve the revocation, rotate, reveal) and its
//! readings (list, show, usage, requests); import and export live in `key_bulk.rs`.

use std::path::PathBuf;

use clap::Subcommand;
use reqwest::Method;
use serde_json::{json, Map, Value};

use super::key_body::{CreateFields, KeyFields};
use super::key_bulk::{self, ExportArgs, ImportArgs};
use super::{list, reason_body, Ctx};
use crate::client::segment;
use crate::error::CliError;
use crate::output::OutputMode;
use crate::secret;
use crate::table::Column;

/// The columns of a key listing.
pub const COLUMNS: &[Column] = &[
    ("ID", "id"),
    ("NAME", "name"),
    ("ENVIRONMENT", "environment"),
    ("STATE", "state"),
    ("SCOPES", "scopes"),
    ("EXPIRES_AT", "expires_at"),
];

const REQUEST_COLUMNS: &[Column] = &[
    ("AT", "at"),
    ("KEY_ID", "key_id"),
    ("OUTCOME", "outcome"),
    ("STATUS", "status"),
    ("AMOUNT", "amount"),
    ("CURRENCY", "currency"),
    ("CLIENT_IP", "client_ip"),
];

#[derive(Subcommand)]
pub enum KeyCommand {
    /// Ask for a key (maker); prints its secret once, or writes it with --secret-file
    Create {
        #[command(flatten)]
        create: CreateFields,
        /// Write the secret to this new file (mode 0600) instead of printing it
        #[arg(long, value_name = "PATH")]
        secret_file: Option<PathBuf>,
    },
    /// List the tenant's keys
    List {
        /// Only keys in this state
        #[arg(long)]
        state: Option<String>,
        /// Only test or live keys
        #[arg(long, value_name = "ENV")]
        environment: Option<String>,
        /// Only keys bound to this account
        #[arg(long, value_name = "ACCOUNT")]
        account_id: Option<String>,
        /// Only keys of this owner
        #[arg(long, value_name = "ID")]
        external_id: Option<String>,
        /// Only keys expiring within this many days
        #[arg(long, value_name = "DAYS")]
        expiring_within_days: Option<u32>,
        #[command(flatten)]
        page: Page,
    },
    /// Show a key
    Show(KeyId),
    /// Approve a key's creation (a checker other than its maker)
    Approve(KeyId),
    /// Reject a key's creation
    Reject(KeyWithReason),
    /// Ask for a key's revocation (maker); --suspend stops it at once meanwhile
    Revoke {
        /// The key's id
        id: String,
        /// Why; kept in the audit log
        #[arg(long)]
        reason: String,
        /// Suspend the key at once while the revocation waits
        #[arg(long)]
        suspend: bool,
    },
    /// Approve a revocation (a checker other than the asker)
    ApproveRevocation(KeyId),
    /// Reject a revocation
    RejectRevocation(KeyId),
    /// Change a key: a narrowing applies at once, a widening waits for a checker
    Change {
        /// The key's id
        id: String,
        /// A new name (where the tenant allows it)
        #[arg(long)]
        name: Option<String>,
        /// A new expiry (RFC 3339), only ever earlier
        #[arg(long, value_name = "INSTANT")]
        expires_at: Option<String>,
        #[command(flatten)]
        fields: KeyFields,
    },
    /// Approve a pending change
    ApproveChange(KeyId),
    /// Reject a pending change
    RejectChange(KeyId),
    /// Suspend a key at once
    Suspend(KeyWithReason),
    /// Ask to resume a suspended key (waits for a checker)
    Resume(KeyWithReason),
    /// Approve a resume (a checker who neither asked it nor suspended the key)
    ApproveResume(KeyId),
    /// Reject a resume
    RejectResume(KeyId),
    /// Rotate a key: a successor with the same settings; prints the successor's secret once
    Rotate {
        /// The key's id
        id: String,
        /// How long the old key keeps working once the successor is active
        #[arg(long, value_name = "SECONDS")]
        overlap_seconds: Option<u64>,
        /// Write the secret to this new file (mode 0600) instead of printing it
        #[arg(long, value_name = "PATH")]
        secret_file: Option<PathBuf>,
    },
    /// Draw an approved key's secret (the maker who asked, where the tenant reveals after approval)
    Reveal {
        /// The key's id
        id: String,
        /// Write the secret to this new file (mode 0600) instead of printing it
        #[arg(long, value_name = "PATH")]
        secret_file: Option<PathBuf>,
    },
    /// A key's requests and spending per day
    Usage(KeyId),
    /// The request log: the tenant's, or one key's
    Requests {
        /// Only this key's lines
        id: Option<String>,
        /// Only this outcome (a verdict code)
        #[arg(long)]
        outcome: Option<String>,
        /// From this instant (RFC 3339)
        #[arg(long, value_name = "INSTANT")]
        from: Option<String>,
        /// Up to this instant (RFC 3339)
        #[arg(long, value_name = "INSTANT")]
        to: Option<String>,
        #[command(flatten)]
        page: Page,
    },
    /// Create many keys from a CSV or JSONL file (each line a create body)
    Import(ImportArgs),
    /// Write the tenant's keys (never secrets) as JSON lines
    Export(ExportArgs),
}

/// A key's id.
#[derive(clap::Args)]
pub struct KeyId {
    /// The key's id
    id: String,
}

/// A key's id and an optional reason.
#[derive(clap::Args)]
pub struct KeyWithReason {
    /// The key's id
    id: String,
    /// Why; kept in the audit log
    #[arg(long)]
    reason: Option<String>,
}

/// A page of a listing.
#[derive(clap::Args)]
pub struct Page {
    /// At most this many items a page
    #[arg(long)]
    pub limit: Option<u32>,
    /// The page after this cursor (from the previous page)
    #[arg(long)]
    pub cursor: Option<String>,
}

pub fn run(ctx: &Ctx, command: KeyCommand) -> Result<(), CliError> {
    let path = |id: &str, rest: &str| ctx.tenant_path(&format!("/keys/{}{rest}", segment(id)));
    let post = |id: &str, rest: &str, body: Option<Value>| -> Result<(), CliError> {
        ctx.out.object(&ctx.client.post(&path(id, rest)?, body.as_ref())?)
    };
    match command {
        KeyCommand::Create { create, secret_file } => {
            let sink = secret::prepare(secret_file.as_deref())?;
            let created = ctx.client.post(&ctx.tenant_path("/keys")?, Some(&create.body()?))?;
            secret::show(&ctx.out, created, &[&["secret"]], sink)
        }
        KeyCommand::List { state, environment, account_id, external_id, expiring_within_days, page } => {
            let query = [
                ("state", state),
                ("environment", environment),
                ("account_id", account_id),
                ("external_id", external_id),
                ("expiring_within_days", expiring_within_days.map(|d| d.to_string())),
                ("limit", page.limit.map(|l| l.to_string())),
                ("cursor", page.cursor),
            ];
            list(ctx, &ctx.tenant_path("/keys")?, &query, COLUMNS)
        }
        KeyCommand::Show(k) => ctx.out.object(&ctx.client.get(&path(&k.id, "")?, &[])?),
        KeyCommand::Approve(k) => post(&k.id, "/approve", None),
        KeyCommand::Reject(k) => post(&k.id, "/reject", reason_body(k.reason.as_ref())),
        KeyCommand::Revoke { id, reason, suspend } => {
            let mut body = json!({ "reason": reason });
            if suspend {
                body["suspend"] = json!(true);
            }
            post(&id, "/revoke", Some(body))
        }
        KeyCommand::ApproveRevocation(k) => post(&k.id, "/revocation/approve", None),
        KeyCommand::RejectRevocation(k) => post(&k.id, "/revocation/reject", None),
        KeyCommand::Change { id, name, expires_at, fields } => {
            let mut body = Map::new();
            if let Some(name) = name {
                body.insert("name".into(), json!(name));
            }
            if let Some(expires_at) = expires_at {
                body.insert("expires_at".into(), json!(expires_at));
            }
            fields.fill(&mut body)?;
            let changed = ctx.client.call(Method::PATCH, &path(&id, "")?, &[], Some(&Value::Object(body)))?;
            ctx.out.object(&changed)
        }
        KeyCommand::ApproveChange(k) => post(&k.id, "/change/approve", None),
        KeyCommand::RejectChange(k) => post(&k.id, "/change/reject", None),
        KeyCommand::Suspend(k) => post(&k.id, "/suspend", reason_body(k.reason.as_ref())),
        KeyCommand::Resume(k) => post(&k.id, "/resume", reason_body(k.reason.as_ref())),
        KeyCommand::ApproveResume(k) => post(&k.id, "/resume/approve", None),
        KeyCommand::RejectResume(k) => post(&k.id, "/resume/reject", None),
        KeyCommand::Rotate { id, overlap_seconds, secret_file } => {
            let body = overlap_seconds.map(|s| json!({ "overlap_seconds": s }));
            let sink = secret::prepare(secret_file.as_deref())?;
            let created = ctx.client.post(&path(&id, "/rotate")?, body.as_ref())?;
            secret::show(&ctx.out, created, &[&["secret"]], sink)
        }
        KeyCommand::Reveal { id, secret_file } => {
            let sink = secret::prepare(secret_file.as_deref())?;
            let revealed = ctx.client.post(&path(&id, "/secret")?, None)?;
            secret::show(&ctx.out, revealed, &[&["secret"]], sink)
        }
        KeyCommand::Usage(k) => {
            let usage = ctx.client.get(&path(&k.id, "/usage")?, &[])?;
            if ctx.out.mode != OutputMode::Table {
                return ctx.out.object(&usage);
            }
            let days = usage["days"].as_array().cloned().unwrap_or_default();
            ctx.out.rows(&[("DAY", "day"), ("REQUESTS", "requests"), ("SPENT", "spent_by_currency")], &days)
        }
        KeyCommand::Requests { id, outcome, from, to, page } => {
            let target = match &id {
                Some(id) => path(id, "/requests")?,
                None => ctx.tenant_path("/requests")?,
            };
            let query = [
                ("outcome", outcome),
                ("from", from),
                ("to", to),
                ("limit", page.limit.map(|l| l.to_string())),
                ("cursor", page.cursor),
            ];
            list(ctx, &target, &query, REQUEST_COLUMNS)
        }
        KeyCommand::Import(args) => key_bulk::import(ctx, args),
        KeyCommand::Export(args) => key_bulk::export(ctx, args),
    }
}
