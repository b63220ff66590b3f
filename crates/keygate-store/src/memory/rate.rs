//! Leased request budget in memory: PostgreSQL's conditional upsert, under the store's write lock.

use super::state::State;
use crate::rate::{Leased, RateLease};

impl State {
    /// Applies `lease` (see `KeyStore::lease_rate`). The caller holds the write lock.
    pub fn lease_rate(&mut self, lease: &RateLease) -> Leased {
        let version = self.keys.get(&lease.key).map(|r| r.key.version);
        if lease.key_version.is_some_and(|v| version != Some(v)) {
            return Leased::Stale;
        }
        let slot = self.rate_leases.entry((lease.key, lease.name.clone())).or_insert((lease.window_start, 0));
        if slot.0 < lease.window_start {
            *slot = (lease.window_start, 0);
        } else if slot.0 > lease.window_start {
            // A window already over: nothing left to give back to or lease from.
            return Leased::Granted(0);
        }
        let kept = slot.1.saturating_sub(lease.give_back);
        let granted = lease.want.min(lease.limit.saturating_sub(kept));
        slot.1 = kept + granted;
        Leased::Granted(granted)
    }
}
