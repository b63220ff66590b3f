//! The parts many key records hold alike (their tenant's id, their scope set), kept once per store.
//!
//! Keys are issued from a few templates: a million keys holding the same two scopes then hold one set,
//! and a tenant's keys one id. That saves memory where records are kept (the in-memory store, the
//! verifier's cache over PostgreSQL), and time on the verify path: a verdict reads and writes out the
//! key's tenant and scopes, and one shared copy stays in the CPU's cache where ten thousand copies,
//! one per key, each cost a miss.

use std::collections::HashSet;

use keygate_domain::{Key, ScopeSet, TenantId};

/// The tenant ids and scope sets handed out so far.
#[derive(Default)]
pub(crate) struct KeyParts {
    scope_sets: ScopeSets,
    /// Never swept: one per tenant whose keys were read, and tenants are few and never deleted.
    tenants: HashSet<TenantId>,
}

impl KeyParts {
    /// Makes `key` hold the tenant id and the scope set kept here when equal ones are, and keeps its
    /// own otherwise: a key costs its own fields only.
    pub fn share(&mut self, key: &mut Key) {
        match self.tenants.get(&key.tenant) {
            Some(kept) => key.tenant = kept.clone(),
            None => {
                self.tenants.insert(key.tenant.clone());
            }
        }
        key.privileges.scopes = self.scope_sets.share(&key.privileges.scopes);
    }
}

/// Sets no key holds any more are dropped whenever the table has doubled since the last sweep, so it
/// stays within twice what is in use.
#[derive(Default)]
struct ScopeSets {
    sets: HashSet<ScopeSet>,
    sweep_at: usize,
}

impl ScopeSets {
    /// The kept set equal to `scopes`, kept from now on if there is none.
    fn share(&mut self, scopes: &ScopeSet) -> ScopeSet {
        if let Some(known) = self.sets.get(scopes) {
            return known.clone();
        }
        if self.sets.len() >= self.sweep_at {
            self.sets.retain(|set| !set.is_unique());
            self.sweep_at = (2 * self.sets.len()).max(1024);
        }
        self.sets.insert(scopes.clone());
        scopes.clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn set(texts: &[&str]) -> ScopeSet {
        ScopeSet::parse(texts).expect("valid scopes")
    }

    #[test]
    fn equal_scope_sets_are_kept_once_and_handed_out_shared() {
        let mut sets = ScopeSets::default();
        let first = sets.share(&set(&["balance:read", "operations:write"]));
        let second = sets.share(&set(&["operations:write", "balance:read"]));
        assert_eq!(sets.sets.len(), 1);
        assert_eq!(first, second);
        drop(first);
        assert!(!second.is_unique(), "the table and `second` hold one set");
    }

    #[test]
    fn sets_no_key_holds_are_dropped_once_the_table_has_doubled() {
        let mut sets = ScopeSets::default();
        let held = sets.share(&set(&["held:read"]));
        for n in 0..2000 {
            drop(sets.share(&set(&[&format!("r{n}:read")])));
        }
        assert!(sets.sets.len() <= 1024, "swept: {} sets kept", sets.sets.len());
        let again = sets.share(&set(&["held:read"]));
        assert_eq!(again, held);
        assert!(sets.sets.contains(&held), "a set a key still holds is never dropped");
    }
}
