//! The canonical bytes of an audit entry and the chain hash over them (the format is in the parent
//! module's doc). The one definition both backends hash with.
//!
//! It must never depend on anything but the entry's stored values.

use chrono::{DateTime, Utc};
use sha2::{Digest, Sha256};

use super::AuditHash;
use crate::model::AuditEntry;

/// The format version, the first canonical byte.
const VERSION: u8 = 1;

/// `at` as the stores keep it: truncated to whole microseconds, like PostgreSQL's `timestamptz`.
pub(crate) fn stored_instant(at: DateTime<Utc>) -> DateTime<Utc> {
    DateTime::from_timestamp_micros(at.timestamp_micros()).unwrap_or(at)
}

/// The canonical bytes of `entry` (its `hash` is not part of them).
pub(crate) fn canonical_bytes(entry: &AuditEntry) -> Vec<u8> {
    let mut out = Vec::with_capacity(128);
    out.push(VERSION);
    text(&mut out, entry.tenant.as_str());
    out.extend_from_slice(&entry.seq.to_be_bytes());
    optional(&mut out, entry.key.map(|k| k.to_string()).as_deref());
    text(&mut out, &entry.actor.to_string());
    text(&mut out, entry.action.as_str());
    optional(&mut out, entry.reason.as_ref().map(keygate_domain::Reason::as_str));
    optional(&mut out, entry.details.as_deref());
    out.extend_from_slice(&entry.at.timestamp_micros().to_be_bytes());
    out
}

/// The hash of `entry` chained after `previous`.
pub(crate) fn chain_hash(previous: &AuditHash, entry: &AuditEntry) -> AuditHash {
    let mut hasher = Sha256::new();
    hasher.update(previous.as_bytes());
    hasher.update(canonical_bytes(entry));
    AuditHash(hasher.finalize().into())
}

fn text(out: &mut Vec<u8>, value: &str) {
    // Stored texts are bounded far below 4 GiB (the schema's checks), so the length always fits.
    let len = u32::try_from(value.len()).unwrap_or(u32::MAX);
    out.extend_from_slice(&len.to_be_bytes());
    out.extend_from_slice(value.as_bytes());
}

fn optional(out: &mut Vec<u8>, value: Option<&str>) {
    match value {
        None => out.push(0),
        Some(value) => {
            out.push(1);
            text(out, value);
        }
    }
}
