//! The body of a key's creation or change from flags (and from an import's CSV columns, which carry
//! the same names): scopes, limits in the API's shorthand (one currency) or whole as JSON, expiry,
//! notes and owner.

use clap::Args;
use serde_json::{json, Map, Value};

use crate::error::CliError;

/// The settings shared by `key create` and `key change`.
#[derive(Args, Default, Clone)]
pub struct KeyFields {
    /// A scope, resource:action (repeatable)
    #[arg(long = "scope", value_name = "SCOPE")]
    pub scopes: Vec<String>,
    /// The currency of --max-amount and --daily-volume
    #[arg(long, value_name = "CODE")]
    pub currency: Option<String>,
    /// The most one request may move
    #[arg(long, value_name = "AMOUNT")]
    pub max_amount: Option<String>,
    /// The most a day may move
    #[arg(long, value_name = "AMOUNT")]
    pub daily_volume: Option<String>,
    /// An address or network the key may be used from (repeatable)
    #[arg(long = "allowed-ip", value_name = "IP")]
    pub allowed_ips: Vec<String>,
    /// The whole limits object as JSON (per-currency amounts, weekly and monthly volumes)
    #[arg(long, value_name = "JSON", conflicts_with_all = ["currency", "max_amount", "daily_volume", "allowed_ips"])]
    pub limits: Option<String>,
    /// Free text for the operators
    #[arg(long)]
    pub notes: Option<String>,
    /// The owner's id in your own systems
    #[arg(long, value_name = "ID")]
    pub external_id: Option<String>,
}

impl KeyFields {
    /// Adds the fields given to `body`.
    pub fn fill(&self, body: &mut Map<String, Value>) -> Result<(), CliError> {
        if !self.scopes.is_empty() {
            body.insert("scopes".into(), json!(self.scopes));
        }
        if let Some(limits) = self.limits_body()? {
            body.insert("limits".into(), limits);
        }
        if let Some(notes) = &self.notes {
            body.insert("notes".into(), json!(notes));
        }
        if let Some(external_id) = &self.external_id {
            body.insert("external_id".into(), json!(external_id));
        }
        Ok(())
    }

    fn limits_body(&self) -> Result<Option<Value>, CliError> {
        if let Some(text) = &self.limits {
            return serde_json::from_str(text).map(Some).map_err(|e| CliError::usage(format!("--limits: {e}")));
        }
        let mut limits = Map::new();
        for (name, value) in
            [("currency", &self.currency), ("max_amount", &self.max_amount), ("daily_volume", &self.daily_volume)]
        {
            if let Some(value) = value {
                limits.insert(name.into(), json!(value));
            }
        }
        if !self.allowed_ips.is_empty() {
            limits.insert("allowed_ips".into(), json!(self.allowed_ips));
        }
        Ok((!limits.is_empty()).then_some(Value::Object(limits)))
    }
}

/// The flags of `key create` (also the columns of an import's CSV).
#[derive(Args, Default, Clone)]
pub struct CreateFields {
    /// The key's name, unique in the tenant
    #[arg(long)]
    pub name: String,
    /// test or live
    #[arg(long, value_name = "ENV")]
    pub environment: Option<String>,
    /// Days until it expires
    #[arg(long, value_name = "DAYS")]
    pub expires_in_days: Option<u32>,
    /// The key never expires (where the tenant allows it)
    #[arg(long)]
    pub never_expires: bool,
    /// The account inside the tenant the key is bound to
    #[arg(long, value_name = "ACCOUNT")]
    pub account_id: Option<String>,
    #[command(flatten)]
    pub fields: KeyFields,
}

impl CreateFields {
    /// `POST /v1/tenants/{tenant}/keys`'s body.
    pub fn body(&self) -> Result<Value, CliError> {
        let mut body = Map::new();
        body.insert("name".into(), json!(self.name));
        body.insert("scopes".into(), json!([]));
        if let Some(environment) = &self.environment {
            body.insert("environment".into(), json!(environment));
        }
        if let Some(days) = self.expires_in_days {
            body.insert("expires_in_days".into(), json!(days));
        }
        if self.never_expires {
            body.insert("never_expires".into(), json!(true));
        }
        if let Some(account) = &self.account_id {
            body.insert("account_id".into(), json!(account));
        }
        self.fields.fill(&mut body)?;
        Ok(Value::Object(body))
    }
}
