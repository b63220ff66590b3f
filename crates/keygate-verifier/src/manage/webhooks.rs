//! Webhook endpoints: registered, changed, approved, disabled, deleted, their secret rotated, a test
//! event sent, and their delivery log read and redelivered. Admins manage them; admins and auditors
//! read them.
//!
//! A URL is checked when it is written (scheme, and every address its host resolves to: no loopback,
//! private, link-local or multicast address unless the installation allows them); the delivery checks
//! it again at every attempt and connects only to the address it checked. The signing secret is drawn
//! here from the OS RNG, shown once, and stored only sealed under the installation's webhook key;
//! without that key no endpoint can be registered. This module never logs a secret.

use keygate_credential::{WebhookKey, WebhookSecret};
use keygate_domain::webhook::{
    is_private, EventFilter, EventType, NewWebhook, Webhook, WebhookAction, WebhookError, WebhookPatch, WebhookUrl,
};
use keygate_domain::{Notes, TenantId, WebhookId};
use keygate_store::{
    AuditKind, Delivery, DeliveryCursor, DeliveryStatus, OutboxEvent, Page, SealedSecret, WebhookRecord,
};
use rand_core::{OsRng, RngCore};
use zeroize::Zeroizing;

use super::{Caller, ManageError, Management, Permission};

/// How long a rotated-out secret keeps signing alongside the new one.
pub const SECRET_OVERLAP: chrono::Duration = chrono::Duration::hours(24);

/// The installation's webhook settings (`KEYGATE_WEBHOOK_*`).
#[derive(Debug, Clone, Default)]
pub struct WebhookSettings {
    /// The key sealing signing secrets; without it, no endpoint can be registered.
    pub key: Option<WebhookKey>,
    /// Whether `http` URLs are accepted (tests and local development).
    pub allow_http: bool,
    /// Whether hosts resolving to private addresses are accepted (tests and local development).
    pub allow_private: bool,
}

/// What a new endpoint asks for, as received.
#[derive(Debug, Clone)]
pub struct WebhookSpec {
    /// Its URL, as written.
    pub url: String,
    /// Event names, or `"*"`.
    pub events: Vec<String>,
    /// Free text.
    pub description: Option<Notes>,
}

/// A change of an endpoint, as received.
#[derive(Debug, Clone, Default)]
pub struct WebhookPatchSpec {
    /// A new URL.
    pub url: Option<String>,
    /// New events.
    pub events: Option<Vec<String>>,
    /// A new description (`Some(None)` clears it).
    pub description: Option<Option<Notes>>,
    /// Enable or disable.
    pub enabled: Option<bool>,
}

fn webhook_error(e: WebhookError) -> ManageError {
    match e {
        WebhookError::MissingRole => ManageError::Forbidden("the admin role is required"),
        WebhookError::SelfApproval => ManageError::SelfApproval,
        WebhookError::NothingPending => ManageError::InvalidState("nothing is waiting for approval"),
        WebhookError::AlreadyPending => {
            ManageError::InvalidState("a change is already waiting for approval: approve it or delete the webhook")
        }
    }
}

fn parse_events(names: &[String]) -> Result<EventFilter, ManageError> {
    EventFilter::parse(names.iter().map(String::as_str)).map_err(|e| ManageError::invalid("events", e))
}

impl Management {
    /// The installation's webhook settings.
    #[must_use]
    pub fn with_webhooks(mut self, settings: WebhookSettings) -> Self {
        self.webhooks = settings;
        self
    }

    fn webhook_key(&self) -> Result<&WebhookKey, ManageError> {
        self.webhooks.key.as_ref().ok_or_else(|| {
            ManageError::invalid("KEYGATE_WEBHOOK_KEY", "is not set: this installation cannot register webhooks")
        })
    }

    /// Parses a URL and checks every address its host resolves to.
    async fn checked_url(&self, text: &str) -> Result<WebhookUrl, ManageError> {
        let url = WebhookUrl::parse(text, self.webhooks.allow_http).map_err(|e| ManageError::invalid("url", e))?;
        if self.webhooks.allow_private {
            return Ok(url);
        }
        let addresses: Vec<std::net::IpAddr> = match url.ip() {
            Some(ip) => vec![ip],
            None => tokio::net::lookup_host((url.host(), url.port()))
                .await
                .map_err(|_| ManageError::invalid("url", "the host does not resolve"))?
                .map(|a| a.ip())
                .collect(),
        };
        if addresses.is_empty() {
            return Err(ManageError::invalid("url", "the host does not resolve"));
        }
        if addresses.into_iter().any(is_private) {
            return Err(ManageError::invalid(
                "url",
                "the host resolves to a loopback, private, link-local or multicast address",
            ));
        }
        Ok(url)
    }

