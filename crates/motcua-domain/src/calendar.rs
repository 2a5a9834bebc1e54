//! Working calendar and deadlines.
