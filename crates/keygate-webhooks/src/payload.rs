//! The JSON body of an event: `{"type", "timestamp", "data": {"tenant_id", "key_id", "actor", "state",
//! "sequence", ...}}`, built from the outbox's event alone, so every attempt of one event sends the
//! same bytes.
//!
//! It never adds a secret, a token or a hash: the outbox holds none (an audit entry's details never
//! do, and the rest are ids, names and states).

use keygate_store::OutboxEvent;
use serde_json::{json, Value};

/// The body sent for `event`.
pub fn body(event: &OutboxEvent) -> Vec<u8> {
    let details =
        event.details.as_deref().and_then(|text| serde_json::from_str::<Value>(text).ok()).unwrap_or(Value::Null);
    let data = json!({
        "event_id": event.id,
        "tenant_id": event.tenant.as_str(),
        "key_id": event.key.map(|k| k.to_string()),
        "actor": event.actor.to_string(),
        "state": event.state.map(keygate_domain::KeyState::as_str),
        "sequence": event.sequence,
        "action": event.action,
        "audit_seq": event.audit_seq,
        "reason": event.reason,
        "details": details,
    });
    let body = json!({
        "type": event.event_type.as_str(),
        "timestamp": event.at.to_rfc3339_opts(chrono::SecondsFormat::Micros, true),
        "data": data,
    });
    body.to_string().into_bytes()
}
