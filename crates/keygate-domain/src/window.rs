//! Spending windows in a tenant's own time: the local day, ISO week (Monday first) or calendar month
//! that contains an instant, as a half-open span of UTC instants, and the local date that names it.
//!
//! A window begins at its first day's [`Timezone::start_of_day`], so a day is 23 or 25 hours long when
//! the clocks change, and windows tile time: each ends exactly where the next begins. Nothing here
//! stores or reads a counter or a clock; the caller keys its counters by [`Window::key`].

#[cfg(test)]
mod tests;

use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, Datelike, Days, NaiveDate, Utc};

use crate::timezone::Timezone;

/// A window name did not parse.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("window must be \"day\", \"week\" or \"month\"")]
pub struct ParseWindowError;

/// The length of a spending window, in the tenant's calendar.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Window {
    /// A local calendar day, midnight to midnight.
    Day,
    /// An ISO week: Monday's midnight to the next Monday's.
    Week,
    /// A calendar month: the first's midnight to the next first's.
    Month,
}

impl Window {
    /// Every window, shortest first.
    pub const ALL: [Self; 3] = [Self::Day, Self::Week, Self::Month];

    /// The window's name: `day`, `week` or `month`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Day => "day",
            Self::Week => "week",
            Self::Month => "month",
        }
    }

    /// The window containing `now` in `tz`, as `(start, end)` UTC instants: `start <= now < end`, and
    /// `end` is the next window's start.
    pub fn bounds(self, tz: Timezone, now: DateTime<Utc>) -> (DateTime<Utc>, DateTime<Utc>) {
        let (_, start, end) = self.locate(tz, now);
        (start, end)
    }

    /// The local date the window containing `now` starts on: the key a counter for this window is kept
    /// under (with the window kind and the time zone it was reckoned in).
    pub fn key(self, tz: Timezone, now: DateTime<Utc>) -> NaiveDate {
        self.locate(tz, now).0
    }

    /// The first local date of the window containing `date`.
    fn first_date(self, date: NaiveDate) -> NaiveDate {
        match self {
            Self::Day => Some(date),
            Self::Week => date.checked_sub_days(Days::new(date.weekday().num_days_from_monday().into())),
            Self::Month => date.with_day(1),
        }
        .unwrap_or(date)
    }

    /// The first local date of the window after the one starting on `first`; `None` past the calendar's end.
    fn next_first_date(self, first: NaiveDate) -> Option<NaiveDate> {
        match self {
            Self::Day => first.succ_opt(),
            Self::Week => first.checked_add_days(Days::new(7)),
            Self::Month if first.month() == 12 => NaiveDate::from_ymd_opt(first.year().checked_add(1)?, 1, 1),
            Self::Month => NaiveDate::from_ymd_opt(first.year(), first.month() + 1, 1),
        }
    }

    /// The window containing `now`: its first local date, start and end.
    ///
    /// Starts from the window of `now`'s local date and moves on while that window has already ended,
    /// which happens only when a fold takes the clock back across midnight: the date that follows has
    /// begun, so it is the one in force. Starts never decrease from one date to the next, so the windows
    /// tile time; the loop ends because dates are finite.
    fn locate(self, tz: Timezone, now: DateTime<Utc>) -> (NaiveDate, DateTime<Utc>, DateTime<Utc>) {
        let mut first = self.first_date(tz.local_date(now));
        let mut start = tz.start_of_day(first);
        loop {
            let Some(next) = self.next_first_date(first) else {
                return (first, start.min(now), DateTime::<Utc>::MAX_UTC);
            };
            let end = tz.start_of_day(next);
            if end > now {
                // `start <= now` but at the ends of chrono's range, where a local date is not representable.
                return (first, start.min(now), end);
            }
            (first, start) = (next, end);
        }
    }
}

/// Whole seconds from `now` until `window` (in `tz`) resets: rounded up, and at least 1, as a
/// `Retry-After` header wants.
pub fn retry_after(tz: Timezone, now: DateTime<Utc>, window: Window) -> u64 {
    let (_, end) = window.bounds(tz, now);
    let left = end.signed_duration_since(now);
    let whole = left.num_seconds() + i64::from(left.subsec_nanos() > 0);
    u64::try_from(whole).unwrap_or(0).max(1)
}

impl FromStr for Window {
    type Err = ParseWindowError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL.into_iter().find(|window| window.as_str() == s).ok_or(ParseWindowError)
    }
}

impl fmt::Display for Window {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One value for each window: a spend's window starts, a key's volume limits, what remains of each.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct PerWindow<T> {
    /// The day's.
    pub day: T,
    /// The ISO week's.
    pub week: T,
    /// The calendar month's.
    pub month: T,
}

impl<T> PerWindow<T> {
    /// Builds each window's value from its window.
    pub fn from_fn(mut f: impl FnMut(Window) -> T) -> Self {
        Self { day: f(Window::Day), week: f(Window::Week), month: f(Window::Month) }
    }

    /// The value for `window`.
    pub fn get(&self, window: Window) -> &T {
        match window {
            Window::Day => &self.day,
            Window::Week => &self.week,
            Window::Month => &self.month,
        }
    }

    /// Each window with its value, shortest first.
    pub fn iter(&self) -> impl Iterator<Item = (Window, &T)> {
        Window::ALL.into_iter().map(move |window| (window, self.get(window)))
    }

    /// Each value mapped.
    pub fn map<U>(self, mut f: impl FnMut(T) -> U) -> PerWindow<U> {
        PerWindow { day: f(self.day), week: f(self.week), month: f(self.month) }
    }
}

impl PerWindow<chrono::NaiveDate> {
    /// The local date each window containing `now` starts on in `tz`: the keys its counters are kept under.
    pub fn starts(tz: Timezone, now: DateTime<Utc>) -> Self {
        Self::from_fn(|window| window.key(tz, now))
    }
}
