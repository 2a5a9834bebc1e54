//! The deadline rules of DOMAIN.md §7 as tables (receipt time, limit, expected due instant), the
//! working-day table, working-time arithmetic and the calendar settings.
//! All times are local Vietnam time (UTC+7).

use jiff::civil::{Date, DateTime, date, time};
use jiff::{Timestamp, tz};
use motcua_domain::calendar::{
    CalendarConfig, CalendarError, DayKind, HolidayTable, OfficeHours, PauseMode, SaturdayMorning,
    Session,
    TimeLimit::{self, *},
    Timeliness, WorkCalendar, WorkingDayMode,
};

/// A local (UTC+7) wall-clock time such as `"2025-03-03T10:00"`, as an instant.
fn lt(local: &str) -> Timestamp {
    let dt: DateTime = local.parse().expect("a local date-time");
    tz::offset(7).to_timestamp(dt).expect("in range")
}

fn default_calendar() -> WorkCalendar {
    WorkCalendar::new(CalendarConfig::default())
}

fn end_of_day_calendar() -> WorkCalendar {
    WorkCalendar::new(CalendarConfig {
        working_day_mode: WorkingDayMode::EndOfDay,
        ..CalendarConfig::default()
    })
}

fn saturday_calendar(saturday: fn(Session) -> SaturdayMorning) -> WorkCalendar {
    let morning = Session::new(time(7, 0, 0, 0), time(11, 30, 0, 0)).expect("valid session");
    let office_hours = OfficeHours::default().with_saturday_morning(saturday(morning));
    WorkCalendar::new(CalendarConfig {
        office_hours,
        ..CalendarConfig::default()
    })
}

fn check_due(cal: &WorkCalendar, cases: &[(&str, Timestamp, TimeLimit, Timestamp)]) {
    let mut failures = Vec::new();
    for &(name, received, limit, expected) in cases {
        let due = cal.due_at(received, limit);
        if due != expected {
            failures.push(format!(
                "{name}: received {} + {limit} → {} (expected {})",
                cal.local(received),
                cal.local(due),
                cal.local(expected)
            ));
        }
    }
    assert!(failures.is_empty(), "\n{}", failures.join("\n"));
}

#[test]
#[rustfmt::skip]
fn working_hours_spill_over_lunch_evenings_weekends_and_holidays() {
    check_due(
        &default_calendar(),
        &[
            ("lunch spill", lt("2025-03-03T10:00"), WorkingHours(2), lt("2025-03-03T14:00")),
            ("ends exactly at 11:30", lt("2025-03-03T09:30"), WorkingHours(2), lt("2025-03-03T11:30")),
            ("ends exactly at 17:00", lt("2025-03-03T14:00"), WorkingHours(3), lt("2025-03-03T17:00")),
            ("received at lunch", lt("2025-03-03T12:00"), WorkingHours(1), lt("2025-03-03T14:30")),
            ("received at 11:30", lt("2025-03-03T11:30"), WorkingHours(1), lt("2025-03-03T14:30")),
            ("received after 17:00", lt("2025-03-03T18:00"), WorkingHours(1), lt("2025-03-04T08:00")),
            ("received at 17:00", lt("2025-03-03T17:00"), WorkingHours(1), lt("2025-03-04T08:00")),
            ("received before 07:00", lt("2025-03-03T06:00"), WorkingHours(1), lt("2025-03-03T08:00")),
            ("Friday → Monday", lt("2025-03-07T16:00"), WorkingHours(2), lt("2025-03-10T08:00")),
            ("received on Sunday", lt("2025-03-09T10:00"), WorkingHours(8), lt("2025-03-10T17:00")),
            ("Tết 2025", lt("2025-01-24T16:00"), WorkingHours(2), lt("2025-02-03T08:00")),
            ("zero hours = clock start", lt("2025-03-08T10:00"), WorkingHours(0), lt("2025-03-10T07:00")),
        ],
    );
}

