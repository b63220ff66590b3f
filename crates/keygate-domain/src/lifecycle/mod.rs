//! The lifecycle of a key as a total transition function.
//!
//! ```text
//! pending_approval --approve--> active --request revocation--> revocation_pending --approve--> revoked
//!        |                      ^   |  ^                                 |   |                  ^
//!        +--reject--> rejected  |   |  +-------reject revocation--------+   |                  |
//!                               |   suspend (one person, at once)            suspend             |
//!                               |   v                                        v                  |
//!                               +-- suspended <------------------------------+                  |
//!            resume (asked, then  |  (a revocation may be asked and approved from here too) ----+
//!            approved by a third person)
//! ```
//!
//! Without dual control, creation lands in `active`, a revocation request in `revoked` and a resume
//! request back where the key was. Stopping a key takes one person and applies at once; starting it
//! again takes two (the checker is neither the one who asked the resume nor the one who suspended).
//! A suspended key keeps a pending revocation (`revocation` is set): approving it revokes, rejecting it
//! leaves the key suspended, and a resume returns it to `revocation_pending`. Expiry is not a state: it
//! is read from the clock the caller passes in. `rejected` and `revoked` are terminal.
//!
//! Maker-checker compares persons (principals), not ids: a key acting as integrator counts as the
//! person behind it. A key never approves, rejects or changes anything about itself. This module never
//! reads a clock and never decides who a principal is; both are the caller's parameters.

#[cfg(test)]
mod account_tests;
mod apply;
mod guard;
#[cfg(test)]
mod integrator_tests;
#[cfg(test)]
mod reveal_tests;
mod rotation;
#[cfg(test)]
mod tests;

use std::fmt;
use std::str::FromStr;

use crate::expiry::ExpiryError;
use crate::ids::KeyId;
use crate::key::{Key, Privileges};
use crate::role::Role;
use crate::text::{Notes, Reason};

/// Where a key is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum KeyState {
    /// Made by a maker, waiting for a checker.
    PendingApproval,
    /// Works.
    Active,
    /// A checker refused it. Terminal.
    Rejected,
    /// Works until a checker approves the requested revocation.
    RevocationPending,
    /// Revoked for good. Terminal.
    Revoked,
    /// Stopped at once by one person (a leak, an incident); authenticates nothing until a resume is
    /// approved by a second.
    Suspended,
}

impl KeyState {
    /// Every state.
    pub const ALL: [Self; 6] =
        [Self::PendingApproval, Self::Active, Self::Rejected, Self::RevocationPending, Self::Revoked, Self::Suspended];

    /// The state's name on the wire and in the database.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::PendingApproval => "pending_approval",
            Self::Active => "active",
            Self::Rejected => "rejected",
            Self::RevocationPending => "revocation_pending",
            Self::Revoked => "revoked",
            Self::Suspended => "suspended",
        }
    }

    /// No event leaves this state.
    pub const fn is_terminal(self) -> bool {
        matches!(self, Self::Rejected | Self::Revoked)
    }

    /// A key in this state authenticates requests (if not expired).
    pub const fn authenticates(self) -> bool {
        matches!(self, Self::Active | Self::RevocationPending)
    }
}

/// The text was not a state name.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("state must be one of pending_approval, active, rejected, revocation_pending, revoked, suspended")]
pub struct ParseKeyStateError;

impl FromStr for KeyState {
    type Err = ParseKeyStateError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL.into_iter().find(|k| k.as_str() == s).ok_or(ParseKeyStateError)
    }
}

