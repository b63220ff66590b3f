//! What a spend needs to know of its key's tenant: the currency table amounts are held to and the time
//! zone its windows are reckoned in. Read from the store once per tenant and kept for at most
//! [`RULES_TTL`], so money-moving verifications do not read the tenant every time.
//!
//! Bounded staleness is safe here: a change of time zone takes effect at a future midnight that the
//! stored schedule names (never at once), and a tenant's own process forgets its copy when it changes
//! the tenant; only a currency narrowed on another process can be seen up to [`RULES_TTL`] late.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, PoisonError, RwLock};
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use keygate_domain::{zone_in_force, CurrencyTable, TenantId, Timezone, TimezoneChange};
use keygate_store::Tenant;

/// The longest a tenant's rules are used without reading them again.
pub const RULES_TTL: Duration = Duration::from_secs(5);

/// A tenant's rules for money.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TenantRules {
    /// Keygate's built-in currencies with the tenant's own entries over them.
    pub currencies: CurrencyTable,
    /// How far a signed request's `created` may be from now.
    pub skew: keygate_domain::SignatureSkew,
    timezone: Timezone,
    change: Option<TimezoneChange>,
}

impl TenantRules {
    /// The rules of `tenant` as stored.
    pub fn of(tenant: &Tenant) -> Self {
        Self {
            currencies: tenant.policy.currency_table(),
            skew: tenant.policy.signature_skew_seconds,
            timezone: tenant.policy.timezone,
            change: tenant.timezone_change,
        }
    }

    /// The zone windows are reckoned in at `now` (the configured one, or the one before it while a
    /// change waits for its midnight).
    pub fn zone_at(&self, now: DateTime<Utc>) -> Timezone {
        zone_in_force(self.timezone, self.change, now)
    }
}

/// Tenants' rules recently read, by tenant. As in the key cache, a generation counter keeps a read
/// that raced a change (read before, stored after the change was forgotten) from being kept.
#[derive(Default)]
pub(crate) struct RulesCache {
    entries: RwLock<HashMap<TenantId, (Arc<TenantRules>, Instant)>>,
    generation: AtomicU64,
}

impl RulesCache {
    pub fn get(&self, tenant: &TenantId) -> Option<Arc<TenantRules>> {
        let map = self.entries.read().unwrap_or_else(PoisonError::into_inner);
        map.get(tenant).filter(|(_, read)| read.elapsed() < RULES_TTL).map(|(rules, _)| rules.clone())
    }

    /// The generation to pass to [`RulesCache::put`] for a read that starts now.
    pub fn generation(&self) -> u64 {
        self.generation.load(Ordering::Acquire)
    }

    /// Keeps `rules` unless a tenant was forgotten since `generation` was read.
    pub fn put(&self, tenant: TenantId, rules: Arc<TenantRules>, generation: u64) {
        let mut map = self.entries.write().unwrap_or_else(PoisonError::into_inner);
        if self.generation() != generation {
            return;
        }
        // Only tenants that exist get here, and they are few next to keys; the bound only keeps the
        // map from growing without end.
        if map.len() >= 100_000 {
            map.clear();
        }
        map.insert(tenant, (rules, Instant::now()));
    }

    pub fn forget(&self, tenant: &TenantId) {
        let mut map = self.entries.write().unwrap_or_else(PoisonError::into_inner);
        self.generation.fetch_add(1, Ordering::AcqRel);
        map.remove(tenant);
    }
}