    /// Registers an endpoint (admin): sending at once, or under dual control waiting for another admin.
    /// Answers it and its signing secret (`whsec_…`), shown this once.
    pub async fn create_webhook(
        &self,
        caller: &Caller,
        tenant: &TenantId,
        spec: WebhookSpec,
    ) -> Result<(WebhookRecord, Zeroizing<String>), ManageError> {
        let actor = caller.may(tenant, Permission::Administer)?;
        let key = self.webhook_key()?;
        let events = parse_events(&spec.events)?;
        let url = self.checked_url(&spec.url).await?;
        let policy = self.store().tenant(tenant).await?.policy;
        let mut id = [0u8; 16];
        OsRng.fill_bytes(&mut id);
        let new = NewWebhook {
            id: WebhookId::from_bytes(id),
            tenant: tenant.clone(),
            url,
            events,
            description: spec.description,
        };
        let (webhook, action) = Webhook::create(new, &actor, policy.dual_control, self.now()).map_err(webhook_error)?;
        let secret = WebhookSecret::generate();
        let sealed = SealedSecret(key.seal(&secret, webhook.id.to_string().as_bytes()));
        let record = WebhookRecord { webhook, secret: sealed, previous_secret: None };
        let entry = self.audit_with(tenant, actor.id, AuditKind::Webhook(action), Some(details(&record.webhook)));
        self.store().create_webhook(&record, &entry).await?;
        Ok((record, secret.render()))
    }

    /// A tenant's endpoints (admin or auditor).
    pub async fn webhooks(&self, caller: &Caller, tenant: &TenantId) -> Result<Vec<WebhookRecord>, ManageError> {
        caller.may(tenant, Permission::Oversee)?;
        self.store().tenant(tenant).await?;
        Ok(self.store().webhooks(tenant).await?)
    }

    /// An endpoint (admin or auditor).
    pub async fn webhook(
        &self,
        caller: &Caller,
        tenant: &TenantId,
        id: WebhookId,
    ) -> Result<WebhookRecord, ManageError> {
        caller.may(tenant, Permission::Oversee)?;
        Ok(self.store().webhook(tenant, id).await?)
    }

    /// Changes an endpoint (admin): a description or a disable at once; a URL, events or an enable at
    /// once without dual control, else waiting for another admin.
    pub async fn update_webhook(
        &self,
        caller: &Caller,
        tenant: &TenantId,
        id: WebhookId,
        spec: WebhookPatchSpec,
    ) -> Result<WebhookRecord, ManageError> {
        let actor = caller.may(tenant, Permission::Administer)?;
        let events = spec.events.as_deref().map(parse_events).transpose()?;
        let url = match spec.url.as_deref() {
            Some(text) => Some(self.checked_url(text).await?),
            None => None,
        };
        let policy = self.store().tenant(tenant).await?.policy;
        let current = self.store().webhook(tenant, id).await?;
        let patch = WebhookPatch { url, events, description: spec.description, enabled: spec.enabled };
        let (webhook, action) =
            current.webhook.patch(patch, &actor, policy.dual_control, self.now()).map_err(webhook_error)?;
        self.save_webhook(&current, WebhookRecord { webhook, ..current.clone() }, actor.id, action).await
    }

    /// Approves an endpoint's pending creation or change (an admin who is not the one who asked).
    pub async fn approve_webhook(
        &self,
        caller: &Caller,
        tenant: &TenantId,
        id: WebhookId,
    ) -> Result<WebhookRecord, ManageError> {
        let actor = caller.may(tenant, Permission::Administer)?;
        let current = self.store().webhook(tenant, id).await?;
        let webhook = current.webhook.approve(&actor, self.now()).map_err(webhook_error)?;
        self.save_webhook(&current, WebhookRecord { webhook, ..current.clone() }, actor.id, WebhookAction::Approved)
            .await
    }

