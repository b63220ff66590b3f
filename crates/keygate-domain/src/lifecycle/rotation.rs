//! Rotation: whether a key may get a successor now, and how long that successor may live. The
//! successor itself is made by [`Key::create`] and checked like any new key; this module never makes
//! it.

use chrono::{DateTime, Utc};

use super::{KeyState, TransitionError};
use crate::expiry::{Expiry, ExpiryRequest};
use crate::key::Key;

impl Key {
    /// Whether a successor may be requested at `now`: the key works, and nothing about it waits for a
    /// checker (a rotation would otherwise carry a revocation's or a change's outcome to the wrong key).
    pub fn check_rotatable(&self, now: DateTime<Utc>) -> Result<(), TransitionError> {
        if self.state.is_terminal() {
            return Err(TransitionError::Terminal(self.state));
        }
        if self.state == KeyState::RevocationPending || self.pending_change.is_some() {
            return Err(TransitionError::RequestPending);
        }
        if self.state != KeyState::Active {
            return Err(TransitionError::InvalidState { state: self.state, event: "rotate" });
        }
        if self.is_expired(now) {
            return Err(TransitionError::Expired);
        }
        Ok(())
    }

    /// The lifetime a successor may ask for: at most the original's (its expiry minus its creation,
    /// in whole seconds), so a successor never lives longer than the key it replaces was granted (measured from the rotation; a chain of rotations is a chain of checked approvals under dual control). `Never` stays `Never`,
    /// which the tenant's policy still has to allow; the tenant's cap applies when it is resolved.
    pub fn successor_expiry(&self) -> ExpiryRequest {
        match self.expiry {
            Expiry::Never => ExpiryRequest::Never,
            Expiry::At(at) => {
                let seconds = (at - self.created_at).num_seconds();
                ExpiryRequest::AtMostSeconds(u64::try_from(seconds).unwrap_or(0))
            }
        }
    }
}
