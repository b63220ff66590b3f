use chrono::TimeDelta;
use proptest::prelude::*;

use super::*;

fn at(text: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(text).unwrap().with_timezone(&Utc)
}

fn zone(name: &str) -> Timezone {
    Timezone::parse(name).unwrap()
}

fn date(text: &str) -> NaiveDate {
    text.parse().unwrap()
}

/// One window: in `zone` at `now`, the window is `[start, end)` and is keyed by `key`.
struct Case {
    why: &'static str,
    window: Window,
    zone: &'static str,
    now: &'static str,
    start: &'static str,
    end: &'static str,
    key: &'static str,
}

fn check(cases: &[Case]) {
    for case in cases {
        let (tz, now) = (zone(case.zone), at(case.now));
        let expected = (at(case.start), at(case.end));
        assert_eq!(case.window.bounds(tz, now), expected, "{}: bounds", case.why);
        assert_eq!(case.window.key(tz, now), date(case.key), "{}: key", case.why);
    }
}

#[test]
fn days_run_from_local_midnight_to_local_midnight() {
    use Window::Day;
    check(&[
        Case {
            why: "a UTC day",
            window: Day,
            zone: "UTC",
            now: "2026-01-01T12:00:00Z",
            start: "2026-01-01T00:00:00Z",
            end: "2026-01-02T00:00:00Z",
            key: "2026-01-01",
        },
        Case {
            why: "Dakar keeps UTC",
            window: Day,
            zone: "Africa/Dakar",
            now: "2026-06-15T23:59:59Z",
            start: "2026-06-15T00:00:00Z",
            end: "2026-06-16T00:00:00Z",
            key: "2026-06-15",
        },
        Case {
            why: "Singapore's last second of a day",
            window: Day,
            zone: "Asia/Singapore",
            now: "2026-01-01T15:59:59Z",
            start: "2025-12-31T16:00:00Z",
            end: "2026-01-01T16:00:00Z",
            key: "2026-01-01",
        },
        Case {
            why: "Singapore's next day begins at 16:00 UTC",
            window: Day,
            zone: "Asia/Singapore",
            now: "2026-01-01T16:00:00Z",
            start: "2026-01-01T16:00:00Z",
            end: "2026-01-02T16:00:00Z",
            key: "2026-01-02",
        },
        Case {
            why: "UTC+14: a second before Kiritimati's midnight",
            window: Day,
            zone: "Pacific/Kiritimati",
            now: "2026-01-01T09:59:59Z",
            start: "2025-12-31T10:00:00Z",
            end: "2026-01-01T10:00:00Z",
            key: "2026-01-01",
        },
        Case {
            why: "UTC+14: Kiritimati is on tomorrow's date while UTC is still on today's",
            window: Day,
            zone: "Pacific/Kiritimati",
            now: "2026-01-01T10:00:00Z",
            start: "2026-01-01T10:00:00Z",
            end: "2026-01-02T10:00:00Z",
            key: "2026-01-02",
        },
    ]);
}

#[test]
fn days_begin_at_the_first_local_instant_of_their_date_when_clocks_change() {
    use Window::Day;
    check(&[
        Case {
            why: "New York's spring-forward day is 23 hours",
            window: Day,
            zone: "America/New_York",
            now: "2026-03-08T12:00:00Z",
            start: "2026-03-08T05:00:00Z",
            end: "2026-03-09T04:00:00Z",
            key: "2026-03-08",
        },
        Case {
            why: "New York's fall-back day is 25 hours",
            window: Day,
            zone: "America/New_York",
            now: "2026-11-01T12:00:00Z",
            start: "2026-11-01T04:00:00Z",
            end: "2026-11-02T05:00:00Z",
            key: "2026-11-01",
        },
        Case {
            why: "the repeated 01:30 of a fall-back night is the same day",
            window: Day,
            zone: "America/New_York",
            now: "2026-11-01T06:30:00Z",
            start: "2026-11-01T04:00:00Z",
            end: "2026-11-02T05:00:00Z",
            key: "2026-11-01",
        },
        Case {
            why: "Havana skips midnight: the day starts at 01:00 daylight time",
            window: Day,
            zone: "America/Havana",
            now: "2026-03-08T05:00:00Z",
            start: "2026-03-08T05:00:00Z",
            end: "2026-03-09T04:00:00Z",
            key: "2026-03-08",
        },
        Case {
            why: "the instant before Havana's skipped midnight is still the day before",
            window: Day,
            zone: "America/Havana",
            now: "2026-03-08T04:59:59Z",
            start: "2026-03-07T05:00:00Z",
            end: "2026-03-08T05:00:00Z",
            key: "2026-03-07",
        },
        Case {
            why: "Havana has midnight twice: the day starts at the first",
            window: Day,
            zone: "America/Havana",
            now: "2026-11-01T05:30:00Z",
            start: "2026-11-01T04:00:00Z",
            end: "2026-11-02T05:00:00Z",
            key: "2026-11-01",
        },
        Case {
            why: "Cairo skips midnight at the start of summer time",
            window: Day,
            zone: "Africa/Cairo",
            now: "2026-04-24T09:00:00Z",
            start: "2026-04-23T22:00:00Z",
            end: "2026-04-24T21:00:00Z",
            key: "2026-04-24",
        },
        Case {
            why: "Samoa skipped 30 December 2011: the 29th ends where the 31st begins",
            window: Day,
            zone: "Pacific/Apia",
            now: "2011-12-30T09:59:59Z",
            start: "2011-12-29T10:00:00Z",
            end: "2011-12-30T10:00:00Z",
            key: "2011-12-29",
        },
        Case {
            why: "and the next window is the 31st's",
            window: Day,
            zone: "Pacific/Apia",
            now: "2011-12-30T10:00:00Z",
            start: "2011-12-30T10:00:00Z",
            end: "2011-12-31T10:00:00Z",
            key: "2011-12-31",
        },
    ]);
}

