//! One module per subcommand.

pub mod bench;
pub mod catalogue;
pub mod import;
pub mod projectors;
pub mod report;
pub mod send;
pub mod simulate;
pub mod tail;
pub mod token;
pub mod units;
pub mod up;
pub mod verify;
pub mod views;