#[test]
#[rustfmt::skip]
fn working_days_in_elapsed_hours_mode() {
    check_due(
        &default_calendar(),
        &[
            ("Mon 10:00 + 1 = Tue 10:00", lt("2025-03-03T10:00"), WorkingDays(1), lt("2025-03-04T10:00")),
            ("Mon 07:00 + 1 = Mon 17:00", lt("2025-03-03T07:00"), WorkingDays(1), lt("2025-03-03T17:00")),
            ("after hours", lt("2025-03-03T18:00"), WorkingDays(1), lt("2025-03-04T17:00")),
            ("Friday → Monday", lt("2025-03-07T10:00"), WorkingDays(1), lt("2025-03-10T10:00")),
            ("5 days over a weekend", lt("2025-03-05T14:00"), WorkingDays(5), lt("2025-03-12T14:00")),
            // Tết 2025: Sat 25/01 – Sun 02/02.
            ("Tết 2025", lt("2025-01-23T10:00"), WorkingDays(2), lt("2025-02-03T10:00")),
            // Tết 2026: Sat 14/02 – Sun 22/02.
            ("Tết 2026", lt("2026-02-12T14:00"), WorkingDays(3), lt("2026-02-24T14:00")),
            // Sat 26/04/2025 is worked in exchange for Fri 02/05/2025.
            ("swapped Saturday 2025 counts", lt("2025-04-25T10:00"), WorkingDays(1), lt("2025-04-26T10:00")),
            ("Fri 02/05/2025 does not count", lt("2025-04-29T10:00"), WorkingDays(1), lt("2025-05-05T10:00")),
            ("30/4 break 2025", lt("2025-04-29T10:00"), WorkingDays(2), lt("2025-05-06T10:00")),
            ("Hùng Kings 2025 Mon 07/04", lt("2025-04-04T10:00"), WorkingDays(1), lt("2025-04-08T10:00")),
            ("National Day 2025", lt("2025-08-29T10:00"), WorkingDays(1), lt("2025-09-03T10:00")),
            ("Hùng Kings 2026 Mon 27/04", lt("2026-04-24T09:00"), WorkingDays(1), lt("2026-04-28T09:00")),
            ("New Year 2026", lt("2025-12-31T15:00"), WorkingDays(1), lt("2026-01-05T15:00")),
            ("swapped Saturday 10/01/2026", lt("2026-01-09T10:00"), WorkingDays(1), lt("2026-01-10T10:00")),
            ("swapped Saturday 22/08/2026", lt("2026-08-21T10:00"), WorkingDays(1), lt("2026-08-22T10:00")),
            ("National Day 2026 incl. Mon 31/08", lt("2026-08-28T10:00"), WorkingDays(1), lt("2026-09-03T10:00")),
            ("Tết 2024", lt("2024-02-07T10:00"), WorkingDays(1), lt("2024-02-15T10:00")),
            ("Hùng Kings 2024 Thu 18/04", lt("2024-04-17T10:00"), WorkingDays(1), lt("2024-04-19T10:00")),
            ("swapped Saturday 04/05/2024", lt("2024-05-03T10:00"), WorkingDays(1), lt("2024-05-04T10:00")),
            ("New Year 2025", lt("2024-12-31T10:00"), WorkingDays(1), lt("2025-01-02T10:00")),
        ],
    );
}

#[test]
#[rustfmt::skip]
fn working_days_in_end_of_day_mode() {
    check_due(
        &end_of_day_calendar(),
        &[
            ("Mon 10:00 + 1 = Tue close", lt("2025-03-03T10:00"), WorkingDays(1), lt("2025-03-04T17:00")),
            ("at the opening the day counts", lt("2025-03-03T07:00"), WorkingDays(1), lt("2025-03-03T17:00")),
            ("before the opening too", lt("2025-03-03T06:00"), WorkingDays(1), lt("2025-03-03T17:00")),
            ("after hours", lt("2025-03-03T18:00"), WorkingDays(1), lt("2025-03-04T17:00")),
            ("swapped Saturday", lt("2025-04-25T10:00"), WorkingDays(1), lt("2025-04-26T17:00")),
            ("Tết 2026", lt("2026-02-13T09:00"), WorkingDays(1), lt("2026-02-23T17:00")),
            ("zero days = close of the clock-start day", lt("2025-03-05T11:00"), WorkingDays(0), lt("2025-03-05T17:00")),
            // The mode only concerns working days: hours still count as elapsed working time.
            ("hours unchanged", lt("2025-03-03T10:00"), WorkingHours(2), lt("2025-03-03T14:00")),
        ],
    );
}

