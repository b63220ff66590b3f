//! A tenant's webhook endpoint and its one set of moves: created, changed, approved, disabled.
//!
//! An endpoint sends the tenant's events somewhere new, so under dual control everything that points
//! it somewhere or widens what it hears (creating it, changing its URL or events, enabling it again)
//! is asked by one admin and applied only when another person approves; a description and a disable
//! apply at once (they send nothing anywhere). This module never touches the signing secret: the
//! caller keeps it sealed beside the endpoint.

use chrono::{DateTime, Utc};

use super::event::EventFilter;
use super::url::WebhookUrl;
use crate::actor::Actor;
use crate::ids::{ActorId, TenantId, WebhookId};
use crate::role::Role;
use crate::text::Notes;

/// Why an endpoint stopped sending.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DisabledBy {
    /// An operator disabled it.
    Operator,
    /// Every attempt failed for three days: keygate disabled it.
    Failures,
}

impl DisabledBy {
    /// The name in storage and on the wire.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Operator => "operator",
            Self::Failures => "failures",
        }
    }

    /// Parses the name back.
    pub fn parse(text: &str) -> Option<Self> {
        [Self::Operator, Self::Failures].into_iter().find(|d| d.as_str() == text)
    }
}

/// Where an endpoint stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WebhookStatus {
    /// Asked under dual control; sends nothing until another admin approves it.
    PendingApproval,
    /// Sends the events it subscribes to.
    Active,
    /// Sends nothing.
    Disabled(DisabledBy),
}

impl WebhookStatus {
    /// The name in storage and on the wire (`disabled` whatever disabled it).
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::PendingApproval => "pending_approval",
            Self::Active => "active",
            Self::Disabled(_) => "disabled",
        }
    }
}

/// A change of URL, events or enablement waiting for a second admin.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebhookChange {
    /// The URL it will send to.
    pub url: WebhookUrl,
    /// The events it will send.
    pub events: EventFilter,
    /// Whether approving it also enables the endpoint.
    pub enable: bool,
    /// Who asked.
    pub requested_by: ActorId,
    /// The person behind the asker (compared with the approver).
    pub requested_for: ActorId,
    /// When.
    pub requested_at: DateTime<Utc>,
}

/// A tenant's webhook endpoint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Webhook {
    /// Its id.
    pub id: WebhookId,
    /// Its tenant; never changes.
    pub tenant: TenantId,
    /// Where events are sent.
    pub url: WebhookUrl,
    /// Which events.
    pub events: EventFilter,
    /// Free text.
    pub description: Option<Notes>,
    /// Where it stands.
    pub status: WebhookStatus,
    /// Who created it (or last reshaped its pending creation).
    pub created_by: ActorId,
    /// The person behind that.
    pub created_for: ActorId,
    /// A change waiting for a second admin.
    pub pending: Option<WebhookChange>,
    /// The first failed attempt since the last delivered one; `None` while deliveries succeed.
    pub failing_since: Option<DateTime<Utc>>,
    /// Creation instant.
    pub created_at: DateTime<Utc>,
    /// Last change.
    pub updated_at: DateTime<Utc>,
    /// Bumped by every change; the compare-and-set token.
    pub version: u64,
}

/// What an operator asks of an endpoint.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct WebhookPatch {
    /// A new URL.
    pub url: Option<WebhookUrl>,
    /// New events.
    pub events: Option<EventFilter>,
    /// A new description (`Some(None)` clears it).
    pub description: Option<Option<Notes>>,
    /// Enable or disable.
    pub enabled: Option<bool>,
}

/// What a move did, for the audit log.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum WebhookAction {
    /// Created, waiting for a second admin.
    Requested,
    /// Created and sending.
    Created,
    /// A pending creation or change approved.
    Approved,
    /// A change of URL, events or enablement waits for a second admin.
    ChangeRequested,
    /// Changed at once.
    Changed,
    /// Disabled (by an operator, or by keygate after three days of failures).
    Disabled,
    /// Deleted.
    Deleted,
    /// A new signing secret; the old one signs alongside for 24 hours.
    SecretRotated,
}

impl WebhookAction {
    /// Every action.
    pub const ALL: [Self; 8] = [
        Self::Requested,
        Self::Created,
        Self::Approved,
        Self::ChangeRequested,
        Self::Changed,
        Self::Disabled,
        Self::Deleted,
        Self::SecretRotated,
    ];

    /// The action's name in the audit log.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Requested => "webhook.requested",
            Self::Created => "webhook.created",
            Self::Approved => "webhook.approved",
            Self::ChangeRequested => "webhook.change_requested",
            Self::Changed => "webhook.changed",
            Self::Disabled => "webhook.disabled",
            Self::Deleted => "webhook.deleted",
            Self::SecretRotated => "webhook.secret_rotated",
        }
    }

    /// Parses the name back.
    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|a| a.as_str() == text)
    }
}

/// Why a move was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WebhookError {
    /// Only admins manage endpoints.
    #[error("the admin role is required")]
    MissingRole,
    /// The approver is the person who asked.
    #[error("a request cannot be approved by the person who made it")]
    SelfApproval,
    /// Nothing waits for approval.
    #[error("nothing is waiting for approval")]
    NothingPending,
    /// A change already waits: approve it, or delete the endpoint, first (replacing it would let its
    /// asker swap what a second admin is about to approve).
    #[error("a change is already waiting for approval")]
    AlreadyPending,
}

