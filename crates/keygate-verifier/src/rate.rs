//! Request rate limits, answered in memory from budget leased from the store.
//!
//! Windows are fixed and aligned to the Unix epoch ([`RateLimit::window_start`]), so every process
//! agrees which window a request falls in. For each of a key's limits, a process holds at most one
//! slot: a slice of the current window's budget leased from the store (a tenth of the limit, at least
//! one request), answered from with a mutex and a decrement. It goes back to the store only when its
//! slice is used up, when the window turns, when the limit changed, or when the lease is a second old:
//! a lease lives at most [`LEASE_TTL`], and each lease is checked against the key's stored version, so
//! a key revoked, suspended or narrowed elsewhere stops within a second even if this process missed
//! the change notice. Unused budget is given back at the lease's end (the sweeper) and at a graceful
//! stop; a process killed without stopping strands at most its slices until their windows end, which
//! only makes others refuse early, never allow more. The store never leases past the limit, so the
//! requests allowed in a window across every process never exceed it.
//!
//! A request is counted in all of a key's limits or in none: every slot is checked before any is
//! decremented, under one lock.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

use chrono::{DateTime, Utc};
use keygate_domain::{Key, KeyId, RateLimit};
use keygate_policy::Denial;
use keygate_store::{KeyStore, Leased, RateLease, StoreError};

/// The longest a leased slice is answered from before the store is asked again.
pub const LEASE_TTL: chrono::TimeDelta = chrono::TimeDelta::seconds(1);

/// How much of a window's budget one lease asks for: a tenth (at least one request), so a hot key costs
/// one store round trip per tenth of its limit, and another process holds at most a tenth unused.
pub fn slice(limit: u64) -> u64 {
    limit.div_ceil(10)
}

#[derive(Debug, Clone, Copy)]
struct Slot {
    window_start: i64,
    limit: u64,
    left: u64,
    leased_at: DateTime<Utc>,
    /// The last lease granted nothing: the window's budget is out elsewhere. Refused from memory until
    /// the lease's end, rather than asking the store on every refused request.
    dry: bool,
}

impl Slot {
    /// Whether the slot still answers for `rate`'s window starting at `start` at `now`.
    fn current(&self, rate: &RateLimit, start: i64, now: DateTime<Utc>) -> bool {
        self.window_start == start && self.limit == rate.limit() && now - self.leased_at < LEASE_TTL
    }
}

/// What [`RateLeases::take`] decided.
#[derive(Debug)]
pub(crate) enum Taken {
    /// Counted in every limit (none if the key has none); [`RateLeases::untake`] gives it back.
    Allowed(Vec<(String, i64)>),
    /// Refused: counted in none.
    Refused(Denial),
    /// The key changed since it was read: read it again and decide anew.
    Stale,
}

type SlotKey = (KeyId, String);

/// The slots of every key this process has counted requests of.
pub(crate) struct RateLeases {
    store: Arc<dyn KeyStore>,
    slots: Mutex<HashMap<SlotKey, Slot>>,
    /// One lease round trip at a time per key, so a burst on a cold key asks the store once.
    gates: Mutex<HashMap<KeyId, Arc<tokio::sync::Mutex<()>>>>,
    /// Budget dropped from the slots (lost notices) but not yet given back.
    returns: Mutex<Vec<RateLease>>,
    /// The cache resets seen, to notice a new one.
    resets_seen: AtomicU64,
}

impl RateLeases {
    pub fn new(store: Arc<dyn KeyStore>) -> Self {
        Self {
            store,
            slots: Mutex::default(),
            gates: Mutex::default(),
            returns: Mutex::default(),
            resets_seen: AtomicU64::new(0),
        }
    }

