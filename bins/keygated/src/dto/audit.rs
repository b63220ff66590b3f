//! The audit log on the wire.

use chrono::{DateTime, Utc};
use keygate_store::AuditEntry;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::schema::{ActorText, CursorText, KeyIdText, ReasonText, TenantIdText};

/// `GET /v1/tenants/{tenant}/audit` query.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct AuditQuery {
    /// Only entries about this key.
    #[param(value_type = Option<KeyIdText>)]
    pub key_id: Option<String>,
    /// From a previous page's `next_cursor`.
    #[param(value_type = Option<CursorText>)]
    pub cursor: Option<String>,
    /// Page size, 1 to 200 (default 50).
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<u32>,
}

/// One audit entry.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = AuditEntry, examples(json!({
    "seq": 7, "tenant_id": "acme", "key_id": "Ky9Pf34qY6Nb3wWD25RQ4F", "actor": "operator:5ZR3qa7yEeeby3abP3E2Zs",
    "action": "key.revocation_requested", "reason": "integration retired", "at": "2026-11-28T18:50:00Z"
})))]
pub struct AuditView {
    /// Position in the tenant's log, from 1, without gaps.
    seq: u64,
    #[schema(value_type = TenantIdText)]
    tenant_id: String,
    #[schema(value_type = Option<KeyIdText>)]
    key_id: Option<String>,
    #[schema(value_type = ActorText)]
    actor: String,
    /// What happened, e.g. `key.approved`, `tenant.updated`.
    action: &'static str,
    #[schema(value_type = Option<ReasonText>)]
    reason: Option<String>,
    at: DateTime<Utc>,
}

impl From<&AuditEntry> for AuditView {
    fn from(e: &AuditEntry) -> Self {
        Self {
            seq: e.seq,
            tenant_id: e.tenant.to_string(),
            key_id: e.key.map(|k| k.to_string()),
            actor: e.actor.to_string(),
            action: e.action.as_str(),
            reason: e.reason.as_ref().map(ToString::to_string),
            at: e.at,
        }
    }
}

/// A page of the audit log, newest first.
#[derive(Debug, Serialize, ToSchema)]
#[schema(examples(json!({"items": [], "next_cursor": null})))]
pub struct AuditList {
    /// Newest first.
    pub items: Vec<AuditView>,
    /// Pass as `cursor` for the next page; `null` on the last.
    #[schema(value_type = Option<CursorText>)]
    pub next_cursor: Option<String>,
}
