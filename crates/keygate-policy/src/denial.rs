//! Why a request was refused: [`DenialCode`], the stable table of reasons with their HTTP status and
//! title, and [`Denial`], one reason with the details a caller can act on. Every refusal keygate gives
//! has one home here, whoever produces it. A denial must never carry a secret or internal error text.

use std::fmt;
use std::str::FromStr;

use keygate_domain::{Amount, Currency, CurrencyClass, Scope, Window};
use rust_decimal::Decimal;

/// The stable name of a denial reason, as services, logs and documentation show it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DenialCode {
    /// The credential did not parse.
    Malformed,
    /// No key matches the credential (unknown id and wrong secret answer the same).
    NotFound,
    /// The key waits for a checker's approval.
    PendingApproval,
    /// A checker refused the key.
    Rejected,
    /// The key is revoked.
    Revoked,
    /// The key is suspended: stopped at once by one person, until a resume is approved.
    Suspended,
    /// The key is past its expiry.
    Expired,
    /// The key belongs to another tenant.
    WrongTenant,
    /// The key is bound to another account of its tenant.
    WrongAccount,
    /// The key belongs to another environment.
    WrongEnvironment,
    /// The key lacks a required scope.
    InsufficientScope,
    /// The client address is outside the key's allow list, or unknown.
    IpNotAllowed,
    /// The amount exceeds the key's per-operation maximum.
    AmountOverLimit,
    /// The amount's currency is not in the currency table.
    UnknownCurrency,
    /// The amount has more decimals than its currency's scale.
    AmountPrecision,
    /// The amount is not in the key's currency.
    CurrencyMismatch,
    /// The key's daily volume would be exceeded.
    DailyVolumeExceeded,
    /// 429: the key's weekly volume would be exceeded.
    WeeklyVolumeExceeded,
    /// 429: the key's monthly volume would be exceeded.
    MonthlyVolumeExceeded,
    /// A route that requires a signed request was sent a bearer key.
    SignatureRequired,
    /// The signature does not cover a required component or lacks a required parameter.
    SignatureIncomplete,
    /// The signature's `created` is too far from now (the tenant's skew), or it has `expires` in the past.
    StaleSignature,
    /// The body's digest is not the one `Content-Digest` states.
    DigestMismatch,
    /// The signature does not verify (also for an unknown `keyid` or an unsupported `alg`).
    BadSignature,
    /// The signature's nonce was already used with this key within the skew window.
    Replayed,
    /// 429: one of the key's request rate limits is used up for its current window.
    RateLimited,
}

impl DenialCode {
    /// Every code, in declaration order (see [`crate::check_order`] for the order of the checks).
    pub const ALL: [Self; 26] = [
        Self::Malformed,
        Self::NotFound,
        Self::PendingApproval,
        Self::Rejected,
        Self::Revoked,
        Self::Suspended,
        Self::Expired,
        Self::WrongTenant,
        Self::WrongAccount,
        Self::WrongEnvironment,
        Self::InsufficientScope,
        Self::IpNotAllowed,
        Self::AmountOverLimit,
        Self::UnknownCurrency,
        Self::AmountPrecision,
        Self::CurrencyMismatch,
        Self::DailyVolumeExceeded,
        Self::WeeklyVolumeExceeded,
        Self::MonthlyVolumeExceeded,
        Self::SignatureRequired,
        Self::SignatureIncomplete,
        Self::StaleSignature,
        Self::DigestMismatch,
        Self::BadSignature,
        Self::Replayed,
        Self::RateLimited,
    ];