    fn slots(&self) -> std::sync::MutexGuard<'_, HashMap<SlotKey, Slot>> {
        self.slots.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Drops every slot when the key cache was reset (`resets` moved on: the process lost its change
    /// notices), so no lease outlives the cache it was decided with. Their budget is given back by the
    /// next sweep.
    pub fn drop_on_reset(&self, resets: u64) {
        if self.resets_seen.swap(resets, Ordering::AcqRel) == resets {
            return;
        }
        let dropped: Vec<RateLease> = self.slots().drain().filter_map(|(k, s)| give_back(k, s)).collect();
        self.returns.lock().unwrap_or_else(PoisonError::into_inner).extend(dropped);
    }

    /// Counts one request of `key` at `now` in each of its limits, or in none.
    pub async fn take(&self, key: &Key, now: DateTime<Utc>) -> Result<Taken, StoreError> {
        let rates = key.privileges.limits.rate();
        if rates.is_empty() {
            return Ok(Taken::Allowed(Vec::new()));
        }
        if let Some(taken) = self.try_take(key.id, rates, now) {
            return Ok(taken);
        }
        let gate = {
            let mut gates = self.gates.lock().unwrap_or_else(PoisonError::into_inner);
            gates.entry(key.id).or_default().clone()
        };
        let _one_at_a_time = gate.lock().await;
        // A request racing on the fast path may take a slice just leased before this one counts: lease
        // again rather than refuse while the store still has budget.
        for _ in 0..3 {
            if let Some(taken) = self.try_take(key.id, rates, now) {
                return Ok(taken);
            }
            if self.lease_missing(key, rates, now).await? {
                return Ok(Taken::Stale);
            }
        }
        Ok(self.try_take(key.id, rates, now).unwrap_or_else(|| self.refusal(key.id, rates, now)))
    }

    /// Leases a slice for each limit without a current slot holding budget; `true` if the key is stale.
    async fn lease_missing(&self, key: &Key, rates: &[RateLimit], now: DateTime<Utc>) -> Result<bool, StoreError> {
        for rate in rates {
            let start = rate.window_start(now.timestamp());
            let slot_key = (key.id, rate.name().to_owned());
            let give_back = {
                let mut slots = self.slots();
                match slots.get(&slot_key) {
                    Some(s) if s.current(rate, start, now) && (s.left > 0 || s.dry) => continue,
                    Some(s) if s.window_start == start => slots.remove(&slot_key).map_or(0, |s| s.left),
                    _ => 0,
                }
            };
            let lease = RateLease {
                key: key.id,
                key_version: Some(key.version),
                name: rate.name().to_owned(),
                window_start: start,
                limit: rate.limit(),
                give_back,
                want: slice(rate.limit()),
            };
            match self.store.lease_rate(&lease).await? {
                Leased::Granted(granted) => {
                    let slot = Slot {
                        window_start: start,
                        limit: rate.limit(),
                        left: granted,
                        leased_at: now,
                        dry: granted == 0,
                    };
                    self.slots().insert(slot_key, slot);
                }
                Leased::Stale => {
                    // A stale lease changed nothing: what this process held is still out, give it back.
                    let back = RateLease { key_version: None, want: 0, ..lease };
                    if give_back > 0 {
                        self.store.lease_rate(&back).await?;
                    }
                    return Ok(true);
                }
            }
        }
        Ok(false)
    }

    /// Answers from the slots alone when every limit has a current slot: allowed (each decremented) or
    /// refused (none touched); `None` when some limit needs a lease first.
    fn try_take(&self, key: KeyId, rates: &[RateLimit], now: DateTime<Utc>) -> Option<Taken> {
        let mut slots = self.slots();
        let mut taken = Vec::with_capacity(rates.len());
        for rate in rates {
            let start = rate.window_start(now.timestamp());
            let slot = slots.get(&(key, rate.name().to_owned())).filter(|s| s.current(rate, start, now))?;
            if slot.left == 0 {
                return if slot.dry { Some(refusal_of(rate, now)) } else { None };
            }
            taken.push((rate.name().to_owned(), start));
        }
        for (name, _) in &taken {
            if let Some(slot) = slots.get_mut(&(key, name.clone())) {
                slot.left -= 1;
            }
        }
        Some(Taken::Allowed(taken))
    }

    /// The refusal when a racing request took the last of a slice just leased: the first limit (by
    /// name) with nothing left.
    fn refusal(&self, key: KeyId, rates: &[RateLimit], now: DateTime<Utc>) -> Taken {
        let slots = self.slots();
        let empty = rates.iter().find(|r| slots.get(&(key, r.name().to_owned())).is_none_or(|s| s.left == 0));
        empty.or(rates.first()).map_or(Taken::Allowed(Vec::new()), |rate| refusal_of(rate, now))
    }

    /// Gives back what [`RateLeases::take`] counted, for a request refused afterwards (its spend).
    pub fn untake(&self, key: KeyId, taken: &[(String, i64)]) {
        let mut slots = self.slots();
        for (name, start) in taken {
            if let Some(slot) = slots.get_mut(&(key, name.clone())).filter(|s| s.window_start == *start) {
                slot.left += 1;
            }
        }
    }

    /// Gives back the budget of every lease older than [`LEASE_TTL`] at `now` (and every slot when
    /// `all`, at a graceful stop), and what a reset dropped. Best effort: budget the store does not get
    /// back stays leased until its window ends.
    pub async fn sweep(&self, now: DateTime<Utc>, all: bool) {
        let mut due: Vec<RateLease> = std::mem::take(&mut *self.returns.lock().unwrap_or_else(PoisonError::into_inner));
        {
            let mut slots = self.slots();
            let expired: Vec<SlotKey> =
                slots.iter().filter(|(_, s)| all || now - s.leased_at >= LEASE_TTL).map(|(k, _)| k.clone()).collect();
            for k in expired {
                if let Some(slot) = slots.remove(&k) {
                    due.extend(give_back(k, slot));
                }
            }
        }
        self.gates.lock().unwrap_or_else(PoisonError::into_inner).retain(|_, gate| Arc::strong_count(gate) > 1);
        for lease in due {
            if let Err(error) = self.store.lease_rate(&lease).await {
                tracing::warn!(%error, "unused rate budget could not be given back; it returns when its window ends");
            }
        }
    }
}

/// Starts the task that gives back, once a second, the budget of leases that ended. It stops when the
/// verifier is dropped.
pub(crate) fn start_sweeper(rates: &Arc<RateLeases>, clock: Arc<dyn keygate_domain::Clock>) {
    let rates = Arc::downgrade(rates);
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(std::time::Duration::from_secs(1));
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tick.tick().await;
            let Some(rates) = rates.upgrade() else { return };
            rates.sweep(clock.now(), false).await;
        }
    });
}

/// The give-back of a slot's unused budget, if it has any.
fn give_back((key, name): SlotKey, slot: Slot) -> Option<RateLease> {
    (slot.left > 0).then_some(RateLease {
        key,
        key_version: None,
        name,
        window_start: slot.window_start,
        limit: slot.limit,
        give_back: slot.left,
        want: 0,
    })
}

fn refusal_of(rate: &RateLimit, now: DateTime<Utc>) -> Taken {
    let seconds = now.timestamp();
    let end = rate.window_start(seconds) + i64::from(rate.window_seconds());
    let retry_after = u64::try_from(end - seconds).unwrap_or(1).max(1);
    Taken::Refused(Denial::RateLimited { limit: rate.name().to_owned(), retry_after })
}
