//! The lifecycle of an operator account as a total transition function, like a key's.
//!
//! ```text
//! pending_approval --approve--> invited --claim--> active
//!        |                        ^  |               |
//!        +--reject--+             |  +--disable--+   +--disable--+
//!                   v             |              v               v
//!                disabled --request enable (+ approve under dual control)
//! ```
//!
//! Under dual control an invitation is cut in two halves: the asker receives the first, the approver
//! the second, and only someone holding both can claim the account; an invitation lapses 72 hours
//! after it is issued. This module says how many halves to issue and when; drawing, hashing and
//! delivering codes and tokens is the caller's business. It never reads a clock, draws randomness or
//! keeps a secret, and it never decides who may log in.

mod apply;
#[cfg(test)]
mod tests;

use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, Duration, Utc};

use crate::ids::{ActorId, OperatorId, TenantId};
use crate::role::{Role, RoleSet, SeparationError};
use crate::text::Reason;

/// Where an operator account is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum OperatorState {
    /// Asked for by an admin, waiting for a second admin.
    PendingApproval,
    /// Invitation issued, not yet claimed.
    Invited,
    /// Claimed: the operator holds a token.
    Active,
    /// Switched off; its token is dead. Only an enable (approved under dual control) brings it back.
    Disabled,
}

impl OperatorState {
    /// Every state.
    pub const ALL: [Self; 4] = [Self::PendingApproval, Self::Invited, Self::Active, Self::Disabled];

    /// The state's name on the wire and in the database.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::PendingApproval => "pending_approval",
            Self::Invited => "invited",
            Self::Active => "active",
            Self::Disabled => "disabled",
        }
    }
}

/// The text was not an operator state or action name.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("not a known operator state or action name")]
pub struct ParseOperatorError;

impl FromStr for OperatorState {
    type Err = ParseOperatorError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL.into_iter().find(|k| k.as_str() == s).ok_or(ParseOperatorError)
    }
}

impl fmt::Display for OperatorState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What a pending request asks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RequestKind {
    /// Create the account (it is `PendingApproval`).
    Create,
    /// Bring a disabled account back, with a new invitation.
    Enable,
    /// Issue a new invitation to an invited account.
    Reinvite,
    /// Give the account these roles (a widening).
    Roles(RoleSet),
}

/// A request about an operator waiting for a second admin.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OperatorRequest {
    /// What is asked.
    pub kind: RequestKind,
    /// Who asked.
    pub requested_by: ActorId,
    /// The person who asked.
    pub requested_for: ActorId,
    /// When.
    pub requested_at: DateTime<Utc>,
}

/// The invitation in force: how many halves make the code, and when it lapses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct InvitationTerms {
    /// 1 (one whole code) or 2 (two halves, under dual control).
    pub halves: u8,
    /// The instant it lapses.
    pub expires_at: DateTime<Utc>,
}

impl InvitationTerms {
    /// How long an invitation may be claimed after it is issued.
    pub const LIFETIME_HOURS: i64 = 72;

    fn issued(halves: u8, now: DateTime<Utc>) -> Self {
        Self { halves, expires_at: now + Duration::hours(Self::LIFETIME_HOURS) }
    }

    /// Whether it has lapsed at `now`.
    pub fn is_lapsed(&self, now: DateTime<Utc>) -> bool {
        now >= self.expires_at
    }
}

/// Which invitation code the caller must draw and hand out after a transition.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InvitationIssue {
    /// None.
    None,
    /// One whole code, to the actor (no dual control, or the bootstrap).
    Whole,
    /// The first of two halves, to the asker.
    FirstHalf,
    /// The second of two halves, to the approver.
    SecondHalf,
}

/// One operator account. Name and email stay with the store; the rules need neither.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OperatorAccount {
    /// Its id.
    pub id: OperatorId,
    /// Its tenant; never changes.
    pub tenant: TenantId,
    /// Roles in force (they pass the separation of duties).
    pub roles: RoleSet,
    /// Where it is in its life.
    pub state: OperatorState,
    /// The admin who asked for it.
    pub created_by: ActorId,
    /// The person that admin counts as.
    pub created_for: ActorId,
    /// The admin who approved its creation (`None` without dual control or at bootstrap).
    pub approved_by: Option<ActorId>,
    /// A request waiting for a second admin.
    pub request: Option<OperatorRequest>,
    /// The invitation in force, while there is one to claim.
    pub invitation: Option<InvitationTerms>,
    /// When it was claimed.
    pub claimed_at: Option<DateTime<Utc>>,
    /// Creation instant.
    pub created_at: DateTime<Utc>,
    /// Instant of the last transition.
    pub updated_at: DateTime<Utc>,
    /// Bumped by every transition; the store's compare-and-set token.
    pub version: u64,
}

/// What an admin asks for when inviting an operator.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewOperator {
    /// The id the caller drew.
    pub id: OperatorId,
    /// The tenant.
    pub tenant: TenantId,
    /// The roles asked for.
    pub roles: RoleSet,
}

