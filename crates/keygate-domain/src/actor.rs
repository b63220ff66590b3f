//! The actor a transition is attributed to: who acts, with which roles, as which person, and, for an
//! integrator key, within which bounds.
//!
//! The principal is what maker-checker compares: an API key acting as an integrator counts as the
//! person behind it, so one person holding a key secret is still one person. This module never decides
//! who the principal is (the caller knows who created the acting key); it only carries the answer.

use crate::account::AccountId;
use crate::environment::Environment;
use crate::ids::{ActorId, KeyId};
use crate::key::Privileges;
use crate::role::RoleSet;

/// What an integrator key acting on its tenant may touch: keys of its own environment (and of its own
/// account, when it is bound to one), and no more than its own privileges.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyBounds {
    /// The acting key's environment.
    pub environment: Environment,
    /// The acting key's own scopes and limits.
    pub privileges: Privileges,
    /// The acting key's account: `Some` confines it to keys bound to that same account; `None` (a key
    /// of the whole tenant) leaves it every account of its tenant.
    pub account: Option<AccountId>,
}

/// Who is acting, with the roles they act with in the key's tenant.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Actor {
    /// Who: what the audit log names.
    pub id: ActorId,
    /// With which roles.
    pub roles: RoleSet,
    /// The person this actor counts as for maker-checker: its own id for the system admin and
    /// operators; for a key, the principal of whoever created that key, transitively.
    pub principal: ActorId,
    /// For a key actor, the acting key's own environment and privileges; `None` for people. A key
    /// actor without bounds is refused everything bounded (fail closed).
    pub bounds: Option<KeyBounds>,
}

impl Actor {
    /// A person (the system admin or an operator): its own principal, unbounded.
    pub fn new(id: ActorId, roles: RoleSet) -> Self {
        Self { id, roles, principal: id, bounds: None }
    }

    /// An integrator API key acting for `principal`, within `bounds`.
    pub fn for_key(key_id: KeyId, roles: RoleSet, principal: ActorId, bounds: KeyBounds) -> Self {
        Self { id: ActorId::Key(key_id), roles, principal, bounds: Some(bounds) }
    }

    /// Whether an API key is acting (rather than a person).
    pub const fn is_key(&self) -> bool {
        matches!(self.id, ActorId::Key(_))
    }

    /// Whether this actor is, or acts for, any of `others` (by id or by principal).
    pub fn is_any_of(&self, others: &[ActorId]) -> bool {
        others.iter().any(|o| *o == self.id || *o == self.principal)
    }
}
