//! Lookups and lists: a dossier by key or code with its timeline and control slip, applicant
//! search, desk queues and overdue lists.

use std::collections::BTreeSet;

use jiff::Timestamp;
use motcua_domain::calendar::Timeliness;
use motcua_domain::code::DossierCode;
use motcua_domain::dossier::{Actor, Applicant, EventBody};
use motcua_domain::units::{AgencyId, UnitCode};
use motcua_log::DossierKey;
use serde::Serialize;

use crate::derive::DossierRow;
use crate::error::ViewError;
use crate::facts::Folded;
use crate::fold::fold;
use crate::history::History;
use crate::keys::{IndexKind, index_parts, index_prefix, ts_bytes};
use crate::store::{T_CODES, T_DOSSIERS, T_DUE, T_HISTORY, T_NAMES, T_QUEUE, Views, corrupt};

/// Where a list looks: one office, or a unit with every unit below it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "scope", content = "id", rename_all = "snake_case")]
pub enum Scope {
    /// A unit (commune, district or province) and its descendants.
    Unit(UnitCode),
    /// One office.
    Agency(AgencyId),
}

impl Scope {
    fn prefix(&self, unit_kind: IndexKind) -> Vec<u8> {
        match self {
            Scope::Unit(u) => index_prefix(unit_kind, u.as_str()),
            Scope::Agency(a) => index_prefix(IndexKind::Agency, a.as_str()),
        }
    }
}

/// One event of the timeline (the audit trail).
#[derive(Debug, Clone, Serialize)]
pub struct TimelineEntry {
    /// Stream sequence of its commit.
    pub seq: u64,
    /// Event time.
    pub at: Timestamp,
    /// Event type name.
    pub event_type: String,
    /// Who, in which role, for which office.
    pub actor: Actor,
    /// What happened.
    pub event: EventBody,
}

/// One row of the control slip (Phiếu kiểm soát quá trình giải quyết hồ sơ, Form 05).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ControlSlipRow {
    /// Office handing over.
    pub from: AgencyId,
    /// Office receiving.
    pub to: AgencyId,
    /// When.
    pub at: Timestamp,
    /// Result of the step that ended (trước hạn / đúng hạn / quá hạn).
    pub step_result: Timeliness,
}

/// A clock pause.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PauseRow {
    /// `supplement` or `fee`.
    pub kind: String,
    /// From.
    pub from: Timestamp,
    /// Until, once over.
    pub to: Option<Timestamp>,
}

/// A dossier with everything an officer needs on one page.
#[derive(Debug, Clone, Serialize)]
pub struct DossierDetail {
    /// The summary.
    pub row: DossierRow,
    /// The applicant (personal data; `Debug` withholds it).
    pub applicant: Option<Applicant>,
    /// Every event, in order.
    pub timeline: Vec<TimelineEntry>,
    /// The control-slip rows.
    pub control_slip: Vec<ControlSlipRow>,
    /// Clock pauses.
    pub pauses: Vec<PauseRow>,
}

/// A dossier in a list, with the instant the list is ordered by.
#[derive(Debug, Clone, Serialize)]
pub struct ListItem {
    /// Due time at the holder (queues) or the deadline (overdue lists).
    pub due_at: Timestamp,
    /// The dossier.
    pub row: DossierRow,
}

impl Views {
    /// A dossier's summary.
    pub fn row(&self, key: &DossierKey) -> Result<Option<DossierRow>, ViewError> {
        self.tree(T_DOSSIERS)
            .get(key.to_string())?
            .map(|v| serde_json::from_slice(&v).map_err(|e| corrupt("dossiers", e)))
            .transpose()
    }

    /// A dossier with its timeline and control slip.
    pub fn dossier_by_key(&self, key: &DossierKey) -> Result<Option<DossierDetail>, ViewError> {
        let Some(row) = self.row(key)? else {
            return Ok(None);
        };
        let history = History::load(self.tree(T_HISTORY), &key.to_string())?;
        let folded = Folded::replay(history.events());
        let d = folded.state;
        let timeline = history
            .commits
            .iter()
            .flat_map(|c| {
                c.events.iter().map(|e| TimelineEntry {
                    seq: c.seq,
                    at: e.at,
                    event_type: e.body.type_name().to_owned(),
                    actor: e.actor.clone(),
                    event: e.body.clone(),
                })
            })
            .collect();
        let control_slip = d
            .handovers
            .iter()
            .map(|h| ControlSlipRow {
                from: h.from.clone(),
                to: h.to.clone(),
                at: h.at,
                step_result: h.step_result,
            })
            .collect();
        let pauses = d
            .pauses
            .iter()
            .map(|p| PauseRow {
                kind: serde_json::to_value(p.kind)
                    .ok()
                    .and_then(|v| v.as_str().map(str::to_owned))
                    .unwrap_or_default(),
                from: p.from,
                to: p.to,
            })
            .collect();
        Ok(Some(DossierDetail {
            row,
            applicant: d.applicant,
            timeline,
            control_slip,
            pauses,
        }))
    }