/// Something done to an operator account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OperatorEvent {
    /// A second admin approves the pending request.
    Approve,
    /// A second admin refuses the pending request; a refused creation ends `Disabled`.
    Reject {
        /// Why.
        reason: Reason,
    },
    /// The invitee, holding every half of the code (checked by the caller), claims the account.
    Claim,
    /// An admin, or the operator itself, switches the account off at once.
    Disable {
        /// Why.
        reason: Reason,
    },
    /// An admin asks to bring a disabled account back.
    RequestEnable,
    /// An admin changes the roles: a narrowing at once, a widening under dual control held.
    ChangeRoles(RoleSet),
    /// An admin issues a new invitation to an invited account.
    Reinvite,
    /// The operator replaces its own token.
    ReplaceToken,
}

impl OperatorEvent {
    /// A short name for refusals and logs.
    pub const fn name(&self) -> &'static str {
        match self {
            Self::Approve => "approve",
            Self::Reject { .. } => "reject",
            Self::Claim => "claim",
            Self::Disable { .. } => "disable",
            Self::RequestEnable => "enable",
            Self::ChangeRoles(_) => "change roles",
            Self::Reinvite => "reinvite",
            Self::ReplaceToken => "replace token",
        }
    }
}

/// What a transition did, as written to the audit log.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum OperatorAction {
    /// Creation asked, waiting for a second admin.
    Requested,
    /// Invited at once (no dual control, bootstrap, or an enable without dual control).
    Invited,
    /// A pending creation, enable or reinvitation approved.
    Approved,
    /// A pending request refused.
    Rejected,
    /// The invitation claimed.
    Claimed,
    /// Switched off.
    Disabled,
    /// An enable asked, waiting for a second admin.
    EnableRequested,
    /// Roles in force changed.
    RolesChanged,
    /// A widening of roles asked, waiting for a second admin.
    RolesRequested,
    /// A new invitation issued, or asked for under dual control.
    Reinvited,
    /// The operator replaced its token.
    TokenReplaced,
}

impl OperatorAction {
    /// Every action.
    pub const ALL: [Self; 11] = [
        Self::Requested,
        Self::Invited,
        Self::Approved,
        Self::Rejected,
        Self::Claimed,
        Self::Disabled,
        Self::EnableRequested,
        Self::RolesChanged,
        Self::RolesRequested,
        Self::Reinvited,
        Self::TokenReplaced,
    ];

    /// The action's name in the audit log.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Requested => "operator.requested",
            Self::Invited => "operator.invited",
            Self::Approved => "operator.approved",
            Self::Rejected => "operator.rejected",
            Self::Claimed => "operator.claimed",
            Self::Disabled => "operator.disabled",
            Self::EnableRequested => "operator.enable_requested",
            Self::RolesChanged => "operator.roles_changed",
            Self::RolesRequested => "operator.roles_requested",
            Self::Reinvited => "operator.reinvited",
            Self::TokenReplaced => "operator.token_replaced",
        }
    }
}

impl FromStr for OperatorAction {
    type Err = ParseOperatorError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL.into_iter().find(|a| a.as_str() == s).ok_or(ParseOperatorError)
    }
}

/// The result of a legal move.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OperatorTransition {
    /// The account after the move, `version` bumped.
    pub account: OperatorAccount,
    /// What to audit.
    pub action: OperatorAction,
    /// Which invitation code the caller must now draw and hand out.
    pub issue: InvitationIssue,
    /// The caller must delete the operator's current token (disabled, re-enabled or replaced): a
    /// dead token never comes back to life.
    pub clear_token: bool,
    /// The reason given, if any.
    pub reason: Option<Reason>,
}

/// Why a move on an operator was refused. One variant per thing the caller can act on.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OperatorError {
    /// The actor lacks the role the move needs.
    #[error("the {0} role is required")]
    MissingRole(Role),
    /// Only the system admin bootstraps a tenant's first admins.
    #[error("only the system admin may bootstrap a tenant's operators")]
    SystemOnly,
    /// Only the operator itself may do this (replace its token).
    #[error("only the operator itself may do this")]
    NotTheOperator,
    /// The approver is, or acts for, the asker, or the request is about the approver itself.
    #[error("a request cannot be approved or rejected by the person who made it or whom it is about")]
    SelfApproval,
    /// The roles break the separation of duties.
    #[error(transparent)]
    Separation(#[from] SeparationError),
    /// The move does not apply in the account's state.
    #[error("cannot {event} an operator that is {state}")]
    InvalidState {
        /// The account's state.
        state: OperatorState,
        /// The refused move.
        event: &'static str,
    },
    /// The invitation lapsed; an admin must reinvite (HTTP 410).
    #[error("the invitation has lapsed")]
    Lapsed,
    /// The invitation was already claimed (HTTP 410).
    #[error("the invitation was already claimed")]
    AlreadyClaimed,
    /// There is no invitation to claim: not yet approved, or the account is disabled (HTTP 410).
    #[error("there is no invitation to claim")]
    Gone,
    /// No request waits for approval.
    #[error("no request is pending")]
    NothingPending,
    /// A request already waits for a second admin.
    #[error("a request is already pending")]
    RequestPending,
}
