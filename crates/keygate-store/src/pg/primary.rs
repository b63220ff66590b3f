//! Finding the primary among the URL's hosts, and following it through a failover.
//!
//! The pool always connects to one host (its connect options); [`Primary`] decides which. Every new
//! connection is checked (`SHOW transaction_read_only` must be `off` under `read-write`) and refused if
//! it landed on a standby; a connection idle for more than half a second is pinged before it is handed
//! out (sqlx pings each as it comes back). A refusal, a
//! failed ping, a lost `LISTEN` connection or any `Unavailable` answer wakes [`watch`], which tries the
//! host in use and then the others in the URL's order, and points the pool at the first that accepts
//! writes, again and again with a bounded backoff while none does. When it moves the pool, connections made before are closed
//! as they come back, and the listener resubscribes (and its caches are emptied).
//!
//! It must never hand out a connection to a read-only server under `read-write` (a write would fail
//! with 25006 after the caller was told nothing), never spin (a probe at most every [`MIN_BACKOFF`]),
//! and never log the password (hosts are shown as `host:port`).

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use std::future::Future;
use std::pin::Pin;

use sqlx::pool::PoolConnectionMetadata;
use sqlx::postgres::{PgConnectOptions, PgConnection, PgPoolOptions};
use sqlx::{ConnectOptions, Connection, PgPool};
use tokio::sync::{oneshot, watch, Notify};

use super::hosts::{DatabaseUrl, TargetSession};

/// Shortest pause between two probes of the hosts, and the first backoff when none accepts writes.
const MIN_BACKOFF: Duration = Duration::from_millis(100);
/// Longest pause between two rounds while no host accepts writes: it bounds how long after a
/// promotion keygated finds the new primary (plus one round of probes).
const MAX_BACKOFF: Duration = Duration::from_secs(1);

/// How long `watch` rests after a round that found the primary where the pool already was, however
/// many wakes came in meanwhile (a burst of `Unavailable` answers under overload must not become a
/// burst of probes).
const QUIET: Duration = Duration::from_millis(250);

/// How long after its last use a connection is handed out without a ping of its own (see
/// [`Primary::pool`]). A restart within that window fails the request on it (fail closed, 503) and
/// wakes [`watch`], as any `Unavailable` answer does.
const RECENTLY_ANSWERED: Duration = Duration::from_millis(500);

type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// What a probe found on one host.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Found {
    /// It answered and takes this process's connections.
    Accepts,
    /// It answered, read-only (a standby, or a primary being fenced).
    ReadOnly,
    /// It did not answer in time.
    Unreachable,
}

/// The hosts, which one the pool uses, and the signals between the pool, the listener and [`watch`].
pub(super) struct Primary {
    hosts: Vec<PgConnectOptions>,
    /// `host:port` per host, for logs and `Debug`.
    labels: Vec<String>,
    target: TargetSession,
    /// How long one host may take to answer a probe.
    probe_timeout: Duration,
    /// The origin of [`Self::forget_before`].
    base: Instant,
    /// Nanoseconds after `base`: connections made before this are closed instead of handed out.
    forget_before: AtomicU64,
    wake: Notify,
    /// Counts the moves to another host; the listener resubscribes on each.
    moved: watch::Sender<u64>,
}

impl Primary {
    /// One set of connect options per host of `url`.
    pub(super) fn new(url: &DatabaseUrl, probe_timeout: Duration) -> Result<Self, sqlx::Error> {
        let hosts = (0..url.hosts().len())
            .filter_map(|i| url.host_url(i))
            .map(|u| u.parse::<PgConnectOptions>())
            .collect::<Result<Vec<_>, _>>()?;
        let labels = hosts.iter().map(|o| format!("{}:{}", o.get_host(), o.get_port())).collect();
        Ok(Self {
            hosts,
            labels,
            target: url.target(),
            probe_timeout,
            base: Instant::now(),
            forget_before: AtomicU64::new(0),
            wake: Notify::new(),
            moved: watch::Sender::new(0),
        })
    }

    /// `host:port` of each host, comma-separated (no user, no password).
    pub(super) fn label(&self) -> String {
        self.labels.join(",")
    }

    /// Asks [`watch`] to check where the primary is (cheap; wakes coalesce).
    pub(super) fn wake(&self) {
        self.wake.notify_one();
    }

    /// Changes each time the pool moves to another host.
    pub(super) fn moves(&self) -> watch::Receiver<u64> {
        self.moved.subscribe()
    }

    /// The first host that accepts this process's connections, trying each once in order; `None` if
    /// none does.
    pub(super) async fn find(&self) -> Option<usize> {
        let mut found = None;
        for index in 0..self.hosts.len() {
            if self.probe(index).await == Found::Accepts {
                found = Some(index);
                break;
            }
        }
        found
    }

    async fn probe(&self, index: usize) -> Found {
        let Some(options) = self.hosts.get(index) else { return Found::Unreachable };
        let attempt = async {
            let mut conn = options.connect().await?;
            let accepts = accepts(&mut conn, self.target).await;
            drop(conn.close().await);
            accepts
        };
        match tokio::time::timeout(self.probe_timeout, attempt).await {
            Ok(Ok(true)) => Found::Accepts,
            Ok(Ok(false)) => Found::ReadOnly,
            Ok(Err(_)) | Err(_) => Found::Unreachable,
        }
    }

