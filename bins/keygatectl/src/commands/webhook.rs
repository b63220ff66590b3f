//! `keygatectl webhook`: endpoints under dual control (one admin registers, another approves), their
//! delivery log, a redelivery and a test event.

use std::path::PathBuf;

use clap::Subcommand;
use serde_json::json;

use super::key::Page;
use super::{list, Ctx};
use crate::client::segment;
use crate::error::CliError;
use crate::secret;
use crate::table::Column;

const COLUMNS: &[Column] =
    &[("ID", "id"), ("URL", "url"), ("EVENTS", "events"), ("STATUS", "status"), ("FAILING_SINCE", "failing_since")];

const DELIVERY_COLUMNS: &[Column] = &[
    ("ID", "id"),
    ("EVENT_TYPE", "event_type"),
    ("ATTEMPT", "attempt"),
    ("STATUS", "status"),
    ("RESPONSE_STATUS", "response_status"),
    ("CREATED_AT", "created_at"),
];

#[derive(Subcommand)]
pub enum WebhookCommand {
    /// Register an endpoint (admin; waits for a second admin); prints its signing secret once
    Create {
        /// The https address to deliver to (the API's `url`; `--url` is keygated's own address)
        #[arg(long, value_name = "URL")]
        endpoint_url: String,
        /// An event type, or * for all (repeatable)
        #[arg(long = "event", value_name = "EVENT")]
        events: Vec<String>,
        /// What it is for
        #[arg(long)]
        description: Option<String>,
        /// Write the signing secret to this new file (mode 0600) instead of printing it
        #[arg(long, value_name = "PATH")]
        secret_file: Option<PathBuf>,
    },
    /// List the tenant's endpoints
    List,
    /// Approve an endpoint or its pending change (an admin other than the asker)
    Approve {
        /// The endpoint's id
        id: String,
    },
    /// An endpoint's delivery log
    Deliveries {
        /// The endpoint's id
        id: String,
        /// Only deliveries in this status
        #[arg(long)]
        status: Option<String>,
        #[command(flatten)]
        page: Page,
    },
    /// Deliver an event again
    Redeliver {
        /// The endpoint's id
        id: String,
        /// The delivery's id
        delivery: String,
    },
    /// Send a test event to an endpoint
    Test {
        /// The endpoint's id
        id: String,
    },
}

pub fn run(ctx: &Ctx, command: WebhookCommand) -> Result<(), CliError> {
    let one = |id: &str, rest: &str| ctx.tenant_path(&format!("/webhooks/{}{rest}", segment(id)));
    match command {
        WebhookCommand::Create { endpoint_url, events, description, secret_file } => {
            let mut body = json!({ "url": endpoint_url, "events": events });
            if let Some(description) = description {
                body["description"] = json!(description);
            }
            let sink = secret::prepare(secret_file.as_deref())?;
            let created = ctx.client.post(&ctx.tenant_path("/webhooks")?, Some(&body))?;
            secret::show(&ctx.out, created, &[&["secret"]], sink)
        }
        WebhookCommand::List => list(ctx, &ctx.tenant_path("/webhooks")?, &[], COLUMNS),
        WebhookCommand::Approve { id } => ctx.out.object(&ctx.client.post(&one(&id, "/approve")?, None)?),
        WebhookCommand::Deliveries { id, status, page } => {
            let query = [("status", status), ("limit", page.limit.map(|l| l.to_string())), ("cursor", page.cursor)];
            list(ctx, &one(&id, "/deliveries")?, &query, DELIVERY_COLUMNS)
        }
        WebhookCommand::Redeliver { id, delivery } => {
            let path = one(&id, &format!("/deliveries/{}/redeliver", segment(&delivery)))?;
            ctx.out.object(&ctx.client.post(&path, None)?)
        }
        WebhookCommand::Test { id } => ctx.out.object(&ctx.client.post(&one(&id, "/test")?, None)?),
    }
}