impl fmt::Display for KeyState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Something an actor does to an existing key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    /// A checker approves a pending key.
    Approve,
    /// A checker rejects a pending key.
    Reject {
        /// Why.
        reason: Reason,
    },
    /// A maker asks to revoke an active key (revokes at once without dual control).
    RequestRevocation {
        /// Why.
        reason: Reason,
    },
    /// A checker, not the one who asked, approves the revocation.
    ApproveRevocation,
    /// A checker, not the one who asked, rejects the revocation; the key stays as it was.
    RejectRevocation {
        /// Why, if given.
        reason: Option<Reason>,
    },
    /// A maker changes scopes, limits, external id or metadata: applied at once without dual control,
    /// or under it when the privileges only narrow and the owner is unchanged; otherwise held as a
    /// pending change (a platform may act on an owner, so any change of it waits like a widening).
    RequestChange {
        /// The privileges asked for.
        privileges: Privileges,
        /// The owner asked for.
        owner: crate::owner::Owner,
    },
    /// A checker, not the one who asked, applies the pending change.
    ApproveChange,
    /// A checker, not the one who asked, drops the pending change.
    RejectChange {
        /// Why, if given.
        reason: Option<Reason>,
    },
    /// A maker edits the notes; never needs a checker.
    UpdateNotes {
        /// The new notes (`None` clears them).
        notes: Option<Notes>,
    },
    /// A maker renames the key, where the tenant lets names change; grants nothing, applies at once.
    Rename {
        /// The new name, unique in the tenant.
        name: crate::text::KeyName,
    },
    /// A maker brings the expiry forward (never later: that is a rotation); applies at once.
    ShortenExpiry {
        /// The new expiry, after now and before the current one.
        at: chrono::DateTime<chrono::Utc>,
    },
    /// Anyone of the tenant who works with keys (maker, checker, admin, or an integrator key that may
    /// write) stops an active key, or one awaiting revocation, at once, under dual control or not.
    Suspend {
        /// Why.
        reason: Reason,
    },
    /// A maker asks to resume a suspended key (resumes at once without dual control). Not an admin:
    /// one human may hold an admin and a checker account, and would then restart the key alone.
    RequestResume {
        /// Why.
        reason: Reason,
    },
    /// A checker who neither asked the resume nor suspended the key approves it.
    ApproveResume,
    /// A checker who neither asked the resume nor suspended the key rejects it; the key stays
    /// suspended.
    RejectResume {
        /// Why, if given.
        reason: Option<Reason>,
    },
    /// The maker who asked for the key (or a key acting for that person) draws its secret, once, after
    /// approval and within the tenant's window (where secrets are revealed after approval).
    RevealSecret,
    /// The key this one was made to replace was revoked while this one still waited for a checker:
    /// the successor is rejected with it. Any actor: it only narrows, as a consequence of the
    /// revocation, which was checked.
    PredecessorRevoked,
    /// The key's successor became active: this key expires after the overlap.
    Supersede {
        /// The successor.
        successor: KeyId,
        /// Seconds both keep working.
        overlap_seconds: u32,
    },
}

impl Event {
    /// A short name for refusals and logs.
    pub const fn name(&self) -> &'static str {
        match self {
            Self::Approve => "approve",
            Self::Reject { .. } => "reject",
            Self::RequestRevocation { .. } => "revoke",
            Self::ApproveRevocation => "approve revocation",
            Self::RejectRevocation { .. } => "reject revocation",
            Self::RequestChange { .. } => "change",
            Self::ApproveChange => "approve change",
            Self::RejectChange { .. } => "reject change",
            Self::UpdateNotes { .. } => "update notes",
            Self::Rename { .. } => "rename",
            Self::ShortenExpiry { .. } => "shorten the expiry of",
            Self::Suspend { .. } => "suspend",
            Self::RequestResume { .. } => "resume",
            Self::ApproveResume => "approve resume",
            Self::RejectResume { .. } => "reject resume",
            Self::RevealSecret => "reveal the secret of",
            Self::PredecessorRevoked => "reject with its predecessor",
            Self::Supersede { .. } => "supersede",
        }
    }
}

/// What a transition did, as written to the audit log.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AuditAction {
    /// Created, waiting for a checker.
    Requested,
    /// Created and active at once (no dual control).
    Created,
    /// Approved by a checker.
    Approved,
    /// Rejected by a checker.
    Rejected,
    /// Revocation asked.
    RevocationRequested,
    /// Revoked.
    Revoked,
    /// Revocation refused.
    RevocationRejected,
    /// Privilege change waiting for a checker.
    ChangeRequested,
    /// Privilege change in force.
    ChangeApplied,
    /// Privilege change refused.
    ChangeRejected,
    /// Notes edited.
    NotesUpdated,
    /// Expiry shortened because a successor key became active.
    Superseded,
    /// Stopped at once.
    Suspended,
    /// Resume asked, waiting for a checker.
    ResumeRequested,
    /// Resumed.
    Resumed,
    /// Resume refused; the key stays suspended.
    ResumeRejected,
    /// Renamed (where the tenant allows it).
    Renamed,
    /// Expiry brought forward.
    ExpiryShortened,
    /// The secret drawn and shown to its maker (after approval).
    SecretRevealed,
}

impl AuditAction {
    /// Every action.
    pub const ALL: [Self; 19] = [
        Self::Requested,
        Self::Created,
        Self::Approved,
        Self::Rejected,
        Self::RevocationRequested,
        Self::Revoked,
        Self::RevocationRejected,
        Self::ChangeRequested,
        Self::ChangeApplied,
        Self::ChangeRejected,
        Self::NotesUpdated,
        Self::Superseded,
        Self::Suspended,
        Self::ResumeRequested,
        Self::Resumed,
        Self::ResumeRejected,
        Self::Renamed,
        Self::ExpiryShortened,
        Self::SecretRevealed,
    ];