#[test]
fn weeks_are_iso_weeks_starting_on_monday() {
    use Window::Week;
    check(&[
        Case {
            why: "2026-12-31, a Thursday, is in the week of Monday 2026-12-28",
            window: Week,
            zone: "UTC",
            now: "2026-12-31T12:00:00Z",
            start: "2026-12-28T00:00:00Z",
            end: "2027-01-04T00:00:00Z",
            key: "2026-12-28",
        },
        Case {
            why: "Sunday 2027-01-03 closes that week",
            window: Week,
            zone: "UTC",
            now: "2027-01-03T23:59:59Z",
            start: "2026-12-28T00:00:00Z",
            end: "2027-01-04T00:00:00Z",
            key: "2026-12-28",
        },
        Case {
            why: "Monday opens the next week",
            window: Week,
            zone: "UTC",
            now: "2027-01-04T00:00:00Z",
            start: "2027-01-04T00:00:00Z",
            end: "2027-01-11T00:00:00Z",
            key: "2027-01-04",
        },
        Case {
            why: "Kiritimati's Monday begins on Sunday in UTC",
            window: Week,
            zone: "Pacific/Kiritimati",
            now: "2026-12-27T10:00:00Z",
            start: "2026-12-27T10:00:00Z",
            end: "2027-01-03T10:00:00Z",
            key: "2026-12-28",
        },
        Case {
            why: "a New York week holding the spring-forward Sunday is an hour short",
            window: Week,
            zone: "America/New_York",
            now: "2026-03-08T12:00:00Z",
            start: "2026-03-02T05:00:00Z",
            end: "2026-03-09T04:00:00Z",
            key: "2026-03-02",
        },
    ]);
}

#[test]
fn months_are_calendar_months() {
    use Window::Month;
    check(&[
        Case {
            why: "February of a leap year has 29 days",
            window: Month,
            zone: "UTC",
            now: "2028-02-29T12:00:00Z",
            start: "2028-02-01T00:00:00Z",
            end: "2028-03-01T00:00:00Z",
            key: "2028-02-01",
        },
        Case {
            why: "February of a common year has 28",
            window: Month,
            zone: "UTC",
            now: "2026-02-28T23:59:59Z",
            start: "2026-02-01T00:00:00Z",
            end: "2026-03-01T00:00:00Z",
            key: "2026-02-01",
        },
        Case {
            why: "December ends at the new year",
            window: Month,
            zone: "UTC",
            now: "2026-12-31T23:59:59Z",
            start: "2026-12-01T00:00:00Z",
            end: "2027-01-01T00:00:00Z",
            key: "2026-12-01",
        },
        Case {
            why: "Singapore's January begins on the last afternoon of December in UTC",
            window: Month,
            zone: "Asia/Singapore",
            now: "2026-12-31T16:00:00Z",
            start: "2026-12-31T16:00:00Z",
            end: "2027-01-31T16:00:00Z",
            key: "2027-01-01",
        },
        Case {
            why: "a New York March is an hour short",
            window: Month,
            zone: "America/New_York",
            now: "2026-03-31T12:00:00Z",
            start: "2026-03-01T05:00:00Z",
            end: "2026-04-01T04:00:00Z",
            key: "2026-03-01",
        },
    ]);
}

#[test]
fn clock_changes_make_days_of_23_and_25_hours() {
    let cases = [
        ("America/New_York", "2026-03-08T12:00:00Z", 23, "spring forward"),
        ("America/New_York", "2026-11-01T12:00:00Z", 25, "fall back"),
        ("America/New_York", "2026-07-01T12:00:00Z", 24, "a summer day"),
        ("America/Santiago", "2026-04-04T12:00:00Z", 25, "Chile falls back from midnight to 23:00"),
        ("America/Santiago", "2026-09-06T12:00:00Z", 23, "and springs forward over midnight"),
        ("Asia/Singapore", "2026-03-08T12:00:00Z", 24, "no daylight saving"),
    ];
    for (name, now, hours, why) in cases {
        let (start, end) = Window::Day.bounds(zone(name), at(now));
        assert_eq!(end - start, TimeDelta::hours(hours), "{why} in {name}");
    }
}

