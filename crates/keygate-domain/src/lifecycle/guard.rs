//! The checks every key move is made of: role, maker-checker by person, and the integrator-key rules.
//! Each answers yes or a typed refusal; none changes anything.

use super::TransitionError;
use crate::account::AccountId;
use crate::actor::Actor;
use crate::environment::Environment;
use crate::ids::ActorId;
use crate::key::Privileges;
use crate::policy::TenantPolicy;
use crate::role::Role;

pub(crate) fn require(actor: &Actor, role: Role) -> Result<(), TransitionError> {
    if actor.roles.has(role) {
        Ok(())
    } else {
        Err(TransitionError::MissingRole(role))
    }
}

/// The actor holds at least one of `roles`; the refusal names the first.
pub(crate) fn require_any(actor: &Actor, roles: &[Role]) -> Result<(), TransitionError> {
    match roles.iter().find(|role| actor.roles.has(**role)) {
        Some(_) => Ok(()),
        None => Err(TransitionError::MissingRole(roles[0])),
    }
}

/// Maker-checker by person: the approver's id or principal must be neither the requester's id nor
/// its principal, so a person approving through a key they hold is still the same person.
pub(crate) fn not_self(actor: &Actor, requester: &[ActorId]) -> Result<(), TransitionError> {
    if actor.is_any_of(requester) {
        Err(TransitionError::SelfApproval)
    } else {
        Ok(())
    }
}

/// A key approves or rejects only where the tenant lets integrator keys do so.
pub(crate) fn approvals_allowed(actor: &Actor, policy: &TenantPolicy) -> Result<(), TransitionError> {
    if actor.is_key() && !policy.integrator_approvals {
        Err(TransitionError::IntegratorApprovalsOff)
    } else {
        Ok(())
    }
}

/// The key a move touches, as far as an integrator key's bounds care: its environment and its account.
#[derive(Clone, Copy)]
pub(crate) struct Reach<'a> {
    pub(crate) environment: Environment,
    pub(crate) account: Option<&'a AccountId>,
}

/// A key actor touches only keys of its own environment and, when it is bound to an account, only keys
/// bound to that same account (a key of the whole tenant, or of another account, is out of its reach);
/// and it grants no more than it holds. People are unbounded; a key actor that came without bounds is
/// refused (fail closed).
pub(crate) fn within_bounds(
    actor: &Actor,
    reach: Reach<'_>,
    granted: Option<&Privileges>,
) -> Result<(), TransitionError> {
    if !actor.is_key() {
        return Ok(());
    }
    let Some(bounds) = &actor.bounds else {
        return Err(TransitionError::OutOfBounds);
    };
    let account_fits = bounds.account.as_ref().is_none_or(|own| reach.account == Some(own));
    let fits = bounds.environment == reach.environment
        && account_fits
        && granted.is_none_or(|p| p.is_within(&bounds.privileges));
    if fits {
        Ok(())
    } else {
        Err(TransitionError::OutOfBounds)
    }
}
