//! What a tenant does with a key reported leaked (a secret-scanning partner's signed report, or the
//! platform's own scanner): stop it, stop it and ask its revocation, or only record the report.

use std::fmt;
use std::str::FromStr;

/// The text was not an `on_leak` value.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("on_leak must be one of suspend, suspend_and_revoke, notify")]
pub struct ParseOnLeakError;

/// A tenant's answer to a leaked key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum OnLeak {
    /// Suspend the key at once (the default): it stops working until a resume is approved.
    #[default]
    Suspend,
    /// Suspend it and ask its revocation, as the actor `leak-report`, for a checker to approve.
    SuspendAndRevoke,
    /// Record the report only: the key keeps working. The widest setting.
    Notify,
}

impl OnLeak {
    /// Every value.
    pub const ALL: [Self; 3] = [Self::Suspend, Self::SuspendAndRevoke, Self::Notify];

    /// The value's name on the wire and in the database.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Suspend => "suspend",
            Self::SuspendAndRevoke => "suspend_and_revoke",
            Self::Notify => "notify",
        }
    }

    /// Whether a leaked key is stopped at once.
    pub const fn suspends(self) -> bool {
        matches!(self, Self::Suspend | Self::SuspendAndRevoke)
    }
}

impl FromStr for OnLeak {
    type Err = ParseOnLeakError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL.into_iter().find(|v| v.as_str() == s).ok_or(ParseOnLeakError)
    }
}

impl fmt::Display for OnLeak {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}