    /// Every connection made until now is closed when it next leaves the idle queue.
    fn forget_connections(&self) {
        let now = u64::try_from(self.base.elapsed().as_nanos()).unwrap_or(u64::MAX);
        self.forget_before.store(now, Ordering::Release);
    }

    fn is_forgotten(&self, meta: &PoolConnectionMetadata) -> bool {
        let made = self.base.elapsed().saturating_sub(meta.age);
        let made = u64::try_from(made.as_nanos()).unwrap_or(u64::MAX);
        made < self.forget_before.load(Ordering::Acquire)
    }

    /// A pool on host `index` whose new connections are checked and whose idle ones are pinged (and
    /// dropped if made before the last move), connecting on first use.
    pub(super) fn pool(self: &Arc<Self>, index: usize, options: PgPoolOptions) -> PgPool {
        let on_connect = Arc::clone(self);
        let on_acquire = Arc::clone(self);
        // `DatabaseUrl` has at least one host, so the fallback is never used.
        let connect_options =
            self.hosts.get(index).or(self.hosts.first()).cloned().unwrap_or_else(PgConnectOptions::new);
        options
            // The ping below replaces sqlx's, so a failed one can wake the watcher.
            .test_before_acquire(false)
            .after_connect(move |conn, _meta| -> BoxFuture<'_, Result<(), sqlx::Error>> {
                let primary = Arc::clone(&on_connect);
                Box::pin(async move {
                    if accepts(conn, primary.target).await? {
                        Ok(())
                    } else {
                        primary.wake();
                        Err(sqlx::Error::Protocol("the server is read-only (a standby): not the primary".to_owned()))
                    }
                })
            })
            .before_acquire(move |conn, meta| -> BoxFuture<'_, Result<bool, sqlx::Error>> {
                let primary = Arc::clone(&on_acquire);
                Box::pin(async move {
                    if primary.is_forgotten(&meta) {
                        return Ok(false);
                    }
                    // sqlx pings every connection as it comes back to the pool (sqlx-core 0.8's
                    // `return_to_pool`), so one idle for less than `RECENTLY_ANSWERED` answered a
                    // ping that recently: pinging it again would make each statement three round
                    // trips under load (HikariCP skips its check likewise, `aliveBypassWindowMs`).
                    if meta.idle_for < RECENTLY_ANSWERED {
                        return Ok(true);
                    }
                    // A ping costs a round trip, and spares a request failing on a connection a
                    // database restart killed while it was idle.
                    match conn.ping().await {
                        Ok(()) => Ok(true),
                        Err(error) => {
                            primary.wake();
                            Err(error)
                        }
                    }
                })
            })
            .connect_lazy_with(connect_options)
    }
}

/// Whether the server behind `conn` takes this process's connections under `target`.
async fn accepts(conn: &mut PgConnection, target: TargetSession) -> Result<bool, sqlx::Error> {
    match target {
        TargetSession::Any => Ok(true),
        TargetSession::ReadWrite => {
            let read_only: String = sqlx::query_scalar("SHOW transaction_read_only").fetch_one(conn).await?;
            Ok(read_only == "off")
        }
    }
}

/// Waits for wakes and keeps `pool` on the host in use while it accepts writes, else points it at the
/// first other host (in the URL's order) that does, until `shutdown`
/// resolves (its sender is dropped) or the pool closes. `current` is the host the pool starts on.
pub(super) async fn watch(
    primary: Arc<Primary>,
    pool: PgPool,
    mut current: usize,
    mut shutdown: oneshot::Receiver<()>,
) {
    loop {
        tokio::select! {
            _ = &mut shutdown => return,
            () = primary.wake.notified() => {}
        }
        let mut backoff = MIN_BACKOFF;
        loop {
            if pool.is_closed() {
                return;
            }
            let mut current_read_only = false;
            let mut found = None;
            // The host in use first: while it takes connections the pool stays there, so a server
            // earlier in the list that comes back accepting writes (an old primary restarted by
            // mistake) does not pull it back. Then the others in the URL's order.
            let others = (0..primary.hosts.len()).filter(|&i| i != current);
            for index in std::iter::once(current).chain(others) {
                match primary.probe(index).await {
                    Found::Accepts => {
                        found = Some(index);
                        break;
                    }
                    Found::ReadOnly => current_read_only |= index == current,
                    Found::Unreachable => {}
                }
            }
            match found {
                Some(index) if index == current => break,
                Some(index) => {
                    let label = |i: usize| primary.labels.get(i).map_or("?", String::as_str);
                    tracing::warn!(
                        from = label(current),
                        to = label(index),
                        "the database primary moved; reconnecting there"
                    );
                    if let Some(options) = primary.hosts.get(index) {
                        pool.set_connect_options(options.clone());
                    }
                    primary.forget_connections();
                    current = index;
                    primary.moved.send_modify(|n| *n += 1);
                    break;
                }
                None => {
                    if current_read_only {
                        // The server the pool uses turned read-only: its connections must go.
                        primary.forget_connections();
                    }
                    tracing::warn!(hosts = %primary.label(), "no database host accepts writes; retrying");
                }
            }
            tokio::select! {
                _ = &mut shutdown => return,
                () = tokio::time::sleep(backoff) => {}
            }
            backoff = (backoff * 2).min(MAX_BACKOFF);
        }
        tokio::select! {
            _ = &mut shutdown => return,
            () = tokio::time::sleep(QUIET) => {}
        }
    }
}
