//! Invariants of the deadline engine, checked with generated receipts, limits and settings.

use jiff::civil::{Date, Weekday, date, time};
use jiff::{SignedDuration, Timestamp, tz};
use motcua_domain::calendar::{
    CalendarConfig, DayKind, HolidayEntry, HolidayTable, OfficeHours, PauseMode, SaturdayMorning,
    Session, TimeLimit, WorkCalendar, WorkingDayMode,
};
use proptest::prelude::*;

const MODES: [WorkingDayMode; 2] = [WorkingDayMode::ElapsedHours, WorkingDayMode::EndOfDay];

fn cut_offs() -> [jiff::civil::Time; 3] {
    [time(15, 0, 0, 0), time(16, 0, 0, 0), time(11, 0, 0, 0)]
}

fn calendar_with(
    working_day_mode: WorkingDayMode,
    saturday_working: bool,
    same_day_cutoff: jiff::civil::Time,
) -> WorkCalendar {
    let mut office_hours = OfficeHours::default();
    if saturday_working {
        let s = Session::new(time(7, 30, 0, 0), time(11, 0, 0, 0)).expect("valid session");
        office_hours = office_hours.with_saturday_morning(SaturdayMorning::Working(s));
    }
    WorkCalendar::new(CalendarConfig {
        working_day_mode,
        office_hours,
        same_day_cutoff,
        ..CalendarConfig::default()
    })
}

/// Calendars that differ in every setting that changes a deadline.
fn calendar() -> impl Strategy<Value = WorkCalendar> {
    (
        prop::sample::select(MODES.to_vec()),
        any::<bool>(),
        prop::sample::select(cut_offs().to_vec()),
    )
        .prop_map(|(mode, saturday, cutoff)| calendar_with(mode, saturday, cutoff))
}

/// A local (UTC+7) instant from December 2023 to early 2027, on whole minutes most of the time
/// (so that session boundaries and the cut-off are hit), sometimes with seconds.
fn instant() -> impl Strategy<Value = Timestamp> {
    (
        0i64..1200,
        0i64..1440,
        prop_oneof![3 => Just(0i64), 1 => 0i64..60],
    )
        .prop_map(|(day, minute, second)| {
            let start = tz::offset(7)
                .to_timestamp(date(2023, 12, 1).at(0, 0, 0, 0))
                .expect("in range");
            start + SignedDuration::from_secs(day * 86_400 + minute * 60 + second)
        })
}

/// A non-negative gap between two instants: often small, sometimes weeks.
fn gap() -> impl Strategy<Value = SignedDuration> {
    prop_oneof![
        2 => (0i64..120).prop_map(SignedDuration::from_secs),
        2 => (0i64..3 * 1440).prop_map(SignedDuration::from_mins),
        1 => (0i64..90 * 1440).prop_map(SignedDuration::from_mins),
    ]
}

