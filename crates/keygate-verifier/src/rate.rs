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
//! decremented, under one lock (the lock of the key's shard: keys are spread over [`SHARDS`] locks, so
//! workers counting different keys rarely wait for each other).

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

use chrono::{DateTime, Utc};
use keygate_domain::{BuildIdHasher, Key, KeyId, RateLimit};
use keygate_policy::Denial;
use keygate_store::{KeyStore, Leased, RateLease, StoreError};

/// The longest a leased slice is answered from before the store is asked again.
pub const LEASE_TTL: chrono::TimeDelta = chrono::TimeDelta::microseconds(LEASE_MICROS);

/// [`LEASE_TTL`] as the slots compare it: in microseconds, one subtraction on the hot path.
const LEASE_MICROS: i64 = 1_000_000;

/// How many locks the slots are spread over, by key.
const SHARDS: usize = 8;

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
    /// When it was leased, in microseconds since the Unix epoch.
    leased_at: i64,
    /// The last lease granted nothing: the window's budget is out elsewhere. Refused from memory until
    /// the lease's end, rather than asking the store on every refused request.
    dry: bool,
}

impl Slot {
    /// Whether the slot still answers for `rate`'s window starting at `start` at `now_us`
    /// (microseconds since the Unix epoch).
    fn current(&self, rate: &RateLimit, start: i64, now_us: i64) -> bool {
        self.window_start == start && self.limit == rate.limit() && !self.ended(now_us)
    }

    /// Whether its lease is [`LEASE_TTL`] old at `now_us`.
    fn ended(&self, now_us: i64) -> bool {
        now_us - self.leased_at >= LEASE_MICROS
    }
}

/// What [`RateLeases::take`] decided.
#[derive(Debug)]
pub(crate) enum Taken {
    /// Counted in every limit (none if the key has none); [`RateLeases::untake`] gives it back.
    Allowed(Counted),
    /// Refused: counted in none.
    Refused(Denial),
    /// The key changed since it was read: read it again and decide anew.
    Stale,
}

/// The window each of a key's limits counted a request in, in the order of the key's limits. A key has
/// at most [`RateLimit::MAX`] limits, so this lives on the stack: counting a request allocates nothing.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Counted {
    starts: [i64; RateLimit::MAX],
    len: usize,
}

impl Counted {
    fn push(&mut self, start: i64) {
        if let Some(slot) = self.starts.get_mut(self.len) {
            *slot = start;
            self.len += 1;
        }
    }

    fn starts(&self) -> &[i64] {
        &self.starts[..self.len]
    }
}

/// A key's slots, one per named limit. A key has at most five, so finding one by scanning the names
/// costs less than hashing (key, name) and needs no owned name to look it up: the hot path takes a
/// request without allocating for it.
type KeySlots = Vec<(String, Slot)>;

/// The slots of the keys of one shard.
type Slots = HashMap<KeyId, KeySlots, BuildIdHasher>;

