//! The dossier aggregate: commands, events, state, and the rules between them.
//!
//! `decide(state, command, now, context)` returns the events a command produces or a specific
//! refusal; `Dossier::evolve(event)` folds an event into state. A dossier's history is its events;
//! its state is always `Dossier::replay(history)`.

mod actor;
mod command;
mod decide;
mod error;
mod event;
mod rules;
mod state;

pub use actor::{Actor, Applicant, Role};
pub use command::{Command, CommandBody};
pub use decide::{Context, decide};
pub use error::{DomainError, stage_name, step_name};
pub use event::{Event, EventBody, PaymentMethod, Proposal, ReturnMethod, Satisfaction};
pub use rules::{RuleBook, RuleSet};
pub use state::{Dossier, Handover, Pause, PauseKind, Resume, Stage, Status, Step};
