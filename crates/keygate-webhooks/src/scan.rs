//! The expiry scan: every interval, announces `key.expiring` for each key whose expiry is within the
//! lead time and `key.expired` for each whose expiry has passed, each once per key.
//!
//! Several processes may run one each on a shared store: the store writes an event only with its
//! notice's unique row (`WebhookStore::announce_once`), so a key is announced once however many scans
//! see it at once. It reads time only from the injected clock, and never announces a key that no
//! longer works (revoked, rejected, still awaiting approval).

use std::sync::Arc;
use std::time::Duration;

use keygate_domain::Clock;
use keygate_store::{KeyStore, StoreError};

/// How the scan paces itself.
#[derive(Debug, Clone, Copy)]
pub struct ScanOptions {
    /// How long it waits between passes.
    pub interval: Duration,
    /// Keys read at once (a pass reads again until none is left).
    pub batch: u32,
}

impl Default for ScanOptions {
    fn default() -> Self {
        Self { interval: Duration::from_secs(60), batch: 256 }
    }
}

/// The scan.
#[derive(Clone)]
pub struct ExpiryScan {
    store: Arc<dyn KeyStore>,
    clock: Arc<dyn Clock>,
    options: ScanOptions,
}

impl std::fmt::Debug for ExpiryScan {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ExpiryScan").field("options", &self.options).finish_non_exhaustive()
    }
}

impl ExpiryScan {
    /// A scan over `store` on `clock`.
    pub fn new(store: Arc<dyn KeyStore>, clock: Arc<dyn Clock>, options: ScanOptions) -> Self {
        Self { store, clock, options }
    }

    /// Scans every interval until `stop` resolves; a store outage is logged and waited out.
    pub async fn run(self, stop: impl std::future::Future<Output = ()>) {
        tokio::pin!(stop);
        loop {
            if let Err(error) = self.tick().await {
                tracing::warn!(%error, "the webhook expiry scan could not reach the store");
            }
            tokio::select! {
                () = &mut stop => return,
                () = tokio::time::sleep(self.options.interval) => {}
            }
        }
    }

    /// One pass: announces every due expiry; answers how many events this pass wrote.
    pub async fn tick(&self) -> Result<usize, StoreError> {
        let now = self.clock.now();
        let mut written = 0;
        loop {
            let due = self.store.expiry_due(now, self.options.batch).await?;
            let full = due.len() >= usize::try_from(self.options.batch).unwrap_or(usize::MAX);
            let mut this_batch = 0;
            for key in &due {
                match self.store.announce_once(&key.event(now), key.notice()).await {
                    Ok(true) => this_batch += 1,
                    // Given already (by another process), or its key is gone: nothing to announce.
                    Ok(false) | Err(StoreError::NotFound) => {}
                    Err(error) => return Err(error),
                }
            }
            written += this_batch;
            // Another process may have given this batch's notices: then the next read moves on too.
            if !full {
                return Ok(written);
            }
        }
    }
}
