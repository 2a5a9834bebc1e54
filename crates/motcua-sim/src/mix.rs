//! What a dossier is for: the channel first (so the channel mix holds exactly), then the level
//! that resolves it, then a procedure of that level offered on that channel with a time limit.

use jiff::civil::Date;
use motcua_domain::calendar::TimeLimit;
use motcua_domain::catalogue::{Catalogue, Channel, Flow, ProcedureLevel, ProcedureVersion};
use motcua_domain::units::HierarchyId;

use crate::random::{Rng, Weighted};
use crate::settings::SimSettings;

/// The channels in a fixed order.
pub(crate) const CHANNELS: [Channel; 3] = [Channel::Online, Channel::Direct, Channel::Postal];
/// The levels the simulation generates, in a fixed order (ministry-level procedures have no
/// office in the province and are skipped).
pub(crate) const LEVELS: [ProcedureLevel; 3] = [
    ProcedureLevel::Commune,
    ProcedureLevel::District,
    ProcedureLevel::Province,
];

/// How a procedure on a channel takes part in liaison.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum LiaisonClass {
    /// Flow `liaison`: always through a second office.
    Always,
    /// On the spot or same day: never.
    Never,
    /// Drawn.
    Maybe,
}

/// A procedure version the simulation may generate, with its weight.
#[derive(Debug, Clone)]
pub(crate) struct Candidate {
    pub version: ProcedureVersion,
    weight: f64,
}

impl Candidate {
    pub(crate) fn liaison_class(&self, channel: Channel) -> LiaisonClass {
        let v = &self.version;
        if v.flow == Flow::Liaison {
            LiaisonClass::Always
        } else if v.flow == Flow::OnTheSpot
            || matches!(v.time_limit(channel), Some(TimeLimit::SameDay) | None)
        {
            LiaisonClass::Never
        } else {
            LiaisonClass::Maybe
        }
    }
}

/// The versions of the unit list's era the simulation can generate: commune, district and
/// province procedures with at least one channel that has a time limit.
pub(crate) fn candidates(
    catalogue: &Catalogue,
    hierarchy: &HierarchyId,
    settings: &SimSettings,
) -> Vec<Candidate> {
    catalogue
        .iter()
        .filter(|v| &v.hierarchy == hierarchy && LEVELS.contains(&v.level))
        .filter(|v| CHANNELS.iter().any(|c| v.time_limit(*c).is_some()))
        .map(|v| Candidate {
            weight: settings
                .procedure_weights
                .get(&v.code.to_string())
                .copied()
                .unwrap_or(settings.other_procedure_weight),
            version: v.clone(),
        })
        .collect()
}

/// The procedures of one level offered on one channel.
#[derive(Debug, Clone)]
struct Pool {
    members: Vec<usize>,
    weights: Weighted,
}

/// The choices of one channel.
#[derive(Debug, Clone)]
struct ChannelChoice {
    levels: Weighted,
    pools: [Option<Pool>; 3],
}

/// The mix in force on one day.
#[derive(Debug, Clone)]
pub(crate) struct DayMix {
    channels: Weighted,
    per_channel: [Option<ChannelChoice>; 3],
    /// Probability that a dossier of a `Maybe` procedure goes through liaison, chosen so that
    /// the expected share of liaison dossiers meets the setting where the mix allows.
    pub liaison_draw: f64,
    /// The share of online submissions among all arrivals.
    pub online_share: f64,
}

/// What an arrival is for.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Choice {
    pub channel: Channel,
    pub candidate: usize,
}

