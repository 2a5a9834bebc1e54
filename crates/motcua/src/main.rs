//! The `motcua` command line.
fn main() {}
