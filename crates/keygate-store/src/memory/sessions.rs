//! The memory backend's console sessions: a map under its own lock, so a login never waits on keys.

use std::collections::HashMap;
use std::sync::{Mutex, PoisonError};

use chrono::{DateTime, Utc};

use crate::console_session::{ConsoleSession, SessionHash};
use crate::error::StoreError;

#[derive(Default)]
pub(super) struct Sessions(Mutex<HashMap<SessionHash, ConsoleSession>>);

impl Sessions {
    fn map(&self) -> std::sync::MutexGuard<'_, HashMap<SessionHash, ConsoleSession>> {
        self.0.lock().unwrap_or_else(PoisonError::into_inner)
    }

    pub(super) fn open(&self, session: &ConsoleSession) -> Result<(), StoreError> {
        let mut map = self.map();
        if map.contains_key(&session.id) {
            return Err(StoreError::AlreadyExists);
        }
        map.insert(session.id, session.clone());
        Ok(())
    }

    pub(super) fn get(&self, id: &SessionHash) -> Option<ConsoleSession> {
        self.map().get(id).cloned()
    }

    pub(super) fn touch(&self, id: &SessionHash, at: DateTime<Utc>) {
        if let Some(s) = self.map().get_mut(id) {
            s.last_seen_at = s.last_seen_at.max(at);
        }
    }

    pub(super) fn end(&self, id: &SessionHash) -> bool {
        self.map().remove(id).is_some()
    }

    pub(super) fn prune(&self, opened_before: DateTime<Utc>, seen_before: DateTime<Utc>) -> u64 {
        let mut map = self.map();
        let before = map.len();
        map.retain(|_, s| s.created_at >= opened_before && s.last_seen_at >= seen_before);
        u64::try_from(before - map.len()).unwrap_or(u64::MAX)
    }
}
