//! The transition function: `(key, event, actor, policy, now) -> Result<Transition, TransitionError>`.
//!
//! Checks run in a fixed order so a refusal is predictable: a key acting on itself, then role, then
//! the integrator-key rules (approvals switched on, environment, account and privileges within the
//! acting key's bounds), then state, then maker-checker, then expiry. It never reads a clock: `now` is a parameter.

use chrono::{DateTime, Duration, Utc};

use super::guard::{approvals_allowed, not_self, require, require_any, within_bounds, Reach};
use super::{AuditAction, Event, KeyState, Transition, TransitionError};
use crate::actor::Actor;
use crate::environment::Environment;
use crate::expiry::Expiry;
use crate::ids::ActorId;
use crate::key::{Key, NewKey, PendingChange, ResumeRequest, RevocationRequest, Suspension};
use crate::policy::TenantPolicy;
use crate::reveal::{Reveal, RevealPolicy};
use crate::role::Role;
use crate::text::Reason;

impl Key {
    /// A maker creates a key: pending under dual control, active at once without it. A key acting as
    /// integrator creates keys only in its own environment, for its own account when it is bound to
    /// one, and within its own privileges. Where the tenant requires accounts, the key must name one.
    pub fn create(
        new: NewKey,
        actor: &Actor,
        policy: &TenantPolicy,
        now: DateTime<Utc>,
    ) -> Result<Transition, TransitionError> {
        require(actor, Role::Maker)?;
        let reach = Reach { environment: new.environment, account: new.account.as_ref() };
        within_bounds(actor, reach, Some(&new.privileges))?;
        if new.environment == Environment::Live && !policy.live_enabled {
            return Err(TransitionError::LiveDisabled);
        }
        if policy.require_account && new.account.is_none() {
            return Err(TransitionError::AccountRequired);
        }
        let expiry = policy.resolve_expiry(new.expiry, now)?;
        let (state, action) = if policy.dual_control {
            (KeyState::PendingApproval, AuditAction::Requested)
        } else {
            (KeyState::Active, AuditAction::Created)
        };
        // Where secrets are revealed after approval, the window opens when the key becomes active.
        let reveal = (policy.reveal == RevealPolicy::AfterApproval).then(|| match state {
            KeyState::Active => Reveal::Open { until: policy.reveal_window_hours.closes(now) },
            _ => Reveal::AwaitingApproval,
        });
        let key = Key {
            id: new.id,
            tenant: new.tenant,
            account: new.account,
            name: new.name,
            notes: new.notes,
            environment: new.environment,
            privileges: new.privileges,
            owner: new.owner,
            expiry,
            state,
            created_by: actor.id,
            created_for: actor.principal,
            approved_by: None,
            created_at: now,
            updated_at: now,
            revocation: None,
            pending_change: None,
            suspension: None,
            rotation: new.rotation,
            reveal,
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
        // A key never approves, rejects or changes anything about itself; it may only narrow itself by
        // asking its own revocation or suspending itself. The consequences of a checked move
        // (supersede, predecessor revoked) only narrow, and are attributed to whoever made that move.
        let consequence = matches!(event, Event::Supersede { .. } | Event::PredecessorRevoked);
        let narrows_itself = matches!(event, Event::RequestRevocation { .. } | Event::Suspend { .. });
        if actor.id == ActorId::Key(self.id) && !consequence && !narrows_itself {
            return Err(TransitionError::OwnKey);
        }
        let mut next = self.clone();
        next.version += 1;
        next.updated_at = now;
        let mut reason: Option<Reason> = None;

        let action = match event {
            Event::Approve | Event::Reject { .. } => {
                require(actor, Role::Checker)?;
                approvals_allowed(actor, policy)?;
                // Approving grants the key's privileges; rejecting grants nothing.
                let grants = matches!(event, Event::Approve).then_some(&self.privileges);
                within_bounds(actor, self.reach(), grants)?;
                if self.state != KeyState::PendingApproval {
                    return Err(wrong_state());
                }
                not_self(actor, &[self.created_by, self.created_for])?;
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
                    if self.reveal == Some(Reveal::AwaitingApproval) {
                        next.reveal = Some(Reveal::Open { until: policy.reveal_window_hours.closes(now) });
                    }
                    AuditAction::Approved
                }
            }
            Event::RequestRevocation { reason: why } => {
                require(actor, Role::Maker)?;
                within_bounds(actor, self.reach(), None)?;
                // A suspended key may be revoked as an active one; it stays suspended meanwhile.
                let suspended_without_request = self.state == KeyState::Suspended && self.revocation.is_none();
                if self.state != KeyState::Active && !suspended_without_request {
                    return Err(wrong_state());
                }
                next.revocation = Some(Box::new(RevocationRequest {
                    requested_by: actor.id,
                    requested_for: actor.principal,
                    reason: why.clone(),
                    requested_at: now,
                }));
                reason = Some(why);
                if policy.dual_control {
                    if self.state == KeyState::Active {
                        next.state = KeyState::RevocationPending;
                    }
                    AuditAction::RevocationRequested
                } else {
                    revoke(&mut next);
                    AuditAction::Revoked
                }
            }
            Event::ApproveRevocation | Event::RejectRevocation { .. } => {
                require(actor, Role::Checker)?;
                approvals_allowed(actor, policy)?;
                within_bounds(actor, self.reach(), None)?;
                let (KeyState::RevocationPending | KeyState::Suspended, Some(request)) =
                    (&self.state, &self.revocation)
                else {
                    return Err(wrong_state());
                };
                not_self(actor, &[request.requested_by, request.requested_for])?;
                if let Event::RejectRevocation { reason: why } = event {
                    // A suspended key stays suspended: refusing the revocation restarts nothing.
                    if self.state == KeyState::RevocationPending {
                        next.state = KeyState::Active;
                    }
                    next.revocation = None;
                    reason = why;
                    AuditAction::RevocationRejected
                } else {
                    revoke(&mut next);
                    AuditAction::Revoked
                }
            }
            Event::Suspend { reason: why } => {
                // People who work with keys stop them; a key acting as integrator only if it may write.
                if actor.is_key() {
                    require(actor, Role::Maker)?;
                } else {
                    require_any(actor, &[Role::Maker, Role::Checker, Role::Admin])?;
                }
                within_bounds(actor, self.reach(), None)?;
                // A suspended key whose resume is waiting may be suspended again: the new stop drops
                // the resume (news of a leak must not be undone by a checker approving an older ask).
                let resume_pending = self.suspension.as_ref().is_some_and(|s| s.resume.is_some());
                if !matches!(self.state, KeyState::Active | KeyState::RevocationPending) && !resume_pending {
                    return Err(wrong_state());
                }
                next.state = KeyState::Suspended;
                next.suspension = Some(Box::new(Suspension {
                    suspended_by: actor.id,
                    suspended_for: actor.principal,
                    reason: why.clone(),
                    suspended_at: now,
                    resume: None,
                }));
                reason = Some(why);
                AuditAction::Suspended
            }
            Event::RequestResume { reason: why } => {
                // A maker only, not an admin: one human may hold an admin account and a checker
                // account (keygate cannot tell two accounts of one person apart), and with admins
                // asking, that person alone could restart a stopped key. The world test found it.
                require(actor, Role::Maker)?;
                // Restarting a key grants its privileges again: a key actor only within its own.
                within_bounds(actor, self.reach(), Some(&self.privileges))?;
                let (KeyState::Suspended, Some(suspension)) = (&self.state, &self.suspension) else {
                    return Err(wrong_state());
                };
                if suspension.resume.is_some() {
                    return Err(TransitionError::RequestPending);
                }
                reason = Some(why.clone());
                if policy.dual_control {
                    let request = ResumeRequest {
                        requested_by: actor.id,
                        requested_for: actor.principal,
                        reason: why,
                        requested_at: now,
                    };
                    next.suspension = Some(Box::new(Suspension { resume: Some(request), ..(**suspension).clone() }));
                    AuditAction::ResumeRequested
                } else {
                    resume(&mut next);
                    AuditAction::Resumed
                }
            }
            Event::ApproveResume | Event::RejectResume { .. } => {
                require(actor, Role::Checker)?;
                approvals_allowed(actor, policy)?;
                // Approving grants the key's privileges again; rejecting grants nothing.
                let grants = matches!(event, Event::ApproveResume).then_some(&self.privileges);
                within_bounds(actor, self.reach(), grants)?;
                let (KeyState::Suspended, Some(suspension)) = (&self.state, &self.suspension) else {
                    return Err(wrong_state());
                };
                let Some(request) = &suspension.resume else {
                    return Err(TransitionError::NoPendingResume);
                };
                // Neither the person who asked nor the one who stopped it: restarting a key always
                // takes someone who had no hand in either side.
                let involved =
                    [request.requested_by, request.requested_for, suspension.suspended_by, suspension.suspended_for];
                not_self(actor, &involved)?;
                if let Event::RejectResume { reason: why } = event {
                    next.suspension = Some(Box::new(Suspension { resume: None, ..(**suspension).clone() }));
                    reason = why;
                    AuditAction::ResumeRejected
                } else {
                    if self.is_expired(now) {
                        return Err(TransitionError::Expired);
                    }
                    resume(&mut next);
                    AuditAction::Resumed
                }
            }
            Event::RequestChange { privileges, owner } => {
                require(actor, Role::Maker)?;
                within_bounds(actor, self.reach(), Some(&privileges))?;
                if self.state != KeyState::Active {
                    return Err(wrong_state());
                }
                let narrowing = privileges.is_within(&self.privileges) && owner == self.owner;
                // A narrowing is never held up by a pending widening: it applies at once and drops the
                // widening, which was asked against privileges that no longer hold (audited as
                // `ChangeApplied`; whoever wants the widening asks again).
                if self.pending_change.is_some() && !narrowing {
                    return Err(TransitionError::ChangePending);
                }
                if self.is_expired(now) {
                    return Err(TransitionError::Expired);
                }
                if !policy.dual_control || narrowing {
                    next.privileges = privileges;
                    next.owner = owner;
                    next.pending_change = None;
                    AuditAction::ChangeApplied
                } else {
                    next.pending_change = Some(Box::new(PendingChange {
                        privileges,
                        owner,
                        requested_by: actor.id,
                        requested_for: actor.principal,
                        requested_at: now,
                    }));
                    AuditAction::ChangeRequested
                }
            }
            Event::ApproveChange | Event::RejectChange { .. } => {
                require(actor, Role::Checker)?;
                approvals_allowed(actor, policy)?;
                let change = self.pending_change.as_ref();
                let grants = change.filter(|_| matches!(event, Event::ApproveChange)).map(|c| &c.privileges);
                within_bounds(actor, self.reach(), grants)?;
                if self.state != KeyState::Active {
                    return Err(wrong_state());
                }
                let Some(change) = change else {
                    return Err(TransitionError::NoPendingChange);
                };
                not_self(actor, &[change.requested_by, change.requested_for])?;
                next.pending_change = None;
                if let Event::RejectChange { reason: why } = event {
                    reason = why;
                    AuditAction::ChangeRejected
                } else {
                    if self.is_expired(now) {
                        return Err(TransitionError::Expired);
                    }
                    next.privileges = change.privileges.clone();
                    next.owner = change.owner.clone();
                    AuditAction::ChangeApplied
                }
            }
            Event::UpdateNotes { notes } => {
                require(actor, Role::Maker)?;
                within_bounds(actor, self.reach(), None)?;
                if self.state.is_terminal() {
                    return Err(wrong_state());
                }
                next.notes = notes;
                AuditAction::NotesUpdated
            }
            Event::Rename { name } => {
                require(actor, Role::Maker)?;
                within_bounds(actor, self.reach(), None)?;
                if self.state.is_terminal() {
                    return Err(wrong_state());
                }
                if !policy.name_mutable {
                    return Err(TransitionError::NameImmutable);
                }
                next.name = name;
                AuditAction::Renamed
            }
            Event::ShortenExpiry { at } => {
                require(actor, Role::Maker)?;
                within_bounds(actor, self.reach(), None)?;
                if self.state.is_terminal() {
                    return Err(wrong_state());
                }
                if at <= now || self.expiry.at().is_some_and(|current| at >= current) {
                    return Err(TransitionError::ExpiryNotShortened);
                }
                next.expiry = Expiry::At(at);
                AuditAction::ExpiryShortened
            }
            Event::RevealSecret => {
                require(actor, Role::Maker)?;
                // Handing over a usable secret grants the key's privileges: a key actor only within its own.
                within_bounds(actor, self.reach(), Some(&self.privileges))?;
                // Active only: once anyone asked its revocation (or stopped it), no new secret is drawn.
                if self.state != KeyState::Active {
                    return Err(wrong_state());
                }
                // The person who asked, through any of their credentials; nobody else, whatever roles.
                if actor.principal != self.created_for {
                    return Err(TransitionError::NotTheMaker);
                }
                if self.is_expired(now) {
                    return Err(TransitionError::Expired);
                }
                match self.reveal {
                    Some(Reveal::Open { until }) if now <= until => {}
                    Some(Reveal::Open { .. }) => return Err(TransitionError::RevealWindowClosed),
                    Some(Reveal::AwaitingApproval) => return Err(wrong_state()),
                    None | Some(Reveal::Revealed { .. }) => return Err(TransitionError::SecretAlreadyRevealed),
                }
                next.reveal = Some(Reveal::Revealed { at: now });
                AuditAction::SecretRevealed
            }
            Event::PredecessorRevoked => {
                if self.state != KeyState::PendingApproval {
                    return Err(wrong_state());
                }
                next.state = KeyState::Rejected;
                AuditAction::Rejected
            }
            Event::Supersede { overlap_seconds, .. } => {
                // A suspended predecessor is shortened too: the successor's activation narrows it.
                if !self.state.authenticates() && self.state != KeyState::Suspended {
                    return Err(wrong_state());
                }
                next.expiry = self.expiry.min(Expiry::At(now + Duration::seconds(i64::from(overlap_seconds))));
                AuditAction::Superseded
            }
        };
        Ok(Transition { key: next, action, reason })
    }
}

impl Key {
    /// What an integrator key's bounds are checked against when it moves this key.
    fn reach(&self) -> Reach<'_> {
        Reach { environment: self.environment, account: self.account.as_ref() }
    }
}

/// Revoked for good: nothing is pending any more, and no suspension can be lifted.
fn revoke(key: &mut Key) {
    key.state = KeyState::Revoked;
    key.pending_change = None;
    key.suspension = None;
}

/// Back to where the suspension found it: awaiting revocation if one is pending, else active.
fn resume(key: &mut Key) {
    key.state = if key.revocation.is_some() { KeyState::RevocationPending } else { KeyState::Active };
    key.suspension = None;
}
