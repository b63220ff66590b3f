//! The request log's sink: every verification outcome of an existing key becomes a
//! [`RequestLine`], written behind the answer in batches by a background task, and lines past retention
//! are pruned by a second, periodic task.
//!
//! A verification never waits for its line: [`RequestLog::note`] takes a short lock and pushes onto a
//! bounded buffer. When the store is slow and the buffer is full, lines are dropped and counted in
//! `keygate_request_log_dropped_total`; nothing ever blocks on the store. A crash loses at most what
//! was waiting (one interval of lines). Outcomes that name no existing key (a malformed token, an
//! unknown id) are not kept per key: `keygate_verifications_total{code}` counts them.
//!
//! It never holds the presented token, its secret or a hash: a line is built from the [`Subject`]
//! (ids), the request context and the outcome's code.

mod line;
mod prune;
#[cfg(test)]
mod tests;

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use keygate_domain::{Clock, RequestId, ServiceId};
use keygate_policy::RequestContext;
use keygate_store::{KeyStore, RequestLine, StoreError};
use rand_core::{OsRng, RngCore};
use tokio::sync::Notify;
use tokio::task::JoinHandle;

use crate::outcome::{Verified, VerifyError};
use crate::verifier::Subject;

/// How the request log buffers, writes and prunes.
#[derive(Debug, Clone, Copy)]
pub struct RequestLogOptions {
    /// Longest time a line waits before it is written.
    pub interval: Duration,
    /// Lines that trigger an early write, and the most written in one statement.
    pub batch: usize,
    /// Most lines waiting at once; a line noted beyond it is dropped (and counted).
    pub capacity: usize,
    /// How long lines are kept: older ones are pruned.
    pub retention: chrono::Duration,
    /// How often the prune runs (and once at start).
    pub prune_every: Duration,
    /// Most lines one prune statement deletes.
    pub prune_batch: u32,
}

impl Default for RequestLogOptions {
    fn default() -> Self {
        Self {
            interval: Duration::from_millis(250),
            batch: 2_000,
            capacity: 100_000,
            retention: chrono::Duration::days(30),
            prune_every: Duration::from_secs(600),
            prune_batch: 10_000,
        }
    }
}

struct Inner {
    store: Arc<dyn KeyStore>,
    clock: Arc<dyn Clock>,
    pending: Mutex<Vec<RequestLine>>,
    wake: Notify,
    closing: AtomicBool,
    options: RequestLogOptions,
    /// This process's 64 random bits, the first half of every line id it makes.
    nonce: [u8; 8],
    /// The second half: a count of lines made.
    made: AtomicU64,
    /// Lines dropped so far (also counted in `keygate_request_log_dropped_total`).
    dropped: AtomicU64,
    /// One write at a time (the task's and an explicit flush), so lines leave in the order taken.
    writing: tokio::sync::Mutex<()>,
}

impl Inner {
    fn next_id(&self) -> RequestId {
        let mut bytes = [0u8; 16];
        bytes[..8].copy_from_slice(&self.nonce);
        bytes[8..].copy_from_slice(&self.made.fetch_add(1, Ordering::Relaxed).to_be_bytes());
        RequestId::from_bytes(bytes)
    }

    fn push(&self, line: RequestLine) {
        let len = {
            let mut pending = self.pending.lock().unwrap_or_else(PoisonError::into_inner);
            if pending.len() >= self.options.capacity {
                drop(pending);
                self.dropped(1);
                return;
            }
            pending.push(line);
            pending.len()
        };
        if len == self.options.batch {
            self.wake.notify_one();
        }
    }

    /// Writes everything waiting now, a batch per statement. A batch the store could not take because
    /// it is unavailable goes back to wait, as far as there is room; any other refusal drops it.
    async fn flush(&self) -> Result<(), StoreError> {
        let _writing = self.writing.lock().await;
        let mut taken = std::mem::take(&mut *self.pending.lock().unwrap_or_else(PoisonError::into_inner));
        let mut written = 0;
        let mut failed = None;
        for batch in taken.chunks(self.options.batch) {
            if let Err(error) = self.store.record_requests(batch).await {
                failed = Some(error);
                break;
            }
            metrics::counter!("keygate_request_log_written_total").increment(len_u64(batch.len()));
            written += batch.len();
        }
        let Some(error) = failed else { return Ok(()) };
        taken.drain(..written);
        if matches!(error, StoreError::Unavailable(_)) {
            self.put_back(taken);
        } else {
            self.dropped(taken.len());
        }
        Err(error)
    }

    fn dropped(&self, n: usize) {
        self.dropped.fetch_add(len_u64(n), Ordering::Relaxed);
        metrics::counter!("keygate_request_log_dropped_total").increment(len_u64(n));
    }

