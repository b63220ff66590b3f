//! Opaque pagination cursors. They encode where the previous page ended in the listing's stable order,
//! so a page never repeats or skips a key that existed when the listing began, whatever is added meanwhile.

use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, Utc};
use keygate_domain::base62;
use keygate_domain::KeyId;

/// A cursor string did not parse.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("cursor is not one this server issued")]
pub struct CursorError;

/// Position in a key listing ordered by (`created_at`, id).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct KeyCursor {
    /// Creation instant of the last key returned.
    pub created_at: DateTime<Utc>,
    /// Its id.
    pub id: KeyId,
}

impl KeyCursor {
    /// The cursor after `key`.
    pub fn after(created_at: DateTime<Utc>, id: KeyId) -> Self {
        Self { created_at, id }
    }
}

impl fmt::Display for KeyCursor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Keys are made after 1970, so the microsecond count is never negative.
        let micros = u64::try_from(self.created_at.timestamp_micros()).unwrap_or(0);
        let mut buf = [0u8; base62::U64_WIDTH];
        base62::encode_into(micros, &mut buf);
        f.write_str("k")?;
        f.write_str(std::str::from_utf8(&buf).map_err(|_| fmt::Error)?)?;
        write!(f, "{}", self.id)
    }
}

impl FromStr for KeyCursor {
    type Err = CursorError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let rest = s.strip_prefix('k').ok_or(CursorError)?;
        if rest.len() != base62::U64_WIDTH + 22 {
            return Err(CursorError);
        }
        let (micros, id) = rest.split_at(base62::U64_WIDTH);
        let micros = base62::decode(micros.as_bytes()).ok_or(CursorError)?;
        let micros = i64::try_from(micros).map_err(|_| CursorError)?;
        let created_at = DateTime::from_timestamp_micros(micros).ok_or(CursorError)?;
        let id = KeyId::parse(id).map_err(|_| CursorError)?;
        Ok(Self { created_at, id })
    }
}

/// Position in an audit listing, newest first: the sequence number of the last entry returned.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct AuditCursor(pub u64);

impl fmt::Display for AuditCursor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut buf = [0u8; base62::U64_WIDTH];
        base62::encode_into(self.0, &mut buf);
        f.write_str("a")?;
        f.write_str(std::str::from_utf8(&buf).map_err(|_| fmt::Error)?)
    }
}

impl FromStr for AuditCursor {
    type Err = CursorError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let rest = s.strip_prefix('a').ok_or(CursorError)?;
        if rest.len() != base62::U64_WIDTH {
            return Err(CursorError);
        }
        base62::decode(rest.as_bytes()).map(Self).ok_or(CursorError)
    }
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;

    #[test]
    fn cursors_print_and_parse_back_and_refuse_foreign_text() {
        let at = Utc.with_ymd_and_hms(2026, 11, 23, 10, 0, 0).unwrap() + chrono::Duration::microseconds(17);
        let cursor = KeyCursor::after(at, KeyId::from_bytes([9; 16]));
        assert_eq!(cursor.to_string().parse::<KeyCursor>(), Ok(cursor), "key cursor round trip");
        assert_eq!(AuditCursor(42).to_string().parse::<AuditCursor>(), Ok(AuditCursor(42)), "audit cursor");
        for bad in ["", "k", "kzzzzzzzzzzz0000000000000000000000", "a!!", "x123"] {
            assert!(bad.parse::<KeyCursor>().is_err() && bad.parse::<AuditCursor>().is_err(), "cursor {bad:?}");
        }
    }
}