#[test]
fn retry_after_counts_whole_seconds_until_the_reset() {
    let new_york = "America/New_York";
    let cases = [
        ("UTC", "2026-01-01T23:00:00Z", Window::Day, 3_600, "an hour before midnight"),
        ("UTC", "2026-01-01T00:00:00Z", Window::Day, 86_400, "at midnight a whole day remains"),
        ("UTC", "2026-01-01T23:59:58.2Z", Window::Day, 2, "a fraction rounds up"),
        ("UTC", "2026-01-01T23:59:59.5Z", Window::Day, 1, "half a second is one"),
        ("UTC", "2026-01-01T23:59:59.000000001Z", Window::Day, 1, "a nanosecond is one"),
        (new_york, "2026-03-08T05:00:00Z", Window::Day, 23 * 3_600, "a 23-hour day"),
        ("Pacific/Kiritimati", "2026-01-01T09:00:00Z", Window::Day, 3_600, "an hour before Kiritimati's midnight"),
        ("UTC", "2027-01-03T23:00:00Z", Window::Week, 3_600, "the last hour of a week"),
        ("UTC", "2028-02-29T00:00:00Z", Window::Month, 86_400, "the last day of a leap February"),
    ];
    for (name, now, window, seconds, why) in cases {
        assert_eq!(retry_after(zone(name), at(now), window), seconds, "{why}");
    }
}

#[test]
fn windows_have_one_name_each() {
    let cases = [
        ("day", Ok(Window::Day), "day"),
        ("week", Ok(Window::Week), "week"),
        ("month", Ok(Window::Month), "month"),
        ("Day", Err(ParseWindowError), "names are lower case"),
        ("daily", Err(ParseWindowError), "not an adjective"),
        ("year", Err(ParseWindowError), "no yearly window"),
    ];
    for (input, expected, why) in cases {
        assert_eq!(input.parse::<Window>(), expected, "{why}");
    }
    for window in Window::ALL {
        assert_eq!(window.to_string().parse::<Window>(), Ok(window), "{window} round-trips");
    }
}

#[test]
fn the_ends_of_time_neither_panic_nor_leave_the_window() {
    let cases = [(DateTime::<Utc>::MIN_UTC, "the first instant"), (DateTime::<Utc>::MAX_UTC, "the last instant")];
    for (now, why) in cases {
        for tz in [Timezone::UTC, zone("Pacific/Kiritimati"), zone("Etc/GMT+12")] {
            for window in Window::ALL {
                let (start, end) = window.bounds(tz, now);
                assert!(start <= now && now <= end, "{why}: {window} in {tz}: {start}..{end}");
                assert!(retry_after(tz, now, window) >= 1, "{why}: {window} in {tz}: a positive wait");
            }
        }
    }
}

/// Instants from 1900 to 2200, to the nanosecond.
fn instant() -> impl Strategy<Value = DateTime<Utc>> {
    (-2_208_988_800i64..7_258_118_400, 0u32..1_000_000_000)
        .prop_map(|(seconds, nanos)| DateTime::from_timestamp(seconds, nanos).unwrap())
}

fn any_zone() -> impl Strategy<Value = Timezone> {
    proptest::sample::select(chrono_tz::TZ_VARIANTS.to_vec()).prop_map(|tz| zone(tz.name()))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(20_000))]

    #[test]
    fn windows_contain_now_and_tile_time(
        tz in any_zone(),
        now in instant(),
        window in proptest::sample::select(Window::ALL.to_vec()),
    ) {
        let (start, end) = window.bounds(tz, now);
        prop_assert!(start <= now && now < end, "{} in {}: {} not in {}..{}", window, tz, now, start, end);
        let (next_start, next_end) = window.bounds(tz, end);
        prop_assert_eq!(next_start, end, "{} in {}: the next window starts where this one ends", window, tz);
        prop_assert!(next_end > end, "{} in {}: the next window is not empty", window, tz);
        prop_assert_eq!(window.bounds(tz, start), (start, end), "{} in {}: the start is inside", window, tz);
        let key = window.key(tz, now);
        prop_assert_eq!(window.key(tz, start), key, "{} in {}: one key for the whole window", window, tz);
        prop_assert!(window.key(tz, end) > key, "{} in {}: the next window has a later key", window, tz);
        let wait = retry_after(tz, now, window);
        let left = end - now;
        prop_assert!(
            TimeDelta::seconds(i64::try_from(wait).unwrap() - 1) < left && left <= TimeDelta::seconds(i64::try_from(wait).unwrap()),
            "{} in {}: retry after {}s for {} left", window, tz, wait, left
        );
    }
}
