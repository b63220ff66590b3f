//! A widening of a tenant's policy waiting for a second person: who asked, for whom, and the one
//! check that lets an approver apply it. It never applies a narrowing (those need nobody) and never
//! reads the clock.

use crate::actor::Actor;
use crate::ids::ActorId;
use crate::policy::TenantPolicy;
use crate::role::Role;
use crate::settings::PolicyPatch;

/// Why a policy request or its approval was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PolicyError {
    /// The actor lacks the role the move needs.
    #[error("the {0} role is required")]
    MissingRole(Role),
    /// The approver is, or acts for, the person who asked.
    #[error("a policy change cannot be approved or rejected by the person who asked for it")]
    SelfApproval,
    /// The patch asks for no widening, so there is nothing to approve.
    #[error("the policy change widens nothing, so it needs no approval")]
    NothingToApprove,
}

/// A widening patch held for approval.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PolicyRequest {
    /// The widening settings only (see [`TenantPolicy::split`]).
    pub patch: PolicyPatch,
    /// Who asked.
    pub requested_by: ActorId,
    /// The person who asked.
    pub requested_for: ActorId,
}

fn admin(actor: &Actor) -> Result<(), PolicyError> {
    if actor.roles.has(Role::Admin) {
        Ok(())
    } else {
        Err(PolicyError::MissingRole(Role::Admin))
    }
}

impl PolicyRequest {
    /// An admin (the system admin included) asks for the widening `patch`, usually the `pending` part
    /// of [`TenantPolicy::split`].
    pub fn new(patch: PolicyPatch, actor: &Actor) -> Result<Self, PolicyError> {
        admin(actor)?;
        if patch.is_empty() {
            return Err(PolicyError::NothingToApprove);
        }
        Ok(Self { patch, requested_by: actor.id, requested_for: actor.principal })
    }

    fn check(&self, actor: &Actor) -> Result<(), PolicyError> {
        admin(actor)?;
        if actor.is_any_of(&[self.requested_by, self.requested_for]) {
            return Err(PolicyError::SelfApproval);
        }
        Ok(())
    }

    /// Another admin approves: the policy `current` becomes the result (see
    /// [`TenantPolicy::apply_pending`]).
    pub fn approve(&self, actor: &Actor, current: &TenantPolicy) -> Result<TenantPolicy, PolicyError> {
        self.check(actor)?;
        Ok(current.apply_pending(&self.patch))
    }

    /// Another admin refuses: the request is dropped and the policy stays as it is.
    pub fn reject(&self, actor: &Actor) -> Result<(), PolicyError> {
        self.check(actor)
    }
}
