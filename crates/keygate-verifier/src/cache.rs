//! The bounded, TTL'd cache of key records, evicted by the store's change notices.
//!
//! It holds positive answers (the record) and negative ones (no such key) for at most the TTL. The
//! store's change notices are applied before every look-up (not by a background task), so a change
//! announced before a verification starts is always seen by it. A record read from the store while an
//! eviction happened is not cached: the generation counter makes a miss that raced with a change go
//! back to the store next time instead of keeping a stale record for a whole TTL.
//!
//! A key in use never waits on the store when its entry ages out: a hit in the second half of the
//! TTL says so ([`Hit::refresh`]), and the verifier reads the key again in the background while the
//! cached answer, still within its TTL, keeps being served. Only an idle key's entry expires and is
//! read on the request path. Renewals are gathered ([`KeyCache::queue_renewal`]) and read together,
//! one store round trip for a batch rather than one per key: keys cached at about the same time come
//! due at about the same time, and 10,000 single reads every TTL cost the cores the request path
//! shares more than the requests' own work on a warm cache.
//!
//! `quick_cache` (S3-FIFO, sharded) rather than `moka`: on the verify path moka's read log, deques and
//! epoch reclamation cost about 60 ns a hit, `quick_cache` a fraction of it; the TTL is one monotonic
//! clock read against the expiry kept with each entry.

use std::collections::HashSet;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use keygate_domain::KeyId;
use keygate_store::{Invalidation, Invalidations, KeyRecord};
use quick_cache::sync::Cache;

/// A cached answer: the record, or `None` for "no such key".
pub type Entry = Option<Arc<KeyRecord>>;

#[derive(Clone)]
struct Cached {
    entry: Entry,
    expires: Instant,
}

/// A cached answer, and whether it is old enough to be read again ahead of its expiry.
pub(crate) struct Hit {
    pub entry: Entry,
    pub refresh: bool,
}

/// How long the first renewal of a batch waits for others to join it, at most (a quarter of the
/// renewal window when the TTL is shorter than 160 ms): small beside the window, large beside the
/// spread of hits on a busy process.
const RENEWAL_GATHER: Duration = Duration::from_millis(20);

/// The most keys read in one store round trip: a statement of a few hundred ids is one index scan each,
/// and a batch this size still parses in well under a millisecond of the runtime's time.
pub(crate) const RENEWAL_BATCH: usize = 500;

/// The renewals asked for and not yet ended: `queued` is the batch still to be read.
#[derive(Default)]
struct Renewals {
    claimed: HashSet<KeyId>,
    queued: Vec<KeyId>,
}

/// What [`KeyCache::queue_renewal`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Queued {
    /// The key is queued or being read already.
    Already,
    /// It joined a batch that will be read.
    Joined,
    /// It started a batch: the caller arranges for it to be read.
    First,
}

pub(crate) struct KeyCache {
    entries: Cache<KeyId, Cached>,
    ttl: Duration,
    /// How long before its expiry a hit asks for a refresh: the second half of the TTL, so a key used
    /// at least once every half TTL (15 s by default) is never read on the request path. Renewals are
    /// read in batches, so renewing twice a TTL costs the store little.
    ahead: Duration,
    /// Keys being read again in the background, so a hot key is read once, not once per hit.
    renewals: Mutex<Renewals>,
    generation: AtomicU64,
    /// How many times the whole cache was dropped (the change notices were lost): leases go with it.
    resets: AtomicU64,
    changes: Mutex<Invalidations>,
}

impl KeyCache {
    pub fn new(capacity: u64, ttl: Duration, changes: Invalidations) -> Self {
        let capacity = usize::try_from(capacity).unwrap_or(usize::MAX).max(1);
        Self {
            entries: Cache::new(capacity),
            ttl,
            ahead: ttl / 2,
            renewals: Mutex::new(Renewals::default()),
            generation: AtomicU64::new(0),
            resets: AtomicU64::new(0),
            changes: Mutex::new(changes),
        }
    }

    /// The cached answer for `id`, after applying every change notice received so far.
    pub fn get(&self, id: &KeyId) -> Option<Hit> {
        self.catch_up();
        let cached = self.entries.get(id)?;
        let now = Instant::now();
        if now < cached.expires {
            Some(Hit { entry: cached.entry, refresh: now + self.ahead >= cached.expires })
        } else {
            self.entries.remove(id);
            None
        }
    }

    /// Queues the background renewal of `id`, unless it is queued or being read already.
    pub fn queue_renewal(&self, id: KeyId) -> Queued {
        let mut renewals = self.renewals.lock().unwrap_or_else(PoisonError::into_inner);
        if !renewals.claimed.insert(id) {
            return Queued::Already;
        }
        renewals.queued.push(id);
        if renewals.queued.len() == 1 {
            Queued::First
        } else {
            Queued::Joined
        }
    }

