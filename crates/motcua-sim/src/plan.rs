//! Everything about a dossier that is drawn when it arrives: who files it, where, through which
//! offices, and how its life will go (supplement, lateness, withdrawal, fee, rating).

use motcua_domain::calendar::TimeLimit;
use motcua_domain::catalogue::{Channel, ProcedureLevel, ProcedureVersion};
use rand::Rng as _;

use crate::Inner;
use crate::mix::{DayMix, LiaisonClass};
use crate::people::{Home, Person, person};
use crate::province::Place;
use crate::random::{Rng, chance, uniform};

/// When an applicant withdraws.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum WithdrawAt {
    /// Before the desk accepts an online submission.
    BeforeIntake,
    /// At the desk, before the transfer.
    AfterReceipt,
    /// At the handling office, before an officer is assigned.
    AfterForward,
    /// During handling.
    AfterAssign,
}

/// The online intake.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Intake {
    /// Sent back once for completion (Form 02).
    pub supplement: bool,
    /// Refused (Form 03).
    pub refuse: bool,
    /// Accepted after the 8-working-hour deadline.
    pub late: bool,
}

/// The drawn life of one dossier.
#[derive(Debug, Clone)]
pub(crate) struct Plan<'a> {
    pub channel: Channel,
    pub version: &'a ProcedureVersion,
    pub limit: TimeLimit,
    pub person: Person,
    /// The desk that receives and returns.
    pub desk: Place,
    /// The handling offices in order; the last one is competent and decides. More than one is a
    /// liaison. Each intermediate office has the share of the remaining time it takes.
    pub route: Vec<(Place, f64)>,
    pub withdraw: Option<WithdrawAt>,
    pub intake: Intake,
    /// Supplement requests during handling (0, 1 or 2).
    pub supplements: u8,
    /// The last supplement never comes.
    pub supplement_expires: bool,
    /// The officers overrun the appointment.
    pub late: bool,
    /// … and apologise in time.
    pub apologise: bool,
    /// Fraction of the time limit left unused when on time.
    pub slack: f64,
    /// Overrun past the deadline when late, as a fraction of the time limit.
    pub overrun: f64,
    /// The appraisal proposes a refusal.
    pub refuse: bool,
    /// The head sends the first appraisal back.
    pub reject_once: bool,
    /// A fee or tax is asked after the appraisal.
    pub fee: Option<u64>,
    /// The applicant rates the handling after the return.
    pub feedback: bool,
    /// Scanned at receipt (direct and postal).
    pub digitised: bool,
    /// The result is an electronic document.
    pub electronic: bool,
}

const FEES_VND: [u64; 6] = [50_000, 100_000, 200_000, 500_000, 1_000_000, 2_000_000];

impl<'a> Plan<'a> {
    pub(crate) fn draw(
        inner: &'a Inner,
        mix: &DayMix,
        channel: Channel,
        candidate: usize,
        rng: &mut Rng,
    ) -> Plan<'a> {
        let s = &inner.settings;
        let map = &inner.map;
        let candidate_ref = &inner.candidates[candidate];
        let version = &candidate_ref.version;
        let limit = version
            .time_limit(channel)
            .expect("the mix only draws channels with a time limit");

        let home = map.commune_picker.pick(rng);
        let district = match map.above(home) {
            Place::District(d) => Some(d),
            _ => None,
        };
        let competent = match (version.level, district) {
            (ProcedureLevel::District, Some(d)) => Place::District(d),
            (ProcedureLevel::Province | ProcedureLevel::Ministry, _)
            | (ProcedureLevel::District, None) => Place::Province,
            (ProcedureLevel::Commune, _) => Place::Commune(home),
        };
        let desk = match competent {
            Place::Province if !chance(rng, s.province_dossiers_at_commune_desks) => {
                Place::Province
            }
            Place::District(d) => Place::District(d),
            _ => Place::Commune(home),
        };
        let liaison = match candidate_ref.liaison_class(channel) {
            LiaisonClass::Always => true,
            LiaisonClass::Never => false,
            LiaisonClass::Maybe => chance(rng, mix.liaison_draw),
        };
        let route = if liaison {
            liaison_route(version, home, district, competent)
        } else {
            vec![(competent, 1.0)]
        };

