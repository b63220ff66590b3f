//! The operator transition function: `(account, event, actor, policy, now) -> Result<OperatorTransition,
//! OperatorError>`, plus the two ways an account is born. Checks run in a fixed order: role, then state,
//! then maker-checker, then separation of duties. Nothing here issues or checks a code or token.

use chrono::{DateTime, Utc};

use super::{
    InvitationIssue, InvitationTerms, NewOperator, OperatorAccount, OperatorAction, OperatorError, OperatorEvent,
    OperatorRequest, OperatorState, OperatorTransition, RequestKind,
};
use crate::actor::Actor;
use crate::ids::ActorId;
use crate::policy::TenantPolicy;
use crate::role::Role;

fn admin(actor: &Actor) -> Result<(), OperatorError> {
    if actor.roles.has(Role::Admin) {
        Ok(())
    } else {
        Err(OperatorError::MissingRole(Role::Admin))
    }
}

fn born(new: NewOperator, actor: &Actor, state: OperatorState, now: DateTime<Utc>) -> OperatorAccount {
    OperatorAccount {
        id: new.id,
        tenant: new.tenant,
        roles: new.roles,
        state,
        created_by: actor.id,
        created_for: actor.principal,
        approved_by: None,
        request: None,
        invitation: None,
        claimed_at: None,
        created_at: now,
        updated_at: now,
        version: 1,
    }
}

impl OperatorAccount {
    /// The system admin creates one of a new tenant's first admins: invited at once with one whole
    /// code. The one trusted step: a tenant with no admin has no second person to ask.
    pub fn bootstrap(new: NewOperator, actor: &Actor, now: DateTime<Utc>) -> Result<OperatorTransition, OperatorError> {
        if actor.id != ActorId::System {
            return Err(OperatorError::SystemOnly);
        }
        new.roles.check_separation()?;
        let mut account = born(new, actor, OperatorState::Invited, now);
        account.invitation = Some(InvitationTerms::issued(1, now));
        Ok(done(account, OperatorAction::Invited, InvitationIssue::Whole))
    }

    /// An admin (the system admin counts as admin of every tenant) invites an operator: under dual
    /// control it waits for a second admin and the asker gets the first half of the code; without it
    /// the account is invited at once with one whole code.
    pub fn invite(
        new: NewOperator,
        actor: &Actor,
        policy: &TenantPolicy,
        now: DateTime<Utc>,
    ) -> Result<OperatorTransition, OperatorError> {
        admin(actor)?;
        new.roles.check_separation()?;
        if policy.dual_control {
            let mut account = born(new, actor, OperatorState::PendingApproval, now);
            account.request = Some(request(RequestKind::Create, actor, now));
            Ok(done(account, OperatorAction::Requested, InvitationIssue::FirstHalf))
        } else {
            let mut account = born(new, actor, OperatorState::Invited, now);
            account.invitation = Some(InvitationTerms::issued(1, now));
            Ok(done(account, OperatorAction::Invited, InvitationIssue::Whole))
        }
    }