    /// The code's stable text (`"REVOKED"`).
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Malformed => "MALFORMED",
            Self::NotFound => "NOT_FOUND",
            Self::PendingApproval => "PENDING_APPROVAL",
            Self::Rejected => "REJECTED",
            Self::Revoked => "REVOKED",
            Self::Suspended => "SUSPENDED",
            Self::Expired => "EXPIRED",
            Self::WrongTenant => "WRONG_TENANT",
            Self::WrongAccount => "WRONG_ACCOUNT",
            Self::WrongEnvironment => "WRONG_ENVIRONMENT",
            Self::InsufficientScope => "INSUFFICIENT_SCOPE",
            Self::IpNotAllowed => "IP_NOT_ALLOWED",
            Self::AmountOverLimit => "AMOUNT_OVER_LIMIT",
            Self::UnknownCurrency => "UNKNOWN_CURRENCY",
            Self::AmountPrecision => "AMOUNT_PRECISION",
            Self::CurrencyMismatch => "CURRENCY_MISMATCH",
            Self::DailyVolumeExceeded => "DAILY_VOLUME_EXCEEDED",
            Self::WeeklyVolumeExceeded => "WEEKLY_VOLUME_EXCEEDED",
            Self::MonthlyVolumeExceeded => "MONTHLY_VOLUME_EXCEEDED",
            Self::SignatureRequired => "SIGNATURE_REQUIRED",
            Self::SignatureIncomplete => "SIGNATURE_INCOMPLETE",
            Self::StaleSignature => "STALE_SIGNATURE",
            Self::DigestMismatch => "DIGEST_MISMATCH",
            Self::BadSignature => "BAD_SIGNATURE",
            Self::Replayed => "REPLAYED",
            Self::RateLimited => "RATE_LIMITED",
        }
    }

    /// The HTTP status: 401 when the credential does not authenticate, 403 when the key authenticates
    /// but may not do this, 400 when the amount itself is not money (an unknown currency, more decimals
    /// than the currency has), 429 when the key's daily volume is used up.
    pub const fn status(self) -> u16 {
        match self {
            Self::Malformed
            | Self::NotFound
            | Self::PendingApproval
            | Self::Rejected
            | Self::Revoked
            | Self::Suspended
            | Self::Expired
            | Self::SignatureRequired
            | Self::SignatureIncomplete
            | Self::StaleSignature
            | Self::DigestMismatch
            | Self::BadSignature
            | Self::Replayed => 401,
            Self::WrongTenant
            | Self::WrongAccount
            | Self::WrongEnvironment
            | Self::InsufficientScope
            | Self::IpNotAllowed
            | Self::AmountOverLimit
            | Self::CurrencyMismatch => 403,
            Self::UnknownCurrency | Self::AmountPrecision => 400,
            Self::DailyVolumeExceeded
            | Self::WeeklyVolumeExceeded
            | Self::MonthlyVolumeExceeded
            | Self::RateLimited => 429,
        }
    }

    /// A short human sentence, without a trailing period.
    pub const fn title(self) -> &'static str {
        match self {
            Self::Malformed => "The credential is malformed",
            Self::NotFound => "No key matches the credential",
            Self::PendingApproval => "The key is waiting for approval",
            Self::Rejected => "The key was rejected",
            Self::Revoked => "The key is revoked",
            Self::Suspended => "The key is suspended",
            Self::Expired => "The key is expired",
            Self::WrongTenant => "The key belongs to another tenant",
            Self::WrongAccount => "The key is bound to another account",
            Self::WrongEnvironment => "The key belongs to another environment",
            Self::InsufficientScope => "The key lacks a required scope",
            Self::IpNotAllowed => "The client address is not allowed for this key",
            Self::AmountOverLimit => "The amount exceeds the key's limit",
            Self::UnknownCurrency => "The amount's currency is unknown",
            Self::AmountPrecision => "The amount has more decimals than its currency",
            Self::CurrencyMismatch => "The amount is not in a currency the key may move",
            Self::DailyVolumeExceeded => "The key's daily volume is used up",
            Self::WeeklyVolumeExceeded => "The key's weekly volume is used up",
            Self::MonthlyVolumeExceeded => "The key's monthly volume is used up",
            Self::SignatureRequired => "This operation requires a signed request",
            Self::SignatureIncomplete => "The signature does not cover what it must",
            Self::StaleSignature => "The signature is too old or too far in the future",
            Self::DigestMismatch => "The body does not match its Content-Digest",
            Self::BadSignature => "The signature does not verify",
            Self::Replayed => "The signature's nonce was already used",
            Self::RateLimited => "The key's request rate limit is used up",
        }
    }
}

