//! The deadlines of a dossier's life after receipt: pauses, liaison steps, apology, online
//! intake, timeliness (DOMAIN.md §2.2, §2.4, §2.6, §7.5–7.7). Local times are UTC+7.

use jiff::civil::DateTime;
use jiff::{Timestamp, tz};
use motcua_domain::calendar::{
    CalendarConfig, PauseMode, TimeLimit::*, Timeliness, WorkCalendar, WorkingDayMode,
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

#[test]
fn pause_restart_counts_the_limit_again_from_the_resume() {
    let cal = default_calendar();
    let received = lt("2025-03-03T10:00");
    let due = cal.due_at(received, WorkingDays(5));
    assert_eq!(due, lt("2025-03-10T10:00"));
    let (paused, resumed) = (lt("2025-03-04T10:00"), lt("2025-03-13T14:00"));
    let clock = cal.clock_start(received);
    assert_eq!(
        cal.due_after_pause(
            WorkingDays(5),
            clock,
            due,
            paused,
            resumed,
            PauseMode::Restart
        ),
        lt("2025-03-20T14:00")
    );
    // An extension already granted beyond the restarted limit is kept.
    let extended = lt("2025-03-31T17:00");
    assert_eq!(
        cal.due_after_pause(
            WorkingDays(5),
            clock,
            extended,
            paused,
            resumed,
            PauseMode::Restart
        ),
        extended
    );
    // Resumed after hours: the restarted limit counts from the next morning.
    assert_eq!(
        cal.due_after_pause(
            WorkingDays(1),
            clock,
            due,
            paused,
            lt("2025-03-14T18:00"),
            PauseMode::Restart
        ),
        lt("2025-03-17T17:00")
    );
}

#[test]
fn pause_continue_grants_the_time_left_again() {
    let cal = default_calendar();
    let received = lt("2025-03-03T10:00");
    let clock = cal.clock_start(received);
    let due = lt("2025-03-10T10:00");
    let (paused, resumed) = (lt("2025-03-04T10:00"), lt("2025-03-13T14:00"));
    // 4 working days were left at the pause.
    assert_eq!(
        cal.due_after_pause(
            WorkingDays(5),
            clock,
            due,
            paused,
            resumed,
            PauseMode::Continue
        ),
        lt("2025-03-19T14:00")
    );
    // A pause of zero length changes nothing.
    assert_eq!(
        cal.due_after_pause(
            WorkingDays(5),
            clock,
            due,
            paused,
            paused,
            PauseMode::Continue
        ),
        due
    );
    // A pause over a weekend only (no working time lost) changes nothing either.
    assert_eq!(
        cal.due_after_pause(
            WorkingDays(5),
            clock,
            due,
            lt("2025-03-07T17:00"),
            lt("2025-03-10T07:00"),
            PauseMode::Continue
        ),
        due
    );
    // Already overdue when paused: a pause does not cure lateness.
    assert_eq!(
        cal.due_after_pause(
            WorkingDays(5),
            clock,
            due,
            lt("2025-03-11T09:00"),
            lt("2025-03-20T09:00"),
            PauseMode::Continue
        ),
        due
    );
    // Clock hours: elapsed time left (18 h) from the resume.
    let due24 = cal.due_at(received, ClockHours(24));
    assert_eq!(
        cal.due_after_pause(
            ClockHours(24),
            received,
            due24,
            lt("2025-03-03T16:00"),
            lt("2025-03-05T09:00"),
            PauseMode::Continue
        ),
        lt("2025-03-06T03:00")
    );
    // Calendar days: the dates left (13/03 − 05/03 = 8) from the resume, then off days off.
    let due10 = cal.due_at(received, CalendarDays(10));
    assert_eq!(due10, lt("2025-03-13T17:00"));
    assert_eq!(
        cal.due_after_pause(
            CalendarDays(10),
            clock,
            due10,
            lt("2025-03-05T10:00"),
            lt("2025-03-10T09:00"),
            PauseMode::Continue
        ),
        lt("2025-03-18T17:00")
    );
    // End-of-day mode: the time left (9 h) lands Fri 10:00, moved to the close.
    let eod = end_of_day_calendar();
    let due2 = eod.due_at(received, WorkingDays(2));
    assert_eq!(due2, lt("2025-03-05T17:00"));
    assert_eq!(
        eod.due_after_pause(
            WorkingDays(2),
            clock,
            due2,
            lt("2025-03-04T16:00"),
            lt("2025-03-06T09:00"),
            PauseMode::Continue
        ),
        lt("2025-03-07T17:00")
    );
    // A pause that began before the clock started (received after hours) counts from the clock start.
    let late_receipt = lt("2025-03-03T18:00");
    let late_clock = cal.clock_start(late_receipt);
    let late_due = cal.due_at(late_receipt, WorkingDays(1));
    assert_eq!(
        cal.due_after_pause(
            WorkingDays(1),
            late_clock,
            late_due,
            lt("2025-03-03T18:05"),
            lt("2025-03-05T10:00"),
            PauseMode::Continue
        ),
        lt("2025-03-06T10:00")
    );
}

#[test]
fn step_due_gives_each_level_its_share() {
    let cal = default_calendar();
    let start = lt("2025-03-03T10:00");
    // 10 working days = 4 800 min; 30 % = 1 440 min = 3 working days.
    assert_eq!(
        cal.step_due(start, WorkingDays(10), 30),
        lt("2025-03-06T10:00")
    );
    assert_eq!(
        cal.step_due(start, WorkingDays(10), 100),
        cal.due_at(start, WorkingDays(10))
    );
    assert_eq!(
        cal.step_due(start, WorkingDays(10), 250),
        cal.due_at(start, WorkingDays(10)),
        "capped at 100 %"
    );
    assert_eq!(cal.step_due(start, WorkingDays(10), 0), start);
    assert_eq!(
        cal.step_due(start, WorkingHours(1), 1),
        lt("2025-03-03T10:01"),
        "at least a minute"
    );
    // 3 working days = 1 440 min; 33 % = 475.2 → 475 min.
    assert_eq!(
        cal.step_due(start, WorkingDays(3), 33),
        lt("2025-03-04T09:55")
    );
    assert_eq!(
        cal.step_due(start, CalendarDays(30), 50),
        lt("2025-03-18T17:00")
    );
    assert_eq!(
        cal.step_due(start, CalendarDays(1), 10),
        lt("2025-03-04T17:00"),
        "at least a day"
    );
    assert_eq!(
        cal.step_due(start, ClockHours(24), 25),
        lt("2025-03-03T16:00")
    );
    // Same day received at 10:00: 300 working minutes to 17:00; half is 150.
    assert_eq!(cal.step_due(start, SameDay, 50), lt("2025-03-03T14:30"));
}

#[test]
fn apology_is_due_one_working_day_before_the_due_instant() {
    let cal = default_calendar();
    let due = lt("2025-03-05T17:00");
    assert_eq!(cal.apology_deadline(due), lt("2025-03-05T07:00"));
    assert!(cal.is_apology_timely(lt("2025-03-04T16:00"), due));
    assert!(
        cal.is_apology_timely(lt("2025-03-04T17:30"), due),
        "evening before: no working time left"
    );
    assert!(
        cal.is_apology_timely(lt("2025-03-05T07:00"), due),
        "the deadline itself"
    );
    assert!(!cal.is_apology_timely(lt("2025-03-05T07:00:01"), due));
    assert!(!cal.is_apology_timely(lt("2025-03-05T08:00"), due));

    let due_mid_morning = lt("2025-03-05T10:00");
    assert_eq!(
        cal.apology_deadline(due_mid_morning),
        lt("2025-03-04T10:00")
    );
    assert!(cal.is_apology_timely(lt("2025-03-04T10:00"), due_mid_morning));
    assert!(!cal.is_apology_timely(lt("2025-03-04T10:01"), due_mid_morning));

    // Due just after Tết 2025: the working day before is Fri 24/01.
    assert_eq!(
        cal.apology_deadline(lt("2025-02-03T10:00")),
        lt("2025-01-24T10:00")
    );
}

#[test]
fn online_intake_deadline_is_8_working_hours() {
    let cal = default_calendar();
    assert_eq!(
        cal.online_intake_deadline(lt("2026-02-13T10:00")),
        lt("2026-02-23T10:00"),
        "over Tết 2026"
    );
    assert_eq!(
        cal.online_intake_deadline(lt("2025-03-08T20:00")),
        lt("2025-03-10T17:00"),
        "submitted on Saturday"
    );
    assert_eq!(
        cal.online_intake_deadline(lt("2025-03-03T22:00")),
        lt("2025-03-04T17:00"),
        "submitted at night"
    );
    assert_eq!(
        cal.online_intake_deadline(lt("2025-03-03T09:00")),
        lt("2025-03-04T09:00")
    );
}

#[test]
fn timeliness_compares_instants_and_local_dates() {
    let cal = default_calendar();
    let due = lt("2025-03-05T17:00");
    for (resolved, expected) in [
        (lt("2025-03-05T17:00"), Timeliness::OnTime),
        (lt("2025-03-05T17:00:01"), Timeliness::Late),
        (lt("2025-03-06T08:00"), Timeliness::Late),
        (lt("2025-03-05T08:00"), Timeliness::OnTime),
        (lt("2025-03-05T00:00"), Timeliness::OnTime),
        (lt("2025-03-04T23:59:59"), Timeliness::Early),
        (lt("2025-03-04T16:00"), Timeliness::Early),
        // 00:30 local on Wed is still Tue in UTC: the local date decides.
        (
            "2025-03-04T17:30:00Z".parse().expect("RFC 3339"),
            Timeliness::OnTime,
        ),
    ] {
        assert_eq!(
            cal.timeliness(resolved, due),
            expected,
            "{}",
            cal.local(resolved)
        );
    }
    // A due instant in the morning: resolving that afternoon is late, the day before early.
    let due_morning = lt("2025-03-05T10:00");
    assert_eq!(
        cal.timeliness(lt("2025-03-05T09:59"), due_morning),
        Timeliness::OnTime
    );
    assert_eq!(
        cal.timeliness(lt("2025-03-05T10:01"), due_morning),
        Timeliness::Late
    );
    assert_eq!(
        cal.timeliness(lt("2025-03-04T16:00"), due_morning),
        Timeliness::Early
    );
}
