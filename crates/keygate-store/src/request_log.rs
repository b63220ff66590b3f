//! The request log's records: one [`RequestLine`] per verification of an existing key, what a listing
//! filters on ([`RequestFilter`]), and the cursor of its newest-first order ([`RequestCursor`]).
//!
//! A line holds what was asked and answered, never the presented token, its secret or a hash: there
//! is no field that could carry one.

use std::borrow::Cow;
use std::fmt;
use std::net::IpAddr;
use std::str::FromStr;

use chrono::{DateTime, Utc};
use keygate_domain::{base62, AccountId, Currency, Environment, KeyId, RequestId, Scope, ServiceId, SpendId, TenantId};
use rust_decimal::Decimal;

use crate::cursor::CursorError;

/// One verification of one key, as the request log keeps it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestLine {
    /// The line's id (unique; breaks ties between lines of one instant).
    pub id: RequestId,
    /// The key's tenant.
    pub tenant: TenantId,
    /// The key the verification named.
    pub key: KeyId,
    /// The key's environment (never changes; an integrator key sees only its own environment's lines).
    pub environment: Environment,
    /// The account the key is bound to, if any (never changes; likewise for account-bound callers).
    pub account: Option<AccountId>,
    /// When the answer was given.
    pub at: DateTime<Utc>,
    /// `OK` or the refusal's stable code (`REVOKED`, `STORE_UNAVAILABLE`, ...): 1 to 32 of `[A-Z_]`.
    pub outcome: Cow<'static, str>,
    /// The status the verdict carries (200 when allowed).
    pub status: u16,
    /// The client address the key was checked against, if any.
    pub client_ip: Option<IpAddr>,
    /// The scopes asked for.
    pub required_scopes: Vec<Scope>,
    /// The amount asked for, if any.
    pub amount: Option<Decimal>,
    /// Its currency, if any.
    pub currency: Option<Currency>,
    /// The recorded spend, when an amount was spent.
    pub spend: Option<SpendId>,
    /// The service credential that asked, if any.
    pub service: Option<ServiceId>,
    /// How long the verification took, in microseconds.
    pub latency_us: u64,
}

/// Whether `code` has the shape of an outcome code: 1 to 32 of `[A-Z_]`.
pub fn valid_outcome(code: &str) -> bool {
    (1..=32).contains(&code.len()) && code.bytes().all(|b| b.is_ascii_uppercase() || b == b'_')
}

/// What a request-log listing keeps. Every field narrows; the default keeps every line of the tenant.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RequestFilter {
    /// Only this key's lines.
    pub key: Option<KeyId>,
    /// Only lines with this outcome code.
    pub outcome: Option<String>,
    /// Only lines at or after this instant.
    pub from: Option<DateTime<Utc>>,
    /// Only lines before this instant.
    pub to: Option<DateTime<Utc>>,
    /// Only lines of keys of this environment.
    pub environment: Option<Environment>,
    /// Only lines of keys bound to this account.
    pub account: Option<AccountId>,
}

impl RequestFilter {
    /// Whether `line` passes (the in-memory store's test; PostgreSQL's `WHERE` says the same).
    pub fn keeps(&self, line: &RequestLine) -> bool {
        self.key.is_none_or(|k| k == line.key)
            && self.outcome.as_deref().is_none_or(|o| o == line.outcome)
            && self.from.is_none_or(|from| line.at >= from)
            && self.to.is_none_or(|to| line.at < to)
            && self.environment.is_none_or(|e| e == line.environment)
            && self.account.as_ref().is_none_or(|a| line.account.as_ref() == Some(a))
    }
}

/// Position in a request-log listing, newest first: the (`at`, id) of the last line returned. The
/// next page holds lines strictly older in that order, so a page never repeats a line nor skips one
/// stored when the listing began, however many are written meanwhile.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct RequestCursor {
    /// The last line's instant.
    pub at: DateTime<Utc>,
    /// Its id.
    pub id: RequestId,
}

impl RequestCursor {
    /// The cursor after `line`.
    pub fn after(line: &RequestLine) -> Self {
        Self { at: line.at, id: line.id }
    }
}

impl fmt::Display for RequestCursor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Lines are written after 1970, so the microsecond count is never negative.
        let micros = u64::try_from(self.at.timestamp_micros()).unwrap_or(0);
        let mut buf = [0u8; base62::U64_WIDTH];
        base62::encode_into(micros, &mut buf);
        f.write_str("r")?;
        f.write_str(std::str::from_utf8(&buf).map_err(|_| fmt::Error)?)?;
        write!(f, "{}", self.id)
    }
}

impl FromStr for RequestCursor {
    type Err = CursorError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let rest = s.strip_prefix('r').ok_or(CursorError)?;
        if rest.len() != base62::U64_WIDTH + 22 {
            return Err(CursorError);
        }
        let (micros, id) = rest.split_at(base62::U64_WIDTH);
        let micros = base62::decode(micros.as_bytes()).ok_or(CursorError)?;
        let micros = i64::try_from(micros).map_err(|_| CursorError)?;
        let at = DateTime::from_timestamp_micros(micros).ok_or(CursorError)?;
        let id = RequestId::parse(id).map_err(|_| CursorError)?;
        Ok(Self { at, id })
    }
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;

    #[test]
    fn a_request_cursor_prints_and_parses_back_and_refuses_foreign_text() {
        let at = Utc.with_ymd_and_hms(2026, 11, 23, 10, 0, 0).unwrap() + chrono::Duration::microseconds(17);
        let cursor = RequestCursor { at, id: RequestId::from_bytes([7; 16]) };
        assert_eq!(cursor.to_string().parse::<RequestCursor>(), Ok(cursor), "round trip");
        let key_cursor = crate::KeyCursor::after(at, KeyId::from_bytes([7; 16])).to_string();
        for bad in ["", "r", "rzzzzzzzzzzz0000000000000000000000", "a123", key_cursor.as_str()] {
            assert!(bad.parse::<RequestCursor>().is_err(), "cursor {bad:?}");
        }
    }

    #[test]
    fn outcome_codes_are_upper_case_words() {
        for (code, valid) in [("OK", true), ("NOT_FOUND", true), ("", false), ("ok", false), ("A B", false)] {
            assert_eq!(valid_outcome(code), valid, "{code:?}");
        }
        assert!(!valid_outcome(&"A".repeat(33)), "at most 32 characters");
    }
}
