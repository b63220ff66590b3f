//! Write-behind recording of usage (request counts, last use), so a verification never waits on a
//! database write.
//!
//! Verifications are folded in memory per (key, UTC day) and written in one batch every `interval`
//! or as soon as `max_entries` distinct (key, day) pairs are waiting, and once more on shutdown. What a
//! crash can lose is at most the last interval of usage counters; keys, states, audit entries and spent
//! volume are written synchronously by their own operations and never pass through here. If the store
//! is down, the batch is kept and retried with the next one.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use chrono::{DateTime, NaiveDate, Utc};
use keygate_domain::{BuildIdHasher, KeyId, TenantId};
use tokio::sync::Notify;
use tokio::task::JoinHandle;

use crate::error::StoreError;
use crate::model::UsageRecord;
use crate::store::KeyStore;

/// How often and how much the buffer writes.
#[derive(Debug, Clone, Copy)]
pub struct UsageBufferOptions {
    /// Longest time a counted verification waits before it is written.
    pub interval: Duration,
    /// Distinct (key, day) pairs that trigger an early write.
    pub max_entries: usize,
}

/// Every 5 s: a batch holds one row per (key, day) however often the key was used, so the database's
/// work falls with the interval (at 25,000 verifications a second over 10,000 keys, 250 ms wrote about
/// 18,600 rows a second, 5 s writes 2,000). 100,000 pairs (about 10 MB) before an early write.
impl Default for UsageBufferOptions {
    fn default() -> Self {
        Self { interval: Duration::from_secs(5), max_entries: 100_000 }
    }
}

/// Writes tried again at shutdown after the first fails (a failed batch is kept for the next).
const SHUTDOWN_RETRIES: u32 = 3;

/// Keyed by server-drawn key ids: [`BuildIdHasher`] rather than SipHash, which cost more than the rest
/// of `record`.
type Pending = HashMap<(KeyId, NaiveDate), UsageRecord, BuildIdHasher>;

/// How many locks the pending counts are spread over, by key: workers counting different keys
/// rarely wait for each other (one lock was taken by every verification of every worker).
const SHARDS: usize = 8;

struct Inner {
    store: Arc<dyn KeyStore>,
    pending: [Mutex<Pending>; SHARDS],
    wake: Notify,
    closing: AtomicBool,
    options: UsageBufferOptions,
}

impl Inner {
    /// The shard counting `key`.
    fn shard(&self, key: KeyId) -> std::sync::MutexGuard<'_, Pending> {
        let index = usize::from(key.as_bytes()[15]) % SHARDS;
        self.pending[index].lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Everything waiting, as the rows to write: each shard's map is moved out and emptied into the
    /// batch, so a write never holds a second map of the same counts.
    fn take(&self) -> Vec<UsageRecord> {
        let mut batch = Vec::new();
        for shard in &self.pending {
            let taken = std::mem::take(&mut *shard.lock().unwrap_or_else(PoisonError::into_inner));
            batch.extend(taken.into_values());
        }
        batch
    }

    fn put_back(&self, batch: Vec<UsageRecord>) {
        for record in batch {
            let mut pending = self.shard(record.key);
            let slot = (record.key, record.day);
            match pending.get_mut(&slot) {
                Some(newer) => merge(newer, &record),
                None => {
                    pending.insert(slot, record);
                }
            }
        }
    }

    async fn flush(&self) -> Result<(), StoreError> {
        let batch = self.take();
        if batch.is_empty() {
            return Ok(());
        }
        match self.store.record_usage(&batch).await {
            Ok(()) => Ok(()),
            Err(error) => {
                self.put_back(batch);
                Err(error)
            }
        }
    }
}

fn merge(into: &mut UsageRecord, from: &UsageRecord) {
    into.requests += from.requests;
    if from.last_used_at > into.last_used_at {
        into.last_used_at = from.last_used_at;
        into.last_used_ip = from.last_used_ip;
    }
}

/// The write-behind buffer. Cloning shares it.
#[derive(Clone)]
pub struct UsageBuffer {
    inner: Arc<Inner>,
    task: Arc<Mutex<Option<JoinHandle<()>>>>,
}

impl std::fmt::Debug for UsageBuffer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("UsageBuffer").field("options", &self.inner.options).finish_non_exhaustive()
    }
}

impl UsageBuffer {
    /// Starts the buffer and its flushing task on the current tokio runtime.
    pub fn start(store: Arc<dyn KeyStore>, options: UsageBufferOptions) -> Self {
        let inner = Arc::new(Inner {
            store,
            pending: std::array::from_fn(|_| Mutex::new(Pending::default())),
            wake: Notify::new(),
            closing: AtomicBool::new(false),
            options,
        });
        let weak = Arc::downgrade(&inner);
        let task = tokio::spawn(async move {
            // Holds the buffer only while working, so dropping every handle ends the task.
            while let Some(inner) = weak.upgrade() {
                let _ = tokio::time::timeout(inner.options.interval, inner.wake.notified()).await;
                if inner.closing.load(Ordering::Acquire) {
                    return;
                }
                if let Err(error) = inner.flush().await {
                    tracing::warn!(%error, "usage flush failed; will retry with the next batch");
                }
            }
        });
        Self { inner, task: Arc::new(Mutex::new(Some(task))) }
    }

    /// Counts one verification of `key` at `at` from `ip`. Never blocks on the store.
    pub fn record(&self, tenant: &TenantId, key: KeyId, at: DateTime<Utc>, ip: Option<IpAddr>) {
        let day = at.date_naive();
        let len = {
            let mut pending = self.inner.shard(key);
            // A key counted before in this batch: no tenant id cloned, no record built.
            if let Some(record) = pending.get_mut(&(key, day)) {
                record.requests += 1;
                if at > record.last_used_at {
                    record.last_used_at = at;
                    record.last_used_ip = ip;
                }
            } else {
                let record =
                    UsageRecord { tenant: tenant.clone(), key, day, requests: 1, last_used_at: at, last_used_ip: ip };
                pending.insert((key, day), record);
            }
            pending.len()
        };
        // Keys spread evenly over the shards, so one shard holding its share of the limit stands for
        // the whole buffer holding about the limit.
        if len.saturating_mul(SHARDS) >= self.inner.options.max_entries {
            self.inner.wake.notify_one();
        }
    }

    /// Writes everything waiting now.
    pub async fn flush(&self) -> Result<(), StoreError> {
        self.inner.flush().await
    }

    /// Stops the periodic task, letting a write in progress finish, then writes what is left (call on
    /// graceful shutdown). The last write is tried a few times: it holds up to an interval of counts,
    /// and a store that is briefly slow to hand out a connection must not lose them.
    pub async fn shutdown(&self) -> Result<(), StoreError> {
        self.inner.closing.store(true, Ordering::Release);
        self.inner.wake.notify_one();
        let task = self.task.lock().unwrap_or_else(PoisonError::into_inner).take();
        if let Some(task) = task {
            // The task only ends by returning; a join error would mean it panicked, and the final flush
            // below still runs.
            let _ = task.await;
        }
        let mut tries = 0;
        loop {
            match self.flush().await {
                Err(error) if tries < SHUTDOWN_RETRIES => {
                    tries += 1;
                    tracing::warn!(%error, tries, "usage could not be written at shutdown; trying again");
                    tokio::time::sleep(Duration::from_millis(250)).await;
                }
                outcome => return outcome,
            }
        }
    }
}
