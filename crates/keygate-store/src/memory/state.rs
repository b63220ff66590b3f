//! The data behind `MemoryStore`, mutated only while its lock is held, so each method is atomic.

use std::collections::{BTreeSet, HashMap, HashSet};
use std::net::IpAddr;
use std::sync::Arc;

use chrono::{DateTime, NaiveDate, Utc};
use keygate_domain::{KeyId, KeyName, OperatorId, ServiceId, SpendId, TenantId};
use rust_decimal::Decimal;

use super::spends::{Claim, ClaimKey, TotalKey};
use crate::audit_chain::{chain_hash, stored_instant, AuditHash};
use crate::error::StoreError;
use crate::key_parts::KeyParts;
use crate::leak::LeakRecord;
use crate::model::{AuditEntry, KeyChange, KeyRecord, KeyWrite, Operator, Service, SpendRecord, Tenant, UsageRecord};

/// A key as this store keeps it. The record is shared: `find_key` hands out the same `Arc`, so the
/// verifier's cache holds no second copy of a key (a million keys would otherwise be kept twice). Its
/// last use is kept beside the record, not in it, so counting a use never copies a record the cache
/// shares; the record's own `last_used_*` stay `None` and management's reads fill them in.
///
/// Sixteen bytes beside its id in the keys' table: the last use is boxed, as the table's buckets are
/// (a million keys fill 2^21 of them) and 32 more bytes in each were 64 bytes a key.
pub(super) struct StoredKey {
    pub record: Arc<KeyRecord>,
    last_use: Option<Box<LastUse>>,
}

/// A key's last verification, from the usage buffer.
struct LastUse {
    at: DateTime<Utc>,
    ip: Option<IpAddr>,
}

impl StoredKey {
    fn new(mut record: KeyRecord) -> Self {
        record.last_used_at = None;
        record.last_used_ip = None;
        Self { record: Arc::new(record), last_use: None }
    }

    /// The whole record, last use included (a copy: for management's reads, not the verify path).
    pub fn read(&self) -> KeyRecord {
        let (last_used_at, last_used_ip) = self.last_use();
        KeyRecord { last_used_at, last_used_ip, ..(*self.record).clone() }
    }

    /// When and from where the key was last verified. Read this, not `last_used_*` through `Deref`:
    /// the shared record's are always `None`.
    pub fn last_use(&self) -> (Option<DateTime<Utc>>, Option<IpAddr>) {
        self.last_use.as_deref().map_or((None, None), |u| (Some(u.at), u.ip))
    }

    /// Moves the last use to `at` from `ip`, only forwards.
    fn used(&mut self, at: DateTime<Utc>, ip: Option<IpAddr>) {
        match &mut self.last_use {
            Some(last) if last.at >= at => {}
            Some(last) => **last = LastUse { at, ip },
            None => self.last_use = Some(Box::new(LastUse { at, ip })),
        }
    }
}

impl std::ops::Deref for StoredKey {
    type Target = KeyRecord;

    fn deref(&self) -> &KeyRecord {
        &self.record
    }
}

#[derive(Default)]
pub(super) struct State {
    pub tenants: HashMap<TenantId, Tenant>,
    pub operators: HashMap<OperatorId, Operator>,
    pub services: HashMap<ServiceId, Service>,
    pub keys: HashMap<KeyId, StoredKey>,
    /// Per tenant, the listing order (`created_at`, id).
    pub order: HashMap<TenantId, BTreeSet<(DateTime<Utc>, KeyId)>>,
    pub names: HashSet<(TenantId, KeyName)>,
    /// Each window's running total.
    pub spent: HashMap<TotalKey, Decimal>,
    pub requests: HashMap<(KeyId, NaiveDate), u64>,
    /// Recorded spends, by id (unique across tenants, as in PostgreSQL).
    pub spends: HashMap<SpendId, SpendRecord>,
    /// Idempotency claims, replaced only once older than 24 hours.
    pub claims: HashMap<ClaimKey, Claim>,
    /// Per tenant, oldest first; an entry's `seq` is its position from 1.
    pub audit: HashMap<TenantId, Vec<AuditEntry>>,
    /// Leak reports, by (tenant, key, url): each is recorded once.
    pub leaks: HashMap<(TenantId, KeyId, String), LeakRecord>,
    /// Per key and rate limit name, the window whose budget is out on lease and how much of it is.
    pub rate_leases: HashMap<(KeyId, String), (i64, u64)>,
    /// Webhook endpoints, the outbox and the delivery queue.
    pub webhooks: super::webhooks::WebhookState,
    /// The keys' tenant ids and scope sets, shared.
    pub parts: KeyParts,
}

