//! Notices: events that come from no audit entry and are announced at most once per key and occasion
//! (an expiry coming, an expiry passed, a volume threshold crossed in one window), whatever the
//! backend and however many processes look at once.
//!
//! It must never decide alone that a notice is new: the store does, writing the notice's unique row
//! in the same transaction as its event (`WebhookStore::announce_once`), so a second writer writes
//! neither.

use chrono::{DateTime, SecondsFormat, Utc};
use keygate_domain::webhook::EventType;
use keygate_domain::{ActorId, Currency, KeyId, PerWindow, TenantId, Window};
use rust_decimal::Decimal;

use crate::model::NewSpend;
use crate::webhook_model::OutboxEvent;

/// The percentages of a volume limit whose crossing is announced.
pub const THRESHOLDS: [u32; 2] = [80, 100];

/// A key whose expiry is near or past and not yet announced (`key.expiring` or `key.expired`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExpiryDue {
    /// Its tenant.
    pub tenant: TenantId,
    /// The key.
    pub key: KeyId,
    /// When it expires (or expired).
    pub expires_at: DateTime<Utc>,
    /// `key.expiring` or `key.expired`.
    pub event_type: EventType,
}

impl ExpiryDue {
    /// The notice's name: once per key and event.
    pub fn notice(&self) -> &'static str {
        self.event_type.as_str()
    }

    /// The event announcing it at `now`, by the system, its details naming the expiry.
    pub fn event(&self, now: DateTime<Utc>) -> OutboxEvent {
        let mut event = OutboxEvent::new(&self.tenant, self.event_type, Some(self.key), ActorId::System, now);
        event.details = Some(
            serde_json::json!({"expires_at": self.expires_at.to_rfc3339_opts(SecondsFormat::Micros, true)}).to_string(),
        );
        event
    }
}

/// The thresholds spend `s` crossed, as (notice, event): for each window with a limit whose total went
/// from under a threshold to at or over it. `remaining` is what the charge left of each limit.
pub(crate) fn crossings(s: &NewSpend, remaining: &PerWindow<Option<Decimal>>) -> Vec<(String, OutboxEvent)> {
    let mut out = Vec::new();
    for window in Window::ALL {
        let (Some(limit), Some(left)) = (*s.limits.get(window), *remaining.get(window)) else { continue };
        let spent = limit - left;
        let before = spent - s.amount;
        for percent in THRESHOLDS {
            let mark = limit * Decimal::from(percent) / Decimal::from(100);
            if before < mark && spent >= mark {
                out.push((notice(s, window, percent), event(s, window, percent, limit, spent)));
            }
        }
    }
    out
}

/// `key.volume_threshold:{window}:{start}:{currency}:{percent}`: once per window, currency and threshold.
fn notice(s: &NewSpend, window: Window, percent: u32) -> String {
    let currency = s.currency.as_ref().map_or("", Currency::as_str);
    format!(
        "{}:{}:{}:{currency}:{percent}",
        EventType::KeyVolumeThreshold.as_str(),
        window.as_str(),
        s.starts.get(window)
    )
}

fn event(s: &NewSpend, window: Window, percent: u32, limit: Decimal, spent: Decimal) -> OutboxEvent {
    let mut event = OutboxEvent::new(&s.tenant, EventType::KeyVolumeThreshold, Some(s.key), ActorId::System, s.at);
    event.details = Some(
        serde_json::json!({
            "window": window.as_str(),
            "window_start": s.starts.get(window).to_string(),
            "currency": s.currency.as_ref().map(Currency::as_str),
            "threshold_percent": percent,
            "limit": limit.normalize().to_string(),
            "spent": spent.normalize().to_string(),
        })
        .to_string(),
    );
    event
}