    fn put_back(&self, mut lines: Vec<RequestLine>) {
        let mut pending = self.pending.lock().unwrap_or_else(PoisonError::into_inner);
        let room = self.options.capacity.saturating_sub(pending.len());
        if lines.len() > room {
            self.dropped(lines.len() - room);
            lines.truncate(room);
        }
        pending.extend(lines);
    }
}

fn len_u64(n: usize) -> u64 {
    u64::try_from(n).unwrap_or(u64::MAX)
}

/// The request log's sink. Cloning shares it.
#[derive(Clone)]
pub struct RequestLog {
    inner: Arc<Inner>,
    tasks: Arc<Mutex<Vec<JoinHandle<()>>>>,
}

impl std::fmt::Debug for RequestLog {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RequestLog").field("options", &self.inner.options).finish_non_exhaustive()
    }
}

impl RequestLog {
    /// Starts the sink, its writing task and its prune task on the current tokio runtime.
    pub fn start(store: Arc<dyn KeyStore>, clock: Arc<dyn Clock>, options: RequestLogOptions) -> Self {
        let mut nonce = [0u8; 8];
        OsRng.fill_bytes(&mut nonce);
        let options = RequestLogOptions { batch: options.batch.max(1), capacity: options.capacity.max(1), ..options };
        let inner = Arc::new(Inner {
            store,
            clock,
            pending: Mutex::new(Vec::new()),
            wake: Notify::new(),
            closing: AtomicBool::new(false),
            options,
            nonce,
            made: AtomicU64::new(0),
            dropped: AtomicU64::new(0),
            writing: tokio::sync::Mutex::new(()),
        });
        let weak = Arc::downgrade(&inner);
        let writer = tokio::spawn(async move {
            // Holds the sink only while working, so dropping every handle ends the task.
            while let Some(inner) = weak.upgrade() {
                let _ = tokio::time::timeout(inner.options.interval, inner.wake.notified()).await;
                if inner.closing.load(Ordering::Acquire) {
                    return;
                }
                if let Err(error) = inner.flush().await {
                    tracing::warn!(%error, "request log write failed; lines kept while there is room");
                }
            }
        });
        let pruner = tokio::spawn(prune::every(Arc::downgrade(&inner)));
        Self { inner, tasks: Arc::new(Mutex::new(vec![writer, pruner])) }
    }

    /// Notes one verification: for the key it named, a line (written later); for none, nothing (the
    /// verifier's `keygate_verifications_total{code}` has counted it). Never blocks on the store.
    pub fn note(
        &self,
        subject: Option<&Subject>,
        ctx: &RequestContext,
        outcome: &Result<Verified, VerifyError>,
        latency: Duration,
        service: Option<ServiceId>,
    ) {
        let Some(subject) = subject else { return };
        let id = self.inner.next_id();
        let at = self.inner.clock.now();
        self.inner.push(line::build(id, at, subject, ctx, outcome, latency, service));
    }

    /// Writes every line waiting now (tests and shutdown).
    pub async fn flush(&self) -> Result<(), StoreError> {
        self.inner.flush().await
    }

    /// Lines dropped since start because the buffer was full (or the store refused them).
    pub fn dropped(&self) -> u64 {
        self.inner.dropped.load(Ordering::Relaxed)
    }

    /// Deletes every line older than the retention, now; answers how many.
    pub async fn prune(&self) -> Result<u64, StoreError> {
        prune::once(&self.inner).await
    }

    /// Stops both tasks, letting a write in progress finish, then writes what is left (call on
    /// graceful shutdown).
    pub async fn shutdown(&self) -> Result<(), StoreError> {
        self.inner.closing.store(true, Ordering::Release);
        self.inner.wake.notify_one();
        let tasks = std::mem::take(&mut *self.tasks.lock().unwrap_or_else(PoisonError::into_inner));
        let mut tasks = tasks.into_iter();
        if let Some(writer) = tasks.next() {
            // It ends after the write in progress, if any; a join error would mean it panicked, and
            // the final flush below still runs.
            let _ = writer.await;
        }
        for pruner in tasks {
            // Asleep for minutes, or amid a delete that is whole or nothing: nothing to finish.
            pruner.abort();
            let _ = pruner.await;
        }
        self.flush().await
    }
}

/// Every code a line's `outcome` can hold: `OK`, each denial's code in check order, then
/// `STORE_UNAVAILABLE` and `IDEMPOTENCY_MISMATCH` (for the listing's `outcome=` filter and its schema).
pub fn outcome_codes() -> Vec<&'static str> {
    let denials = keygate_policy::DenialCode::ALL.iter().map(|c| c.as_str());
    std::iter::once("OK").chain(denials).chain(["STORE_UNAVAILABLE", "IDEMPOTENCY_MISMATCH"]).collect()
}
