//! When a key's secret comes into being and reaches its maker: at creation (most seeds), or drawn only
//! once a checker approved and shown once to the maker who asked (the first seed's "only once after
//! approval"). The tenant chooses ([`RevealPolicy`], [`RevealWindow`]); each key carries where its own
//! reveal stands ([`Reveal`]).
//!
//! Nothing here draws or holds a secret: the domain only says who may reveal and when.

use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, Duration, Utc};

/// The text was not a `reveal` value.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("reveal must be one of on_create, after_approval")]
pub struct ParseRevealPolicyError;

/// How a tenant's new keys get their secret.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum RevealPolicy {
    /// Drawn at creation, in the creation response (the default; a pending key's secret works only once
    /// it is approved).
    #[default]
    OnCreate,
    /// Drawn at the reveal, after approval, for the maker who asked only; a rejected key never had one.
    /// The narrow end.
    AfterApproval,
}

impl RevealPolicy {
    /// Every value.
    pub const ALL: [Self; 2] = [Self::OnCreate, Self::AfterApproval];

    /// The value's name on the wire and in the database.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::OnCreate => "on_create",
            Self::AfterApproval => "after_approval",
        }
    }
}

impl FromStr for RevealPolicy {
    type Err = ParseRevealPolicyError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL.into_iter().find(|v| v.as_str() == s).ok_or(ParseRevealPolicyError)
    }
}

impl fmt::Display for RevealPolicy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The window was out of range.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("reveal_window_hours must be between {} and {}", RevealWindow::MIN_HOURS, RevealWindow::MAX_HOURS)]
pub struct RevealWindowError;

/// How long after approval a secret may still be revealed, in whole hours (1 to 720, default 72).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct RevealWindow(u32);

impl RevealWindow {
    /// The shortest window.
    pub const MIN_HOURS: u32 = 1;
    /// The longest window: thirty days.
    pub const MAX_HOURS: u32 = 720;
    /// The first seed's three days.
    pub const DEFAULT: Self = Self(72);

    /// A window of `hours`.
    pub fn hours(hours: u32) -> Result<Self, RevealWindowError> {
        if (Self::MIN_HOURS..=Self::MAX_HOURS).contains(&hours) {
            Ok(Self(hours))
        } else {
            Err(RevealWindowError)
        }
    }

    /// Its length in hours.
    pub const fn as_hours(self) -> u32 {
        self.0
    }

    /// The last instant of a window opened at `opened`.
    pub fn closes(self, opened: DateTime<Utc>) -> DateTime<Utc> {
        opened + Duration::hours(i64::from(self.0))
    }
}

impl Default for RevealWindow {
    fn default() -> Self {
        Self::DEFAULT
    }
}

/// Where the reveal of a key made under [`RevealPolicy::AfterApproval`] stands. A key whose secret was
/// drawn at creation has none.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Reveal {
    /// Not approved yet: there is no secret, and none may be drawn.
    AwaitingApproval,
    /// Active: the maker may draw and see the secret once, until `until`.
    Open {
        /// The last instant of the window.
        until: DateTime<Utc>,
    },
    /// Drawn and shown at `at`; never again.
    Revealed {
        /// When.
        at: DateTime<Utc>,
    },
}

impl Reveal {
    /// Whether the key has a secret (only once revealed).
    pub const fn has_secret(self) -> bool {
        matches!(self, Self::Revealed { .. })
    }
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;

    #[test]
    fn policy_names_round_trip_and_unknown_ones_are_refused() {
        for value in RevealPolicy::ALL {
            assert_eq!(value.as_str().parse::<RevealPolicy>(), Ok(value));
        }
        assert_eq!("after-approval".parse::<RevealPolicy>(), Err(ParseRevealPolicyError));
        assert_eq!(RevealPolicy::default(), RevealPolicy::OnCreate, "today's behaviour is the default");
    }

    #[test]
    fn windows_are_bounded_and_close_after_their_hours() {
        assert_eq!(RevealWindow::hours(0), Err(RevealWindowError));
        assert_eq!(RevealWindow::hours(721), Err(RevealWindowError));
        assert_eq!(RevealWindow::hours(720).map(RevealWindow::as_hours), Ok(720));
        let opened = Utc.with_ymd_and_hms(2026, 3, 1, 12, 0, 0).unwrap();
        assert_eq!(RevealWindow::DEFAULT.closes(opened), Utc.with_ymd_and_hms(2026, 3, 4, 12, 0, 0).unwrap());
    }
}
