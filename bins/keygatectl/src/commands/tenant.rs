//! `keygatectl tenant`: create a tenant with its first admins (system admin), show it, change its
//! policy (a narrowing applies at once, a widening waits) and approve or reject a pending change.

use std::path::PathBuf;

use clap::{Args, Subcommand};
use reqwest::Method;
use serde_json::{json, Map, Value};

use super::Ctx;
use crate::client::segment;
use crate::error::CliError;
use crate::secret;

#[derive(Subcommand)]
pub enum TenantCommand {
    /// Create a tenant and invite its first admins (system admin); prints each admin's invitation
    Create {
        /// The tenant's id (a lower-case slug or a UUID)
        id: String,
        /// Display name
        #[arg(long)]
        name: String,
        /// A first admin, as "Name <email>" (repeatable)
        #[arg(long = "admin", value_name = "NAME <EMAIL>")]
        admins: Vec<String>,
        #[command(flatten)]
        policy: PolicyArgs,
        /// Write the invitations, one a line in the admins' order, to this new file (mode 0600)
        #[arg(long, value_name = "PATH")]
        secret_file: Option<PathBuf>,
    },
    /// Show the tenant, its policy and any pending change
    Show,
    /// Change the policy: a narrowing applies at once, a widening waits for a second admin
    Policy {
        /// New display name
        #[arg(long)]
        name: Option<String>,
        #[command(flatten)]
        policy: PolicyArgs,
    },
    /// Approve the pending policy change (an admin other than the one who asked)
    ApprovePolicy,
    /// Reject the pending policy change
    RejectPolicy,
}

/// The tenant settings, each named as in the API's `policy`.
#[derive(Args)]
pub struct PolicyArgs {
    /// Creation, revocation, widening and resuming need a checker who is not the asker
    #[arg(long, value_name = "BOOL")]
    dual_control: Option<bool>,
    /// Live keys may be made
    #[arg(long, value_name = "BOOL")]
    live_enabled: Option<bool>,
    /// The longest lifetime of a new key
    #[arg(long, value_name = "DAYS")]
    max_key_lifetime_days: Option<u32>,
    /// Keys without expiry may be made
    #[arg(long, value_name = "BOOL")]
    allow_never_expiring: Option<bool>,
    /// API keys holding api-keys:approve may approve
    #[arg(long, value_name = "BOOL")]
    integrator_approvals: Option<bool>,
    /// The zone of the volume windows (IANA name)
    #[arg(long, value_name = "ZONE")]
    timezone: Option<String>,
    /// What a leaked key gets: suspend, suspend_and_revoke or notify
    #[arg(long, value_name = "ACTION")]
    on_leak: Option<String>,
    /// Key names may change after creation
    #[arg(long, value_name = "BOOL")]
    name_mutable: Option<bool>,
    /// Every new key names an account_id
    #[arg(long, value_name = "BOOL")]
    require_account: Option<bool>,
    /// When secrets are shown: on_create or after_approval
    #[arg(long, value_name = "WHEN")]
    reveal: Option<String>,
    /// How long after approval a secret may be revealed
    #[arg(long, value_name = "HOURS")]
    reveal_window_hours: Option<u32>,
    /// Days before a key's expiry its webhooks hear key.expiring
    #[arg(long, value_name = "DAYS")]
    webhook_expiry_lead_days: Option<u32>,
}

impl PolicyArgs {
    /// The `policy` object with the settings given, or `None` when none was.
    fn body(&self) -> Option<Value> {
        let mut policy = Map::new();
        let mut put = |name: &str, value: Option<Value>| {
            if let Some(value) = value {
                policy.insert(name.to_owned(), value);
            }
        };
        put("dual_control", self.dual_control.map(Value::from));
        put("live_enabled", self.live_enabled.map(Value::from));
        put("max_key_lifetime_days", self.max_key_lifetime_days.map(Value::from));
        put("allow_never_expiring", self.allow_never_expiring.map(Value::from));
        put("integrator_approvals", self.integrator_approvals.map(Value::from));
        put("timezone", self.timezone.clone().map(Value::from));
        put("on_leak", self.on_leak.clone().map(Value::from));
        put("name_mutable", self.name_mutable.map(Value::from));
        put("require_account", self.require_account.map(Value::from));
        put("reveal", self.reveal.clone().map(Value::from));
        put("reveal_window_hours", self.reveal_window_hours.map(Value::from));
        put("webhook_expiry_lead_days", self.webhook_expiry_lead_days.map(Value::from));
        (!policy.is_empty()).then_some(Value::Object(policy))
    }
}

pub fn run(ctx: &Ctx, command: TenantCommand) -> Result<(), CliError> {
    match command {
        TenantCommand::Create { id, name, admins, policy, secret_file } => {
            let admins = admins.iter().map(|a| parse_person(a)).collect::<Result<Vec<_>, _>>()?;
            let mut body = json!({ "id": id, "name": name, "admins": admins });
            if let Some(policy) = policy.body() {
                body["policy"] = policy;
            }
            let sink = secret::prepare(secret_file.as_deref())?;
            let created = ctx.client.post("/v1/tenants", Some(&body))?;
            secret::show(&ctx.out, created, &[&["invitations", "*", "invitation"]], sink)
        }
        TenantCommand::Show => ctx.out.object(&ctx.client.get(&ctx.tenant_path("")?, &[])?),
        TenantCommand::Policy { name, policy } => {
            let mut body = json!({});
            if let Some(name) = name {
                body["name"] = json!(name);
            }
            if let Some(policy) = policy.body() {
                body["policy"] = policy;
            }
            let path = format!("/v1/tenants/{}", segment(ctx.tenant()?));
            ctx.out.object(&ctx.client.call(Method::PATCH, &path, &[], Some(&body))?)
        }
        TenantCommand::ApprovePolicy => ctx.out.object(&ctx.client.post(&ctx.tenant_path("/policy/approve")?, None)?),
        TenantCommand::RejectPolicy => ctx.out.object(&ctx.client.post(&ctx.tenant_path("/policy/reject")?, None)?),
    }
}

/// `Name <email>` as `{"name", "email"}`.
fn parse_person(text: &str) -> Result<Value, CliError> {
    let (name, rest) = text
        .split_once('<')
        .ok_or_else(|| CliError::usage(format!("--admin {text:?}: write it as \"Name <email>\"")))?;
    let email = rest
        .strip_suffix('>')
        .ok_or_else(|| CliError::usage(format!("--admin {text:?}: write it as \"Name <email>\"")))?;
    Ok(json!({ "name": name.trim(), "email": email.trim() }))
}
