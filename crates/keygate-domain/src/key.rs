//! The key record: everything the domain knows about one API key (the credential's hash is the
//! store's business, not the model's).

use chrono::{DateTime, Utc};

use crate::account::AccountId;
use crate::environment::Environment;
use crate::expiry::{Expiry, ExpiryRequest};
use crate::ids::{ActorId, KeyId, TenantId};
use crate::lifecycle::KeyState;
use crate::limits::Limits;
use crate::owner::Owner;
use crate::reveal::Reveal;
use crate::scope::ScopeSet;
use crate::text::{KeyName, Notes, Reason};

/// What a key may do: its scopes and its limits. Changing either on an active key under dual control
/// needs a checker, unless the change only narrows.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Privileges {
    /// The scopes held.
    pub scopes: ScopeSet,
    /// The limits it is held to.
    pub limits: Limits,
}

impl Privileges {
    /// Whether `self` grants nothing that `other` does not.
    pub fn is_within(&self, other: &Self) -> bool {
        self.scopes.is_within(&other.scopes) && self.limits.is_within(&other.limits)
    }
}

/// A maker's request to revoke an active key, waiting for a checker.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RevocationRequest {
    /// Who asked.
    pub requested_by: ActorId,
    /// The person who asked (the principal behind `requested_by`); maker-checker compares it too.
    pub requested_for: ActorId,
    /// Why.
    pub reason: Reason,
    /// When.
    pub requested_at: DateTime<Utc>,
}

/// A key stopped at once by one person: it authenticates nothing until a resume is approved.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Suspension {
    /// Who suspended it.
    pub suspended_by: ActorId,
    /// The person behind `suspended_by`; may not approve the resume.
    pub suspended_for: ActorId,
    /// Why.
    pub reason: Reason,
    /// When.
    pub suspended_at: DateTime<Utc>,
    /// A resume asked by a maker, waiting for a checker who neither asked it nor suspended the key.
    pub resume: Option<ResumeRequest>,
}

/// A request to resume a suspended key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResumeRequest {
    /// Who asked.
    pub requested_by: ActorId,
    /// The person behind `requested_by`.
    pub requested_for: ActorId,
    /// Why.
    pub reason: Reason,
    /// When.
    pub requested_at: DateTime<Utc>,
}

/// A widening of privileges on an active key, waiting for a checker. The key keeps its old
/// privileges meanwhile.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PendingChange {
    /// The privileges the key would have.
    pub privileges: Privileges,
    /// The owner (external id and metadata) the key would have.
    pub owner: Owner,
    /// Who asked.
    pub requested_by: ActorId,
    /// The person who asked (the principal behind `requested_by`); maker-checker compares it too.
    pub requested_for: ActorId,
    /// When.
    pub requested_at: DateTime<Utc>,
}

/// A key made to replace another: once it is active, the old one expires after the overlap.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rotation {
    /// The key being replaced.
    pub replaces: KeyId,
    /// How long both keys work side by side, in seconds.
    pub overlap_seconds: u32,
}

/// One API key. Every field is a parsed value; the lifecycle rules live in [`Key::apply`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Key {
    /// Public id (also inside the token).
    pub id: KeyId,
    /// The tenant it works for; never changes.
    pub tenant: TenantId,
    /// The account inside the tenant it is bound to (`None`: any of the tenant's accounts); never
    /// changes, so a key cannot be moved to another account's money.
    pub account: Option<AccountId>,
    /// Unique per tenant; never changes.
    pub name: KeyName,
    /// Free text; may be edited at any time before the key ends.
    pub notes: Option<Notes>,
    /// Test or live; never changes.
    pub environment: Environment,
    /// Scopes and limits in force.
    pub privileges: Privileges,
    /// The platform's id for its owner and free metadata, returned by every verification.
    pub owner: Owner,
    /// When it stops working.
    pub expiry: Expiry,
    /// Where it is in its lifecycle.
    pub state: KeyState,
    /// The maker.
    pub created_by: ActorId,
    /// The person the maker counts as (its principal): a key made through an integrator key still
    /// belongs to the person behind that key, and that person may not approve it.
    pub created_for: ActorId,
    /// The checker who approved creation (`None` where no dual control applied).
    pub approved_by: Option<ActorId>,
    /// Creation instant.
    pub created_at: DateTime<Utc>,
    /// Instant of the last transition.
    pub updated_at: DateTime<Utc>,
    /// A revocation waiting for a checker, or the one that was approved.
    pub revocation: Option<Box<RevocationRequest>>,
    /// A privilege change waiting for a checker.
    pub pending_change: Option<Box<PendingChange>>,
    /// Set while the key is `suspended`: who stopped it and why, and a resume waiting for a checker.
    pub suspension: Option<Box<Suspension>>,
    /// The key this one replaces, if it was made by a rotation.
    pub rotation: Option<Rotation>,
    /// Where the reveal of its secret stands, for a key made where secrets are revealed after approval;
    /// `None` for a key whose secret was drawn at creation.
    pub reveal: Option<Reveal>,
    /// Bumped by every transition; the store's compare-and-set token.
    pub version: u64,
}

impl Key {
    /// Whether the key is expired at `now` (whatever its state).
    pub fn is_expired(&self, now: DateTime<Utc>) -> bool {
        self.expiry.is_expired(now)
    }

    /// Whether the key may authenticate requests at `now`: active or awaiting revocation, and not expired.
    pub fn is_usable(&self, now: DateTime<Utc>) -> bool {
        self.state.authenticates() && !self.is_expired(now)
    }

    /// Whether a secret was ever drawn for it: at creation, or at its reveal.
    pub fn has_secret(&self) -> bool {
        self.reveal.is_none_or(Reveal::has_secret)
    }
}

/// What a maker asks for when creating a key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewKey {
    /// The id the caller drew for it.
    pub id: KeyId,
    /// The tenant.
    pub tenant: TenantId,
    /// The account inside the tenant, if the key is bound to one.
    pub account: Option<AccountId>,
    /// The name.
    pub name: KeyName,
    /// Notes.
    pub notes: Option<Notes>,
    /// Test or live.
    pub environment: Environment,
    /// Scopes and limits.
    pub privileges: Privileges,
    /// The platform's id for its owner, and metadata.
    pub owner: Owner,
    /// Expiry as asked; the tenant's policy decides.
    pub expiry: ExpiryRequest,
    /// Set when the key replaces another.
    pub rotation: Option<Rotation>,
}