#[test]
#[rustfmt::skip]
fn calendar_days_are_moved_off_days_off_to_the_close() {
    check_due(
        &default_calendar(),
        &[
            ("30 days", lt("2025-03-03T10:00"), CalendarDays(30), lt("2025-04-02T17:00")),
            ("lands on Saturday", lt("2025-03-03T10:00"), CalendarDays(5), lt("2025-03-10T17:00")),
            ("lands on 30/4/2025", lt("2025-04-25T10:00"), CalendarDays(5), lt("2025-05-05T17:00")),
            ("lands in Tết 2026", lt("2026-02-09T10:00"), CalendarDays(7), lt("2026-02-23T17:00")),
            ("lands on Hùng Kings 2026", lt("2026-04-20T10:00"), CalendarDays(7), lt("2026-04-28T17:00")),
            ("lands on a swapped Saturday", lt("2025-04-18T10:00"), CalendarDays(8), lt("2025-04-26T17:00")),
            ("received after hours counts from the next morning", lt("2025-03-03T18:00"), CalendarDays(1), lt("2025-03-05T17:00")),
            ("received on Saturday", lt("2025-03-08T10:00"), CalendarDays(1), lt("2025-03-11T17:00")),
        ],
    );
}

#[test]
#[rustfmt::skip]
fn clock_hours_run_through_nights_and_holidays() {
    check_due(
        &default_calendar(),
        &[
            ("24 hours into Tết 2026", lt("2026-02-13T10:00"), ClockHours(24), lt("2026-02-14T10:00")),
            ("24 hours from a Saturday night", lt("2025-03-08T22:30"), ClockHours(24), lt("2025-03-09T22:30")),
            ("seconds are kept", lt("2027-03-01T09:15:42"), ClockHours(24), lt("2027-03-02T09:15:42")),
        ],
    );
}

#[test]
#[rustfmt::skip]
fn same_day_follows_the_15_00_cut_off() {
    check_due(
        &default_calendar(),
        &[
            ("14:59", lt("2025-03-03T14:59"), SameDay, lt("2025-03-03T17:00")),
            ("15:00 is not after 15:00", lt("2025-03-03T15:00"), SameDay, lt("2025-03-03T17:00")),
            ("15:00:01", lt("2025-03-03T15:00:01"), SameDay, lt("2025-03-04T17:00")),
            ("15:01", lt("2025-03-03T15:01"), SameDay, lt("2025-03-04T17:00")),
            ("before opening", lt("2025-03-03T06:30"), SameDay, lt("2025-03-03T17:00")),
            ("after closing", lt("2025-03-03T17:30"), SameDay, lt("2025-03-04T17:00")),
            ("Friday after cut-off", lt("2025-03-07T16:00"), SameDay, lt("2025-03-10T17:00")),
            ("received on a Saturday", lt("2025-03-08T09:00"), SameDay, lt("2025-03-10T17:00")),
            ("received on a Sunday morning", lt("2025-03-09T09:00"), SameDay, lt("2025-03-10T17:00")),
            ("on a swapped Saturday", lt("2025-04-26T10:00"), SameDay, lt("2025-04-26T17:00")),
            ("after cut-off before a swapped Saturday", lt("2025-04-25T15:30"), SameDay, lt("2025-04-26T17:00")),
            ("after cut-off before the 30/4 break", lt("2025-04-29T16:00"), SameDay, lt("2025-05-05T17:00")),
            ("in Tết 2026", lt("2026-02-16T09:00"), SameDay, lt("2026-02-23T17:00")),
        ],
    );
}

