//! The periodic prune: every line older than the retention is deleted, in bounded batches, once at
//! start and then every `prune_every`.
//!
//! Several processes may prune the same store at once (the store promises each deletes lines no other
//! is deleting); it never deletes a line younger than the retention, by the verifier's clock.

use std::sync::{Arc, Weak};

use keygate_store::StoreError;

use super::Inner;

/// Deletes every line older than the retention, batch after batch; answers how many.
pub(super) async fn once(inner: &Inner) -> Result<u64, StoreError> {
    let before = inner.clock.now() - inner.options.retention;
    let batch = inner.options.prune_batch.max(1);
    let mut total = 0;
    loop {
        let deleted = inner.store.prune_requests(before, batch).await?;
        total += deleted;
        metrics::counter!("keygate_request_log_pruned_total").increment(deleted);
        if deleted < u64::from(batch) {
            return Ok(total);
        }
    }
}

/// The prune task: holds the sink only while pruning, so dropping every handle ends it.
pub(super) async fn every(weak: Weak<Inner>) {
    loop {
        let Some(inner) = weak.upgrade() else { return };
        if let Err(error) = once(&inner).await {
            tracing::warn!(%error, "request log prune failed; will try again");
        }
        let pause = inner.options.prune_every;
        drop::<Arc<Inner>>(inner);
        tokio::time::sleep(pause).await;
    }
}
