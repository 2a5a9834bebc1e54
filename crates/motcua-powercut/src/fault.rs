//! Disk faults switched on and off while mounted: a full disk (`ENOSPC`) or a disk the kernel
//! remounted read-only after an error (`EROFS`).
//!
//! They act on what changes the filesystem, never on reads, so a program keeps reading what it
//! has; nothing already written is lost (the power-cut model is unchanged). With a fault on:
//!
//! | operation | `NoSpace` | `ReadOnly` |
//! |---|---|---|
//! | `write`, `create`, `mknod`, `mkdir` | `ENOSPC` | `EROFS` |
//! | a size change (`truncate`) | `ENOSPC` | `EROFS` |
//! | `fsync`, `fdatasync`, directory fsync | `ENOSPC` | `EROFS` |
//! | `open` for writing, `chmod`, `unlink`, `rmdir`, `rename` | allowed | `EROFS` |
//! | `statfs` | no free block | unchanged |
//!
//! `fsync` fails even with nothing pending: a program must not learn from a successful fsync
//! that the disk is fine, as ext4 reports a writeback error once to the next fsync.

use std::sync::atomic::{AtomicU8, Ordering};

use fuser::Errno;

/// A fault of the whole disk.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DiskFault {
    /// The disk is full: writes and syncs fail with `ENOSPC`.
    NoSpace,
    /// The disk is read-only: every change fails with `EROFS`.
    ReadOnly,
}

/// What the filesystem is asked to do, as far as faults care.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Change {
    /// Needs new space: data, a new name, a size change, a sync.
    Grow,
    /// Changes the tree without needing space: open for writing, chmod, unlink, rename.
    Modify,
}

/// The switch, shared by the mount handle and the FUSE session.
#[derive(Debug, Default)]
pub(crate) struct FaultSwitch(AtomicU8);

impl FaultSwitch {
    pub(crate) fn set(&self, fault: Option<DiskFault>) {
        let v = match fault {
            None => 0,
            Some(DiskFault::NoSpace) => 1,
            Some(DiskFault::ReadOnly) => 2,
        };
        self.0.store(v, Ordering::SeqCst);
    }

    pub(crate) fn get(&self) -> Option<DiskFault> {
        match self.0.load(Ordering::SeqCst) {
            1 => Some(DiskFault::NoSpace),
            2 => Some(DiskFault::ReadOnly),
            _ => None,
        }
    }

    /// The error `change` gets now, if any.
    pub(crate) fn check(&self, change: Change) -> Result<(), Errno> {
        match (self.get(), change) {
            (None, _) | (Some(DiskFault::NoSpace), Change::Modify) => Ok(()),
            (Some(DiskFault::NoSpace), Change::Grow) => Err(Errno::ENOSPC),
            (Some(DiskFault::ReadOnly), _) => Err(Errno::EROFS),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_table() {
        let s = FaultSwitch::default();
        assert_eq!(s.check(Change::Grow), Ok(()));
        s.set(Some(DiskFault::NoSpace));
        assert_eq!(s.check(Change::Grow), Err(Errno::ENOSPC));
        assert_eq!(s.check(Change::Modify), Ok(()));
        s.set(Some(DiskFault::ReadOnly));
        assert_eq!(s.check(Change::Grow), Err(Errno::EROFS));
        assert_eq!(s.check(Change::Modify), Err(Errno::EROFS));
        s.set(None);
        assert_eq!(s.get(), None);
    }
}
