//! Administrative units.
