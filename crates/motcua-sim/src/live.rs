//! A live trickle: new dossiers as time goes by, and a schedule that hands out each step of every
//! dossier when its time comes. Pure: the caller reads the clock, sleeps until
//! [`Schedule::next_at`] or [`Live::peek_at`], and sends.
//!
//! ```
//! use motcua_domain::Reference;
//! use motcua_sim::{LiveRate, Schedule, SimSettings, Simulation};
//!
//! let sim = Simulation::new(Reference::official(), SimSettings::default()).unwrap();
//! let start: jiff::Timestamp = "2025-11-24T02:00:00Z".parse().unwrap(); // 09:00 in Vietnam
//! let mut live = sim.live(start, LiveRate::PerHour(600.0));
//! let mut schedule = Schedule::default();
//! let now: jiff::Timestamp = "2025-11-24T02:10:00Z".parse().unwrap();
//! // What a sender does every time it wakes up:
//! while live.peek_at().is_some_and(|at| at <= now) {
//!     schedule.push(live.next().unwrap());
//! }
//! let mut sent = 0;
//! while let Some(step) = schedule.pop_due(now) {
//!     assert!(step.at <= now);
//!     sent += 1; // send step.command for step.dossier
//! }
//! assert!(sent > 50);
//! ```

use std::cmp::Ordering;
use std::collections::{BinaryHeap, VecDeque};
use std::sync::Arc;

use jiff::civil::Date;
use jiff::{SignedDuration, Timestamp};
use motcua_domain::catalogue::Channel;
use motcua_domain::dossier::Command;
use motcua_domain::units::UnitCode;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::arrivals::{Arrival, date_key, day_arrivals};
use crate::life::Counters;
use crate::mix::DayMix;
use crate::random::{Rng, exponential, stream};
use crate::{Inner, SimDossier, add_days};

/// How fast new dossiers arrive in a live feed.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(tag = "mode", content = "per_hour", rename_all = "snake_case")]
pub enum LiveRate {
    /// As in history: the province's daily volume shaped by weekday and hour (quiet at night and
    /// on days off, a rush at 8–10).
    Profile,
    /// A steady Poisson stream of this many dossiers per hour, whatever the hour; outside desk
    /// hours every arrival is an online submission (the portal never closes).
    PerHour(f64),
}

/// New dossiers after a start instant, each with its whole future life (see
/// [`crate::Simulation::live`]). Ends only when no procedure can be generated any more (the unit
/// list's span is over).
#[derive(Debug)]
pub struct Live {
    inner: Arc<Inner>,
    rate: LiveRate,
    start: Timestamp,
    counters: Counters,
    queue: VecDeque<Arrival>,
    /// The day of the arrivals in `queue` (profile) or of the last arrival (steady).
    day: Date,
    mix: Option<DayMix>,
    /// Steady mode: the generator of arrival times and the next arrival.
    steady: Option<(Rng, Timestamp, u64)>,
}

impl Live {
    pub(crate) fn new(inner: Arc<Inner>, start: Timestamp, rate: LiveRate) -> Live {
        let calendar = &inner.reference.calendar;
        let day = calendar.local_date(start);
        let steady = match rate {
            LiveRate::PerHour(_) => Some((stream(&[inner.settings.seed, 0x11fe]), start, 0)),
            LiveRate::Profile => None,
        };
        let mut live = Live {
            mix: None,
            inner,
            rate,
            start,
            counters: Counters::default(),
            queue: VecDeque::new(),
            day,
            steady,
        };
        if live.steady.is_none() {
            live.load_day(day);
            live.queue.retain(|a| a.at >= start);
        }
        live
    }

    /// When the next dossier arrives, `None` if none will.
    pub fn peek_at(&mut self) -> Option<Timestamp> {
        match self.rate {
            LiveRate::PerHour(per_hour) => {
                if per_hour <= 0.0 || !per_hour.is_finite() {
                    return None;
                }
                self.steady.as_ref().map(|(_, next, _)| *next)
            }
            LiveRate::Profile => {
                let mut empty_days = 0;
                while self.queue.is_empty() {
                    let next = add_days(self.day, 1)?;
                    if !self.inner.map.in_force_on(next) || empty_days > 366 {
                        return None;
                    }
                    self.load_day(next);
                    empty_days += 1;
                }
                self.queue.front().map(|a| a.at)
            }
        }
    }

    fn load_day(&mut self, day: Date) {
        self.day = day;
        self.counters.forget_before(day);
        self.mix = self.inner.mix_on(day);
        if let Some(mix) = &self.mix {
            let s = &self.inner.settings;
            let calendar = &self.inner.reference.calendar;
            self.queue = day_arrivals(s, calendar, mix, self.inner.map.daily_volume, day).into();
        }
    }

