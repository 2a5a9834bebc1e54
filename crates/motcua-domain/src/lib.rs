//! The pure model of one-stop ("một cửa, một cửa liên thông") dossier handling.
//!
//! Architecture invariant: this crate does no I/O, reads no clock and spawns nothing.
//! Time comes in as an argument, reference data (unit lists, catalogue, holidays) is parsed from
//! text embedded at compile time or handed in by the caller.
//! Everything here can be tested with plain values, and every decision is reproducible from the
//! dossier's events.

pub mod calendar;
pub mod catalogue;
pub mod units;
