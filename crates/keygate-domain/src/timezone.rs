//! A tenant's time zone: an IANA name (`Africa/Dakar`, `America/New_York`) whose local calendar decides
//! where its days, weeks and months begin. Offsets and daylight saving come from the tz database
//! (`chrono-tz`), never from arithmetic of our own. Nothing here reads a clock: instants are parameters.

mod change;
#[cfg(test)]
mod tests;

use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, NaiveDate, NaiveDateTime, NaiveTime, Offset, TimeZone, Utc};
use chrono_tz::Tz;

pub use change::{timezone_change_effective, zone_in_force, TimezoneChange};

/// A time zone name did not parse.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("time zone must be an IANA name such as \"Africa/Dakar\" or \"UTC\"")]
pub struct ParseTimezoneError;

/// A time zone of the IANA database. `UTC` unless a tenant says otherwise.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Timezone(Tz);

impl Timezone {
    /// Coordinated Universal Time.
    pub const UTC: Self = Self(Tz::UTC);

    /// Parses an IANA name, exactly as the database spells it (`Asia/Singapore`; the database's
    /// aliases such as `US/Eastern` are accepted too).
    pub fn parse(name: &str) -> Result<Self, ParseTimezoneError> {
        name.parse::<Tz>().map(Self).map_err(|_| ParseTimezoneError)
    }

    /// The IANA name.
    pub fn as_str(&self) -> &'static str {
        self.0.name()
    }

    /// The `chrono-tz` zone.
    pub fn tz(self) -> Tz {
        self.0
    }

    /// The local calendar date at `at`. At the far ends of chrono's range, where the local time is not
    /// representable, the UTC date.
    pub fn local_date(self, at: DateTime<Utc>) -> NaiveDate {
        self.local_time(at).date()
    }

    /// The instant `date` begins here: its local midnight, or, when midnight is skipped by a
    /// daylight-saving gap, the first local instant after it; when midnight happens twice (a fold),
    /// the first time. Saturates at chrono's range.
    pub fn start_of_day(self, date: NaiveDate) -> DateTime<Utc> {
        let midnight = date.and_time(NaiveTime::MIN);
        match self.0.from_local_datetime(&midnight).earliest() {
            Some(start) => start.with_timezone(&Utc),
            None => self.first_at_or_after(midnight),
        }
    }

    /// The first instant whose local time is at or after `local` (a time skipped by a gap): found by
    /// bisection over whole seconds, as zones move their clocks at whole seconds.
    fn first_at_or_after(self, local: NaiveDateTime) -> DateTime<Utc> {
        const MARGIN: i64 = 3 * 86_400; // wider than any offset from UTC
        let reached =
            |second: i64| DateTime::from_timestamp(second, 0).is_none_or(|instant| self.local_time(instant) >= local);
        let pivot = local.and_utc().timestamp();
        // `reached(low)` is false and `reached(high)` true, as no offset is as large as the margin.
        let (mut low, mut high) = (pivot.saturating_sub(MARGIN), pivot.saturating_add(MARGIN));
        while high - low > 1 {
            let middle = low + (high - low) / 2;
            if reached(middle) {
                high = middle;
            } else {
                low = middle;
            }
        }
        DateTime::from_timestamp(high, 0).unwrap_or(DateTime::<Utc>::MAX_UTC)
    }

    /// The local wall-clock time at `at`; the UTC time where that is not representable.
    fn local_time(self, at: DateTime<Utc>) -> NaiveDateTime {
        let utc = at.naive_utc();
        let offset = self.0.offset_from_utc_datetime(&utc).fix();
        utc.checked_add_offset(offset).unwrap_or(utc)
    }
}

impl Default for Timezone {
    fn default() -> Self {
        Self::UTC
    }
}

impl FromStr for Timezone {
    type Err = ParseTimezoneError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

impl fmt::Display for Timezone {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl fmt::Debug for Timezone {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Timezone({})", self.as_str())
    }
}