    /// Applies `event` by `actor` at `now` under `policy`, or says why it may not happen.
    // One arm per event, side by side, is the readable form of the state table.
    #[allow(clippy::too_many_lines)]
    pub fn apply(
        &self,
        event: OperatorEvent,
        actor: &Actor,
        policy: &TenantPolicy,
        now: DateTime<Utc>,
    ) -> Result<OperatorTransition, OperatorError> {
        let wrong_state = OperatorError::InvalidState { state: self.state, event: event.name() };
        let itself = ActorId::Operator(self.id);
        let mut next = self.clone();
        next.version += 1;
        next.updated_at = now;
        let mut issue = InvitationIssue::None;
        let mut clear_token = false;
        let mut reason = None;

        let action = match event {
            OperatorEvent::Approve | OperatorEvent::Reject { .. } => {
                admin(actor)?;
                let Some(pending) = self.request else {
                    return Err(OperatorError::NothingPending);
                };
                // Another person, and never the operator the request is about (nor its holder).
                if actor.is_any_of(&[pending.requested_by, pending.requested_for, itself]) {
                    return Err(OperatorError::SelfApproval);
                }
                next.request = None;
                if let OperatorEvent::Reject { reason: why } = event {
                    reason = Some(why);
                    if pending.kind == RequestKind::Create {
                        next.state = OperatorState::Disabled;
                    }
                    OperatorAction::Rejected
                } else {
                    match pending.kind {
                        RequestKind::Create | RequestKind::Enable | RequestKind::Reinvite => {
                            let from = match pending.kind {
                                RequestKind::Create => OperatorState::PendingApproval,
                                RequestKind::Enable => OperatorState::Disabled,
                                _ => OperatorState::Invited,
                            };
                            if self.state != from {
                                return Err(wrong_state);
                            }
                            if pending.kind == RequestKind::Create {
                                next.approved_by = Some(actor.id);
                            }
                            // The old token stays dead: an enabled operator claims a new one.
                            clear_token = pending.kind == RequestKind::Enable;
                            next.state = OperatorState::Invited;
                            next.invitation = Some(InvitationTerms::issued(2, now));
                            issue = InvitationIssue::SecondHalf;
                            OperatorAction::Approved
                        }
                        RequestKind::Roles(roles) => {
                            roles.check_separation()?;
                            next.roles = roles;
                            OperatorAction::RolesChanged
                        }
                    }
                }
            }
            OperatorEvent::Claim => match (self.state, self.invitation) {
                (OperatorState::Invited, Some(terms)) if terms.is_lapsed(now) => return Err(OperatorError::Lapsed),
                (OperatorState::Invited, Some(_)) => {
                    next.state = OperatorState::Active;
                    next.claimed_at = Some(now);
                    next.invitation = None;
                    // A reinvitation waiting for approval is moot once the account is claimed.
                    if matches!(self.request, Some(OperatorRequest { kind: RequestKind::Reinvite, .. })) {
                        next.request = None;
                    }
                    OperatorAction::Claimed
                }
                (OperatorState::Active, _) => return Err(OperatorError::AlreadyClaimed),
                _ => return Err(OperatorError::Gone),
            },
            OperatorEvent::Disable { reason: why } => {
                if actor.id != itself {
                    admin(actor)?;
                }
                if self.state == OperatorState::Disabled {
                    return Err(wrong_state);
                }
                next.state = OperatorState::Disabled;
                next.request = None;
                next.invitation = None;
                clear_token = true;
                reason = Some(why);
                OperatorAction::Disabled
            }
            OperatorEvent::RequestEnable => {
                admin(actor)?;
                if self.state != OperatorState::Disabled {
                    return Err(wrong_state);
                }
                if self.request.is_some() {
                    return Err(OperatorError::RequestPending);
                }
                if actor.is_any_of(&[itself]) {
                    return Err(OperatorError::SelfApproval);
                }
                clear_token = true;
                if policy.dual_control {
                    next.request = Some(request(RequestKind::Enable, actor, now));
                    issue = InvitationIssue::FirstHalf;
                    OperatorAction::EnableRequested
                } else {
                    next.state = OperatorState::Invited;
                    next.invitation = Some(InvitationTerms::issued(1, now));
                    issue = InvitationIssue::Whole;
                    OperatorAction::Invited
                }
            }
            OperatorEvent::ChangeRoles(roles) => {
                admin(actor)?;
                if !matches!(self.state, OperatorState::Invited | OperatorState::Active) {
                    return Err(wrong_state);
                }
                roles.check_separation()?;
                if roles.is_within(self.roles) {
                    // Narrowing is never blocked: it applies at once and drops a pending widening of
                    // roles (which the narrowed operator should not get behind its admins' backs).
                    next.roles = roles;
                    if matches!(self.request.as_ref().map(|r| &r.kind), Some(RequestKind::Roles(_))) {
                        next.request = None;
                    }
                    OperatorAction::RolesChanged
                } else if self.request.is_some() {
                    return Err(OperatorError::RequestPending);
                } else if !policy.dual_control {
                    next.roles = roles;
                    OperatorAction::RolesChanged
                } else {
                    next.request = Some(request(RequestKind::Roles(roles), actor, now));
                    OperatorAction::RolesRequested
                }
            }
            OperatorEvent::Reinvite => {
                admin(actor)?;
                if self.state != OperatorState::Invited {
                    return Err(wrong_state);
                }
                if self.request.is_some() {
                    return Err(OperatorError::RequestPending);
                }
                if policy.dual_control {
                    next.request = Some(request(RequestKind::Reinvite, actor, now));
                    // The outstanding invitation ends here: a new one exists only once a second admin
                    // approves, so the asker's new half can never claim on its own.
                    next.invitation = None;
                    issue = InvitationIssue::FirstHalf;
                } else {
                    next.invitation = Some(InvitationTerms::issued(1, now));
                    issue = InvitationIssue::Whole;
                }
                OperatorAction::Reinvited
            }
            OperatorEvent::ReplaceToken => {
                if actor.id != itself {
                    return Err(OperatorError::NotTheOperator);
                }
                if self.state != OperatorState::Active {
                    return Err(wrong_state);
                }
                clear_token = true;
                OperatorAction::TokenReplaced
            }
        };
        Ok(OperatorTransition { account: next, action, issue, clear_token, reason })
    }
}

fn request(kind: RequestKind, actor: &Actor, now: DateTime<Utc>) -> OperatorRequest {
    OperatorRequest { kind, requested_by: actor.id, requested_for: actor.principal, requested_at: now }
}

fn done(account: OperatorAccount, action: OperatorAction, issue: InvitationIssue) -> OperatorTransition {
    OperatorTransition { account, action, issue, clear_token: false, reason: None }
}