#[test]
#[rustfmt::skip]
fn saturday_morning_as_working_time() {
    let cal = saturday_calendar(SaturdayMorning::Working);
    check_due(
        &cal,
        &[
            ("Friday spills into Saturday", lt("2025-03-07T16:00"), WorkingHours(2), lt("2025-03-08T08:00")),
            ("Saturday afternoon → Monday", lt("2025-03-08T12:00"), WorkingHours(1), lt("2025-03-10T08:00")),
            ("same day on a Saturday closes at 11:30", lt("2025-03-08T09:00"), SameDay, lt("2025-03-08T11:30")),
            ("Saturday after its close", lt("2025-03-08T12:00"), SameDay, lt("2025-03-10T17:00")),
            ("a Tết Saturday stays closed", lt("2025-01-24T16:00"), WorkingHours(2), lt("2025-02-03T08:00")),
            ("a swapped Saturday is a full day", lt("2025-04-26T13:30"), WorkingHours(1), lt("2025-04-26T14:30")),
            ("1 day = 8 h, Saturday counts 4.5 h", lt("2025-03-07T10:00"), WorkingDays(1), lt("2025-03-08T10:00")),
        ],
    );
    assert!(cal.is_working_day(date(2025, 3, 8)));
    assert!(!cal.is_working_day(date(2025, 3, 9)));
}

#[test]
fn saturday_morning_receipt_only_opens_the_desk_but_not_the_clock() {
    let cal = saturday_calendar(SaturdayMorning::ReceiptOnly);
    assert!(cal.is_desk_open(lt("2025-03-08T09:00")));
    assert!(!cal.is_desk_open(lt("2025-03-08T11:30")));
    assert!(
        !cal.is_desk_open(lt("2025-01-25T09:00")),
        "a Tết Saturday stays closed"
    );
    assert!(!cal.is_working_day(date(2025, 3, 8)));
    assert_eq!(
        cal.clock_start(lt("2025-03-08T09:00")),
        lt("2025-03-10T07:00")
    );
    assert_eq!(
        cal.due_at(lt("2025-03-08T09:00"), WorkingDays(1)),
        lt("2025-03-10T17:00")
    );
    assert_eq!(
        cal.due_at(lt("2025-03-08T09:00"), SameDay),
        lt("2025-03-10T17:00")
    );

    let closed = default_calendar();
    assert!(!closed.is_desk_open(lt("2025-03-08T09:00")));
    assert!(closed.is_desk_open(lt("2025-03-07T09:00")));
    assert!(!closed.is_desk_open(lt("2025-03-07T12:00")), "lunch");
    assert!(
        closed.is_desk_open(lt("2025-04-26T09:00")),
        "swapped working Saturday"
    );
}

#[test]
fn working_days_follow_the_2024_2026_table() {
    let cal = default_calendar();
    let cases: &[(Date, bool)] = &[
        (date(2025, 3, 3), true),
        (date(2025, 3, 8), false),
        (date(2025, 3, 9), false),
        (date(2024, 1, 1), false),
        (date(2024, 2, 8), false),
        (date(2024, 2, 14), false),
        (date(2024, 2, 15), true),
        (date(2024, 4, 18), false),
        (date(2024, 4, 29), false),
        (date(2024, 5, 4), true),
        (date(2024, 9, 3), false),
        (date(2025, 1, 1), false),
        (date(2025, 1, 24), true),
        (date(2025, 1, 31), false),
        (date(2025, 2, 3), true),
        (date(2025, 4, 7), false),
        (date(2025, 4, 26), true),
        (date(2025, 5, 2), false),
        (date(2025, 9, 1), false),
        (date(2025, 9, 2), false),
        (date(2026, 1, 2), false),
        (date(2026, 1, 10), true),
        (date(2026, 2, 20), false),
        (date(2026, 2, 23), true),
        (date(2026, 4, 27), false),
        (date(2026, 5, 1), false),
        (date(2026, 8, 22), true),
        (date(2026, 8, 31), false),
        (date(2026, 9, 2), false),
        (date(2026, 9, 3), true),
        // Outside the table a date follows its weekday: 01/01/2027 is a Friday. Check
        // `HolidayTable::years` before trusting deadlines after 2026.
        (date(2027, 1, 1), true),
    ];
    for &(d, working) in cases {
        assert_eq!(cal.is_working_day(d), working, "{d}");
    }
}

