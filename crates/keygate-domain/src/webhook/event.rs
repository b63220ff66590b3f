//! The events a webhook endpoint can subscribe to, and the one table from an audit action to the
//! event it announces.
//!
//! This module never invents an event for a move it does not list: an audit action without an event
//! is announced to no one (the audit log keeps it). The audit log keeps its own names; the event names
//! are the public, stable ones receivers rely on.

use std::collections::BTreeSet;
use std::fmt;

use crate::lifecycle::AuditAction;
use crate::operator::OperatorAction;

/// An event a webhook announces.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum EventType {
    /// A key was created (active at once, or waiting for a checker: see `state`).
    KeyCreated,
    /// A checker approved a key.
    KeyApproved,
    /// A checker rejected a key.
    KeyRejected,
    /// A key's privileges, name, notes or expiry changed.
    KeyChanged,
    /// A widening change of a key waits for a checker.
    KeyChangeRequested,
    /// A pending change was refused.
    KeyChangeRejected,
    /// A revocation waits for a checker.
    KeyRevocationRequested,
    /// A pending revocation was refused.
    KeyRevocationRejected,
    /// A key was revoked.
    KeyRevoked,
    /// A key's successor became active: the key expires after the overlap.
    KeyRotated,
    /// A key was stopped at once.
    KeySuspended,
    /// A suspended key works again.
    KeyResumed,
    /// A key was reported leaked.
    KeyLeaked,
    /// A key expires within the tenant's lead time (once per key and expiry).
    KeyExpiring,
    /// A key expired (once per key and expiry).
    KeyExpired,
    /// A key's spend passed 80% or 100% of a volume limit (once per window and threshold).
    KeyVolumeThreshold,
    /// An operator was created (invited, or asked under dual control).
    OperatorCreated,
    /// An operator was disabled.
    OperatorDisabled,
    /// The tenant's name or policy changed.
    TenantPolicyChanged,
    /// Sent by `POST .../webhooks/{id}/test` to that endpoint only; never subscribed to.
    WebhookTest,
}

impl EventType {
    /// Every event an endpoint may subscribe to (all but `webhook.test`), in the documented order.
    pub const SUBSCRIBABLE: [Self; 19] = [
        Self::KeyCreated,
        Self::KeyApproved,
        Self::KeyRejected,
        Self::KeyChanged,
        Self::KeyChangeRequested,
        Self::KeyChangeRejected,
        Self::KeyRevocationRequested,
        Self::KeyRevocationRejected,
        Self::KeyRevoked,
        Self::KeyRotated,
        Self::KeySuspended,
        Self::KeyResumed,
        Self::KeyLeaked,
        Self::KeyExpiring,
        Self::KeyExpired,
        Self::KeyVolumeThreshold,
        Self::OperatorCreated,
        Self::OperatorDisabled,
        Self::TenantPolicyChanged,
    ];

