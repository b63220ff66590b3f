use chrono::{NaiveDate, TimeDelta};
use proptest::prelude::*;

use super::*;
use crate::window::Window;

fn at(text: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(text).unwrap().with_timezone(&Utc)
}

fn zone(name: &str) -> Timezone {
    Timezone::parse(name).unwrap()
}

fn date(text: &str) -> NaiveDate {
    text.parse().unwrap()
}

#[test]
fn time_zones_are_iana_names() {
    let cases = [
        ("Africa/Dakar", true, "West Africa"),
        ("Asia/Singapore", true, "South-East Asia"),
        ("Pacific/Kiritimati", true, "UTC+14"),
        ("America/New_York", true, "a zone with daylight saving"),
        ("UTC", true, "UTC itself"),
        ("US/Eastern", true, "an alias the database keeps"),
        ("africa/dakar", false, "names are spelled as the database spells them"),
        (" UTC", false, "no padding"),
        ("+01:00", false, "an offset is not a zone"),
        ("CEST", false, "an abbreviation is not a zone"),
        ("Mars/Olympus_Mons", false, "an unknown name"),
        ("", false, "empty"),
    ];
    for (name, ok, why) in cases {
        let parsed = Timezone::parse(name);
        assert_eq!(parsed.is_ok(), ok, "{why}: {name:?}");
        if let Ok(tz) = parsed {
            assert_eq!((tz.as_str(), tz.to_string()), (name, name.to_owned()), "{why}: one spelling");
            assert_eq!(name.parse::<Timezone>(), Ok(tz), "{why}: FromStr agrees");
        }
    }
    assert_eq!(Timezone::default(), Timezone::UTC, "a tenant is on UTC until it says otherwise");
    assert_eq!(Timezone::default().as_str(), "UTC", "and UTC is named so");
    assert_eq!(format!("{:?}", zone("Africa/Dakar")), "Timezone(Africa/Dakar)", "debug shows the name");
}

#[test]
fn local_dates_follow_the_zone() {
    let cases = [
        ("UTC", "2026-01-01T23:59:59Z", "2026-01-01", "UTC"),
        ("Pacific/Kiritimati", "2026-01-01T10:00:00Z", "2026-01-02", "UTC+14 is a day ahead from 10:00 UTC"),
        ("America/New_York", "2026-01-01T04:59:59Z", "2025-12-31", "New York is behind"),
        ("Asia/Singapore", "2026-01-01T16:00:00Z", "2026-01-02", "Singapore's midnight"),
    ];
    for (name, now, expected, why) in cases {
        assert_eq!(zone(name).local_date(at(now)), date(expected), "{why}");
    }
}

#[test]
fn a_day_starts_at_its_first_local_instant() {
    let cases = [
        ("UTC", "2026-01-01", "2026-01-01T00:00:00Z", "midnight UTC"),
        ("Pacific/Kiritimati", "2026-01-01", "2025-12-31T10:00:00Z", "midnight at UTC+14"),
        ("America/New_York", "2026-03-08", "2026-03-08T05:00:00Z", "a spring-forward day still has its midnight"),
        ("America/Havana", "2026-03-08", "2026-03-08T05:00:00Z", "a skipped midnight: 01:00 daylight time"),
        ("Africa/Cairo", "2026-04-24", "2026-04-23T22:00:00Z", "Cairo skips midnight too"),
        ("America/Santiago", "2026-09-06", "2026-09-06T04:00:00Z", "and Santiago"),
        ("America/Havana", "2026-11-01", "2026-11-01T04:00:00Z", "a midnight that happens twice: the first"),
        ("Pacific/Apia", "2011-12-30", "2011-12-30T10:00:00Z", "a skipped day starts when the next one does"),
    ];
    for (name, day, expected, why) in cases {
        assert_eq!(zone(name).start_of_day(date(day)), at(expected), "{why}");
    }
}

#[test]
fn a_change_of_zone_waits_for_both_zones_midnight() {
    let cases = [
        ("UTC", "UTC", "2026-01-01T12:00:00Z", "2026-01-02T00:00:00Z", "the same zone: its next midnight"),
        (
            "Asia/Singapore",
            "America/New_York",
            "2026-01-01T02:00:00Z",
            "2026-01-01T16:00:00Z",
            "moving west: Singapore's midnight, after New York's",
        ),
        (
            "America/New_York",
            "Asia/Singapore",
            "2026-01-01T02:00:00Z",
            "2026-01-01T16:00:00Z",
            "moving east: Singapore's midnight, after New York's",
        ),
        (
            "America/New_York",
            "Asia/Singapore",
            "2026-01-01T12:00:00Z",
            "2026-01-02T05:00:00Z",
            "moving east, later in the day: New York's midnight comes last",
        ),
        (
            "Africa/Dakar",
            "Pacific/Kiritimati",
            "2026-01-01T12:00:00Z",
            "2026-01-02T10:00:00Z",
            "to UTC+14 after its day has begun: its next midnight",
        ),
        (
            "UTC",
            "America/New_York",
            "2026-03-08T01:00:00Z",
            "2026-03-09T00:00:00Z",
            "before New York's 23-hour day: UTC's midnight comes last",
        ),
        (
            "America/New_York",
            "UTC",
            "2026-03-08T05:00:00Z",
            "2026-03-09T04:00:00Z",
            "leaving New York on its 23-hour day: its short day still ends",
        ),
    ];
    for (from, to, now, expected, why) in cases {
        let effective = timezone_change_effective(zone(from), zone(to), at(now));
        assert_eq!(effective, at(expected), "{why}");
    }
}

