//! The bounded, TTL'd cache of key records, evicted by the store's change notifications.
//!
//! It holds positive answers (the record) and negative ones (no such key) for at most the TTL. The
//! store's change notices are applied before every look-up (not by a background task), so a change
//! announced before a verification starts is always seen by it. A record read from the store while an
//! eviction happened is not cached: the generation counter makes a miss that raced with a change go
//! back to the store next time instead of keeping a stale record for a whole TTL.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use keygate_domain::KeyId;
use keygate_store::{Invalidation, KeyRecord};
use moka::sync::Cache;
use tokio::sync::broadcast;

/// A cached answer: the record, or `None` for "no such key".
pub type Entry = Option<Arc<KeyRecord>>;

pub(crate) struct KeyCache {
    entries: Cache<KeyId, Entry>,
    generation: AtomicU64,
    changes: Mutex<broadcast::Receiver<Invalidation>>,
}

impl KeyCache {
    pub fn new(capacity: u64, ttl: Duration, changes: broadcast::Receiver<Invalidation>) -> Self {
        Self {
            entries: Cache::builder().max_capacity(capacity).time_to_live(ttl).build(),
            generation: AtomicU64::new(0),
            changes: Mutex::new(changes),
        }
    }

    /// The cached answer for `id`, after applying every change notice received so far.
    pub fn get(&self, id: &KeyId) -> Option<Entry> {
        self.catch_up();
        self.entries.get(id)
    }

    fn catch_up(&self) {
        let mut changes = self.changes.lock().unwrap_or_else(PoisonError::into_inner);
        loop {
            match changes.try_recv() {
                Ok(invalidation) => self.evict(invalidation),
                Err(broadcast::error::TryRecvError::Empty | broadcast::error::TryRecvError::Closed) => return,
                // Missed some notices: any key may have changed.
                Err(broadcast::error::TryRecvError::Lagged(_)) => self.evict(Invalidation::All),
            }
        }
    }

    /// The generation to pass to [`KeyCache::insert`] for a read that starts now.
    pub fn generation(&self) -> u64 {
        self.generation.load(Ordering::Acquire)
    }

    /// Caches `entry` unless an eviction happened (or was announced) since `generation` was read.
    pub fn insert(&self, id: KeyId, entry: Entry, generation: u64) {
        self.catch_up();
        if self.generation() == generation {
            self.entries.insert(id, entry);
        }
    }

    pub fn evict(&self, invalidation: Invalidation) {
        self.generation.fetch_add(1, Ordering::AcqRel);
        match invalidation {
            Invalidation::Key(id) => self.entries.invalidate(&id),
            Invalidation::All => self.entries.invalidate_all(),
        }
    }
}
