//! The rules one procedure version must keep on its own: dates within its unit list's span,
//! levels that exist there, channels, time limits, flow, route and online level agreeing.

use jiff::civil::Date;

use super::model::{Channel, Flow, OnlineLevel, ProcedureLevel, ProcedureVersion, time_column};
use crate::calendar::TimeLimit;
use crate::units::HierarchyId;

/// A rule a single version breaks, with the column it concerns.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum VersionRuleError {
    /// `valid_to` is before `valid_from`.
    #[error("valid_to {valid_to} is before valid_from {valid_from}")]
    ValidityInverted {
        /// First day.
        valid_from: Date,
        /// Last day.
        valid_to: Date,
    },
    /// The hierarchy is not one the catalogue knows.
    #[error("unknown hierarchy {0:?}")]
    UnknownHierarchy(String),
    /// The validity goes beyond the span of the hierarchy's unit list.
    #[error("validity {valid_from}..{} is outside the span of {hierarchy} ({span})", valid_to.map(|d| d.to_string()).unwrap_or_default())]
    OutsideHierarchy {
        /// The hierarchy.
        hierarchy: String,
        /// Its span, as text.
        span: String,
        /// First day of the version.
        valid_from: Date,
        /// Last day of the version.
        valid_to: Option<Date>,
    },
    /// A level (of the procedure or of a route step) the hierarchy does not have.
    #[error("{hierarchy} has no {level} level")]
    LevelNotInHierarchy {
        /// The hierarchy.
        hierarchy: String,
        /// The level.
        level: ProcedureLevel,
    },
    /// No channel offered.
    #[error("a procedure is offered on at least one channel")]
    NoChannel,
    /// A time limit for a channel that is not offered.
    #[error("a time limit is given for the {0} channel, which is not offered")]
    TimeWithoutChannel(Channel),
    /// `time_verified` is true although an offered channel has no time limit.
    #[error("time_verified is true but the {0} channel has no time limit")]
    VerifiedWithoutTime(Channel),
    /// An on-the-spot procedure with a time limit longer than the working day.
    #[error("flow on_the_spot needs same_day time limits, the {channel} channel has {limit}")]
    OnTheSpotTooLong {
        /// The channel.
        channel: Channel,
        /// Its time limit.
        limit: TimeLimit,
    },
    /// A liaison route on a procedure whose flow is not liaison.
    #[error("a liaison route needs flow liaison, not {0}")]
    RouteWithoutLiaison(Flow),
    /// The online level contradicts whether the online channel is offered.
    #[error("online_level {level} contradicts the online channel being {}", if *offered { "offered" } else { "not offered" })]
    OnlineLevelMismatch {
        /// The online level.
        level: OnlineLevel,
        /// Whether the online channel is offered.
        offered: bool,
    },
}

/// The span of the unit list a hierarchy names, and whether it has a district level.
pub(crate) struct HierarchySpan {
    pub(crate) from: Date,
    pub(crate) to: Option<Date>,
    pub(crate) has_district: bool,
}

/// The hierarchies the catalogue knows. Spans match `units::UnitGraph` (checked by a test).
pub(crate) fn hierarchy_span(id: &str) -> Option<HierarchySpan> {
    match id {
        HierarchyId::THREE_LEVEL_2025_03 => Some(HierarchySpan {
            from: jiff::civil::date(2025, 3, 1),
            to: Some(jiff::civil::date(2025, 6, 30)),
            has_district: true,
        }),
        HierarchyId::TWO_LEVEL_2025_07 => Some(HierarchySpan {
            from: jiff::civil::date(2025, 7, 1),
            to: None,
            has_district: false,
        }),
        _ => None,
    }
}

impl ProcedureVersion {
    /// Checks the rules that concern this version alone; returns the column at fault with the
    /// broken rule. Rules between versions (overlaps, numbering) are the catalogue's.
    pub fn check(&self) -> Result<(), (&'static str, VersionRuleError)> {
        if let Some(to) = self.valid_to
            && to < self.valid_from
        {
            return Err((
                "valid_to",
                VersionRuleError::ValidityInverted {
                    valid_from: self.valid_from,
                    valid_to: to,
                },
            ));
        }
        let Some(span) = hierarchy_span(self.hierarchy.as_str()) else {
            return Err((
                "hierarchy",
                VersionRuleError::UnknownHierarchy(self.hierarchy.to_string()),
            ));
        };
        let ends_in_span = match (span.to, self.valid_to) {
            (None, _) => true,
            (Some(_), None) => false,
            (Some(span_to), Some(to)) => to <= span_to,
        };
        if self.valid_from < span.from || !ends_in_span {
            let column = if self.valid_from < span.from {
                "valid_from"
            } else {
                "valid_to"
            };
            return Err((
                column,
                VersionRuleError::OutsideHierarchy {
                    hierarchy: self.hierarchy.to_string(),
                    span: format!(
                        "{}..{}",
                        span.from,
                        span.to.map(|d| d.to_string()).unwrap_or_default()
                    ),
                    valid_from: self.valid_from,
                    valid_to: self.valid_to,
                },
            ));
        }
        let level_missing = |level: ProcedureLevel| {
            (level == ProcedureLevel::District && !span.has_district).then(|| {
                VersionRuleError::LevelNotInHierarchy {
                    hierarchy: self.hierarchy.to_string(),
                    level,
                }
            })
        };
        if let Some(e) = level_missing(self.level) {
            return Err(("level", e));
        }
        if self.channels().next().is_none() {
            return Err(("channels", VersionRuleError::NoChannel));
        }
        if self.time_verified
            && let Some(channel) = self
                .channels()
                .find(|c| self.offer(*c).is_some_and(|o| o.time_limit.is_none()))
        {
            return Err((
                "time_verified",
                VersionRuleError::VerifiedWithoutTime(channel),
            ));
        }
        if self.flow == Flow::OnTheSpot {
            for channel in self.channels() {
                if let Some(limit) = self.time_limit(channel)
                    && !matches!(limit, TimeLimit::SameDay)
                {
                    return Err((
                        time_column(channel),
                        VersionRuleError::OnTheSpotTooLong { channel, limit },
                    ));
                }
            }
        }
        let route = &self.liaison_route;
        if !route.is_empty() {
            if self.flow != Flow::Liaison {
                return Err((
                    "liaison_route",
                    VersionRuleError::RouteWithoutLiaison(self.flow),
                ));
            }
            if let Some(e) = route.steps().iter().find_map(|s| level_missing(s.level)) {
                return Err(("liaison_route", e));
            }
        }
        if let Some(level) = self.online_level {
            let offered = self.offers(Channel::Online);
            if (level == OnlineLevel::NotOnline) == offered {
                return Err((
                    "online_level",
                    VersionRuleError::OnlineLevelMismatch { level, offered },
                ));
            }
        }
        Ok(())
    }
}
