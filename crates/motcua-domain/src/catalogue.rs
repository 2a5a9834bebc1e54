//! Procedure catalogue.
