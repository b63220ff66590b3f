//! The delivery worker: claims due deliveries from the store under a lease, signs and sends each, and
//! reports how it ended (the retry's due time from the schedule, and a disable once an endpoint has
//! failed every attempt for three days).
//!
//! Several processes may run one each on a shared store: the claim gives each row to one lease, and
//! a row whose process stopped mid-attempt is claimed again once its lease lapses, so each event is
//! delivered once in the normal case and at least once always. It never holds back one event behind
//! another (each row is due on its own), and never logs a secret or a signature.

use std::sync::Arc;
use std::time::Duration;

use keygate_credential::{WebhookKey, WebhookSecret};
use keygate_domain::webhook::WebhookAction;
use keygate_domain::{ActorId, Clock};
use keygate_store::{AuditEntry, AuditKind, ClaimedDelivery, DeliveryReport, DeliveryStatus, KeyStore, StoreError};
use rand_core::{OsRng, RngCore};

use crate::payload;
use crate::schedule::RetrySchedule;
use crate::sender::Sender;

/// How the worker paces itself.
#[derive(Debug, Clone, Copy)]
pub struct WorkerOptions {
    /// How long it sleeps when nothing was due.
    pub poll: Duration,
    /// How long a claimed row is its own: longer than an attempt's time limit, so a live attempt is
    /// never claimed again, and short enough that a stopped process's rows are soon taken over.
    pub lease: Duration,
    /// Rows claimed at once (sent concurrently).
    pub batch: u32,
    /// When failures are tried again.
    pub schedule: RetrySchedule,
    /// How long an endpoint may fail every attempt before it is disabled.
    pub disable_after: chrono::Duration,
}

impl Default for WorkerOptions {
    fn default() -> Self {
        Self {
            poll: Duration::from_secs(1),
            lease: Duration::from_secs(60),
            batch: 16,
            schedule: RetrySchedule::default(),
            disable_after: chrono::Duration::days(3),
        }
    }
}

/// The worker.
#[derive(Clone)]
pub struct Worker {
    store: Arc<dyn KeyStore>,
    sender: Sender,
    key: WebhookKey,
    clock: Arc<dyn Clock>,
    options: WorkerOptions,
}

impl std::fmt::Debug for Worker {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Worker").field("options", &self.options).finish_non_exhaustive()
    }
}

impl Worker {
    /// A worker over `store`, opening secrets with `key`.
    pub fn new(
        store: Arc<dyn KeyStore>,
        sender: Sender,
        key: WebhookKey,
        clock: Arc<dyn Clock>,
        options: WorkerOptions,
    ) -> Self {
        Self { store, sender, key, clock, options }
    }

    /// Delivers until `stop` resolves; a store outage is logged and waited out.
    pub async fn run(self, stop: impl std::future::Future<Output = ()>) {
        tokio::pin!(stop);
        loop {
            let pause = match self.tick().await {
                Ok(0) => self.options.poll,
                Ok(_) => Duration::ZERO,
                Err(error) => {
                    tracing::warn!(%error, "webhook delivery could not reach the store");
                    self.options.poll.max(Duration::from_secs(1))
                }
            };
            tokio::select! {
                () = &mut stop => return,
                () = tokio::time::sleep(pause) => {}
            }
        }
    }

    /// Claims one batch of due deliveries and sends them; answers how many it claimed.
    pub async fn tick(&self) -> Result<usize, StoreError> {
        let now = self.clock.now();
        let lease_until = now + chrono::Duration::from_std(self.options.lease).unwrap_or(chrono::Duration::minutes(1));
        let token = lease_token();
        let claimed = self.store.claim_deliveries(now, lease_until, &token, self.options.batch).await?;
        let count = claimed.len();
        let attempts = claimed.into_iter().map(|c| self.deliver(c, &token));
        for result in futures_util::future::join_all(attempts).await {
            result?;
        }
        Ok(count)
    }

    async fn deliver(&self, claimed: ClaimedDelivery, token: &str) -> Result<(), StoreError> {
        let ClaimedDelivery { delivery, event, webhook: record } = claimed;
        let hook = &record.webhook;
        let context = hook.id.to_string();
        let now = self.clock.now();
        let mut signatures = Vec::new();
        let mut secrets: Vec<&[u8]> = vec![&record.secret.0];
        if let Some((previous, until)) = &record.previous_secret {
            if *until > now {
                secrets.push(&previous.0);
            }
        }
        let body = payload::body(&event);
        let timestamp = now.timestamp();
        let opened: Result<Vec<WebhookSecret>, _> =
            secrets.iter().map(|sealed| self.key.open(sealed, context.as_bytes())).collect();
        let (outcome, elapsed) = match opened {
            Ok(opened) => {
                for secret in &opened {
                    signatures.push(secret.sign(&event.id, timestamp, &body));
                }
                let headers = [
                    ("webhook-id", event.id.clone()),
                    ("webhook-timestamp", timestamp.to_string()),
                    ("webhook-signature", signatures.join(" ")),
                ];
                let (outcome, elapsed) = self.sender.send(&hook.url, &headers, body).await;
                (outcome.map_err(|e| e.to_string()), elapsed)
            }
            Err(error) => (Err(error.to_string()), Duration::ZERO),
        };
        let at = self.clock.now();
        let (status, response_status, response_body, error) = match outcome {
            Ok(answer) if (200..300).contains(&answer.status) => {
                (DeliveryStatus::Delivered, Some(answer.status), Some(answer.body), None)
            }
            Ok(answer) => (DeliveryStatus::Failed, Some(answer.status), Some(answer.body), None),
            Err(error) => (DeliveryStatus::Failed, None, None, Some(error)),
        };
        let failed = status == DeliveryStatus::Failed;
        let retry_at = if failed { self.options.schedule.retry_at(delivery.attempt, at) } else { None };
        let failing_since = hook.failing_since.unwrap_or(at);
        let disable = (failed && hook.sends() && at - failing_since >= self.options.disable_after).then(|| {
            let next = hook.disable_for_failures(at);
            let entry = AuditEntry {
                details: Some(
                    serde_json::json!({
                        "webhook_id": context,
                        "failing_since": failing_since.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
                    })
                    .to_string(),
                ),
                ..AuditEntry::new(&hook.tenant, None, ActorId::System, AuditKind::Webhook(WebhookAction::Disabled), at)
            };
            (next, entry)
        });
        metrics::counter!("keygate_webhook_attempts_total", "status" => status.as_str()).increment(1);
        let report = DeliveryReport {
            delivery_id: delivery.id,
            tenant: hook.tenant.clone(),
            lease_token: token.to_owned(),
            status,
            response_status,
            response_body,
            latency_ms: u64::try_from(elapsed.as_millis()).unwrap_or(u64::MAX),
            error,
            retry_at,
            at,
            disable,
        };
        if !self.store.finish_delivery(&report).await? {
            tracing::warn!(delivery = %report.delivery_id, "webhook attempt ended after its lease was taken over");
        }
        Ok(())
    }
}

/// A fresh lease token (128 bits from the OS RNG): a report is accepted only under the lease it was
/// claimed with.
fn lease_token() -> String {
    let mut bytes = [0u8; 16];
    OsRng.fill_bytes(&mut bytes);
    format!("{:032x}", u128::from_be_bytes(bytes))
}
