//! How many days before a key expires its tenant's endpoints are told (`key.expiring`): a tenant setting.
//! A longer lead warns earlier; a shorter one leaves less time to rotate, so shortening it waits for a
//! second admin, as any loosening of oversight does.

/// The lead was out of range.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("webhook_expiry_lead_days must be between {} and {}", ExpiryLead::MIN_DAYS, ExpiryLead::MAX_DAYS)]
pub struct ExpiryLeadError;

/// Days of warning before a key's expiry, 1 to 90 (default 7).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ExpiryLead(u32);

impl ExpiryLead {
    /// The shortest lead.
    pub const MIN_DAYS: u32 = 1;
    /// The longest lead.
    pub const MAX_DAYS: u32 = 90;
    /// A week, as the issue asks by default.
    pub const DEFAULT: Self = Self(7);

    /// A lead of `days`.
    pub fn days(days: u32) -> Result<Self, ExpiryLeadError> {
        if (Self::MIN_DAYS..=Self::MAX_DAYS).contains(&days) {
            Ok(Self(days))
        } else {
            Err(ExpiryLeadError)
        }
    }

    /// Its length in days.
    pub const fn as_days(self) -> u32 {
        self.0
    }
}

impl Default for ExpiryLead {
    fn default() -> Self {
        Self::DEFAULT
    }
}
