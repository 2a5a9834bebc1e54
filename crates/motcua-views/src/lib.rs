//! Projectors and read models: what officers, dashboards and official reports read.
//!
//! A projector consumes one province's dossier stream with a durable pull consumer and keeps, in
//! sled, for commune, district and province scopes (levels come from the unit graph, so the
//! 3-level hierarchy of the old era and the 2-level one since July 2025 both work):
//!
//! - the dossier by key or code, with its timeline (every event) and its control-slip rows
//!   ([`Views::dossier_by_code`], [`Views::dossier_by_key`]);
//! - applicant search that ignores Vietnamese diacritics and case ([`Views::search_applicant`]);
//! - desk queues ordered by due time and overdue lists per unit and per office
//!   ([`Views::queue`], [`Views::overdue`]);
//! - Biểu 06 counters by day × unit × field × procedure × channel, rolled up to every ancestor
//!   unit and summed for any period from day, month and year buckets ([`Views::bieu06`]), the
//!   Decision 766 indicator 2.1 inputs ([`Views::kpi766_inputs`]) and desk intake
//!   ([`Views::intake`]);
//! - dead letters ([`Views::list_dead_letters`], [`Views::replay_dead_letters`]);
//! - a digest of everything ([`Views::digest`]) to compare nodes and rebuilds.
//!
//! How it works: the `history` tree keeps each dossier's applied commits, one entry per commit
//! (module `history`). A batch folds each message into its dossier's state with the domain's
//! `evolve` and checks that it still derives; then, once per dossier touched, derives the
//! dossier's row, index entries and per-day counter contributions (module `derive`) and writes
//! the difference from what the history before the batch derived, together with the checkpoint,
//! in one sled transaction (module `apply`). A rebuild makes two passes: the histories first
//! (each message checked exactly as above, dead letters included), then every dossier derived
//! once from its whole history; the result is the same, with a dossier's row and entries written
//! once instead of at each commit ([`rebuild`]). Which unit counts a dossier, and in which column, is written down in
//! `docs/reports.md`.
//!
//! Storage layout (every tree is named `<projector name>/<tree>`; `‖` is concatenation, `0` a
//! NUL separator, instants are 16 sortable bytes, dates 4):
//!
//! | tree | key | value |
//! |---|---|---|
//! | `meta` | `format`, `shard`, `reference`, `checkpoint`, `checkpoint_hash`, `sealed`, `resetting` | format version, shard label, reference-data fingerprint, last applied sequence, SHA-256 of that message, digest sealed at a clean shutdown, reset marker |
//! | `history` | dossier key ‖ 0 ‖ sequence (u64 BE) | JSON: one applied commit (chain hash, events), written once |
//! | `dossiers` | dossier key | JSON [`DossierRow`] |
//! | `codes` | dossier code | dossier key |
//! | `names` | folded name suffix ‖ 0 ‖ dossier key | — |
//! | `queue` | `A` ‖ holder office ‖ 0 ‖ due ‖ key, `U` ‖ holder unit (and each ancestor) ‖ 0 ‖ due ‖ key | — |
//! | `due` | `A` ‖ handling office ‖ 0 ‖ deadline ‖ key, `U` ‖ handling unit (and ancestors) ‖ 0 ‖ deadline ‖ key, `K` ‖ unit ‖ 0 ‖ 766 threshold ‖ key | row dims (for `U`, `K`) |
//! | `counters` | family (`B` Biểu 06, `I` intake) ‖ unit ‖ 0 ‖ `Y`/`M`/`D` ‖ bucket ‖ level ‖ field ‖ 0 ‖ procedure ‖ channel | 9 × i64: received, early, on time, late, ended, Δpending, Δoverdue, 766 ended on time, Δ766 open on time |
//! | `dead` | sequence (u64 BE) | JSON [`DeadLetter`] |
//! | `parked` | dossier key | first dead sequence |
//!
//! Architecture invariant: this crate knows sled, the event log and the domain; it never writes
//! to the stream (it only reads it and acknowledges its own consumer).
//!
//! Architecture invariant: everything in sled is a cache of the stream. Deleting a shard's
//! directory loses nothing: [`Projector::start`] rebuilds it, and does so by itself when the
//! store cannot be opened or fails its integrity checks.
//!
//! Architecture invariant: views are computed from event time only, never from the projector's
//! clock; the same events give byte-identical views and so the same [`Digest`]. "Pending
//! overdue" is judged at query time.
//!
//! Architecture invariant: a report costs O(rows × buckets of the period asked), never O(events).

mod apply;
mod dead;
mod derive;
mod error;
mod facts;
pub mod fold;
mod health;
mod history;
mod keys;
mod projector;
mod query;
mod report;
mod report_export;
mod report_official;
mod report_scan;
mod store;

pub use apply::{BatchOutcome, Delivery};
pub use dead::{DeadLetter, DeadReason, ReplayOutcome};
pub use derive::{DossierRow, PersonName};
pub use error::{IntegrityProblem, ViewError};
pub use facts::{Folded, scope_units, unit_of};
pub use health::{Phase, ProjectorStats, ProjectorStatus, RebuildProgress};
pub use history::{History, StoredCommit};
pub use keys::RowDims;
pub use projector::{
    FILL_IN_TWO_PASSES_FROM, HealReport, Progress, Projector, ProjectorConfig, REBUILD_BATCH,
    catch_up, rebuild,
};
pub use query::{ControlSlipRow, DossierDetail, ListItem, PauseRow, Scope, TimelineEntry};
pub use report::{
    Bieu06Report, FieldGroup, IntakeCounts, IntakeReport, IntakeRow, Kpi766Counts, Kpi766Report,
    Kpi766Row, LevelGroup, ProcedureRow,
};
pub use report_export::{
    COLUMNS, CSV_HEADER, ExportError, GROUPS, LABEL_HEADER, TITLE, XLSX_FIRST_DATA_ROW, notes,
    period_line, to_csv, to_table, to_xlsx, vn_date, vn_datetime, vn_decimal, vn_rate,
};
pub use report_official::{
    ConventionRate, FormRow, FormRowKind, Indicator, IndicatorCounts, IndicatorRow, IndicatorUnit,
    Judging, Kpi766Indicators, OfficialReport, ReportQuery, ReportSource, convention_label,
    level_label,
};
pub use store::{
    Digest, FORMAT_VERSION, LOCK_WAIT, SLED_CACHE_BYTES, Shard, Views, is_lock_held, open_db,
    sled_config,
};
