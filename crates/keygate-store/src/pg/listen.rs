//! Hearing of key changes made by other processes: a background task LISTENs on [`CHANNEL`] and turns
//! each notification into an [`Invalidation`] on a broadcast channel.
//!
//! It must never die on an error (caches would silently go stale): it retries with a bounded backoff,
//! and after any error or reconnection it sends [`Invalidation::All`], since notifications sent while
//! it was not listening are lost. It follows the primary: a lost connection wakes the primary's
//! watcher, and when the pool moves to another host it subscribes again there (the old server, if
//! still up, no longer hears the writes). It must never outlive the store: it stops when the last `PgStore`
//! clone drops its shutdown sender, or when the pool is closed.

use std::sync::Arc;
use std::time::Duration;

use keygate_domain::KeyId;
use sqlx::postgres::PgListener;
use sqlx::PgPool;
use tokio::sync::oneshot;

use super::primary::Primary;
use crate::model::Invalidation;

/// The notification channel; each payload is the id of a key whose row changed.
pub(super) const CHANNEL: &str = "keygate_keys";

const MIN_BACKOFF: Duration = Duration::from_millis(100);
const MAX_BACKOFF: Duration = Duration::from_secs(2);

/// A listener that has already run `LISTEN`, so no notification committed after this returns is missed.
pub(super) async fn subscribe(pool: &PgPool) -> Result<PgListener, sqlx::Error> {
    let mut listener = PgListener::connect_with(pool).await?;
    // Report a lost connection at once (as `Ok(None)`) rather than first waiting for a new one, so the
    // primary's watcher is woken and the caches emptied without delay.
    listener.eager_reconnect(false);
    listener.listen(CHANNEL).await?;
    Ok(listener)
}

/// Forwards notifications until `shutdown` resolves (its sender is dropped) or the pool closes.
/// Without a `listener` to start with, it subscribes first.
pub(super) async fn run(
    mut listener: Option<PgListener>,
    pool: PgPool,
    primary: Arc<Primary>,
    sender: crate::invalidations::InvalidationSender,
    mut shutdown: oneshot::Receiver<()>,
) {
    let mut moves = primary.moves();
    // A send fails only when nobody subscribes, which is fine: nobody caches anything.
    let send = |event| sender.send(event);
    let mut backoff = MIN_BACKOFF;
    loop {
        if pool.is_closed() {
            return;
        }
        let Some(active) = listener.as_mut() else {
            let subscribed = tokio::select! {
                _ = &mut shutdown => return,
                subscribed = subscribe(&pool) => subscribed,
            };
            match subscribed {
                Ok(fresh) => {
                    listener = Some(fresh);
                    // Anything may have changed while nobody was listening.
                    send(Invalidation::All);
                }
                Err(error) => {
                    primary.wake();
                    tracing::warn!(%error, "key invalidation listener could not subscribe; retrying");
                    tokio::select! {
                        _ = &mut shutdown => return,
                        () = tokio::time::sleep(backoff) => {}
                    }
                    backoff = (backoff * 2).min(MAX_BACKOFF);
                }
            }
            continue;
        };
        let received = tokio::select! {
            _ = &mut shutdown => return,
            change = moves.changed() => {
                if change.is_ok() {
                    // The pool moved to another host: listen there, from a fresh connection.
                    listener = None;
                    send(Invalidation::All);
                }
                continue;
            }
            received = active.try_recv() => received,
        };
        match received {
            Ok(Some(notification)) => {
                backoff = MIN_BACKOFF;
                match KeyId::parse(notification.payload()) {
                    Ok(id) => send(Invalidation::Key(id)),
                    // Not one of ours: evicting everything is the safe reading.
                    Err(_) => send(Invalidation::All),
                }
            }
            // The connection dropped (sqlx makes a new one, and LISTENs, on the next call): some
            // notifications may be lost, and the database may be failing over.
            Ok(None) => {
                primary.wake();
                send(Invalidation::All);
            }
            Err(error) => {
                if pool.is_closed() {
                    return;
                }
                tracing::warn!(%error, "key invalidation listener failed; reconnecting");
                primary.wake();
                send(Invalidation::All);
                // Start over on a fresh connection rather than trust the state of this one, after a
                // pause so an error that repeats at once does not spin.
                listener = None;
                tokio::select! {
                    _ = &mut shutdown => return,
                    () = tokio::time::sleep(backoff) => {}
                }
                backoff = (backoff * 2).min(MAX_BACKOFF);
            }
        }
    }
}