    /// The event's public name.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::KeyCreated => "key.created",
            Self::KeyApproved => "key.approved",
            Self::KeyRejected => "key.rejected",
            Self::KeyChanged => "key.changed",
            Self::KeyChangeRequested => "key.change_requested",
            Self::KeyChangeRejected => "key.change_rejected",
            Self::KeyRevocationRequested => "key.revocation_requested",
            Self::KeyRevocationRejected => "key.revocation_rejected",
            Self::KeyRevoked => "key.revoked",
            Self::KeyRotated => "key.rotated",
            Self::KeySuspended => "key.suspended",
            Self::KeyResumed => "key.resumed",
            Self::KeyLeaked => "key.leaked",
            Self::KeyExpiring => "key.expiring",
            Self::KeyExpired => "key.expired",
            Self::KeyVolumeThreshold => "key.volume_threshold",
            Self::OperatorCreated => "operator.created",
            Self::OperatorDisabled => "operator.disabled",
            Self::TenantPolicyChanged => "tenant.policy_changed",
            Self::WebhookTest => "webhook.test",
        }
    }

    /// Parses a public name (`webhook.test` included).
    pub fn parse(text: &str) -> Option<Self> {
        Self::SUBSCRIBABLE.into_iter().chain([Self::WebhookTest]).find(|e| e.as_str() == text)
    }

    /// The event a key's audit action announces; `None` for actions no event announces (notes
    /// edited is a change; a resume asked or refused is not announced: the key stays suspended).
    pub const fn for_key_action(action: AuditAction) -> Option<Self> {
        match action {
            AuditAction::Requested | AuditAction::Created => Some(Self::KeyCreated),
            AuditAction::Approved => Some(Self::KeyApproved),
            AuditAction::Rejected => Some(Self::KeyRejected),
            AuditAction::RevocationRequested => Some(Self::KeyRevocationRequested),
            AuditAction::Revoked => Some(Self::KeyRevoked),
            AuditAction::RevocationRejected => Some(Self::KeyRevocationRejected),
            AuditAction::ChangeRequested => Some(Self::KeyChangeRequested),
            AuditAction::ChangeApplied
            | AuditAction::NotesUpdated
            | AuditAction::Renamed
            | AuditAction::ExpiryShortened
            // The key has a secret from now on (revealed after approval); `data.action` says so.
            | AuditAction::SecretRevealed => Some(Self::KeyChanged),
            AuditAction::ChangeRejected => Some(Self::KeyChangeRejected),
            AuditAction::Superseded => Some(Self::KeyRotated),
            AuditAction::Suspended => Some(Self::KeySuspended),
            AuditAction::Resumed => Some(Self::KeyResumed),
            AuditAction::ResumeRequested | AuditAction::ResumeRejected => None,
        }
    }

    /// The event an operator's audit action announces, if any.
    pub const fn for_operator_action(action: OperatorAction) -> Option<Self> {
        match action {
            OperatorAction::Requested | OperatorAction::Invited => Some(Self::OperatorCreated),
            OperatorAction::Disabled => Some(Self::OperatorDisabled),
            OperatorAction::Approved
            | OperatorAction::Rejected
            | OperatorAction::Claimed
            | OperatorAction::EnableRequested
            | OperatorAction::RolesChanged
            | OperatorAction::RolesRequested
            | OperatorAction::Reinvited
            | OperatorAction::TokenReplaced => None,
        }
    }
}

impl fmt::Display for EventType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What an endpoint subscribes to: every event (`"*"`) or a set of them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EventFilter {
    /// Every event, including ones added later.
    All,
    /// These events (never empty, never `webhook.test`).
    Only(BTreeSet<EventType>),
}

/// An `events` list did not parse.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EventFilterError {
    /// No event at all.
    #[error("name at least one event, or \"*\"")]
    Empty,
    /// `"*"` together with names.
    #[error("\"*\" stands alone")]
    StarWithNames,
    /// A name that is no subscribable event.
    #[error("unknown event `{0}`")]
    Unknown(String),
}

impl EventFilter {
    /// Parses a list of names: `["*"]`, or subscribable event names (duplicates fold).
    pub fn parse<'a>(names: impl IntoIterator<Item = &'a str>) -> Result<Self, EventFilterError> {
        let mut set = BTreeSet::new();
        let mut star = false;
        for name in names {
            if name == "*" {
                star = true;
                continue;
            }
            match EventType::parse(name).filter(|e| *e != EventType::WebhookTest) {
                Some(event) => set.insert(event),
                None => return Err(EventFilterError::Unknown(name.chars().take(64).collect())),
            };
        }
        match (star, set.is_empty()) {
            (true, true) => Ok(Self::All),
            (true, false) => Err(EventFilterError::StarWithNames),
            (false, true) => Err(EventFilterError::Empty),
            (false, false) => Ok(Self::Only(set)),
        }
    }

    /// Whether `event` is delivered to this endpoint (`webhook.test` is sent by hand, never by this).
    pub fn matches(&self, event: EventType) -> bool {
        event != EventType::WebhookTest
            && match self {
                Self::All => true,
                Self::Only(set) => set.contains(&event),
            }
    }

    /// The names, as stored and shown: `["*"]` or the events in order.
    pub fn names(&self) -> Vec<&'static str> {
        match self {
            Self::All => vec!["*"],
            Self::Only(set) => set.iter().map(|e| e.as_str()).collect(),
        }
    }
}
