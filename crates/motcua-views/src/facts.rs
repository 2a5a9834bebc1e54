//! From a dossier's folded state to the per-dossier inputs of the domain's report arithmetic
//! (`report::classify` for Biểu 06, `report::kpi766_on_time` for Decision 766), and from an
//! office to the unit it is counted at.
//!
//! The report arithmetic itself lives in `motcua_domain::report`; this module only says which
//! facts of a dossier feed it, so that the counters of this crate and a plain fold over the same
//! events (the model tests) agree by construction.

use jiff::Timestamp;
use jiff::civil::Date;
use motcua_domain::dossier::{Dossier, Event, EventBody, PauseKind};
use motcua_domain::report::{DossierFacts, Kpi766Facts};
use motcua_domain::units::{AgencyDirectory, AgencyId, Unit, UnitCode, UnitGraph};

/// A dossier folded from its events, with the one fact the domain state does not keep apart:
/// the appointment Decision 766 judges against.
#[derive(Debug, Clone)]
pub struct Folded {
    /// The domain state (`Dossier::evolve` over the same events).
    pub state: Dossier,
    /// The appointment as moved by fee pauses and a timely apology, but not by supplements
    /// (Decision 766 subtracts supplement intervals instead).
    pub kpi_due: Option<Timestamp>,
}

impl Default for Folded {
    fn default() -> Self {
        Folded::new()
    }
}

impl Folded {
    /// Nothing applied yet.
    pub fn new() -> Folded {
        Folded {
            state: Dossier::new(),
            kpi_due: None,
        }
    }

    /// Folds a history.
    pub fn replay<'a>(events: impl IntoIterator<Item = &'a Event>) -> Folded {
        let mut f = Folded::new();
        for e in events {
            f.apply(e);
        }
        f
    }

    /// Applies one event.
    pub fn apply(&mut self, e: &Event) {
        match &e.body {
            EventBody::Received { due_at, .. } => self.kpi_due = Some(*due_at),
            EventBody::FeePaid { due_at, .. } => self.kpi_due = self.kpi_due.max(Some(*due_at)),
            EventBody::Apologised {
                new_due_at,
                extends_deadline: true,
                ..
            } => self.kpi_due = Some(*new_due_at),
            _ => {}
        }
        let state = std::mem::take(&mut self.state);
        self.state = state.evolve(e);
    }

    /// When the dossier left handling: end of processing (result ready) or left without a
    /// result (withdrawn, stopped, closed). `None` while open or never received.
    pub fn exit(&self) -> Option<Timestamp> {
        let d = &self.state;
        d.received_at?;
        d.resolved_at.or(d.ended_at)
    }

    /// Received and not yet out: the dossier is pending for Biểu 06.
    pub fn is_pending(&self) -> bool {
        self.state.received_at.is_some() && self.exit().is_none()
    }

    /// The clock is stopped (waiting for a supplement or a fee).
    pub fn is_paused(&self) -> bool {
        self.state.open_pause().is_some()
    }

    /// The Biểu 06 facts, for a received dossier.
    pub fn bieu06_facts(&self) -> Option<DossierFacts> {
        let d = &self.state;
        Some(DossierFacts {
            channel: d.channel?,
            received_at: d.received_at?,
            resolved: d.resolved_at.zip(d.timeliness),
            ended_at: if d.resolved_at.is_some() {
                None
            } else {
                d.ended_at
            },
            deadline: d.deadline?,
            paused_at_end: self.is_paused(),
        })
    }

    /// The Decision 766 facts, for a received dossier.
    pub fn kpi766_facts(&self) -> Option<Kpi766Facts> {
        let d = &self.state;
        Some(Kpi766Facts {
            received_at: d.received_at?,
            due_at: self.kpi_due.or(d.due_at_initial)?,
            ended_at: self.exit(),
            supplements: d
                .pauses
                .iter()
                .filter(|p| p.kind == PauseKind::Supplement)
                .map(|p| (p.from, p.to))
                .collect(),
        })
    }
}

/// The unit an office belongs to for a dossier received on `on`.
///
/// A configured office keeps the unit list it was configured in. A derived office (`MC.<code>`,
/// `UB.<code>`) belongs to the unit of that code in the list in force on `on`, falling back to the
/// newest list that has the code: unit codes are reused across the 2025 reform, and a dossier
/// received before it counts in the 3-level hierarchy of its time (the same rule `decide` uses
/// to pick the procedure version).
pub fn unit_of<'r>(
    agencies: &'r AgencyDirectory,
    id: &AgencyId,
    on: Date,
) -> Option<(&'r UnitGraph, &'r Unit)> {
    let agency = agencies.get(id)?;
    let configured = agencies.configured_at(&agency.unit).any(|a| &a.id == id);
    if !configured
        && let Some(g) = agencies.registry().in_force_on(on)
        && let Some(u) = g.get(&agency.unit)
    {
        return Some((g, u));
    }
    let g = agencies.registry().graph(agency.hierarchy.as_str())?;
    Some((g, g.get(&agency.unit)?))
}

/// A unit and every unit above it, nearest first: the scopes a dossier counted at `unit` is
/// rolled up to.
pub fn scope_units(graph: &UnitGraph, unit: &Unit) -> Vec<UnitCode> {
    std::iter::once(unit.code.clone())
        .chain(
            graph
                .ancestors(&unit.code)
                .into_iter()
                .map(|u| u.code.clone()),
        )
        .collect()
}