/// A new endpoint's fields.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewWebhook {
    /// Its id (drawn by the caller).
    pub id: WebhookId,
    /// Its tenant.
    pub tenant: TenantId,
    /// Where.
    pub url: WebhookUrl,
    /// Which events.
    pub events: EventFilter,
    /// Free text.
    pub description: Option<Notes>,
}

fn admin(actor: &Actor) -> Result<(), WebhookError> {
    if actor.roles.has(Role::Admin) {
        Ok(())
    } else {
        Err(WebhookError::MissingRole)
    }
}

impl Webhook {
    /// A new endpoint: sending at once without dual control, else waiting for a second admin.
    pub fn create(
        new: NewWebhook,
        actor: &Actor,
        dual_control: bool,
        now: DateTime<Utc>,
    ) -> Result<(Self, WebhookAction), WebhookError> {
        admin(actor)?;
        let (status, action) = if dual_control {
            (WebhookStatus::PendingApproval, WebhookAction::Requested)
        } else {
            (WebhookStatus::Active, WebhookAction::Created)
        };
        let hook = Self {
            id: new.id,
            tenant: new.tenant,
            url: new.url,
            events: new.events,
            description: new.description,
            status,
            created_by: actor.id,
            created_for: actor.principal,
            pending: None,
            failing_since: None,
            created_at: now,
            updated_at: now,
            version: 1,
        };
        Ok((hook, action))
    }

    /// Whether events are delivered to it now.
    pub fn sends(&self) -> bool {
        self.status == WebhookStatus::Active
    }

    /// Applies a patch: a description and a disable at once; a URL, events or enable at once without
    /// dual control, else as a pending change (or, for an endpoint still waiting to be created, as a
    /// reshaped creation that its new asker cannot approve).
    pub fn patch(
        &self,
        patch: WebhookPatch,
        actor: &Actor,
        dual_control: bool,
        now: DateTime<Utc>,
    ) -> Result<(Self, WebhookAction), WebhookError> {
        admin(actor)?;
        let mut next = self.clone();
        if let Some(description) = patch.description {
            next.description = description;
        }
        let url = patch.url.filter(|u| *u != self.url);
        let events = patch.events.filter(|e| *e != self.events);
        let enable = patch.enabled == Some(true) && matches!(self.status, WebhookStatus::Disabled(_));
        let reshaped = url.is_some() || events.is_some() || enable;
        let mut action = WebhookAction::Changed;
        if patch.enabled == Some(false) {
            // Disabling narrows: at once, whatever else waits.
            if self.status == WebhookStatus::Active {
                next.status = WebhookStatus::Disabled(DisabledBy::Operator);
                action = WebhookAction::Disabled;
            }
        } else if reshaped {
            if !dual_control {
                next.url = url.unwrap_or(next.url);
                next.events = events.unwrap_or(next.events);
                if enable {
                    next.status = WebhookStatus::Active;
                    next.failing_since = None;
                }
            } else if self.status == WebhookStatus::PendingApproval {
                next.url = url.unwrap_or(next.url);
                next.events = events.unwrap_or(next.events);
                next.created_by = actor.id;
                next.created_for = actor.principal;
                action = WebhookAction::Requested;
            } else if self.pending.is_some() {
                return Err(WebhookError::AlreadyPending);
            } else {
                next.pending = Some(WebhookChange {
                    url: url.unwrap_or_else(|| self.url.clone()),
                    events: events.unwrap_or_else(|| self.events.clone()),
                    enable,
                    requested_by: actor.id,
                    requested_for: actor.principal,
                    requested_at: now,
                });
                action = WebhookAction::ChangeRequested;
            }
        }
        next.updated_at = now;
        next.version += 1;
        Ok((next, action))
    }

    /// Approves the pending creation or change: an admin who is not the person who asked.
    pub fn approve(&self, actor: &Actor, now: DateTime<Utc>) -> Result<Self, WebhookError> {
        admin(actor)?;
        let mut next = self.clone();
        if self.status == WebhookStatus::PendingApproval {
            if actor.is_any_of(&[self.created_by, self.created_for]) {
                return Err(WebhookError::SelfApproval);
            }
            next.status = WebhookStatus::Active;
        } else {
            let change = self.pending.as_ref().ok_or(WebhookError::NothingPending)?;
            if actor.is_any_of(&[change.requested_by, change.requested_for]) {
                return Err(WebhookError::SelfApproval);
            }
            next.url = change.url.clone();
            next.events = change.events.clone();
            if change.enable {
                next.status = WebhookStatus::Active;
                next.failing_since = None;
            }
            next.pending = None;
        }
        next.updated_at = now;
        next.version += 1;
        Ok(next)
    }

    /// Disabled by keygate: every attempt failed since `failing_since`.
    #[must_use]
    pub fn disable_for_failures(&self, now: DateTime<Utc>) -> Self {
        let mut next = self.clone();
        next.status = WebhookStatus::Disabled(DisabledBy::Failures);
        next.updated_at = now;
        next.version += 1;
        next
    }
}
