//! When dossiers arrive: a Poisson count per day shaped by the weekday, times shaped by the hour;
//! direct and postal dossiers only while the desk is open, online ones at any hour.

use jiff::Timestamp;
use jiff::civil::{Date, Time, Weekday, time};
use motcua_domain::calendar::{DayKind, SaturdayMorning, Session, WorkCalendar};
use motcua_domain::catalogue::Channel;

use crate::mix::{Choice, DayMix};
use crate::random::{Rng, Weighted, poisson, stream};
use crate::settings::SimSettings;

/// One arrival: a submission online or a dossier brought to (or posted to) the desk.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Arrival {
    /// Submission (online) or receipt (direct, postal).
    pub at: Timestamp,
    /// Channel and procedure.
    pub choice: Choice,
    /// Position in the day, for the dossier's own random stream.
    pub index: u32,
}

/// A number identifying a date in random-stream names.
pub(crate) fn date_key(day: Date) -> u64 {
    let y = u64::try_from(day.year()).unwrap_or(0);
    let m = u64::try_from(day.month()).unwrap_or(0);
    let d = u64::try_from(day.day()).unwrap_or(0);
    y * 10_000 + m * 100 + d
}

/// The arrivals of `day` in time order.
pub(crate) fn day_arrivals(
    settings: &SimSettings,
    calendar: &WorkCalendar,
    mix: &DayMix,
    daily_volume: f64,
    day: Date,
) -> Vec<Arrival> {
    let mut rng = stream(&[settings.seed, 0xda, date_key(day)]);
    let midnight = midnight(calendar, day);
    let mut out: Vec<(Timestamp, Choice)> = Vec::new();
    let online_times = Sampler::new(&[(0, 86_400)], &settings.online_hour_profile);
    let sessions = desk_sessions(calendar, day);
    if sessions.is_empty() {
        // A day off: the portal still takes submissions; a Saturday morning may take paper ones.
        let n = poisson(
            &mut rng,
            daily_volume * mix.online_share * settings.online_day_off_factor,
        );
        for _ in 0..n {
            let choice = mix.draw_on_channel(Channel::Online, &mut rng);
            out.push((online_times.instant(midnight, &mut rng), choice));
        }
        if let Some(session) = saturday_receipt(settings, calendar, day)
            && mix.has_paper_channel()
        {
            let desk = Sampler::new(&[secs(session)], &settings.desk_hour_profile);
            let mean = daily_volume * mix.paper_share() * settings.saturday_morning_receipt;
            for _ in 0..poisson(&mut rng, mean) {
                if let Some(choice) = paper_choice(mix, &mut rng) {
                    out.push((desk.instant(midnight, &mut rng), choice));
                }
            }
        }
    } else {
        let desk_spans: Vec<(u32, u32)> = sessions.iter().map(|s| secs(*s)).collect();
        let desk = Sampler::new(&desk_spans, &settings.desk_hour_profile);
        let mean = daily_volume * weekday_factor(settings, calendar, day, &sessions);
        for _ in 0..poisson(&mut rng, mean) {
            let choice = mix.draw(&mut rng);
            let at = match choice.channel {
                Channel::Online => online_times.instant(midnight, &mut rng),
                Channel::Direct | Channel::Postal => desk.instant(midnight, &mut rng),
            };
            out.push((at, choice));
        }
    }
    out.sort_by_key(|(at, _)| *at);
    out.into_iter()
        .enumerate()
        .map(|(i, (at, choice))| Arrival {
            at,
            choice,
            index: u32::try_from(i).unwrap_or(u32::MAX),
        })
        .collect()
}

/// A direct or postal choice, by rejection (a paper channel exists).
fn paper_choice(mix: &DayMix, rng: &mut Rng) -> Option<Choice> {
    (0..256)
        .map(|_| mix.draw(rng))
        .find(|c| c.channel != Channel::Online)
}

