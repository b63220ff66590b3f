//! When a failed attempt is tried again: 5 s, 30 s, 2 min, 10 min, 1 h, 6 h and 12 h after the 1st to
//! 7th failures, then `failed` (8 attempts in all).
//!
//! Tests shrink the schedule by a divisor; the production schedule is the default and is never
//! changed by anything else.

use std::time::Duration;

use chrono::{DateTime, Utc};

/// The production delays after the 1st, 2nd, … 7th failed attempt.
const DELAYS_SECONDS: [u64; 7] = [5, 30, 120, 600, 3600, 6 * 3600, 12 * 3600];

/// The retry schedule.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetrySchedule {
    divisor: u32,
}

impl Default for RetrySchedule {
    fn default() -> Self {
        Self { divisor: 1 }
    }
}

impl RetrySchedule {
    /// Attempts in all, the first included.
    pub const MAX_ATTEMPTS: u32 = 8;

    /// The production schedule with every delay divided by `divisor` (at least 1): for tests only.
    pub fn scaled_down(divisor: u32) -> Self {
        Self { divisor: divisor.max(1) }
    }

    /// The delay after failed attempt `attempt` (1-based); `None` once the last attempt failed.
    pub fn delay(&self, attempt: u32) -> Option<Duration> {
        let index = usize::try_from(attempt.checked_sub(1)?).ok()?;
        let seconds = *DELAYS_SECONDS.get(index)?;
        Some(Duration::from_secs(seconds) / self.divisor)
    }

    /// When attempt `attempt + 1` is due, if there is one.
    pub fn retry_at(&self, attempt: u32, failed_at: DateTime<Utc>) -> Option<DateTime<Utc>> {
        let delay = chrono::Duration::from_std(self.delay(attempt)?).ok()?;
        failed_at.checked_add_signed(delay)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn eight_attempts_at_the_issue_delays_then_none() {
        let schedule = RetrySchedule::default();
        let delays: Vec<Option<u64>> = (1..=8).map(|a| schedule.delay(a).map(|d| d.as_secs())).collect();
        let expected = [5, 30, 120, 600, 3600, 21_600, 43_200].map(Some);
        assert_eq!(delays[..7], expected, "5 s, 30 s, 2 min, 10 min, 1 h, 6 h, 12 h");
        assert_eq!(delays[7], None, "the 8th failure is final");
        assert_eq!(schedule.delay(0), None, "no attempt 0");
        assert_eq!(RetrySchedule::scaled_down(1000).delay(1), Some(Duration::from_millis(5)), "scaled for tests");
    }
}
