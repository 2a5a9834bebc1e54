//! A FUSE filesystem that loses power on command (dev-only; SYSTEM.md §10).
//!
//! A process kill keeps the page cache, so it cannot show that acknowledged writes were never
//! synced. This crate mounts a filesystem (pure-Rust [`fuser`], no libfuse) over a *backing
//! directory* that only ever receives what a program made durable; everything else lives in
//! memory until [`PowerCutMount::power_cut`] drops it, unmounts, and mounts again on what is
//! left. That is the idea of LazyFS, which Jepsen used on NATS 2.12.1. nats-server runs with its
//! `store_dir` on the mount; after `kill -9` and a power cut it restarts on the durable state.
//!
//! # The durability model
//!
//! The mount shows the *live* tree: the backing directory plus every change since, held in
//! memory. The backing directory is the *durable* tree. They differ by two things:
//!
//! 1. **File data.** `write` changes the in-memory copy of the file only. The file's data (all
//!    of it, and its size) becomes durable on `fsync` or `fdatasync` of the file through any
//!    descriptor (durability is per inode, as in the kernel: nats-server fsyncs its index file
//!    through a descriptor other than the one that wrote it), and at once, write by write, when
//!    the descriptor was opened with `O_SYNC` or `O_DSYNC` (nats-server writes its stream and
//!    consumer metadata that way: a temporary file opened `O_SYNC`, a rename, a directory
//!    fsync). `close`, `flush` and unmounting make nothing durable.
//! 2. **Metadata.** `create`/`mknod`, `mkdir`, `unlink`, `rmdir`, `rename`, size changes
//!    (`truncate`, `ftruncate`, `O_TRUNC`) and `chmod` take effect in the live tree at once and
//!    are appended to **one ordered journal**, like ext4's jbd2 journal. A durability event
//!    commits a *prefix* of it, replayed in order on the backing directory:
//!    - `fsync` of a file: up to the last entry that touched the file (its creation, a rename
//!      of it, a size change, a chmod, its unlink);
//!    - `fdatasync` of a file, or a write through `O_DSYNC`: up to the last entry that is
//!      needed to read its data back (its creation, its size changes); `O_SYNC` is `fsync`;
//!    - `fsync` of a directory: up to the last entry that touched the directory (a name
//!      created, removed or renamed in or out of it; its own creation or rename).
//!
//!    So a rename is durable once either directory involved is fsynced, or the renamed file is
//!    fsynced after the rename; a new file's name is durable once the file or its directory is
//!    fsynced; and a durable state is always a prefix of history (never a rename without the
//!    creation before it, never a file in a directory whose creation was lost).
//!
//! In memory, each node (file or directory) records the last journal entry that touched it,
//! and each file the byte span written since its last durability event; the whole live
//! content of every file opened since the mount is held in memory (meant for test-sized
//! stores). A power cut keeps exactly the committed journal prefix and the synced data. Nothing is ever
//! written back in the background: no 5-second journal commit, no 30-second writeback.
//! Ownership and timestamps live in memory only; hard links, symlinks, special files, xattrs,
//! `RENAME_EXCHANGE` and `RENAME_WHITEOUT` are refused; `statfs` reports a fixed 64 GiB free.
//!
//! ## Why it is at least as strict as ext4 `data=ordered`
//!
//! Anything that survives a power cut here survives one on ext4 in its default mode:
//!
//! - *Data*: ext4 with delayed allocation writes unsynced data back when the flusher gets to
//!   it (after up to 30 s) or on `fsync`; here only on `fsync`, `fdatasync`, `O_SYNC` and
//!   `O_DSYNC`. What ext4 `data=ordered` adds (a committed size or block never exposes stale
//!   blocks) holds trivially: data reaches the backing file only with its durability event.
//! - *Metadata*: jbd2 commits whole transactions, in order. `fsync` of an inode commits the
//!   transaction of its last change (`i_sync_tid`; `fdatasync`: `i_datasync_tid`), hence every
//!   operation up to that change and possibly later ones of the same transaction: a superset
//!   of the prefix committed here.
//! - ext4 is more lenient in ways this model is not, so a test may lose more here than one
//!   particular ext4 crash would: periodic commits, background writeback, later operations
//!   riding in the same transaction as an fsync, and `auto_da_alloc` (a rename over, or a
//!   truncate of, a file flushes the new data early). Every state it leaves is one a crash
//!   may leave on ext4, at the worst instant.
//!
//! It is *not* stricter than ext4 in one respect that POSIX alone would allow: a new file's
//! name (and the directories above it) become durable with the file's own `fsync`, without an
//! `fsync` of each parent directory, because a journal commits in order (ext4 and XFS both
//! behave so). nats-server 2.14 relies on it: it creates `msgs/<n>.blk` and the stream
//! directories, fsyncs the files (`sync_interval: always`) and the directory holding
//! `meta.inf`, but never `streams/` or `msgs/`. A model that demanded a directory fsync for
//! every name would report the loss of whole streams that the server did not lose on ext4.
//!
//! # Disk faults
//!
//! [`PowerCutMount::set_fault`] makes the disk full (`ENOSPC`) or read-only (`EROFS`) at once
//! and back again, for the tests of a program whose data disk fails while it runs (module
//! `fault` lists which calls fail how).
//!
//! # Use
//!
//! ```no_run
//! # fn main() -> Result<(), motcua_powercut::PowerCutError> {
//! let mut mount = motcua_powercut::PowerCutMount::mount("/tmp/backing", "/tmp/mnt")?;
//! // ... run nats-server with `store_dir` under /tmp/mnt, publish, kill -9 it ...
//! let report = mount.power_cut()?; // /tmp/backing now holds only what was durable
//! eprintln!("lost {} unsynced bytes", report.lost_bytes);
//! // ... restart nats-server on the same store_dir ...
//! # Ok(())
//! # }
//! ```
//!
//! Mounting needs Linux with `/dev/fuse` and root (mount(2) directly; no `fusermount3` and no
//! package needed), or Debian's `fuse3` package for the setuid helper otherwise. Tests call
//! [`fuse_tests_enabled`]: without FUSE they fail saying why, unless `MOTCUA_SKIP_FUSE=1`.

mod fault;
mod flags;
mod fs;
mod mount;
mod state;

pub use fault::DiskFault;
pub use flags::{O_DSYNC, O_SYNC};
pub use mount::{
    PowerCutError, PowerCutMount, SKIP_ENV, UNMOUNT_TIMEOUT, fuse_tests_enabled, is_mounted,
    unavailable_reason,
};
pub use state::{CutReport, Stats};
