//! Operators' roles, the sets they come in, and the separation of duties between them.
//!
//! Pure data: a role grants nothing by itself here; the transition functions decide what each role may do.

use std::fmt;
use std::str::FromStr;

use crate::scope::{Scope, ScopeSet};

/// A role an operator holds in its tenant.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Role {
    /// Requests creation, revocation and changes of keys.
    Maker,
    /// Approves or rejects what a maker requested, never its own request.
    Checker,
    /// Manages operators and the tenant's policy.
    Admin,
    /// Reads everything, changes nothing.
    Auditor,
}

/// The text was not a role name.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("role must be one of maker, checker, admin, auditor")]
pub struct RoleError;

/// A set of roles broke the separation of duties.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum SeparationError {
    /// An operator needs at least one role.
    #[error("at least one role is required")]
    Empty,
    /// `admin` and `maker` are never held together.
    #[error("the admin role cannot be combined with maker")]
    AdminWithMaker,
    /// `admin` and `checker` are never held together.
    #[error("the admin role cannot be combined with checker")]
    AdminWithChecker,
}

impl Role {
    /// Every role.
    pub const ALL: [Self; 4] = [Self::Maker, Self::Checker, Self::Admin, Self::Auditor];

    /// The role's name.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Maker => "maker",
            Self::Checker => "checker",
            Self::Admin => "admin",
            Self::Auditor => "auditor",
        }
    }

    const fn bit(self) -> u8 {
        1 << (self as u8)
    }
}

impl FromStr for Role {
    type Err = RoleError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL.into_iter().find(|r| r.as_str() == s).ok_or(RoleError)
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A set of roles.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct RoleSet(u8);

impl RoleSet {
    /// No role.
    pub const fn empty() -> Self {
        Self(0)
    }

    /// The set holding these roles.
    pub fn of(roles: impl IntoIterator<Item = Role>) -> Self {
        Self(roles.into_iter().fold(0, |acc, r| acc | r.bit()))
    }

    /// Whether the set holds `role`.
    pub const fn has(self, role: Role) -> bool {
        self.0 & role.bit() != 0
    }

    /// Whether `self` holds no role that `other` does not.
    pub const fn is_within(self, other: Self) -> bool {
        self.0 & !other.0 == 0
    }

    /// Whether the set holds no role.
    pub const fn is_empty(self) -> bool {
        self.0 == 0
    }

    /// Separation of duties: at least one role, and `admin` (who manages operators and the policy)
    /// never with `maker` or `checker` (who handle keys), so no one both grants approval rights and
    /// uses them. `auditor` combines with anything: reading changes nothing.
    pub fn check_separation(self) -> Result<(), SeparationError> {
        if self.is_empty() {
            Err(SeparationError::Empty)
        } else if self.has(Role::Admin) && self.has(Role::Maker) {
            Err(SeparationError::AdminWithMaker)
        } else if self.has(Role::Admin) && self.has(Role::Checker) {
            Err(SeparationError::AdminWithChecker)
        } else {
            Ok(())
        }
    }

    /// The roles, in the order of [`Role::ALL`].
    pub fn iter(self) -> impl Iterator<Item = Role> {
        Role::ALL.into_iter().filter(move |r| self.has(*r))
    }

    /// The roles an integrator API key acts with, from its `api-keys:*` scopes: `api-keys:read` reads
    /// like an auditor, `api-keys:write` requests like a maker, `api-keys:approve` approves like a checker.
    pub fn for_integrator_key(scopes: &ScopeSet) -> Self {
        let grants = |text: &str| Scope::parse(text).is_ok_and(|s| scopes.satisfies(&s));
        let mut roles = Vec::new();
        if grants("api-keys:read") {
            roles.push(Role::Auditor);
        }
        if grants("api-keys:write") {
            roles.push(Role::Maker);
        }
        if grants("api-keys:approve") {
            roles.push(Role::Checker);
        }
        Self::of(roles)
    }
}

impl fmt::Debug for RoleSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_set().entries(self.iter()).finish()
    }
}