impl fmt::Display for DenialCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The text was not a denial code.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("not a denial code")]
pub struct ParseDenialCodeError;

impl FromStr for DenialCode {
    type Err = ParseDenialCodeError;

    /// Parses the [`DenialCode::as_str`] form, exactly (upper case).
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL.into_iter().find(|code| code.as_str() == s).ok_or(ParseDenialCodeError)
    }
}

/// One denial: exactly one reason, with details where the caller can act on them.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Denial {
    /// The credential did not parse (produced by the verifier).
    #[error("the credential is malformed")]
    Malformed,
    /// No key matches the credential (produced by the verifier).
    #[error("no key matches the credential")]
    NotFound,
    /// The key waits for a checker's approval.
    #[error("the key is waiting for approval")]
    PendingApproval,
    /// A checker refused the key.
    #[error("the key was rejected")]
    Rejected,
    /// The key is revoked.
    #[error("the key is revoked")]
    Revoked,
    /// The key is suspended.
    #[error("the key is suspended")]
    Suspended,
    /// The key is past its expiry.
    #[error("the key is expired")]
    Expired,
    /// The key belongs to another tenant.
    #[error("the key belongs to another tenant")]
    WrongTenant,
    /// The key is bound to another account of its tenant.
    #[error("the key is bound to another account")]
    WrongAccount,
    /// The key belongs to another environment.
    #[error("the key belongs to another environment")]
    WrongEnvironment,
    /// The key lacks required scopes.
    #[error("the key lacks the scopes {}", list(.missing))]
    InsufficientScope {
        /// Every required scope the key does not grant, in the order required.
        missing: Vec<Scope>,
    },
    /// The client address is outside the key's allow list, or unknown.
    #[error("the client address is not allowed for this key")]
    IpNotAllowed,
    /// The amount exceeds the key's per-operation maximum.
    #[error("the amount exceeds the key's limit of {max_amount}")]
    AmountOverLimit {
        /// The most one operation may move.
        max_amount: Amount,
    },
    /// The amount's currency is not in the currency table.
    #[error("the currency {currency} is unknown")]
    UnknownCurrency {
        /// The currency the request named.
        currency: Currency,
    },
    /// The amount has more decimals than its currency's scale (trailing zeros do not count).
    #[error("{currency} has {scale} decimal places; the amount has more")]
    AmountPrecision {
        /// The currency.
        currency: Currency,
        /// Its decimal places.
        scale: u8,
    },
    /// The amount is in a currency the key may not move (another class, one it has no limits for
    /// while it has limits for others), or states none to a key that needs one.
    #[error("{}", mismatch(.accepted, *.class))]
    CurrencyMismatch {
        /// The currencies the key has limits for (empty: any of its class).
        accepted: Vec<Currency>,
        /// The class of currency the key is bound to, if any.
        class: Option<CurrencyClass>,
    },
    /// One of the key's volumes would be exceeded (produced by the verifier, against the store's
    /// totals): the shortest window that would go over.
    #[error("the key's {} volume is used up ({remaining} remains until it resets in {retry_after} s)", adjective(*.window))]
    VolumeExceeded {
        /// The window: day, ISO week or month, in the tenant's time zone.
        window: Window,
        /// What the key may still move in that window; may be zero.
        remaining: Decimal,
        /// Whole seconds until the window resets (at least 1).
        retry_after: u64,
    },
    /// A route that requires a signed request was sent a bearer key (produced by the actix glue).
    #[error("this operation requires a signed request")]
    SignatureRequired,
    /// The signature lacks a required component or parameter (produced by the verifier).
    #[error("the signature does not cover {missing}")]
    SignatureIncomplete {
        /// The first component or parameter missing.
        missing: &'static str,
    },
    /// `created` is more than the tenant's skew away from now, or `expires` is past.
    #[error("the signature is stale (more than {skew_seconds} s from now)")]
    StaleSignature {
        /// The tenant's allowed clock skew, in seconds.
        skew_seconds: u32,
    },
    /// The body's digest is not the one `Content-Digest` states.
    #[error("the body does not match its Content-Digest")]
    DigestMismatch,
    /// The signature does not verify; an unknown `keyid` and an unsupported `alg` answer the same.
    #[error("the signature does not verify")]
    BadSignature,
    /// The nonce was already used with this key within the skew window.
    #[error("the signature's nonce was already used")]
    Replayed,
    /// One of the key's request rate limits has no budget left in its current window (produced by
    /// the verifier once every other check allowed): the first such limit by name.
    #[error("the key's rate limit {limit} is used up until its window ends in {retry_after} s")]
    RateLimited {
        /// The name of the limit.
        limit: String,
        /// Whole seconds until its window ends (at least 1).
        retry_after: u64,
    },
}

