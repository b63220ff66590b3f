//! The bounded, TTL'd cache of key records, evicted by the store's change notices.
//!
//! It holds positive answers (the record) and negative ones (no such key) for at most the TTL. The
//! store's change notices are applied before every look-up (not by a background task), so a change
//! announced before a verification starts is always seen by it. A record read from the store while an
//! eviction happened is not cached: the generation counter makes a miss that raced with a change go
//! back to the store next time instead of keeping a stale record for a whole TTL.
//!
//! `quick_cache` (S3-FIFO, sharded) rather than `moka`: on the verify path moka's read log, deques and
//! epoch reclamation cost about 60 ns a hit, `quick_cache` a fraction of it; the TTL is one monotonic
//! clock read against the expiry kept with each entry.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
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

pub(crate) struct KeyCache {
    entries: Cache<KeyId, Cached>,
    ttl: Duration,
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
            generation: AtomicU64::new(0),
            resets: AtomicU64::new(0),
            changes: Mutex::new(changes),
        }
    }

    /// The cached answer for `id`, after applying every change notice received so far.
    pub fn get(&self, id: &KeyId) -> Option<Entry> {
        self.catch_up();
        let cached = self.entries.get(id)?;
        if Instant::now() < cached.expires {
            Some(cached.entry)
        } else {
            self.entries.remove(id);
            None
        }
    }

    fn catch_up(&self) {
        // One atomic load inside `drain` when nothing changed; the lock only orders concurrent drains.
        self.changes.lock().unwrap_or_else(PoisonError::into_inner).drain(|invalidation| self.evict(invalidation));
    }

    /// The generation to pass to [`KeyCache::insert`] for a read that starts now.
    pub fn generation(&self) -> u64 {
        self.generation.load(Ordering::Acquire)
    }

    /// Caches `entry` unless an eviction happened (or was announced) since `generation` was read.
    pub fn insert(&self, id: KeyId, entry: Entry, generation: u64) {
        self.catch_up();
        if self.generation() == generation {
            self.entries.insert(id, Cached { entry, expires: Instant::now() + self.ttl });
        }
    }

    pub fn evict(&self, invalidation: Invalidation) {
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
