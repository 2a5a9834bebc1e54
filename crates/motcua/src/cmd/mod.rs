//! One module per subcommand.

pub mod catalogue;
pub mod send;
pub mod units;
pub mod up;
pub mod verify;