    /// The action's name in the audit log.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Requested => "key.requested",
            Self::Created => "key.created",
            Self::Approved => "key.approved",
            Self::Rejected => "key.rejected",
            Self::RevocationRequested => "key.revocation_requested",
            Self::Revoked => "key.revoked",
            Self::RevocationRejected => "key.revocation_rejected",
            Self::ChangeRequested => "key.change_requested",
            Self::ChangeApplied => "key.change_applied",
            Self::ChangeRejected => "key.change_rejected",
            Self::NotesUpdated => "key.notes_updated",
            Self::Superseded => "key.superseded",
            Self::Suspended => "key.suspended",
            Self::ResumeRequested => "key.resume_requested",
            Self::Resumed => "key.resumed",
            Self::ResumeRejected => "key.resume_rejected",
            Self::Renamed => "key.renamed",
            Self::ExpiryShortened => "key.expiry_shortened",
            Self::SecretRevealed => "key.secret_revealed",
        }
    }
}

impl FromStr for AuditAction {
    type Err = ParseKeyStateError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL.into_iter().find(|a| a.as_str() == s).ok_or(ParseKeyStateError)
    }
}

/// The result of a legal move: the key as it is now, and what to audit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Transition {
    /// The key after the move, `version` bumped.
    pub key: Key,
    /// What happened.
    pub action: AuditAction,
    /// The reason given, if any.
    pub reason: Option<Reason>,
}

/// Why a move was refused. One variant per thing the caller can act on.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TransitionError {
    /// The actor lacks the role the move needs.
    #[error("the {0} role is required")]
    MissingRole(Role),
    /// The actor, or the person it acts for, made the request it tries to approve or reject
    /// (maker-checker compares both ids and principals).
    #[error("a request cannot be approved or rejected by the person who made it")]
    SelfApproval,
    /// The key is rejected or revoked; nothing moves it.
    #[error("the key is {0}, which is final")]
    Terminal(KeyState),
    /// The move does not apply in the key's state.
    #[error("cannot {event} a key that is {state}")]
    InvalidState {
        /// The key's state.
        state: KeyState,
        /// The refused move.
        event: &'static str,
    },
    /// The key is expired, so it cannot be approved or changed.
    #[error("the key is expired")]
    Expired,
    /// The tenant keeps key names as they were created (`name_mutable` off).
    #[error("this tenant does not let key names change")]
    NameImmutable,
    /// An expiry may only be brought forward, to an instant still in the future; a later one is a new
    /// key (rotate).
    #[error("an expiry can only be shortened, to a time in the future; to extend a key's life, rotate it")]
    ExpiryNotShortened,
    /// Only the person who asked for the key sees its secret: not its checker, not an admin, not
    /// another maker.
    #[error("only the maker who asked for the key may reveal its secret")]
    NotTheMaker,
    /// The secret was shown already (at creation, or at an earlier reveal); it is never shown again.
    #[error("the secret of this key was shown already; it is never shown again (rotate the key for a new one)")]
    SecretAlreadyRevealed,
    /// The reveal window passed without a reveal; the key must be rotated.
    #[error("the window to reveal this key's secret has closed; rotate the key for a new one")]
    RevealWindowClosed,
    /// No resume is waiting.
    #[error("no resume is pending")]
    NoPendingResume,
    /// No privilege change is waiting.
    #[error("no change is pending")]
    NoPendingChange,
    /// A privilege change is already waiting for a checker.
    #[error("a change is already pending")]
    ChangePending,
    /// A revocation or a change is waiting for a checker, so the key cannot be rotated yet.
    #[error("a revocation or a change of this key is pending")]
    RequestPending,
    /// A key acting as integrator tried to approve, reject or change something about itself; it may
    /// only ask its own revocation.
    #[error("a key cannot approve, reject or change anything about itself")]
    OwnKey,
    /// A key acting as integrator tried to approve or reject while the tenant keeps approvals for
    /// people (`integrator_approvals` off).
    #[error("this tenant does not let API keys approve or reject")]
    IntegratorApprovalsOff,
    /// A key acting as integrator reached outside its own environment, its own account (when it is bound
    /// to one) or its own privileges.
    #[error(
        "an API key manages only keys of its own environment and, when bound to an account, of that account, \
         within its own privileges"
    )]
    OutOfBounds,
    /// The tenant has not enabled live keys.
    #[error("live keys are not enabled for this tenant")]
    LiveDisabled,
    /// The tenant requires every new key to be bound to an account (`require_account` on), and none was
    /// named.
    #[error("this tenant requires every new key to be bound to an account")]
    AccountRequired,
    /// The expiry broke the tenant's policy.
    #[error(transparent)]
    Expiry(#[from] ExpiryError),
}
