//! The audit log on the wire.

use chrono::{DateTime, Utc};
use keygate_store::AuditEntry;
use serde::{Deserialize, Serialize};

/// `GET /v1/tenants/{tenant}/audit` query.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AuditQuery {
    /// Only entries about this key.
    pub key_id: Option<String>,
    /// From a previous page's `next_cursor`.
    pub cursor: Option<String>,
    /// Page size, 1 to 200 (default 50).
    pub limit: Option<u32>,
}

/// One audit entry.
#[derive(Debug, Serialize)]
pub struct AuditView {
    seq: u64,
    tenant_id: String,
    key_id: Option<String>,
    actor: String,
    action: &'static str,
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
#[derive(Debug, Serialize)]
pub struct AuditList {
    /// Newest first.
    pub items: Vec<AuditView>,
    /// Pass as `cursor` for the next page; `null` on the last.
    pub next_cursor: Option<String>,
}
