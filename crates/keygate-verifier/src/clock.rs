//! The one place keygate reads the wall clock.

use chrono::{DateTime, SubsecRound, Utc};
use keygate_domain::Clock;

/// The system's UTC clock, to the microsecond: PostgreSQL keeps microseconds, and instants that
/// round-trip exactly keep pagination cursors and comparisons identical on every backend.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    #[allow(clippy::disallowed_methods)] // the single sanctioned wall-clock read
    fn now(&self) -> DateTime<Utc> {
        Utc::now().trunc_subsecs(6)
    }
}
