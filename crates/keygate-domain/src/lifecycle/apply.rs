//! The transition function: `(key, event, actor, policy, now) -> Result<Transition, TransitionError>`.
//!
//! Checks run in a fixed order so a refusal is predictable: role, then state, then maker-checker,
//! then expiry.

use chrono::{DateTime, Duration, Utc};

use super::{AuditAction, Event, KeyState, Transition, TransitionError};
use crate::environment::Environment;
use crate::expiry::Expiry;
use crate::ids::ActorId;
use crate::key::{Key, NewKey, PendingChange, RevocationRequest};
use crate::policy::TenantPolicy;
use crate::role::{Actor, Role};
use crate::text::Reason;

fn require(actor: &Actor, role: Role) -> Result<(), TransitionError> {
    if actor.roles.has(role) {
        Ok(())
    } else {
        Err(TransitionError::MissingRole(role))
    }
}

fn not_self(actor: &Actor, requester: ActorId) -> Result<(), TransitionError> {
    if actor.id == requester {
        Err(TransitionError::SelfApproval)
    } else {
        Ok(())
    }
}

impl Key {
    /// A maker creates a key: pending under dual control, active at once without it.
    pub fn create(
        new: NewKey,
        actor: &Actor,
        policy: &TenantPolicy,
        now: DateTime<Utc>,
    ) -> Result<Transition, TransitionError> {
        require(actor, Role::Maker)?;
        if new.environment == Environment::Live && !policy.live_enabled {
            return Err(TransitionError::LiveDisabled);
        }
        let expiry = policy.resolve_expiry(new.expiry, now)?;
        let (state, action) = if policy.dual_control {
            (KeyState::PendingApproval, AuditAction::Requested)
        } else {
            (KeyState::Active, AuditAction::Created)
        };
        let key = Key {
            id: new.id,
            tenant: new.tenant,
            name: new.name,
            notes: new.notes,
            environment: new.environment,
            privileges: new.privileges,
            expiry,
            state,
            created_by: actor.id,
            approved_by: None,
            created_at: now,
            updated_at: now,
            revocation: None,
            pending_change: None,
            rotation: new.rotation,
            version: 1,
        };
        Ok(Transition { key, action, reason: None })
    }

    /// Applies `event` by `actor` at `now` under `policy`, or says why it may not happen.
    // One arm per event, side by side, is the readable form of the state table.
    #[allow(clippy::too_many_lines)]
    pub fn apply(
        &self,
        event: Event,
        actor: &Actor,
        policy: &TenantPolicy,
        now: DateTime<Utc>,
    ) -> Result<Transition, TransitionError> {
        let event_name = event.name();
        let wrong_state = || {
            if self.state.is_terminal() {
                TransitionError::Terminal(self.state)
            } else {
                TransitionError::InvalidState { state: self.state, event: event_name }
            }
        };
        let mut next = self.clone();
        next.version += 1;
        next.updated_at = now;
        let mut reason: Option<Reason> = None;

        let action = match event {
            Event::Approve | Event::Reject { .. } => {
                require(actor, Role::Checker)?;
                if self.state != KeyState::PendingApproval {
                    return Err(wrong_state());
                }
                not_self(actor, self.created_by)?;
                if let Event::Reject { reason: why } = event {
                    next.state = KeyState::Rejected;
                    reason = Some(why);
                    AuditAction::Rejected
                } else {
                    if self.is_expired(now) {
                        return Err(TransitionError::Expired);
                    }
                    next.state = KeyState::Active;
                    next.approved_by = Some(actor.id);
                    AuditAction::Approved
                }
            }
            Event::RequestRevocation { reason: why } => {
                require(actor, Role::Maker)?;
                if self.state != KeyState::Active {
                    return Err(wrong_state());
                }
                next.revocation =
                    Some(RevocationRequest { requested_by: actor.id, reason: why.clone(), requested_at: now });
                reason = Some(why);
                if policy.dual_control {
                    next.state = KeyState::RevocationPending;
                    AuditAction::RevocationRequested
                } else {
                    next.state = KeyState::Revoked;
                    next.pending_change = None;
                    AuditAction::Revoked
                }
            }
            Event::ApproveRevocation | Event::RejectRevocation { .. } => {
                require(actor, Role::Checker)?;
                let requester = match (&self.state, &self.revocation) {
                    (KeyState::RevocationPending, Some(request)) => request.requested_by,
                    _ => return Err(wrong_state()),
                };
                not_self(actor, requester)?;
                if let Event::RejectRevocation { reason: why } = event {
                    next.state = KeyState::Active;
                    next.revocation = None;
                    reason = why;
                    AuditAction::RevocationRejected
                } else {
                    next.state = KeyState::Revoked;
                    next.pending_change = None;
                    AuditAction::Revoked
                }
            }
            Event::RequestChange { privileges } => {
                require(actor, Role::Maker)?;
                if self.state != KeyState::Active {
                    return Err(wrong_state());
                }
                if self.pending_change.is_some() {
                    return Err(TransitionError::ChangePending);
                }
                if self.is_expired(now) {
                    return Err(TransitionError::Expired);
                }
                if !policy.dual_control || privileges.is_within(&self.privileges) {
                    next.privileges = privileges;
                    AuditAction::ChangeApplied
                } else {
                    next.pending_change = Some(PendingChange { privileges, requested_by: actor.id, requested_at: now });
                    AuditAction::ChangeRequested
                }
            }
            Event::ApproveChange | Event::RejectChange { .. } => {
                require(actor, Role::Checker)?;
                if self.state.is_terminal() {
                    return Err(wrong_state());
                }
                let Some(change) = &self.pending_change else {
                    return Err(TransitionError::NoPendingChange);
                };
                not_self(actor, change.requested_by)?;
                next.pending_change = None;
                if let Event::RejectChange { reason: why } = event {
                    reason = why;
                    AuditAction::ChangeRejected
                } else {
                    if self.is_expired(now) {
                        return Err(TransitionError::Expired);
                    }
                    next.privileges = change.privileges.clone();
                    AuditAction::ChangeApplied
                }
            }
            Event::UpdateNotes { notes } => {
                require(actor, Role::Maker)?;
                if self.state.is_terminal() {
                    return Err(wrong_state());
                }
                next.notes = notes;
                AuditAction::NotesUpdated
            }
            Event::Supersede { overlap_seconds, .. } => {
                if !self.state.authenticates() {
                    return Err(wrong_state());
                }
                next.expiry = self.expiry.min(Expiry::At(now + Duration::seconds(i64::from(overlap_seconds))));
                AuditAction::Superseded
            }
        };
        Ok(Transition { key: next, action, reason })
    }
}
