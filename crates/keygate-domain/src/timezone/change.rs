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

/// A change of time zone that has been decided but has not yet taken effect: until `effective_at`,
/// windows are still reckoned in `from`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct TimezoneChange {
    /// The zone in force until the change.
    pub from: Timezone,
    /// When the new zone takes over ([`timezone_change_effective`]).
    pub effective_at: DateTime<Utc>,
}

impl TimezoneChange {
    /// The change from the zone in force at `now` (`current`, under `pending`, a change not yet in
    /// effect) to `to`; `None` when `to` is already in force and nothing waits.
    pub fn schedule(current: Timezone, pending: Option<Self>, to: Timezone, now: DateTime<Utc>) -> Option<Self> {
        let in_force = zone_in_force(current, pending, now);
        if in_force == to {
            return None;
        }
        Some(Self { from: in_force, effective_at: timezone_change_effective(in_force, to, now) })
    }
}

/// The zone windows are reckoned in at `now`: `configured`, unless a change to it has not yet taken
/// effect.
pub fn zone_in_force(configured: Timezone, pending: Option<TimezoneChange>, now: DateTime<Utc>) -> Timezone {
    match pending {
        Some(change) if now < change.effective_at => change.from,
        _ => configured,
    }
}
