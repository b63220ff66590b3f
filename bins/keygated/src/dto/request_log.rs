//! The request log on the wire: the listing's query and its lines. A line never holds the presented
//! token, its secret or a hash.

use chrono::{DateTime, Utc};
use keygate_store::{RequestFilter, RequestLine};
use serde::{Deserialize, Serialize};
use utoipa::openapi::schema::{ObjectBuilder, Schema, Type};
use utoipa::{IntoParams, ToSchema};

use super::field;
use super::schema::{AmountText, CurrencyText, CursorText, KeyIdText, ScopeText};
use crate::error::ApiError;

/// `GET /v1/tenants/{tenant}/requests` and `GET .../keys/{id}/requests` query.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct RequestQuery {
    /// Only this key's lines (on a key's own listing, only that key may be named).
    #[param(value_type = Option<KeyIdText>)]
    pub key_id: Option<String>,
    /// Only lines with this outcome.
    #[param(schema_with = outcome_code)]
    pub outcome: Option<String>,
    /// Only lines at or after this instant (RFC 3339).
    #[param(value_type = Option<String>, format = DateTime)]
    pub from: Option<String>,
    /// Only lines before this instant (RFC 3339).
    #[param(value_type = Option<String>, format = DateTime)]
    pub to: Option<String>,
    /// From a previous page's `next_cursor`.
    #[param(value_type = Option<CursorText>)]
    pub cursor: Option<String>,
    /// Page size, 1 to 200 (default 50).
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<u32>,
}

impl TryFrom<&RequestQuery> for RequestFilter {
    type Error = ApiError;
    fn try_from(query: &RequestQuery) -> Result<Self, ApiError> {
        let instant = |name: &str, text: &Option<String>| {
            text.as_deref()
                .map(|t| field(name, t, DateTime::parse_from_rfc3339).map(|at| at.with_timezone(&Utc)))
                .transpose()
        };
        let outcome = query.outcome.as_deref().map(|o| {
            if keygate_verifier::request_log::outcome_codes().contains(&o) {
                Ok(o.to_owned())
            } else {
                Err(ApiError::invalid("outcome", "is not an outcome code (OK or a refusal's code)"))
            }
        });
        Ok(Self {
            key: query.key_id.as_deref().map(|k| field("key_id", k, keygate_domain::KeyId::parse)).transpose()?,
            outcome: outcome.transpose()?,
            from: instant("from", &query.from)?,
            to: instant("to", &query.to)?,
            environment: None,
            account: None,
        })
    }
}

/// A line's `outcome`: `OK`, or the refusal's stable code.
pub fn outcome_code() -> Schema {
    ObjectBuilder::new()
        .schema_type(Type::String)
        .description(Some("`OK`, or why the key was refused (the verdict's `code`)"))
        .enum_values(Some(keygate_verifier::request_log::outcome_codes()))
        .into()
}

/// One verification of a key: what was asked, what was answered, how long it took.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = RequestLine, examples(json!({
    "id": "0Gk3yNq1Lz7Tb2Aw00000A", "at": "2026-11-28T18:45:00.123456Z", "key_id": "Ky9Pf34qY6Nb3wWD25RQ4F",
    "outcome": "OK", "status": 200, "client_ip": "203.0.113.7", "required_scopes": ["operations:write"],
    "amount": "250.00", "currency": "XOF", "spend_id": "7YtZ2mK9pQ4rLx8vNb3cDe",
    "service": "3mC9dLq0Xv7tRb2Nw8Yk1e", "latency_us": 412
})))]
pub struct RequestLineView {
    /// The line's id.
    #[schema(pattern = "^[0-9A-Za-z]{22}$")]
    id: String,
    /// When the verdict was given.
    at: DateTime<Utc>,
    #[schema(value_type = KeyIdText)]
    key_id: String,
    #[schema(schema_with = outcome_code)]
    outcome: String,
    /// The status the verdict carries (200 when allowed; the refusal's status otherwise).
    status: u16,
    /// The client address the key was checked against, if any.
    client_ip: Option<String>,
    /// The scopes asked for.
    #[schema(value_type = Vec<ScopeText>)]
    required_scopes: Vec<String>,
    #[schema(value_type = Option<AmountText>)]
    amount: Option<String>,
    #[schema(value_type = Option<CurrencyText>)]
    currency: Option<String>,
    /// The recorded spend, when an amount was spent.
    #[schema(pattern = "^[0-9A-Za-z]{22}$")]
    spend_id: Option<String>,
    /// The id of the service credential that asked (`null`: none, or the actix glue in a service).
    #[schema(pattern = "^[0-9A-Za-z]{22}$")]
    service: Option<String>,
    /// How long the verification took inside keygate, in microseconds.
    latency_us: u64,
}

impl From<&RequestLine> for RequestLineView {
    fn from(line: &RequestLine) -> Self {
        Self {
            id: line.id.to_string(),
            at: line.at,
            key_id: line.key.to_string(),
            outcome: line.outcome.to_string(),
            status: line.status,
            client_ip: line.client_ip.map(|ip| ip.to_string()),
            required_scopes: line.required_scopes.iter().map(ToString::to_string).collect(),
            amount: line.amount.map(|a| a.to_string()),
            currency: line.currency.map(|c| c.to_string()),
            spend_id: line.spend.map(|s| s.to_string()),
            service: line.service.map(|s| s.to_string()),
            latency_us: line.latency_us,
        }
    }
}

/// A page of the request log, newest first.
#[derive(Debug, Serialize, ToSchema)]
#[schema(examples(json!({"items": [], "next_cursor": null})))]
pub struct RequestList {
    /// Newest first.
    pub items: Vec<RequestLineView>,
    /// Pass as `cursor` for the next page; `null` on the last.
    #[schema(value_type = Option<CursorText>)]
    pub next_cursor: Option<String>,
}
