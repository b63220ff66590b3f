//! Webhooks: the events keygate announces to a tenant's endpoints, which audit action each comes
//! from, the endpoint's URL and lifecycle under dual control, and the request-forgery address guard.
//!
//! Pure like the rest of the crate: it resolves no name, sends nothing, holds no secret.

mod address;
mod endpoint;
mod event;
mod lead;
#[cfg(test)]
mod tests;
mod url;

pub use address::is_private;
pub use endpoint::{
    DisabledBy, NewWebhook, Webhook, WebhookAction, WebhookChange, WebhookError, WebhookPatch, WebhookStatus,
};
pub use event::{EventFilter, EventFilterError, EventType};
pub use lead::{ExpiryLead, ExpiryLeadError};
pub use url::{WebhookUrl, WebhookUrlError, MAX_URL_BYTES};