#[test]
fn clock_start_normalises_a_receipt_into_working_time() {
    let cal = default_calendar();
    for (received, start) in [
        (lt("2025-03-03T10:00"), lt("2025-03-03T10:00")),
        (lt("2025-03-03T07:00"), lt("2025-03-03T07:00")),
        (lt("2025-03-03T06:00"), lt("2025-03-03T07:00")),
        (lt("2025-03-03T11:29:59"), lt("2025-03-03T11:29:59")),
        (lt("2025-03-03T11:30"), lt("2025-03-03T13:30")),
        (lt("2025-03-03T12:15"), lt("2025-03-03T13:30")),
        (lt("2025-03-03T13:30"), lt("2025-03-03T13:30")),
        (lt("2025-03-03T17:00"), lt("2025-03-04T07:00")),
        (lt("2025-03-03T23:59"), lt("2025-03-04T07:00")),
        (lt("2025-03-08T09:00"), lt("2025-03-10T07:00")),
        (lt("2025-01-24T17:30"), lt("2025-02-03T07:00")),
        (lt("2025-04-25T17:30"), lt("2025-04-26T07:00")),
    ] {
        assert_eq!(cal.clock_start(received), start, "{}", cal.local(received));
    }
}

#[test]
fn working_minutes_between_counts_office_time_only() {
    let cal = default_calendar();
    assert_eq!(
        cal.working_minutes_between(lt("2025-03-03T10:00"), lt("2025-03-03T14:00")),
        120
    );
    assert_eq!(
        cal.working_minutes_between(lt("2025-03-07T16:00"), lt("2025-03-10T08:00")),
        120
    );
    assert_eq!(
        cal.working_minutes_between(lt("2025-03-03T07:00"), lt("2025-03-10T07:00")),
        5 * 480
    );
    assert_eq!(
        cal.working_minutes_between(lt("2025-01-20T07:00"), lt("2025-02-03T07:00")),
        5 * 480,
        "Tết week"
    );
    assert_eq!(
        cal.working_minutes_between(lt("2025-03-03T14:00"), lt("2025-03-03T10:00")),
        0
    );
    assert_eq!(
        cal.working_minutes_between(lt("2025-03-03T10:00"), lt("2025-03-03T10:00:59")),
        0,
        "rounds down"
    );
    assert_eq!(
        cal.working_minutes_between(lt("2025-03-03T12:00"), lt("2025-03-03T13:00")),
        0,
        "lunch"
    );
}

#[test]
fn add_working_minutes_walks_both_ways() {
    let cal = default_calendar();
    assert_eq!(
        cal.add_working_minutes(lt("2025-03-03T10:00"), 120),
        lt("2025-03-03T14:00")
    );
    assert_eq!(
        cal.add_working_minutes(lt("2025-03-03T14:00"), -120),
        lt("2025-03-03T10:00")
    );
    assert_eq!(
        cal.add_working_minutes(lt("2025-03-03T14:00"), -30),
        lt("2025-03-03T13:30")
    );
    assert_eq!(
        cal.add_working_minutes(lt("2025-03-03T14:00"), -60),
        lt("2025-03-03T11:00")
    );
    assert_eq!(
        cal.add_working_minutes(lt("2025-03-03T08:00"), -60),
        lt("2025-03-03T07:00"),
        "a start stays"
    );
    assert_eq!(
        cal.add_working_minutes(lt("2025-03-03T07:00"), -1),
        lt("2025-02-28T16:59")
    );
    assert_eq!(
        cal.add_working_minutes(lt("2025-03-08T10:00"), 0),
        lt("2025-03-08T10:00"),
        "0 is the identity"
    );
    assert_eq!(
        cal.add_working_minutes(lt("2025-03-08T10:00"), 1),
        lt("2025-03-10T07:01")
    );
    assert_eq!(
        cal.add_working_minutes(lt("2025-03-03T10:00"), i64::MAX),
        Timestamp::MAX
    );
    assert_eq!(
        cal.add_working_minutes(lt("2025-03-03T10:00"), i64::MIN),
        Timestamp::MIN
    );
}

