//! When a key stops working. Expiry is not a stored state: a key is expired when `now >= expires_at`.

use chrono::{DateTime, Duration, Utc};

/// A key's expiry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Expiry {
    /// The key never expires (only where the tenant's policy allows it).
    Never,
    /// The key stops working at this instant.
    At(DateTime<Utc>),
}

impl Expiry {
    /// Whether the key is expired at `now`.
    pub fn is_expired(self, now: DateTime<Utc>) -> bool {
        matches!(self, Self::At(at) if now >= at)
    }

    /// The instant, if any.
    pub fn at(self) -> Option<DateTime<Utc>> {
        match self {
            Self::Never => None,
            Self::At(at) => Some(at),
        }
    }

    /// The earlier of the two.
    #[must_use]
    pub fn min(self, other: Self) -> Self {
        match (self, other) {
            (Self::Never, x) | (x, Self::Never) => x,
            (Self::At(a), Self::At(b)) => Self::At(a.min(b)),
        }
    }
}

/// What the maker asked for; resolved against the tenant's policy by
/// [`crate::TenantPolicy::resolve_expiry`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExpiryRequest {
    /// Nothing said: [`ExpiryRequest::DEFAULT_DAYS`] days, shortened to the tenant's cap.
    Default,
    /// A number of days from now.
    InDays(u32),
    /// A given instant.
    At(DateTime<Utc>),
    /// At most this many seconds from now, shortened to the tenant's cap rather than refused: a
    /// rotation successor's lifetime (see [`crate::Key::successor_expiry`]).
    AtMostSeconds(u64),
    /// Never expires.
    Never,
}

impl ExpiryRequest {
    /// The default lifetime of a new key, as in the seeds ("Expires In ... default: 365").
    pub const DEFAULT_DAYS: u32 = 365;
    /// The longest lifetime anyone may ask for in days (ten years).
    pub const MAX_DAYS: u32 = 3650;
}

/// An expiry request broke a rule.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ExpiryError {
    /// The tenant requires every key to expire.
    #[error("this tenant does not allow keys that never expire")]
    NeverNotAllowed,
    /// The instant is not in the future.
    #[error("expiry must be in the future")]
    InThePast,
    /// Longer than the tenant (or keygate) allows.
    #[error("expiry must be within {max_days} days")]
    TooLong {
        /// The cap in days.
        max_days: u32,
    },
    /// Zero days.
    #[error("expires_in_days must be at least 1")]
    ZeroDays,
}

pub(crate) fn resolve(
    request: ExpiryRequest,
    allow_never: bool,
    cap_days: Option<u32>,
    now: DateTime<Utc>,
) -> Result<Expiry, ExpiryError> {
    let max_days = cap_days.unwrap_or(ExpiryRequest::MAX_DAYS).min(ExpiryRequest::MAX_DAYS);
    let latest = now + Duration::days(i64::from(max_days));
    match request {
        ExpiryRequest::Never if allow_never => Ok(Expiry::Never),
        ExpiryRequest::Never => Err(ExpiryError::NeverNotAllowed),
        ExpiryRequest::Default => {
            Ok(Expiry::At(now + Duration::days(i64::from(ExpiryRequest::DEFAULT_DAYS.min(max_days)))))
        }
        ExpiryRequest::InDays(0) => Err(ExpiryError::ZeroDays),
        ExpiryRequest::InDays(days) if days > max_days => Err(ExpiryError::TooLong { max_days }),
        ExpiryRequest::InDays(days) => Ok(Expiry::At(now + Duration::days(i64::from(days)))),
        // Zero seconds from now is not the future.
        ExpiryRequest::AtMostSeconds(0) => Err(ExpiryError::InThePast),
        ExpiryRequest::AtMostSeconds(seconds) => {
            // Clamp before adding, so no request can overflow the instant.
            let cap = u64::from(max_days) * 86_400;
            let seconds = i64::try_from(seconds.min(cap)).unwrap_or(i64::MAX / 1000);
            Ok(Expiry::At(now + Duration::seconds(seconds)))
        }
        ExpiryRequest::At(at) if at <= now => Err(ExpiryError::InThePast),
        ExpiryRequest::At(at) if at > latest => Err(ExpiryError::TooLong { max_days }),
        ExpiryRequest::At(at) => Ok(Expiry::At(at)),
    }
}