/// The slots of every key this process has counted requests of.
pub(crate) struct RateLeases {
    store: Arc<dyn KeyStore>,
    slots: [Mutex<Slots>; SHARDS],
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
            slots: Default::default(),
            gates: Mutex::default(),
            returns: Mutex::default(),
            resets_seen: AtomicU64::new(0),
        }
    }

    /// The shard holding `key`'s slots.
    fn slots(&self, key: KeyId) -> std::sync::MutexGuard<'_, Slots> {
        lock(&self.slots[usize::from(key.as_bytes()[15]) % SHARDS])
    }

    /// Drops every slot when the key cache was reset (`resets` moved on: the process lost its change
    /// notices), so no lease outlives the cache it was decided with. Their budget is given back by the
    /// next sweep.
    pub fn drop_on_reset(&self, resets: u64) {
        if self.resets_seen.swap(resets, Ordering::AcqRel) == resets {
            return;
        }
        let dropped: Vec<RateLease> = self
            .slots
            .iter()
            .flat_map(|shard| lock(shard).drain().collect::<Vec<_>>())
            .flat_map(|(key, slots)| slots.into_iter().filter_map(move |(name, slot)| give_back(key, name, slot)))
            .collect();
        self.returns.lock().unwrap_or_else(PoisonError::into_inner).extend(dropped);
    }

    /// Counts one request of `key` at `now` in each of its limits, or in none.
    pub async fn take(&self, key: &Key, now: DateTime<Utc>) -> Result<Taken, StoreError> {
        let rates = key.privileges.limits.rate();
        if rates.is_empty() {
            return Ok(Taken::Allowed(Counted::default()));
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
            let give_back = {
                let mut slots = self.slots(key.id);
                match find(&slots, key.id, rate.name()).copied() {
                    Some(s) if s.current(rate, start, now.timestamp_micros()) && (s.left > 0 || s.dry) => continue,
                    Some(s) if s.window_start == start => remove(&mut slots, key.id, rate.name()).map_or(0, |s| s.left),
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
                        leased_at: now.timestamp_micros(),
                        dry: granted == 0,
                    };
                    put(&mut self.slots(key.id), key.id, rate.name(), slot);
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
    pub fn try_take(&self, key: KeyId, rates: &[RateLimit], now: DateTime<Utc>) -> Option<Taken> {
        // Limits parse to at most `RateLimit::MAX`; `Counted` holds that many.
        let rates = &rates[..rates.len().min(RateLimit::MAX)];
        // One conversion from the calendar: the seconds follow from the microseconds.
        let now_us = now.timestamp_micros();
        let seconds = now_us.div_euclid(1_000_000);
        let mut slots = self.slots(key);
        let held = slots.get_mut(&key)?;
        let mut taken = Counted::default();
        // Where each limit's slot sits in `held`, so counting the request scans no name again.
        let mut at = [0; RateLimit::MAX];
        for (rate, at) in rates.iter().zip(&mut at) {
            let start = rate.window_start(seconds);
            *at = held.iter().position(|(name, _)| name == rate.name())?;
            let slot = &held[*at].1;
            if !slot.current(rate, start, now_us) {
                return None;
            }
            if slot.left == 0 {
                return if slot.dry { Some(refusal_of(rate, now)) } else { None };
            }
            taken.push(start);
        }
        for &at in &at[..rates.len()] {
            held[at].1.left -= 1;
        }
        Some(Taken::Allowed(taken))
    }

    /// The refusal when a racing request took the last of a slice just leased: the first limit (by
    /// name) with nothing left.
    fn refusal(&self, key: KeyId, rates: &[RateLimit], now: DateTime<Utc>) -> Taken {
        let slots = self.slots(key);
        let empty = rates.iter().find(|r| find(&slots, key, r.name()).is_none_or(|s| s.left == 0));
        empty.or(rates.first()).map_or(Taken::Allowed(Counted::default()), |rate| refusal_of(rate, now))
    }

    /// Gives back what [`RateLeases::take`] counted for `key` (the same key it was given), for a
    /// request refused afterwards (its spend).
    pub fn untake(&self, key: &Key, taken: &Counted) {
        let mut slots = self.slots(key.id);
        for (rate, start) in key.privileges.limits.rate().iter().zip(taken.starts()) {
            if let Some(slot) = find_mut(&mut slots, key.id, rate.name()).filter(|s| s.window_start == *start) {
                slot.left += 1;
            }
        }
    }

    /// Gives back the budget of every lease older than [`LEASE_TTL`] at `now` (and every slot when
    /// `all`, at a graceful stop), and what a reset dropped. Best effort: budget the store does not get
    /// back stays leased until its window ends.
    pub async fn sweep(&self, now: DateTime<Utc>, all: bool) {
        let mut due: Vec<RateLease> = std::mem::take(&mut *self.returns.lock().unwrap_or_else(PoisonError::into_inner));
        let now_us = now.timestamp_micros();
        for shard in &self.slots {
            let mut slots = lock(shard);
            for (key, held) in slots.iter_mut() {
                held.retain(|(name, slot)| {
                    let ended = all || slot.ended(now_us);
                    if ended {
                        due.extend(give_back(*key, name.clone(), *slot));
                    }
                    !ended
                });
            }
            slots.retain(|_, held| !held.is_empty());
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
fn give_back(key: KeyId, name: String, slot: Slot) -> Option<RateLease> {
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

fn lock(shard: &Mutex<Slots>) -> std::sync::MutexGuard<'_, Slots> {
    shard.lock().unwrap_or_else(PoisonError::into_inner)
}

/// The slot of `key`'s limit `name`, if this process holds one.
fn find<'a>(slots: &'a Slots, key: KeyId, name: &str) -> Option<&'a Slot> {
    slots.get(&key)?.iter().find(|(n, _)| n == name).map(|(_, slot)| slot)
}

fn find_mut<'a>(slots: &'a mut Slots, key: KeyId, name: &str) -> Option<&'a mut Slot> {
    slots.get_mut(&key)?.iter_mut().find(|(n, _)| n == name).map(|(_, slot)| slot)
}

/// Removes the slot of `key`'s limit `name` (and the key's entry with its last slot).
fn remove(slots: &mut Slots, key: KeyId, name: &str) -> Option<Slot> {
    let held = slots.get_mut(&key)?;
    let at = held.iter().position(|(n, _)| n == name)?;
    let (_, slot) = held.swap_remove(at);
    if held.is_empty() {
        slots.remove(&key);
    }
    Some(slot)
}

/// Holds `slot` for `key`'s limit `name`, replacing the one held.
fn put(slots: &mut Slots, key: KeyId, name: &str, slot: Slot) {
    let held = slots.entry(key).or_default();
    match held.iter_mut().find(|(n, _)| n == name) {
        Some((_, old)) => *old = slot,
        None => held.push((name.to_owned(), slot)),
    }
}

fn refusal_of(rate: &RateLimit, now: DateTime<Utc>) -> Taken {
    let seconds = now.timestamp();
    let end = rate.window_start(seconds) + i64::from(rate.window_seconds());
    let retry_after = u64::try_from(end - seconds).unwrap_or(1).max(1);
    Taken::Refused(Denial::RateLimited { limit: rate.name().to_owned(), retry_after })
}