/// The relative volume of a working day: the weekday profile (normalised to a mean of 1) for
/// Monday to Friday, a Wednesday for a working Saturday, in proportion to its office time.
fn weekday_factor(
    settings: &SimSettings,
    calendar: &WorkCalendar,
    day: Date,
    sessions: &[Session],
) -> f64 {
    let profile = &settings.weekday_profile;
    let mean = profile.iter().sum::<f64>() / 5.0;
    let index = match day.weekday() {
        Weekday::Monday => 0,
        Weekday::Tuesday => 1,
        Weekday::Wednesday | Weekday::Saturday | Weekday::Sunday => 2,
        Weekday::Thursday => 3,
        Weekday::Friday => 4,
    };
    let full = calendar
        .config()
        .office_hours
        .working_day_length()
        .as_secs_f64();
    let open: f64 = sessions.iter().map(|s| s.length().as_secs_f64()).sum();
    let length = if full > 0.0 {
        (open / full).min(1.0)
    } else {
        1.0
    };
    profile[index] / mean * length
}

/// The working sessions of a day (where officers work and the desk receives).
pub(crate) fn desk_sessions(calendar: &WorkCalendar, day: Date) -> Vec<Session> {
    if !calendar.is_working_day(day) {
        return Vec::new();
    }
    let hours = calendar.config().office_hours;
    let swapped = calendar.config().holidays.kind(day) == Some(DayKind::WorkingSaturday);
    if day.weekday() == Weekday::Saturday
        && !swapped
        && let SaturdayMorning::Working(s) = hours.saturday_morning()
    {
        return vec![s];
    }
    vec![hours.morning(), hours.afternoon()]
}

/// The receipt-only session of an ordinary Saturday, when the settings open it: the calendar's
/// Saturday session if it has one, else 07:30–11:30.
fn saturday_receipt(settings: &SimSettings, calendar: &WorkCalendar, day: Date) -> Option<Session> {
    if settings.saturday_morning_receipt <= 0.0
        || day.weekday() != Weekday::Saturday
        || calendar.config().holidays.kind(day).is_some()
    {
        return None;
    }
    match calendar.config().office_hours.saturday_morning() {
        SaturdayMorning::ReceiptOnly(s) | SaturdayMorning::Working(s) => Some(s),
        SaturdayMorning::Closed => Session::new(time(7, 30, 0, 0), time(11, 30, 0, 0)).ok(),
    }
}

/// Local midnight of `day`.
pub(crate) fn midnight(calendar: &WorkCalendar, day: Date) -> Timestamp {
    calendar
        .config()
        .utc_offset
        .to_timestamp(day.to_datetime(Time::midnight()))
        .unwrap_or(Timestamp::MAX)
}

fn secs(s: Session) -> (u32, u32) {
    let of = |t: Time| {
        u32::try_from(t.hour()).unwrap_or(0) * 3600
            + u32::try_from(t.minute()).unwrap_or(0) * 60
            + u32::try_from(t.second()).unwrap_or(0)
    };
    (of(s.start()), of(s.end()))
}

/// Draws an instant of a day within given spans, by hour weights.
struct Sampler {
    pieces: Vec<(u32, u32)>,
    weights: Option<Weighted>,
}

impl Sampler {
    /// Spans are `[start, end)` in seconds after midnight.
    fn new(spans: &[(u32, u32)], hour_weights: &[f64; 24]) -> Sampler {
        let mut pieces = Vec::new();
        for &(start, end) in spans {
            let mut s = start;
            while s < end {
                let e = end.min((s / 3600 + 1) * 3600);
                pieces.push((s, e));
                s = e;
            }
        }
        let weighted = |by_hour: bool| {
            Weighted::new(pieces.iter().map(|&(s, e)| {
                let hour = usize::try_from(s / 3600).unwrap_or(0).min(23);
                let w = if by_hour { hour_weights[hour] } else { 1.0 };
                w * f64::from(e - s)
            }))
        };
        let weights = weighted(true).or_else(|| weighted(false));
        Sampler { pieces, weights }
    }

    /// An instant after `midnight`, to the millisecond.
    fn instant(&self, midnight: Timestamp, rng: &mut Rng) -> Timestamp {
        let Some(weights) = &self.weights else {
            return midnight;
        };
        let (s, e) = self.pieces[weights.pick(rng)];
        let ms = crate::random::uniform(rng, f64::from(s) * 1000.0, f64::from(e) * 1000.0);
        midnight
            .checked_add(jiff::SignedDuration::from_millis(ms as i64))
            .unwrap_or(midnight)
    }
}