        let online = channel == Channel::Online;
        let person = person(
            rng,
            Home {
                commune: &map.communes[home],
                district: district.map(|d| &map.districts[d]),
                province: &map.province,
                south: map.south,
            },
            &map.province_codes,
            online,
        );
        let withdraw = chance(rng, s.withdrawal_share).then(|| {
            let points: &[WithdrawAt] = if online {
                &[
                    WithdrawAt::BeforeIntake,
                    WithdrawAt::AfterReceipt,
                    WithdrawAt::AfterForward,
                    WithdrawAt::AfterAssign,
                ]
            } else {
                &[
                    WithdrawAt::AfterReceipt,
                    WithdrawAt::AfterForward,
                    WithdrawAt::AfterAssign,
                ]
            };
            points[rng.random_range(0..points.len())]
        });
        let intake = Intake {
            supplement: online && chance(rng, s.intake_supplement_share),
            refuse: online && chance(rng, s.intake_refusal_share),
            late: online && chance(rng, s.intake_late_share),
        };
        let supplemented = chance(rng, s.supplement_share);
        let second = supplemented && chance(rng, s.second_supplement_share);
        let late = chance(rng, s.late_share);
        let refuse = chance(rng, s.appraisal_refusal_share);
        // Slack: triangular on [0.02, 0.9], so most dossiers finish well before the due time.
        let slack = 0.02 + 0.88 * (rng.random::<f64>() + rng.random::<f64>()) / 2.0;
        let fee = (!refuse && chance(rng, s.fee_share)).then(|| {
            version
                .fee_vnd
                .filter(|f| *f > 0)
                .unwrap_or_else(|| FEES_VND[rng.random_range(0..FEES_VND.len())])
        });
        Plan {
            channel,
            version,
            limit,
            person,
            desk,
            route,
            withdraw,
            intake,
            supplements: u8::from(supplemented) + u8::from(second),
            supplement_expires: supplemented && chance(rng, s.supplement_expiry_share),
            late,
            apologise: late && chance(rng, s.apology_share),
            slack,
            overrun: uniform(rng, 0.05, 0.5),
            refuse,
            reject_once: chance(rng, s.approval_rejection_share),
            fee,
            feedback: chance(rng, s.feedback_share),
            digitised: !online && chance(rng, s.digitised_share),
            electronic: chance(rng, s.electronic_result_share),
        }
    }

    /// The competent office (the last of the route).
    pub(crate) fn competent(&self) -> Place {
        self.route.last().map_or(self.desk, |(p, _)| *p)
    }

    /// Whether the dossier is resolved the day it is received (same-day limit).
    pub(crate) fn same_day(&self) -> bool {
        self.limit == TimeLimit::SameDay
    }
}

/// The offices of a liaison: the version's route when it has one (each level with its share of
/// the time), otherwise the level below the competent one first (the commune, or the district
/// on a 3-level list) and then the competent office. A commune-level procedure goes on to the
/// province, standing in for the provincial department or vertical agency the derived office
/// directory does not have.
fn liaison_route(
    version: &ProcedureVersion,
    home: usize,
    district: Option<usize>,
    competent: Place,
) -> Vec<(Place, f64)> {
    let place_of = |level: ProcedureLevel| match (level, district) {
        (ProcedureLevel::Commune, _) => Some(Place::Commune(home)),
        (ProcedureLevel::District, Some(d)) => Some(Place::District(d)),
        (ProcedureLevel::District, None) => None,
        (ProcedureLevel::Province, _) => Some(Place::Province),
        (ProcedureLevel::Ministry, _) => None,
    };
    let mut route: Vec<(Place, f64)> = version
        .liaison_route
        .iter()
        .filter_map(|step| place_of(step.level).map(|p| (p, f64::from(step.share_percent) / 100.0)))
        .collect();
    if route.len() < 2 {
        let first = match competent {
            Place::Province => district.map_or(Place::Commune(home), Place::District),
            Place::District(_) => Place::Commune(home),
            Place::Commune(_) => Place::Commune(home),
        };
        let last = match competent {
            Place::Commune(_) => Place::Province,
            other => other,
        };
        route = vec![(first, 0.4), (last, 0.6)];
    }
    route.dedup_by(|a, b| a.0 == b.0);
    route
}
