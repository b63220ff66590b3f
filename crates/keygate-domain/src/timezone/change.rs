//! When a tenant's new time zone takes effect. Daily counters are kept under a local date
//! ([`crate::Window::key`]); switching at once could go back to a date whose window has closed (moving
//! west reopens yesterday) or end the day being counted early. So a change waits until both the old and
//! the new zone have passed their next local midnight: by then the day open in either zone when the change
//! was asked has ended, and, for zones less than a day apart, the date in force never goes back: moving
//! west, the new zone's date at the change is the old zone's current one, continued; otherwise it is the
//! next one.
//!
//! Zones a day or more apart (`Pacific/Kiritimati`, UTC+14, and `Pacific/Pago_Pago`, UTC-11) cannot keep
//! that: moving west between them returns to a date already used (its counter still holds what was spent
//! under it, which errs on the strict side), and moving east skips a date.

use chrono::{DateTime, Utc};

use super::Timezone;
use crate::window::Window;

/// The instant a change of time zone from `from` to `to`, asked at `now`, takes effect: the later of the
/// two zones' next local midnight after `now`. Strictly after `now`, and the start of a local day in one
/// of the two zones.
pub fn timezone_change_effective(from: Timezone, to: Timezone, now: DateTime<Utc>) -> DateTime<Utc> {
    let (_, old_midnight) = Window::Day.bounds(from, now);
    let (_, new_midnight) = Window::Day.bounds(to, now);
    old_midnight.max(new_midnight)
}
