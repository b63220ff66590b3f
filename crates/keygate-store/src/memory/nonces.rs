//! The memory backend's record of signature nonces: a bounded map from (key, nonce) to the instant the
//! nonce may be used again. Full of live nonces, it refuses (the verifier fails closed) rather than forget
//! one that could still be replayed.

use std::collections::HashMap;
use std::sync::{Mutex, PoisonError};

use chrono::{DateTime, Utc};
use keygate_domain::KeyId;

use crate::error::StoreError;

/// How many live nonces one process keeps (about 100 bytes each).
pub const NONCE_CAPACITY: usize = 200_000;

pub(super) struct Nonces {
    seen: Mutex<HashMap<(KeyId, String), DateTime<Utc>>>,
    capacity: usize,
}

impl Nonces {
    pub(super) fn new(capacity: usize) -> Self {
        Self { seen: Mutex::new(HashMap::new()), capacity: capacity.max(1) }
    }

    /// `true` the first time, or once the earlier use has expired at `now`.
    pub(super) fn record(
        &self,
        key: KeyId,
        nonce: &str,
        now: DateTime<Utc>,
        expires_at: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        let mut seen = self.seen.lock().unwrap_or_else(PoisonError::into_inner);
        let id = (key, nonce.to_owned());
        if seen.get(&id).is_some_and(|until| *until >= now) {
            return Ok(false);
        }
        if seen.len() >= self.capacity && !seen.contains_key(&id) {
            seen.retain(|_, until| *until >= now);
            if seen.len() >= self.capacity {
                return Err(StoreError::Unavailable("too many live signature nonces".into()));
            }
        }
        seen.insert(id, expires_at);
        Ok(true)
    }
}
