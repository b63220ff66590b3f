//! The feed of key changes that caches follow.
//!
//! A broadcast channel plus a counter of notices sent. A cache checks the counter (one atomic load)
//! before each look-up and drains the channel only when it moved, so following changes costs nothing
//! when there are none, and a notice sent before a verification starts is always seen by it: the
//! sender puts the notice in the channel before it bumps the counter.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use tokio::sync::broadcast;

use crate::model::Invalidation;

/// Notices kept for a receiver that has not drained; one that falls further behind evicts everything.
const CAPACITY: usize = 4096;

/// The sending side, held by a store.
#[derive(Debug, Clone)]
pub struct InvalidationSender {
    tx: broadcast::Sender<Invalidation>,
    sent: Arc<AtomicU64>,
}

impl Default for InvalidationSender {
    fn default() -> Self {
        Self::new()
    }
}

impl InvalidationSender {
    /// A feed with no receiver yet.
    pub fn new() -> Self {
        let (tx, _) = broadcast::channel(CAPACITY);
        Self { tx, sent: Arc::new(AtomicU64::new(0)) }
    }

    /// Announces a change to every receiver.
    pub fn send(&self, invalidation: Invalidation) {
        // No receiver is fine: nobody caches. The counter moves after the notice is in the channel.
        let _ = self.tx.send(invalidation);
        self.sent.fetch_add(1, Ordering::Release);
    }

    /// A receiver that sees every notice sent from now on.
    pub fn subscribe(&self) -> Invalidations {
        // Read the counter before subscribing: a notice sent in between moves it past `seen`.
        let seen = self.sent.load(Ordering::Acquire);
        Invalidations { rx: self.tx.subscribe(), sent: self.sent.clone(), seen }
    }
}

/// The receiving side, held by a cache.
#[derive(Debug)]
pub struct Invalidations {
    rx: broadcast::Receiver<Invalidation>,
    sent: Arc<AtomicU64>,
    seen: u64,
}

impl Invalidations {
    /// Hands every notice received since the last call to `apply` (`All` if some were missed).
    /// Costs one atomic load when nothing was sent.
    pub fn drain(&mut self, mut apply: impl FnMut(Invalidation)) {
        let sent = self.sent.load(Ordering::Acquire);
        if sent == self.seen {
            return;
        }
        loop {
            match self.rx.try_recv() {
                Ok(invalidation) => apply(invalidation),
                Err(broadcast::error::TryRecvError::Lagged(_)) => apply(Invalidation::All),
                Err(broadcast::error::TryRecvError::Empty | broadcast::error::TryRecvError::Closed) => break,
            }
        }
        self.seen = sent;
    }

    /// Waits for the next notice (`All` if some were missed); `None` once the store is gone.
    pub async fn recv(&mut self) -> Option<Invalidation> {
        match self.rx.recv().await {
            Ok(invalidation) => Some(invalidation),
            Err(broadcast::error::RecvError::Lagged(_)) => Some(Invalidation::All),
            Err(broadcast::error::RecvError::Closed) => None,
        }
    }
}
