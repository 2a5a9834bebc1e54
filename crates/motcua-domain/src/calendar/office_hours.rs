//! Office hours: the sessions of a working day and the optional Saturday morning.

use jiff::SignedDuration;
use jiff::civil::{Time, time};
use serde::{Deserialize, Serialize};

use super::CalendarError;

/// One continuous stretch of office time within a day, `[start, end)` in local time.
///
/// Always non-empty: `start < end`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "SessionRepr")]
pub struct Session {
    start: Time,
    end: Time,
}

#[derive(Deserialize)]
struct SessionRepr {
    start: Time,
    end: Time,
}

impl TryFrom<SessionRepr> for Session {
    type Error = CalendarError;
    fn try_from(repr: SessionRepr) -> Result<Self, Self::Error> {
        Session::new(repr.start, repr.end)
    }
}

impl Session {
    /// A session from `start` (inclusive) to `end` (exclusive); rejects `end <= start`.
    pub fn new(start: Time, end: Time) -> Result<Self, CalendarError> {
        if start < end {
            Ok(Session { start, end })
        } else {
            Err(CalendarError::EmptySession { start, end })
        }
    }

    /// First instant of the session (local time).
    pub fn start(&self) -> Time {
        self.start
    }

    /// First instant after the session (local time).
    pub fn end(&self) -> Time {
        self.end
    }

    /// The session's length.
    pub fn length(&self) -> SignedDuration {
        self.end.duration_since(self.start)
    }

    /// Whether `t` lies in `[start, end)`.
    pub fn contains(&self, t: Time) -> bool {
        self.start <= t && t < self.end
    }
}

/// What an ordinary Saturday morning is, for units that open then (DOMAIN.md §7.2: "some units
/// also receive on Saturday morning").
///
/// It only concerns ordinary Saturdays: a Saturday listed as a day off stays closed, and a swapped
/// working Saturday is a full weekday, whatever this setting says.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(tag = "mode", rename_all = "snake_case")]
pub enum SaturdayMorning {
    /// Default: ordinary Saturdays are closed.
    #[default]
    Closed,
    /// The desk receives dossiers during this session, but the time does not count towards any
    /// time limit: the clock of a dossier received then starts at the next working morning.
    /// Only [`WorkCalendar::is_desk_open`](super::WorkCalendar::is_desk_open) sees it.
    ReceiptOnly(Session),
    /// This session is working time: it counts towards every working-time limit, and an ordinary
    /// Saturday becomes a (short) working day whose close is the end of this session.
    Working(Session),
}

/// The office hours of a working day: a morning and an afternoon session, plus the Saturday-morning
/// setting.
///
/// Default (DOMAIN.md §7.3, the provincial implementation CaculateTime): 07:00–11:30 and
/// 13:30–17:00, 8 hours; Saturday morning closed.
/// Always valid: both sessions are non-empty and the afternoon starts no earlier than the morning
/// ends (equal means no lunch break).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "OfficeHoursRepr")]
pub struct OfficeHours {
    morning: Session,
    afternoon: Session,
    #[serde(default)]
    saturday_morning: SaturdayMorning,
}

#[derive(Deserialize)]
struct OfficeHoursRepr {
    morning: Session,
    afternoon: Session,
    #[serde(default)]
    saturday_morning: SaturdayMorning,
}

impl TryFrom<OfficeHoursRepr> for OfficeHours {
    type Error = CalendarError;
    fn try_from(repr: OfficeHoursRepr) -> Result<Self, Self::Error> {
        Ok(OfficeHours::new(repr.morning, repr.afternoon)?
            .with_saturday_morning(repr.saturday_morning))
    }
}

impl Default for OfficeHours {
    fn default() -> Self {
        OfficeHours {
            morning: Session {
                start: time(7, 0, 0, 0),
                end: time(11, 30, 0, 0),
            },
            afternoon: Session {
                start: time(13, 30, 0, 0),
                end: time(17, 0, 0, 0),
            },
            saturday_morning: SaturdayMorning::Closed,
        }
    }
}

impl OfficeHours {
    /// Office hours with these two sessions and Saturday morning closed; rejects an afternoon
    /// that starts before the morning ends.
    pub fn new(morning: Session, afternoon: Session) -> Result<Self, CalendarError> {
        if afternoon.start < morning.end {
            return Err(CalendarError::OverlappingSessions {
                morning_end: morning.end,
                afternoon_start: afternoon.start,
            });
        }
        Ok(OfficeHours {
            morning,
            afternoon,
            saturday_morning: SaturdayMorning::Closed,
        })
    }

    /// The same hours with another Saturday-morning setting.
    #[must_use]
    pub fn with_saturday_morning(self, saturday_morning: SaturdayMorning) -> Self {
        OfficeHours {
            saturday_morning,
            ..self
        }
    }

    /// The morning session.
    pub fn morning(&self) -> Session {
        self.morning
    }

    /// The afternoon session.
    pub fn afternoon(&self) -> Session {
        self.afternoon
    }

    /// The Saturday-morning setting.
    pub fn saturday_morning(&self) -> SaturdayMorning {
        self.saturday_morning
    }

    /// The working time of a full weekday (morning + afternoon): the length of "1 working day" in
    /// [`WorkingDayMode::ElapsedHours`](super::WorkingDayMode::ElapsedHours). 8 hours by default.
    pub fn working_day_length(&self) -> SignedDuration {
        self.morning
            .length()
            .saturating_add(self.afternoon.length())
    }

    /// The sessions of a full weekday, in order.
    pub(super) fn weekday_sessions(&self) -> [Session; 2] {
        [self.morning, self.afternoon]
    }
}