    /// Deletes an endpoint and its delivery log (admin), at once.
    pub async fn delete_webhook(&self, caller: &Caller, tenant: &TenantId, id: WebhookId) -> Result<(), ManageError> {
        let actor = caller.may(tenant, Permission::Administer)?;
        let current = self.store().webhook(tenant, id).await?;
        let entry = self.audit_with(
            tenant,
            actor.id,
            AuditKind::Webhook(WebhookAction::Deleted),
            Some(details(&current.webhook)),
        );
        Ok(self.store().delete_webhook(tenant, id, &entry).await?)
    }

    /// Gives an endpoint a new signing secret (admin), shown this once; the old one keeps signing
    /// alongside for 24 hours, so receivers can switch without losing an event.
    pub async fn rotate_webhook_secret(
        &self,
        caller: &Caller,
        tenant: &TenantId,
        id: WebhookId,
    ) -> Result<(WebhookRecord, Zeroizing<String>), ManageError> {
        let actor = caller.may(tenant, Permission::Administer)?;
        let key = self.webhook_key()?;
        let current = self.store().webhook(tenant, id).await?;
        let now = self.now();
        let secret = WebhookSecret::generate();
        let mut next = current.clone();
        next.secret = SealedSecret(key.seal(&secret, id.to_string().as_bytes()));
        next.previous_secret = Some((current.secret.clone(), now + SECRET_OVERLAP));
        next.webhook.updated_at = now;
        next.webhook.version += 1;
        let saved = self.save_webhook(&current, next, actor.id, WebhookAction::SecretRotated).await?;
        Ok((saved, secret.render()))
    }

    /// Sends a `webhook.test` event to one endpoint (admin); it must be sending.
    pub async fn test_webhook(
        &self,
        caller: &Caller,
        tenant: &TenantId,
        id: WebhookId,
    ) -> Result<Delivery, ManageError> {
        let actor = caller.may(tenant, Permission::Administer)?;
        let current = self.store().webhook(tenant, id).await?;
        if !current.webhook.sends() {
            return Err(ManageError::InvalidState("the webhook is not active: approve or enable it first"));
        }
        let mut event = OutboxEvent::new(tenant, EventType::WebhookTest, None, actor.id, self.now());
        event.details = Some(serde_json::json!({ "webhook_id": id.to_string() }).to_string());
        Ok(self.store().enqueue_event(&event, id).await?)
    }

    /// An endpoint's delivery log, newest first (admin or auditor).
    pub async fn webhook_deliveries(
        &self,
        caller: &Caller,
        tenant: &TenantId,
        id: WebhookId,
        status: Option<DeliveryStatus>,
        cursor: Option<DeliveryCursor>,
        limit: u32,
    ) -> Result<Page<Delivery, DeliveryCursor>, ManageError> {
        caller.may(tenant, Permission::Oversee)?;
        Ok(self.store().deliveries(tenant, id, status, cursor, limit).await?)
    }

    /// Queues a delivery's event again, with the same `webhook-id` (admin).
    pub async fn redeliver(
        &self,
        caller: &Caller,
        tenant: &TenantId,
        id: WebhookId,
        delivery: &str,
    ) -> Result<Delivery, ManageError> {
        caller.may(tenant, Permission::Administer)?;
        Ok(self.store().redeliver(tenant, id, delivery, self.now()).await?)
    }

    async fn save_webhook(
        &self,
        current: &WebhookRecord,
        next: WebhookRecord,
        actor: keygate_domain::ActorId,
        action: WebhookAction,
    ) -> Result<WebhookRecord, ManageError> {
        let entry =
            self.audit_with(&next.webhook.tenant, actor, AuditKind::Webhook(action), Some(details(&next.webhook)));
        self.store().update_webhook(&next, current.webhook.version, &entry).await?;
        Ok(next)
    }
}

/// `{"webhook_id", "url", "events", "status", "pending"}`: what an endpoint move left, for the audit log
/// (never its secret).
fn details(w: &Webhook) -> String {
    serde_json::json!({
        "webhook_id": w.id.to_string(),
        "url": w.url.as_str(),
        "events": w.events.names(),
        "status": w.status.as_str(),
        "pending": w.pending.as_ref().map(|p| serde_json::json!({
            "url": p.url.as_str(),
            "events": p.events.names(),
            "enable": p.enable,
        })),
    })
    .to_string()
}
