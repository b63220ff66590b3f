//! A leak report as the store keeps it: one per key and url, so a leak reported again (a scanner that
//! sends the same finding twice, or two scanners that found it in one place) is recorded, audited and
//! acted on once.
//!
//! It must never hold the reported token: the key's id says which key leaked, and the token itself is
//! the secret. It decides nothing: what a report does to the key is the tenant's `on_leak`, applied
//! by the caller and handed to [`crate::KeyStore::record_leak`] as ready key changes.

use chrono::{DateTime, Utc};
use keygate_domain::{KeyId, TenantId};

/// Where and how a key was found leaked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LeakRecord {
    /// The key's tenant.
    pub tenant: TenantId,
    /// The key found.
    pub key: KeyId,
    /// Where it was found (at most 2,048 characters; the caller bounds it). With the key, what makes a
    /// report the same as an earlier one.
    pub url: String,
    /// What kind of place the scanner found it in (GitHub's `source`: `content`, `commit`, ...), as
    /// sent; at most 256 bytes.
    pub source: String,
    /// The token type the scanner matched (the partner's `type`), as sent; at most 256 bytes.
    pub token_type: String,
    /// When the report arrived.
    pub reported_at: DateTime<Utc>,
}
