//! Checking a tenant's chain one entry at a time, in `seq` order, so a backend can page through a
//! log of any length in bounded memory.
//!
//! It must never accept an entry out of place: the first entry is `seq` 1, each next one is the
//! previous `seq` plus one, and each hash is recomputed from the previous one.

use super::{chain_hash, AuditChainReport, AuditHash};
use crate::model::AuditEntry;

/// The state of a walk along one tenant's chain.
#[derive(Debug, Default)]
pub(crate) struct ChainWalk {
    entries: u64,
    head: Option<AuditHash>,
}

impl ChainWalk {
    /// The `seq` the next entry must have.
    fn next_seq(&self) -> u64 {
        self.entries + 1
    }

    /// The `seq` of the last entry accepted (0 before the first).
    pub fn last_seq(&self) -> u64 {
        self.entries
    }

    /// Accepts the next entry, or answers the `seq` at which the chain breaks.
    pub fn push(&mut self, entry: &AuditEntry) -> Result<(), u64> {
        let previous = self.head.unwrap_or(AuditHash::ZERO);
        if entry.seq != self.next_seq() || chain_hash(&previous, entry) != entry.hash {
            return Err(entry.seq);
        }
        self.entries += 1;
        self.head = Some(entry.hash);
        Ok(())
    }

    /// The report once every entry has been pushed. `recorded` is the chain head (`seq`, hash) the
    /// store keeps apart from the entries, if it keeps one (`(0, ZERO)` for an empty log): checking the
    /// walk's end against it catches entries cut off the end, which no hash inside the chain can.
    pub fn finish(self, recorded: Option<(u64, AuditHash)>) -> AuditChainReport {
        let head = self.head.unwrap_or(AuditHash::ZERO);
        match recorded {
            Some(recorded) if recorded != (self.entries, head) => {
                // Same length, other hash: the last entry is the odd one; else the first seq one side lacks.
                let first_bad_sequence =
                    if recorded.0 == self.entries { self.entries.max(1) } else { self.entries.min(recorded.0) + 1 };
                AuditChainReport::Broken { first_bad_sequence }
            }
            _ => AuditChainReport::Valid { entries: self.entries, head: self.head },
        }
    }
}
