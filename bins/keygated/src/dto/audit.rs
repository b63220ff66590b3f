//! The audit log on the wire.

use chrono::{DateTime, Utc};
use keygate_store::{AuditChainReport, AuditEntry};
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
    "action": "key.revocation_requested", "reason": "integration retired", "details": null,
    "at": "2026-11-28T18:50:00Z", "hash": "9f2c4e7d1a0b3c5d6e7f8091a2b3c4d5e6f708192a3b4c5d6e7f8091a2b3c4d5"
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
    /// What changed, where the action alone does not say it (an operator's id and roles; a policy
    /// before and after).
    #[schema(value_type = Option<Object>)]
    details: Option<serde_json::Value>,
    at: DateTime<Utc>,
    /// SHA-256 of the previous entry's `hash` and this entry's canonical bytes, in hex: the chain
    /// `GET .../audit/verify` walks.
    #[schema(pattern = "^[0-9a-f]{64}$")]
    hash: String,
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
            // Stored as the JSON object text the management layer wrote; shown as that object.
            details: e.details.as_deref().and_then(|d| serde_json::from_str(d).ok()),
            at: e.at,
            hash: e.hash.to_string(),
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

/// `GET /v1/tenants/{tenant}/audit/verify`: the chain holds, or where it first breaks.
#[derive(Debug, Serialize, ToSchema)]
#[serde(untagged)]
pub enum ChainView {
    /// Every entry hashes as stored and follows the one before it.
    Valid(ValidChain),
    /// An entry was changed, removed or inserted behind keygate's back.
    Broken(BrokenChain),
}

/// The chain holds.
#[derive(Debug, Serialize, ToSchema)]
#[schema(examples(json!({"valid": true, "entries": 7, "head": "9f2c4e7d1a0b3c5d6e7f8091a2b3c4d5e6f708192a3b4c5d6e7f8091a2b3c4d5"})))]
pub struct ValidChain {
    #[schema(schema_with = super::schema::valid_true)]
    valid: bool,
    /// Entries in the tenant's log.
    entries: u64,
    /// The newest entry's `hash`; keep it elsewhere to detect a rewrite of the whole log.
    #[schema(pattern = "^[0-9a-f]{64}$")]
    head: Option<String>,
}

/// The chain is broken.
#[derive(Debug, Serialize, ToSchema)]
#[schema(examples(json!({"valid": false, "first_bad_sequence": 4})))]
pub struct BrokenChain {
    #[schema(schema_with = super::schema::valid_false)]
    valid: bool,
    /// The `seq` of the first entry that does not match.
    first_bad_sequence: u64,
}

impl From<&AuditChainReport> for ChainView {
    fn from(report: &AuditChainReport) -> Self {
        match report {
            AuditChainReport::Valid { entries, head } => {
                Self::Valid(ValidChain { valid: true, entries: *entries, head: head.map(|h| h.to_string()) })
            }
            AuditChainReport::Broken { first_bad_sequence } => {
                Self::Broken(BrokenChain { valid: false, first_bad_sequence: *first_bad_sequence })
            }
        }
    }
}
