//! One verification as a [`RequestLine`]: ids from the [`Subject`], what was asked from the request
//! context, and the outcome's code and status.
//!
//! It must never take anything from the presented token: the token is not even an argument.

use std::borrow::Cow;
use std::time::Duration;

use chrono::{DateTime, Utc};
use keygate_domain::{RequestId, ServiceId};
use keygate_policy::RequestContext;
use keygate_store::RequestLine;

use crate::outcome::{Verified, VerifyError};
use crate::verifier::Subject;

/// The line of one verification of `subject`'s key.
pub(super) fn build(
    id: RequestId,
    at: DateTime<Utc>,
    subject: &Subject,
    ctx: &RequestContext,
    outcome: &Result<Verified, VerifyError>,
    latency: Duration,
    service: Option<ServiceId>,
) -> RequestLine {
    let (code, status) = match outcome {
        Ok(_) => ("OK", 200),
        Err(error) => (error.code(), error.status()),
    };
    RequestLine {
        id,
        tenant: subject.tenant.clone(),
        key: subject.key,
        environment: subject.environment,
        account: subject.account.clone(),
        at,
        outcome: Cow::Borrowed(code),
        status,
        client_ip: ctx.client_ip,
        required_scopes: ctx.required_scopes.clone(),
        amount: ctx.amount.map(|money| money.amount.value()),
        currency: ctx.amount.and_then(|money| money.currency),
        spend: outcome.as_ref().ok().and_then(|verified| verified.spend),
        service,
        latency_us: u64::try_from(latency.as_micros()).unwrap_or(u64::MAX),
    }
}