impl DayMix {
    /// The mix of `day`, or `None` when no procedure can be generated that day.
    pub(crate) fn on(
        day: Date,
        candidates: &[Candidate],
        settings: &SimSettings,
        has_district: bool,
    ) -> Option<DayMix> {
        let l = settings.level_mix;
        let level_weight = [
            l.commune + if has_district { 0.0 } else { l.district },
            if has_district { l.district } else { 0.0 },
            l.province,
        ];
        let per_channel = CHANNELS.map(|channel| {
            let pools = LEVELS.map(|level| {
                let members: Vec<usize> = candidates
                    .iter()
                    .enumerate()
                    .filter(|(_, c)| {
                        c.version.level == level
                            && c.version.in_force_on(day)
                            && c.version.time_limit(channel).is_some()
                    })
                    .map(|(i, _)| i)
                    .collect();
                let weights = Weighted::new(members.iter().map(|i| candidates[*i].weight))?;
                Some(Pool { members, weights })
            });
            let levels = Weighted::new(
                (0..LEVELS.len()).map(|i| pools[i].as_ref().map_or(0.0, |_| level_weight[i])),
            )?;
            Some(ChannelChoice { levels, pools })
        });
        let c = settings.channel_mix;
        let channel_weight = [c.online, c.direct, c.postal];
        let channels = Weighted::new(
            (0..CHANNELS.len()).map(|i| per_channel[i].as_ref().map_or(0.0, |_| channel_weight[i])),
        )?;
        let mut mix = DayMix {
            online_share: channels.probability(0),
            channels,
            per_channel,
            liaison_draw: 0.0,
        };
        let (always, maybe) = mix.liaison_shares(candidates);
        mix.liaison_draw = if maybe > 0.0 {
            ((settings.liaison_share - always) / maybe).clamp(0.0, 1.0)
        } else {
            0.0
        };
        Some(mix)
    }

    /// Expected shares of arrivals whose procedure always, or maybe, goes through liaison.
    fn liaison_shares(&self, candidates: &[Candidate]) -> (f64, f64) {
        let (mut always, mut maybe) = (0.0, 0.0);
        for (ci, choice) in self.per_channel.iter().enumerate() {
            let Some(choice) = choice else { continue };
            let pc = self.channels.probability(ci);
            for (li, pool) in choice.pools.iter().enumerate() {
                let Some(pool) = pool else { continue };
                let pl = choice.levels.probability(li);
                for (k, &m) in pool.members.iter().enumerate() {
                    let p = pc * pl * pool.weights.probability(k);
                    match candidates[m].liaison_class(CHANNELS[ci]) {
                        LiaisonClass::Always => always += p,
                        LiaisonClass::Maybe => maybe += p,
                        LiaisonClass::Never => {}
                    }
                }
            }
        }
        (always, maybe)
    }

    /// Draws the channel and the procedure of an arrival.
    pub(crate) fn draw(&self, rng: &mut Rng) -> Choice {
        let ci = self.channels.pick(rng);
        self.draw_on(ci, rng)
    }

    /// Draws the procedure of an arrival on a known channel (falling back to any channel that
    /// has one).
    pub(crate) fn draw_on_channel(&self, channel: Channel, rng: &mut Rng) -> Choice {
        match CHANNELS.iter().position(|c| *c == channel) {
            Some(ci) if self.per_channel[ci].is_some() => self.draw_on(ci, rng),
            _ => self.draw(rng),
        }
    }

    fn draw_on(&self, ci: usize, rng: &mut Rng) -> Choice {
        let choice = self.per_channel[ci]
            .as_ref()
            .expect("channels without procedures have weight 0");
        let li = choice.levels.pick(rng);
        let pool = choice.pools[li]
            .as_ref()
            .expect("levels without procedures have weight 0");
        let k = pool.weights.pick(rng);
        Choice {
            channel: CHANNELS[ci],
            candidate: pool.members[k],
        }
    }

    /// Whether a non-online arrival is possible at all.
    pub(crate) fn has_paper_channel(&self) -> bool {
        self.per_channel[1].is_some() || self.per_channel[2].is_some()
    }

    /// The share of direct and postal arrivals.
    pub(crate) fn paper_share(&self) -> f64 {
        1.0 - self.online_share
    }
}
