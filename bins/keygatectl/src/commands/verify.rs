//! `keygatectl verify`: a verdict on a key from `POST /v1/verify`, with a service credential. The key
//! comes from a file or standard input, never an argument; exit 1 when the verdict is not valid.

use std::path::PathBuf;

use clap::Args;
use serde_json::json;

use super::{read_input, Ctx};
use crate::error::CliError;

#[derive(Args)]
pub struct VerifyArgs {
    /// A file holding the key, or - for standard input
    #[arg(long, value_name = "PATH")]
    key_file: PathBuf,
    /// A scope the request needs (repeatable)
    #[arg(long = "scope", value_name = "SCOPE")]
    scopes: Vec<String>,
    /// An amount to hold to the key's limits and spend
    #[arg(long)]
    amount: Option<String>,
    /// The amount's currency
    #[arg(long, value_name = "CODE")]
    currency: Option<String>,
    /// The address the request came from
    #[arg(long, value_name = "IP")]
    client_ip: Option<String>,
    /// The environment the request is for: test or live
    #[arg(long, value_name = "ENV")]
    environment: Option<String>,
    /// The account inside the tenant acted on
    #[arg(long, value_name = "ACCOUNT")]
    account_id: Option<String>,
    /// Makes a retried spend answer the same and spend nothing again
    #[arg(long, value_name = "KEY")]
    idempotency_key: Option<String>,
}

pub fn run(ctx: &Ctx, args: VerifyArgs) -> Result<(), CliError> {
    let key = read_input(&args.key_file)?;
    if key.is_empty() {
        return Err(CliError::usage("the key file is empty"));
    }
    let mut body = json!({ "key": key, "required_scopes": args.scopes });
    for (name, value) in [
        ("tenant_id", ctx.tenant_opt().map(str::to_owned)),
        ("amount", args.amount),
        ("currency", args.currency),
        ("client_ip", args.client_ip),
        ("environment", args.environment),
        ("account_id", args.account_id),
        ("idempotency_key", args.idempotency_key),
    ] {
        if let Some(value) = value {
            body[name] = json!(value);
        }
    }
    let verdict = ctx.client.post("/v1/verify", Some(&body))?;
    ctx.out.object(&verdict)?;
    if verdict["valid"].as_bool() == Some(true) {
        Ok(())
    } else {
        Err(CliError::Denied(format!("not valid: {}", verdict["code"].as_str().unwrap_or("?"))))
    }
}