    /// How long a batch's first renewal waits before the batch is read.
    pub fn renewal_gather(&self) -> Duration {
        (self.ahead / 4).min(RENEWAL_GATHER)
    }

    /// The batch the task of a [`Queued::First`] renewal reads: made when the task starts, before it
    /// waits, so its claims end however the task ends.
    pub fn renewal_batch(&self) -> RenewalBatch<'_> {
        RenewalBatch { cache: self, ids: None }
    }

    fn changes(&self) -> MutexGuard<'_, Invalidations> {
        self.changes.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn catch_up(&self) {
        // One atomic load inside `drain` when nothing changed.
        self.drain(&mut self.changes());
    }

    /// Applies the notices received so far; the caller holds the lock of the notices, under which
    /// every eviction runs (see [`KeyCache::insert`]).
    fn drain(&self, changes: &mut Invalidations) {
        changes.drain(|invalidation| self.evict_held(invalidation));
    }

    /// The generation to pass to [`KeyCache::insert`] for a read that starts now.
    pub fn generation(&self) -> u64 {
        self.generation.load(Ordering::Acquire)
    }

    /// Caches `entry` unless an eviction happened (or was announced) since `generation` was read.
    ///
    /// The check and the insert are made under the lock every eviction takes. Without it, another
    /// thread could drain a revocation's notice between them: the notice spent, the record it made
    /// stale would go in after it with a fresh TTL and verify until read again.
    pub fn insert(&self, id: KeyId, entry: Entry, generation: u64) {
        let mut changes = self.changes();
        self.drain(&mut changes);
        if self.generation() == generation {
            self.entries.insert(id, Cached { entry, expires: Instant::now() + self.ttl });
        }
    }

    /// Evicts what `invalidation` names, at once.
    pub fn evict(&self, invalidation: Invalidation) {
        let _changes = self.changes();
        self.evict_held(invalidation);
    }

    fn evict_held(&self, invalidation: Invalidation) {
        self.generation.fetch_add(1, Ordering::AcqRel);
        match invalidation {
            Invalidation::Key(id) => {
                self.entries.remove(&id);
            }
            Invalidation::All => {
                self.resets.fetch_add(1, Ordering::AcqRel);
                self.entries.clear();
            }
        }
    }

    /// How many times the whole cache was dropped, after applying every change notice received so far.
    pub fn resets(&self) -> u64 {
        self.catch_up();
        self.resets.load(Ordering::Acquire)
    }
}

/// The keys one renewal task reads. Dropped, it ends their claims (or, if the task ended before taking
/// them, the claims of every key still queued): a panic, or a runtime stopped while the task waited,
/// must not leave keys claimed forever, or a queue no task will ever take.
pub(crate) struct RenewalBatch<'c> {
    cache: &'c KeyCache,
    ids: Option<Vec<KeyId>>,
}

impl RenewalBatch<'_> {
    /// Takes every queued renewal; they stay claimed until the batch is dropped.
    pub fn take(&mut self) -> &[KeyId] {
        let queued = std::mem::take(&mut self.cache.renewals.lock().unwrap_or_else(PoisonError::into_inner).queued);
        self.ids.insert(queued)
    }
}

impl Drop for RenewalBatch<'_> {
    fn drop(&mut self) {
        let mut renewals = self.cache.renewals.lock().unwrap_or_else(PoisonError::into_inner);
        let ids = match self.ids.take() {
            Some(ids) => ids,
            None => std::mem::take(&mut renewals.queued),
        };
        for id in &ids {
            renewals.claimed.remove(id);
        }
    }
}

#[cfg(test)]
mod tests {
    use keygate_store::InvalidationSender;

    use super::*;

    fn cache() -> KeyCache {
        KeyCache::new(16, Duration::from_secs(30), InvalidationSender::new().subscribe())
    }

    fn id(n: u8) -> KeyId {
        KeyId::from_bytes([n; 16])
    }

    #[test]
    fn a_batch_ends_its_claims_however_its_task_ends() {
        let cache = cache();
        assert_eq!(cache.queue_renewal(id(1)), Queued::First);
        assert_eq!(cache.queue_renewal(id(2)), Queued::Joined);
        assert_eq!(cache.queue_renewal(id(1)), Queued::Already, "claimed once");

        // Read to the end: the claims end with the batch, and a key asked for meanwhile starts a new one.
        let mut batch = cache.renewal_batch();
        assert_eq!(batch.take(), [id(1), id(2)]);
        assert_eq!(cache.queue_renewal(id(1)), Queued::Already, "still being read");
        assert_eq!(cache.queue_renewal(id(3)), Queued::First, "a new batch");
        drop(batch);
        assert_eq!(cache.queue_renewal(id(1)), Queued::Joined, "its claim ended: it joins the new batch");

        // A task dropped before it took its batch (its runtime stopped while it waited) ends the
        // claims of every key still queued, so the next one starts a batch again.
        drop(cache.renewal_batch());
        assert_eq!(cache.queue_renewal(id(3)), Queued::First);
    }
}