    /// A dossier by the code on its receipt slip.
    pub fn dossier_by_code(&self, code: &DossierCode) -> Result<Option<DossierDetail>, ViewError> {
        let Some(key) = self.tree(T_CODES).get(code.to_string())? else {
            return Ok(None);
        };
        let key: DossierKey = std::str::from_utf8(&key)
            .map_err(|e| corrupt("codes", e))?
            .parse()
            .map_err(|e| corrupt("codes", e))?;
        self.dossier_by_key(&key)
    }

    /// Dossiers whose applicant's name has a run of words starting with `query`, ignoring
    /// diacritics and case ("nguyen van an", "van an" and "an" all find "Nguyễn Văn An"; "an"
    /// also finds "Anh"). Ordered by the matched words, then the dossier key; at most `limit`.
    pub fn search_applicant(
        &self,
        query: &str,
        limit: usize,
    ) -> Result<Vec<DossierRow>, ViewError> {
        let q = fold(query);
        if q.is_empty() {
            return Err(ViewError::InvalidQuery(
                "the search needs at least one letter or digit".to_owned(),
            ));
        }
        let mut seen = BTreeSet::new();
        let mut out = Vec::new();
        for kv in self.tree(T_NAMES).scan_prefix(q.as_bytes()) {
            if out.len() >= limit {
                break;
            }
            let (k, _) = kv?;
            let Some(sep) = k.iter().rposition(|&b| b == 0) else {
                continue;
            };
            let key = std::str::from_utf8(&k[sep + 1..]).map_err(|e| corrupt("names", e))?;
            if !seen.insert(key.to_owned()) {
                continue;
            }
            let key: DossierKey = key.parse().map_err(|e| corrupt("names", e))?;
            if let Some(row) = self.row(&key)? {
                out.push(row);
            }
        }
        Ok(out)
    }

    /// Dossiers waiting at an office or a unit (and the units below it), most urgent first: an
    /// online submission by its intake deadline, a dossier in handling by the due time of its
    /// current step, a result waiting at the desk by its appointment. Dossiers waiting for the
    /// applicant (supplement, fee) are not in a queue.
    pub fn queue(&self, scope: &Scope, limit: usize) -> Result<Vec<ListItem>, ViewError> {
        let prefix = scope.prefix(IndexKind::Unit);
        self.list(T_QUEUE, &prefix, None, limit)
    }

    /// Open dossiers past their deadline at `at` at a handling office or unit (and the units
    /// below it), most overdue first. A dossier waiting for the applicant is never overdue (its
    /// clock is stopped).
    pub fn overdue(
        &self,
        scope: &Scope,
        at: Timestamp,
        limit: usize,
    ) -> Result<Vec<ListItem>, ViewError> {
        let prefix = scope.prefix(IndexKind::Unit);
        self.list(T_DUE, &prefix, Some(at), limit)
    }

    fn list(
        &self,
        tree: usize,
        prefix: &[u8],
        before: Option<Timestamp>,
        limit: usize,
    ) -> Result<Vec<ListItem>, ViewError> {
        let mut end = prefix.to_vec();
        match before {
            Some(at) => end.extend_from_slice(&ts_bytes(at)),
            None => end.push(0xFF),
        }
        let mut out = Vec::new();
        for kv in self.tree(tree).range(prefix.to_vec()..end).take(limit) {
            let (k, _) = kv?;
            let (due_at, key) =
                index_parts(&k, prefix.len()).ok_or_else(|| corrupt("index", "bad key"))?;
            let key: DossierKey = key.parse().map_err(|e| corrupt("index", e))?;
            if let Some(row) = self.row(&key)? {
                out.push(ListItem { due_at, row });
            }
        }
        Ok(out)
    }
}
