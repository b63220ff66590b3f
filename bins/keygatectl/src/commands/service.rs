//! `keygatectl service`: the credentials gateways present on `/v1/verify` (system admin).

use std::path::PathBuf;

use clap::Subcommand;
use serde_json::json;

use super::{list, Ctx};
use crate::client::segment;
use crate::error::CliError;
use crate::secret;
use crate::table::Column;

const COLUMNS: &[Column] = &[("ID", "id"), ("NAME", "name"), ("TENANTS", "tenants"), ("STATE", "state")];

#[derive(Subcommand)]
pub enum ServiceCommand {
    /// Issue a service credential (system admin); prints its token once
    Create {
        /// Display name
        #[arg(long)]
        name: String,
        /// A tenant it serves (repeatable); the API's `tenants`
        #[arg(long = "serve", value_name = "TENANT", required_unless_present = "all_tenants")]
        serves: Vec<String>,
        /// It serves every tenant (`"tenants": "*"`)
        #[arg(long, conflicts_with = "serves")]
        all_tenants: bool,
        /// Write the token to this new file (mode 0600) instead of printing it
        #[arg(long, value_name = "PATH")]
        secret_file: Option<PathBuf>,
    },
    /// List the service credentials
    List,
    /// Disable a service credential at once
    Disable {
        /// The service's id
        id: String,
    },
}

pub fn run(ctx: &Ctx, command: ServiceCommand) -> Result<(), CliError> {
    match command {
        ServiceCommand::Create { name, serves, all_tenants, secret_file } => {
            let tenants = if all_tenants { json!("*") } else { json!(serves) };
            let sink = secret::prepare(secret_file.as_deref())?;
            let created = ctx.client.post("/v1/services", Some(&json!({ "name": name, "tenants": tenants })))?;
            secret::show(&ctx.out, created, &[&["token"]], sink)
        }
        ServiceCommand::List => list(ctx, "/v1/services", &[], COLUMNS),
        ServiceCommand::Disable { id } => {
            ctx.out.object(&ctx.client.post(&format!("/v1/services/{}/disable", segment(&id)), None)?)
        }
    }
}