#[test]
fn extreme_limits_saturate_instead_of_panicking() {
    for cal in [default_calendar(), end_of_day_calendar()] {
        for limit in [
            WorkingHours(u32::MAX),
            WorkingDays(u32::MAX),
            CalendarDays(u32::MAX),
        ] {
            assert_eq!(
                cal.due_at(lt("2025-03-03T10:00"), limit),
                Timestamp::MAX,
                "{limit}"
            );
        }
        let near_end = Timestamp::MAX - jiff::SignedDuration::from_hours(1);
        for limit in [
            WorkingHours(1),
            WorkingDays(1),
            CalendarDays(1),
            ClockHours(2),
            SameDay,
        ] {
            assert_eq!(cal.due_at(near_end, limit), Timestamp::MAX, "{limit}");
        }
        // u32::MAX hours is about 490 000 years: past the year 9999.
        assert_eq!(
            cal.due_at(lt("2025-03-03T10:00"), ClockHours(u32::MAX)),
            Timestamp::MAX
        );
    }
}

#[test]
fn local_date_uses_utc_plus_7() {
    let cal = default_calendar();
    let ts: Timestamp = "2025-03-04T17:30:00Z".parse().expect("RFC 3339");
    assert_eq!(cal.local_date(ts), date(2025, 3, 5));
    assert_eq!(cal.config().time_zone().to_offset(ts), tz::offset(7));
}

#[test]
fn shipped_holiday_csv_parses_with_rows_for_2024_2025_2026() {
    let table =
        HolidayTable::from_csv(include_str!("../data/holidays.csv")).expect("shipped table parses");
    assert_eq!(table.years(), vec![2024, 2025, 2026]);
    for year in [2024, 2025, 2026] {
        let rows: Vec<_> = table.entries().filter(|e| e.date.year() == year).collect();
        assert!(
            rows.iter().any(|e| e.kind == DayKind::DayOff),
            "{year} has days off"
        );
        assert!(
            rows.iter().any(|e| e.kind == DayKind::WorkingSaturday),
            "{year} has a working Saturday"
        );
        assert!(
            rows.iter()
                .all(|e| !e.name.is_empty() && !e.source.is_empty())
        );
    }
    let saturdays: Vec<Date> = table
        .entries()
        .filter(|e| e.kind == DayKind::WorkingSaturday)
        .map(|e| e.date)
        .collect();
    assert_eq!(
        saturdays,
        [
            date(2024, 5, 4),
            date(2025, 4, 26),
            date(2026, 1, 10),
            date(2026, 8, 22)
        ]
    );
    // Weekdays off per DOMAIN.md §7: what `is_working_day` depends on.
    let weekdays_off = |year: i16| {
        table
            .entries()
            .filter(|e| e.date.year() == year && e.kind == DayKind::DayOff)
            .filter(|e| {
                !matches!(
                    e.date.weekday(),
                    jiff::civil::Weekday::Saturday | jiff::civil::Weekday::Sunday
                )
            })
            .count()
    };
    // 2024: 1 + Tết 5 + Hùng 1 + 29/4–1/5 3 + 2–3/9 2.
    assert_eq!(weekdays_off(2024), 12);
    // 2025: 1 + Tết 5 + Hùng 1 + 30/4–2/5 3 + 1–2/9 2.
    assert_eq!(weekdays_off(2025), 12);
    // 2026: 1–2/1 2 + Tết 5 + Hùng 1 + 30/4–1/5 2 + 31/8–2/9 3.
    assert_eq!(weekdays_off(2026), 13);
    assert_eq!(HolidayTable::vietnam_2024_2026(), table);
}

#[test]
fn a_province_can_load_a_corrected_table() {
    let csv = "date,kind,name,source\n2025-03-04,day_off,Provincial day off,Decision 1/QĐ-UBND\n";
    let holidays = HolidayTable::from_csv(csv).expect("valid");
    let cal = WorkCalendar::new(CalendarConfig {
        holidays,
        ..CalendarConfig::default()
    });
    assert_eq!(
        cal.due_at(lt("2025-03-03T10:00"), WorkingDays(1)),
        lt("2025-03-05T10:00")
    );
    assert!(matches!(
        HolidayTable::from_csv("date,kind,name,source\n2025-03-04,day-off,x,y\n"),
        Err(CalendarError::HolidayRow { line: 2, .. })
    ));
}