#[test]
fn after_a_change_the_date_in_force_does_not_go_back() {
    // (from, to, now, how many days the date in force moves at the change, why)
    let cases = [
        ("Asia/Singapore", "America/New_York", "2026-01-01T02:00:00Z", 0, "moving west continues today"),
        ("America/New_York", "Asia/Singapore", "2026-01-01T02:00:00Z", 1, "moving east opens tomorrow"),
        ("UTC", "UTC", "2026-01-01T12:00:00Z", 1, "the same zone moves to the next day"),
        ("Pacific/Kiritimati", "Pacific/Honolulu", "2026-01-01T12:00:00Z", 0, "exactly a day apart still holds"),
        (
            "Pacific/Kiritimati",
            "Pacific/Pago_Pago",
            "2026-01-01T12:00:00Z",
            -1,
            "25 hours apart, moving west must return to yesterday's date",
        ),
    ];
    for (from, to, now, moved, why) in cases {
        assert_eq!(date_moves(zone(from), zone(to), at(now)), moved, "{why}");
    }
}

/// How many days the date in force moves when a change from `from` to `to` asked at `now` takes effect.
fn date_moves(from: Timezone, to: Timezone, now: DateTime<Utc>) -> i64 {
    let effective = timezone_change_effective(from, to, now);
    let before = Window::Day.key(from, effective - TimeDelta::nanoseconds(1));
    let after = Window::Day.key(to, effective);
    (after - before).num_days()
}

/// Instants from 1970 to 2100, to the nanosecond.
fn instant() -> impl Strategy<Value = DateTime<Utc>> {
    (0i64..4_102_444_800, 0u32..1_000_000_000)
        .prop_map(|(seconds, nanos)| DateTime::from_timestamp(seconds, nanos).unwrap())
}

fn any_zone() -> impl Strategy<Value = Timezone> {
    proptest::sample::select(chrono_tz::TZ_VARIANTS.to_vec()).prop_map(|tz| zone(tz.name()))
}

/// Seconds east of UTC at `at`.
fn offset(tz: Timezone, at: DateTime<Utc>) -> i32 {
    tz.tz().offset_from_utc_datetime(&at.naive_utc()).fix().local_minus_utc()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(20_000))]

    #[test]
    fn a_change_lands_on_a_midnight_after_both_current_days(from in any_zone(), to in any_zone(), now in instant()) {
        let effective = timezone_change_effective(from, to, now);
        prop_assert!(effective > now, "{} -> {}: strictly after the request", from, to);
        for tz in [from, to] {
            let (_, day_end) = Window::Day.bounds(tz, now);
            prop_assert!(effective >= day_end, "{} -> {}: the day open in {} at the request has ended", from, to, tz);
        }
        let is_midnight = |tz| Window::Day.bounds(tz, effective).0 == effective;
        prop_assert!(is_midnight(from) || is_midnight(to), "{} -> {}: a day starts at the change", from, to);
        if (offset(from, effective) - offset(to, effective)).abs() < 86_400 {
            let moved = date_moves(from, to, now);
            prop_assert!(moved == 0 || moved == 1, "{} -> {} at {}: the date moved {} days", from, to, now, moved);
        }
    }
}

#[test]
fn a_scheduled_change_keeps_the_old_zone_until_it_takes_effect() {
    let (dakar, singapore) = (Timezone::parse("Africa/Dakar").unwrap(), Timezone::parse("Asia/Singapore").unwrap());
    // 2026-03-10 20:00 UTC: 20:00 in Dakar (UTC+0), 04:00 on the 11th in Singapore (UTC+8).
    let now = chrono::Utc.with_ymd_and_hms(2026, 3, 10, 20, 0, 0).unwrap();
    let change = TimezoneChange::schedule(dakar, None, singapore, now).unwrap();
    let dakar_midnight = chrono::Utc.with_ymd_and_hms(2026, 3, 11, 0, 0, 0).unwrap();
    let singapore_midnight = chrono::Utc.with_ymd_and_hms(2026, 3, 11, 16, 0, 0).unwrap();
    assert_eq!(change, TimezoneChange { from: dakar, effective_at: dakar_midnight.max(singapore_midnight) });
    let before = singapore_midnight - chrono::Duration::seconds(1);
    assert_eq!(zone_in_force(singapore, Some(change), before), dakar, "the old zone until the later midnight");
    assert_eq!(zone_in_force(singapore, Some(change), singapore_midnight), singapore, "then the new one");
    assert_eq!(TimezoneChange::schedule(singapore, Some(change), dakar, now), None, "back before it took effect");
    assert_eq!(TimezoneChange::schedule(dakar, None, dakar, now), None, "no change");
}