impl State {
    /// Appends `entry` to its tenant's chain. The caller holds the write lock, which serialises appends.
    pub fn append_audit(&mut self, entry: &AuditEntry) {
        let log = self.audit.entry(entry.tenant.clone()).or_default();
        let previous = log.last().map_or(AuditHash::ZERO, |e| e.hash);
        let mut entry = entry.clone();
        entry.seq = log.last().map_or(0, |e| e.seq) + 1;
        // Keep what PostgreSQL would keep, so the listing shows exactly what was hashed.
        entry.at = stored_instant(entry.at);
        entry.hash = chain_hash(&previous, &entry);
        // The event it announces, in the same atomic step, with its key's state as the change left it.
        let state = entry.key.and_then(|k| self.keys.get(&k)).map(|r| r.key.state);
        self.webhooks.announce_entry(&entry, state);
        log.push(entry);
    }

    /// Whether `operator`'s id is taken, or its e-mail in its tenant.
    pub fn operator_taken(&self, operator: &Operator) -> bool {
        self.operators.contains_key(&operator.id())
            || self.operators.values().any(|o| o.tenant() == operator.tenant() && o.email == operator.email)
    }

    /// Checks every change against the current state without touching it, so `apply` cannot fail halfway.
    pub fn check(&self, changes: &[KeyChange]) -> Result<(), StoreError> {
        let mut new_names = HashSet::new();
        let mut new_ids = HashSet::new();
        // Versions as earlier changes of this same commit leave them (a commit may move a key twice).
        let mut versions: HashMap<KeyId, u64> = HashMap::new();
        for change in changes {
            match &change.write {
                KeyWrite::Insert(record) => {
                    let key = &record.key;
                    if !self.tenants.contains_key(&key.tenant) {
                        return Err(StoreError::NotFound);
                    }
                    let name = (key.tenant.clone(), key.name.clone());
                    if self.names.contains(&name) || !new_names.insert(name) {
                        return Err(StoreError::NameTaken);
                    }
                    if self.keys.contains_key(&key.id) || !new_ids.insert(key.id) {
                        return Err(StoreError::AlreadyExists);
                    }
                }
                KeyWrite::Update { expected_version, key } | KeyWrite::Reveal { expected_version, key, .. } => {
                    let stored = self.keys.get(&key.id).filter(|r| r.key.tenant == key.tenant);
                    let Some(stored) = stored else { return Err(StoreError::NotFound) };
                    let current = versions.get(&key.id).copied().unwrap_or(stored.key.version);
                    if current != *expected_version {
                        return Err(StoreError::Conflict);
                    }
                    // A secret is drawn once: a key that has one keeps it.
                    if matches!(change.write, KeyWrite::Reveal { .. }) && stored.secret_hash.is_some() {
                        return Err(StoreError::Conflict);
                    }
                    // A rename (where the tenant allows it) takes a name no other key holds.
                    let name = (key.tenant.clone(), key.name.clone());
                    if key.name != stored.key.name && (self.names.contains(&name) || !new_names.insert(name)) {
                        return Err(StoreError::NameTaken);
                    }
                    versions.insert(key.id, key.version);
                }
            }
        }
        Ok(())
    }

    /// Applies changes already passed by [`State::check`].
    pub fn apply(&mut self, changes: &[KeyChange]) {
        for change in changes {
            match &change.write {
                KeyWrite::Insert(record) => {
                    let mut record = record.clone();
                    self.parts.share(&mut record.key);
                    let key = &record.key;
                    self.names.insert((key.tenant.clone(), key.name.clone()));
                    self.order.entry(key.tenant.clone()).or_default().insert((key.created_at, key.id));
                    self.keys.insert(key.id, StoredKey::new(record));
                }
                KeyWrite::Update { key, .. } | KeyWrite::Reveal { key, .. } => {
                    let mut key = key.clone();
                    self.parts.share(&mut key);
                    if let Some(stored) = self.keys.get_mut(&key.id) {
                        // A copy when the verifier's cache still holds the old record (it is evicted
                        // by the change notice this commit sends).
                        let stored = Arc::make_mut(&mut stored.record);
                        if let KeyWrite::Reveal { secret_hash, masked, .. } = &change.write {
                            stored.secret_hash = Some(*secret_hash);
                            stored.masked = Some(masked.as_str().into());
                        }
                        // Tenant and creation instant never change; a name may (where the tenant
                        // allows it), so the name index follows.
                        if stored.key.name != key.name {
                            self.names.remove(&(key.tenant.clone(), stored.key.name.clone()));
                            self.names.insert((key.tenant.clone(), key.name.clone()));
                        }
                        stored.key = key;
                    }
                }
            }
            self.append_audit(&change.audit);
        }
    }

    pub fn record_usage(&mut self, record: &UsageRecord) {
        let Some(stored) = self.keys.get_mut(&record.key).filter(|r| r.key.tenant == record.tenant) else {
            return;
        };
        *self.requests.entry((record.key, record.day)).or_default() += record.requests;
        stored.used(record.last_used_at, record.last_used_ip);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_stored_key_is_two_pointers_beside_its_id() {
        // The keys' table holds a million of these at 2^21 buckets: each byte here is two a key.
        assert_eq!(std::mem::size_of::<StoredKey>(), 16);
    }
}