#[test]
fn office_hours_are_configurable_and_validated() {
    let s = |h1, m1, h2, m2| Session::new(time(h1, m1, 0, 0), time(h2, m2, 0, 0));
    assert!(matches!(
        s(9, 0, 9, 0),
        Err(CalendarError::EmptySession { .. })
    ));
    let morning = s(7, 30, 11, 30).expect("valid");
    let afternoon = s(13, 0, 16, 30).expect("valid");
    assert!(matches!(
        OfficeHours::new(afternoon, morning),
        Err(CalendarError::OverlappingSessions { .. })
    ));
    let hours = OfficeHours::new(morning, afternoon).expect("valid");
    assert_eq!(
        hours.working_day_length(),
        jiff::SignedDuration::from_mins(4 * 60 + 210)
    );
    let cal = WorkCalendar::new(CalendarConfig {
        office_hours: hours,
        ..CalendarConfig::default()
    });
    // 1 working day = 7.5 h here.
    assert_eq!(
        cal.due_at(lt("2025-03-03T07:30"), WorkingDays(1)),
        lt("2025-03-03T16:30")
    );
    assert_eq!(
        cal.due_at(lt("2025-03-03T12:00"), WorkingHours(1)),
        lt("2025-03-03T14:00")
    );
    assert_eq!(
        cal.due_at(lt("2025-03-03T15:00"), SameDay),
        lt("2025-03-03T16:30")
    );
    // The 8-working-hour intake rule does not shrink with the day.
    assert_eq!(
        cal.online_intake_deadline(lt("2025-03-03T07:30")),
        lt("2025-03-04T08:00")
    );
}

#[test]
fn office_hours_read_from_configuration_json() {
    let json = r#"{
        "morning": {"start": "07:30", "end": "11:30"},
        "afternoon": {"start": "13:00", "end": "17:00"},
        "saturday_morning": {"mode": "receipt_only", "start": "08:00", "end": "11:00"}
    }"#;
    let hours: OfficeHours = serde_json::from_str(json).expect("valid office hours");
    assert_eq!(hours.morning().start(), time(7, 30, 0, 0));
    assert!(
        matches!(hours.saturday_morning(), SaturdayMorning::ReceiptOnly(s) if s.end() == time(11, 0, 0, 0))
    );
    let back: OfficeHours =
        serde_json::from_str(&serde_json::to_string(&hours).expect("serialises")).expect("parses");
    assert_eq!(back, hours);
    let without_saturday = r#"{"morning":{"start":"07:00","end":"11:30"},"afternoon":{"start":"13:30","end":"17:00"}}"#;
    assert_eq!(
        serde_json::from_str::<OfficeHours>(without_saturday).expect("valid"),
        OfficeHours::default()
    );
    let overlapping = r#"{"morning":{"start":"07:00","end":"14:00"},"afternoon":{"start":"13:30","end":"17:00"}}"#;
    assert!(serde_json::from_str::<OfficeHours>(overlapping).is_err());
    let empty = r#"{"morning":{"start":"11:00","end":"07:00"},"afternoon":{"start":"13:30","end":"17:00"}}"#;
    assert!(serde_json::from_str::<OfficeHours>(empty).is_err());
}

#[test]
fn settings_serialise_as_snake_case() {
    assert_eq!(
        serde_json::to_string(&WorkingDayMode::EndOfDay).expect("ok"),
        r#""end_of_day""#
    );
    assert_eq!(
        serde_json::to_string(&PauseMode::Restart).expect("ok"),
        r#""restart""#
    );
    assert_eq!(
        serde_json::to_string(&Timeliness::OnTime).expect("ok"),
        r#""on_time""#
    );
    assert_eq!(
        serde_json::to_string(&SaturdayMorning::Closed).expect("ok"),
        r#"{"mode":"closed"}"#
    );
}