    /// The next steady arrival: its time, channel and procedure.
    fn next_steady(&mut self, per_hour: f64) -> Option<(Arrival, [u64; 3])> {
        let (rng, at, index) = self.steady.as_mut()?;
        let arrival_at = *at;
        let n = *index;
        let gap_ms = exponential(rng, 3_600_000.0 / per_hour).max(1.0);
        *at = arrival_at
            .checked_add(SignedDuration::from_millis(gap_ms as i64))
            .ok()?;
        *index += 1;
        let day = self.inner.reference.calendar.local_date(arrival_at);
        if day != self.day || self.mix.is_none() {
            self.day = day;
            self.counters.forget_before(day);
            self.mix = self.inner.mix_on(day);
        }
        let mix = self.mix.as_ref()?;
        let mut pick = stream(&[self.inner.settings.seed, 0x11fe, n]);
        let mut choice = mix.draw(&mut pick);
        if choice.channel != Channel::Online
            && !self.inner.reference.calendar.is_desk_open(arrival_at)
        {
            choice = mix.draw_on_channel(Channel::Online, &mut pick);
        }
        let arrival = Arrival {
            at: arrival_at,
            choice,
            index: 0,
        };
        Some((arrival, [self.inner.settings.seed, 0x11fd, n]))
    }
}

impl Iterator for Live {
    type Item = SimDossier;

    fn next(&mut self) -> Option<SimDossier> {
        let (arrival, name) = match self.rate {
            LiveRate::PerHour(per_hour) => {
                self.peek_at()?;
                let (arrival, name) = self.next_steady(per_hour)?;
                (arrival, name.to_vec())
            }
            LiveRate::Profile => {
                self.peek_at()?;
                let arrival = self.queue.pop_front()?;
                let name = vec![
                    self.inner.settings.seed,
                    0xd0,
                    date_key(self.day),
                    u64::from(arrival.index),
                ];
                (arrival, name)
            }
        };
        let mix = self.mix.as_ref()?;
        let outcome = self
            .inner
            .dossier(&mut self.counters, mix, &arrival, &name, Timestamp::MAX);
        debug_assert!(arrival.at >= self.start);
        Some(outcome.dossier)
    }
}

/// One step taken off a [`Schedule`].
#[derive(Debug, Clone, PartialEq)]
pub struct ScheduledStep {
    /// When to send it.
    pub at: Timestamp,
    /// The dossier.
    pub dossier: Uuid,
    /// Its province.
    pub province: UnitCode,
    /// The command.
    pub command: Command,
}

struct Entry {
    at: Timestamp,
    seq: u64,
    step: ScheduledStep,
}

impl PartialEq for Entry {
    fn eq(&self, other: &Self) -> bool {
        (self.at, self.seq) == (other.at, other.seq)
    }
}

impl Eq for Entry {}

impl PartialOrd for Entry {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Entry {
    // Reversed: the heap's top is the earliest step (ties: first pushed).
    fn cmp(&self, other: &Self) -> Ordering {
        (other.at, other.seq).cmp(&(self.at, self.seq))
    }
}

/// The pending steps of many dossiers, earliest first. A dossier's steps come out in their order
/// (their times strictly increase).
#[derive(Default)]
pub struct Schedule {
    heap: BinaryHeap<Entry>,
    seq: u64,
}

impl std::fmt::Debug for Schedule {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Schedule")
            .field("pending", &self.heap.len())
            .field("next_at", &self.next_at())
            .finish()
    }
}

impl Schedule {
    /// Adds every step of a dossier.
    pub fn push(&mut self, dossier: SimDossier) {
        for step in dossier.steps {
            self.seq += 1;
            self.heap.push(Entry {
                at: step.at,
                seq: self.seq,
                step: ScheduledStep {
                    at: step.at,
                    dossier: dossier.id,
                    province: dossier.province.clone(),
                    command: step.command,
                },
            });
        }
    }

    /// When the earliest pending step is due.
    pub fn next_at(&self) -> Option<Timestamp> {
        self.heap.peek().map(|e| e.at)
    }

    /// The earliest pending step, if it is due at or before `now`.
    pub fn pop_due(&mut self, now: Timestamp) -> Option<ScheduledStep> {
        if self.next_at()? <= now {
            self.heap.pop().map(|e| e.step)
        } else {
            None
        }
    }

    /// The earliest pending step, whenever it is due.
    pub fn pop(&mut self) -> Option<ScheduledStep> {
        self.heap.pop().map(|e| e.step)
    }

    /// Pending steps.
    pub fn len(&self) -> usize {
        self.heap.len()
    }

    /// Whether nothing is pending.
    pub fn is_empty(&self) -> bool {
        self.heap.is_empty()
    }
}
