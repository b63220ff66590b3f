//! The audit log as a hash chain per tenant, so an edit, a deletion or a reordering made behind
//! keygate's back (by someone with write access to the database) shows.
//!
//! Each entry's `hash` is `SHA-256(previous ‖ canonical bytes)`, where `previous` is the hash of the
//! entry before it in the same tenant (32 zero bytes for a tenant's first entry) and the canonical
//! bytes are, in this order (format version 1):
//!
//! | field   | encoding                                                                      |
//! |---------|-------------------------------------------------------------------------------|
//! | version | one byte, `0x01`                                                              |
//! | tenant  | text                                                                          |
//! | seq     | unsigned 64-bit big-endian                                                    |
//! | key     | optional text: the key id in base62                                           |
//! | actor   | text: `system`, `operator:<id>` or `key:<id>`                                 |
//! | action  | text: `key.approved`, `tenant.created`, ...                                   |
//! | reason  | optional text                                                                 |
//! | details | optional text (a JSON object, hashed as the exact bytes stored)               |
//! | at      | signed 64-bit big-endian: microseconds since 1970-01-01T00:00:00Z, truncated  |
//!
//! *text* is a 32-bit big-endian byte length followed by the UTF-8 bytes; *optional text* is one byte
//! `0x00` for none, or `0x01` followed by text. Every field has a fixed place and a length, so no two
//! different entries encode alike. `seq` counts a tenant's entries from 1 with no gap, so a missing
//! entry shows as a jump even before its successor's hash is checked.
//!
//! It must never hash anything but the stored values (the instant is truncated to the microseconds
//! PostgreSQL keeps, on both backends), and never change this format silently: a golden test pins it,
//! and a new format takes a new version byte.

mod canonical;
mod walk;

#[cfg(test)]
mod tests;

use std::fmt;

pub(crate) use canonical::{chain_hash, stored_instant};
pub(crate) use walk::ChainWalk;

/// The SHA-256 hash that chains an audit entry to the one before it. Filled by the store on append;
/// ignored on write. Not a secret: printed in hex.
#[derive(Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct AuditHash(pub [u8; 32]);

impl AuditHash {
    /// The "previous hash" of a tenant's first entry.
    pub const ZERO: Self = Self([0; 32]);

    /// The hash's bytes.
    pub fn as_bytes(&self) -> &[u8; 32] {
        &self.0
    }

    /// From exactly 32 bytes.
    pub fn from_slice(bytes: &[u8]) -> Option<Self> {
        bytes.try_into().ok().map(Self)
    }
}

impl fmt::Display for AuditHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.iter().try_for_each(|b| write!(f, "{b:02x}"))
    }
}

impl fmt::Debug for AuditHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "AuditHash({self})")
    }
}

/// What re-computing a tenant's chain found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuditChainReport {
    /// Every entry is where it should be and hashes as stored.
    Valid {
        /// How many entries the chain holds.
        entries: u64,
        /// The last entry's hash (`None` for an empty log): publish or keep it elsewhere, and an
        /// attacker who rewrites the whole chain can no longer match it.
        head: Option<AuditHash>,
    },
    /// The log was changed outside keygate.
    Broken {
        /// The `seq` of the first entry whose stored hash does not match the recomputation or whose
        /// `seq` leaves a gap (or, if entries were cut off the end, the first `seq` missing there).
        first_bad_sequence: u64,
    },
}