fn limit() -> impl Strategy<Value = TimeLimit> {
    prop_oneof![
        (0u32..60).prop_map(TimeLimit::WorkingHours),
        (0u32..40).prop_map(TimeLimit::WorkingDays),
        (0u32..90).prop_map(TimeLimit::CalendarDays),
        (0u32..100).prop_map(TimeLimit::ClockHours),
        Just(TimeLimit::SameDay),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    /// A later receipt never yields an earlier due instant, for every unit and setting.
    #[test]
    fn due_at_is_monotone(cal in calendar(), received in instant(), later in gap(), limit in limit()) {
        let (a, b) = (received, received + later);
        prop_assert!(cal.due_at(a, limit) <= cal.due_at(b, limit),
            "{limit}: {} → {}, but {} → {}",
            cal.local(a), cal.local(cal.due_at(a, limit)), cal.local(b), cal.local(cal.due_at(b, limit)));
    }

    /// Nothing is due before it is received, and only a clock-hours limit can fall on a day off.
    #[test]
    fn due_at_is_not_before_the_receipt(cal in calendar(), received in instant(), limit in limit()) {
        let due = cal.due_at(received, limit);
        prop_assert!(due >= received);
        if !matches!(limit, TimeLimit::ClockHours(_)) {
            prop_assert!(cal.is_working_day(cal.local_date(due)), "{limit}: {}", cal.local(due));
        }
    }

    /// A pause never moves the due instant earlier, in either mode.
    #[test]
    fn due_after_pause_is_never_earlier(
        cal in calendar(),
        received in instant(),
        limit in limit(),
        extension in gap(),
        until_pause in gap(),
        pause in gap(),
        restart in any::<bool>(),
    ) {
        let mode = if restart { PauseMode::Restart } else { PauseMode::Continue };
        let clock = cal.clock_start(received);
        let current_due = cal.due_at(received, limit) + extension;
        let paused_at = received + until_pause;
        let resumed_at = paused_at + pause;
        let due = cal.due_after_pause(limit, clock, current_due, paused_at, resumed_at, mode);
        prop_assert!(due >= current_due);
    }

    /// Continuing after a pause grants exactly the working time that was left.
    #[test]
    fn continue_keeps_the_working_time_left(
        cal in calendar(),
        received in instant(),
        hours in 1u32..60,
        until_pause in gap(),
        pause in gap(),
    ) {
        let limit = TimeLimit::WorkingHours(hours);
        let clock = cal.clock_start(received);
        let due = cal.due_at(received, limit);
        let paused_at = received + until_pause;
        prop_assume!(paused_at < due);
        let resumed_at = paused_at + pause;
        let new_due = cal.due_after_pause(limit, clock, due, paused_at, resumed_at, PauseMode::Continue);
        let left = cal.working_minutes_between(paused_at.max(clock), due);
        let granted = cal.working_minutes_between(cal.clock_start(resumed_at), new_due);
        // Equal unless the new due was held back at the old one (a pause without working time).
        prop_assert!(granted == left || new_due == due, "left {left}, granted {granted}");
    }

    /// Working time adds up: a + b minutes in one go or in two steps from a normalised start.
    #[test]
    fn add_working_minutes_is_additive(cal in calendar(), t in instant(), a in 0i64..30_000, b in 0i64..30_000) {
        let s = cal.clock_start(t);
        prop_assert_eq!(cal.add_working_minutes(s, a + b), cal.add_working_minutes(cal.add_working_minutes(s, a), b));
    }

    /// `working_minutes_between` measures what `add_working_minutes` adds, over years beyond the
    /// table too, and backwards from any instant.
    #[test]
    fn between_inverts_add(cal in calendar(), t in instant(), m in 0i64..400_000) {
        let s = cal.clock_start(t);
        prop_assert_eq!(cal.working_minutes_between(s, cal.add_working_minutes(s, m)), m);
        prop_assert_eq!(cal.working_minutes_between(cal.add_working_minutes(t, -m), t), m);
    }

    /// A step of a liaison chain is never due after the whole dossier, and 100 % is the whole.
    #[test]
    fn step_due_is_within_the_limit(cal in calendar(), start in instant(), limit in limit(), share in 0u8..=100) {
        let whole = cal.due_at(start, limit);
        let step = cal.step_due(start, limit, share);
        prop_assert!(step <= whole);
        prop_assert!(step >= start);
        prop_assert_eq!(cal.step_due(start, limit, 100), whole);
    }

    /// An apology at its deadline leaves at least one working day before the due instant.
    #[test]
    fn apology_deadline_leaves_a_working_day(cal in calendar(), due in instant()) {
        let deadline = cal.apology_deadline(due);
        prop_assert!(cal.is_apology_timely(deadline, due));
        let day = cal.config().office_hours.working_day_length().as_mins();
        prop_assert_eq!(cal.working_minutes_between(deadline, due), day);
    }

    /// The compact and JSON forms of a time limit read back what they write.
    #[test]
    fn time_limit_round_trips(limit in prop_oneof![
        any::<u32>().prop_map(TimeLimit::WorkingHours),
        any::<u32>().prop_map(TimeLimit::WorkingDays),
        any::<u32>().prop_map(TimeLimit::CalendarDays),
        any::<u32>().prop_map(TimeLimit::ClockHours),
        Just(TimeLimit::SameDay),
    ]) {
        prop_assert_eq!(limit.to_string().parse::<TimeLimit>(), Ok(limit));
        let json = serde_json::to_string(&limit).expect("serialises");
        prop_assert_eq!(serde_json::from_str::<TimeLimit>(&json).expect("parses"), limit);
    }

    /// A holiday table written as CSV reads back equal, whatever its names contain.
    #[test]
    fn holiday_table_round_trips(rows in prop::collection::vec(
        (0i64..3000, any::<bool>(), "[a-zA-Z0-9 ,;\"'#/()àáảãạăắằêếềôốồơớờưứừđĐ\n-]{0,30}", "[a-zA-Z0-9 ,\"./§\\[\\]-]{0,30}"),
        0..40,
    )) {
        let mut table = HolidayTable::default();
        for (day, saturday, name, source) in rows {
            let mut d = date(2023, 1, 1).checked_add(SignedDuration::from_hours(day * 24)).expect("in range");
            if saturday {
                while d.weekday() != Weekday::Saturday {
                    d = d.tomorrow().expect("in range");
                }
            }
            let kind = if saturday { DayKind::WorkingSaturday } else { DayKind::DayOff };
            // Cells are trimmed when read, so the generated text is kept away from the edges.
            let entry = HolidayEntry { date: d, kind, name: format!("n {name} n"), source: format!("s {source} s") };
            let _duplicate_dates_are_refused = table.insert(entry);
        }
        let csv = table.to_csv();
        prop_assert_eq!(HolidayTable::from_csv(&csv), Ok(table));
    }
}

#[test]
fn monotone_at_the_cut_off_and_session_edges() {
    // The generated instants hit these only by chance; check them on every setting.
    let edges: Vec<Timestamp> = [
        (6, 59),
        (7, 0),
        (11, 29),
        (11, 30),
        (13, 29),
        (13, 30),
        (14, 59),
        (15, 0),
        (15, 1),
        (16, 59),
        (17, 0),
        (17, 1),
    ]
    .into_iter()
    .flat_map(|(h, m)| {
        [
            date(2025, 4, 25),
            date(2025, 4, 26),
            date(2025, 3, 8),
            date(2026, 2, 13),
        ]
        .map(|d: Date| {
            tz::offset(7)
                .to_timestamp(d.at(h, m, 0, 0))
                .expect("in range")
        })
    })
    .collect();
    let limits = [
        TimeLimit::WorkingHours(1),
        TimeLimit::WorkingDays(1),
        TimeLimit::CalendarDays(1),
        TimeLimit::ClockHours(1),
        TimeLimit::SameDay,
    ];
    let calendars = MODES.into_iter().flat_map(|mode| {
        [false, true].into_iter().flat_map(move |saturday| {
            cut_offs().map(|cutoff| calendar_with(mode, saturday, cutoff))
        })
    });
    for cal in calendars {
        for limit in limits {
            for &a in &edges {
                for &b in &edges {
                    if a <= b {
                        assert!(
                            cal.due_at(a, limit) <= cal.due_at(b, limit),
                            "{limit} {} {}",
                            cal.local(a),
                            cal.local(b)
                        );
                    }
                }
            }
        }
    }
}
