//! What a verification returns.

use std::net::IpAddr;

use chrono::{DateTime, NaiveDate, Utc};
use keygate_domain::{AccountId, Environment, KeyId, ScopeSet, SpendId, TenantId};
use keygate_policy::{Denial, Money};
use rust_decimal::Decimal;

/// A key that may do what was asked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verified {
    /// The key.
    pub key_id: KeyId,
    /// Its tenant.
    pub tenant: TenantId,
    /// The account inside the tenant it is bound to (`None`: a key of the whole tenant).
    pub account: Option<AccountId>,
    /// Its environment.
    pub environment: Environment,
    /// The platform's id for its owner, and its metadata: whom the key belongs to, with no second look-up.
    pub owner: keygate_domain::Owner,
    /// Its scopes.
    pub scopes: ScopeSet,
    /// When it expires (`None`: never).
    pub expires_at: Option<DateTime<Utc>>,
    /// What remains of today's volume after this request's spend, when the key has a daily volume for
    /// the currency and an amount was spent.
    pub remaining_daily_volume: Option<Decimal>,
    /// What remains of this ISO week's volume, likewise.
    pub remaining_weekly_volume: Option<Decimal>,
    /// What remains of this month's volume, likewise.
    pub remaining_monthly_volume: Option<Decimal>,
    /// The amount spent by this verification (to give back with [`crate::Verifier::release`] if the
    /// operation then fails).
    pub spent: Option<Money>,
    /// The local date (in the tenant's zone) of the day the amount was spent on; a release gives it back
    /// to that day, week and month, even after they closed (where it then changes nothing new).
    pub spent_on: Option<NaiveDate>,
    /// The client address the verification was made for (a later `charge` is held to it too).
    pub client_ip: Option<IpAddr>,
    /// The recorded spend, when an amount was spent: give it back with [`crate::Verifier::release`].
    pub spend: Option<SpendId>,
}

/// Why a verification did not allow.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum VerifyError {
    /// The key may not do this; the denial says why and which status to answer.
    #[error(transparent)]
    Denied(#[from] Denial),
    /// The store could not answer, so nothing was allowed (answer 503).
    #[error("the key store is unavailable")]
    Unavailable,
    /// The idempotency key was used in the last 24 hours for a request that asked something else;
    /// nothing was spent (answer 409).
    #[error("this idempotency key was used for a different request")]
    IdempotencyMismatch,
}

impl VerifyError {
    /// The HTTP status a service should answer.
    pub fn status(&self) -> u16 {
        match self {
            Self::Denied(denial) => denial.status(),
            Self::Unavailable => 503,
            Self::IdempotencyMismatch => 409,
        }
    }

    /// The stable code (`REVOKED`, ..., or `STORE_UNAVAILABLE`).
    pub fn code(&self) -> &'static str {
        match self {
            Self::Denied(denial) => denial.code().as_str(),
            Self::Unavailable => "STORE_UNAVAILABLE",
            Self::IdempotencyMismatch => "IDEMPOTENCY_MISMATCH",
        }
    }
}