impl Denial {
    /// The reason's stable code.
    pub fn code(&self) -> DenialCode {
        match self {
            Self::Malformed => DenialCode::Malformed,
            Self::NotFound => DenialCode::NotFound,
            Self::PendingApproval => DenialCode::PendingApproval,
            Self::Rejected => DenialCode::Rejected,
            Self::Revoked => DenialCode::Revoked,
            Self::Suspended => DenialCode::Suspended,
            Self::Expired => DenialCode::Expired,
            Self::WrongTenant => DenialCode::WrongTenant,
            Self::WrongAccount => DenialCode::WrongAccount,
            Self::WrongEnvironment => DenialCode::WrongEnvironment,
            Self::InsufficientScope { .. } => DenialCode::InsufficientScope,
            Self::IpNotAllowed => DenialCode::IpNotAllowed,
            Self::AmountOverLimit { .. } => DenialCode::AmountOverLimit,
            Self::UnknownCurrency { .. } => DenialCode::UnknownCurrency,
            Self::AmountPrecision { .. } => DenialCode::AmountPrecision,
            Self::CurrencyMismatch { .. } => DenialCode::CurrencyMismatch,
            Self::VolumeExceeded { window: Window::Day, .. } => DenialCode::DailyVolumeExceeded,
            Self::VolumeExceeded { window: Window::Week, .. } => DenialCode::WeeklyVolumeExceeded,
            Self::VolumeExceeded { window: Window::Month, .. } => DenialCode::MonthlyVolumeExceeded,
            Self::SignatureRequired => DenialCode::SignatureRequired,
            Self::SignatureIncomplete { .. } => DenialCode::SignatureIncomplete,
            Self::StaleSignature { .. } => DenialCode::StaleSignature,
            Self::DigestMismatch => DenialCode::DigestMismatch,
            Self::BadSignature => DenialCode::BadSignature,
            Self::Replayed => DenialCode::Replayed,
            Self::RateLimited { .. } => DenialCode::RateLimited,
        }
    }

    /// The HTTP status of the reason's code.
    pub fn status(&self) -> u16 {
        self.code().status()
    }
}

fn adjective(window: Window) -> &'static str {
    match window {
        Window::Day => "daily",
        Window::Week => "weekly",
        Window::Month => "monthly",
    }
}

fn mismatch(accepted: &[Currency], class: Option<CurrencyClass>) -> String {
    let codes = accepted.iter().map(ToString::to_string).collect::<Vec<_>>().join(", ");
    match (codes.is_empty(), class) {
        (false, _) => format!("the key only moves {codes}"),
        (true, Some(class)) => format!("the key only moves {class} currencies"),
        (true, None) => "the key moves no such currency".to_owned(),
    }
}

fn list(scopes: &[Scope]) -> String {
    scopes.iter().map(ToString::to_string).collect::<Vec<_>>().join(", ")
}

#[cfg(test)]
mod tests;
