//! The durability model of the power-cut filesystem, through a real FUSE mount.
//!
//! Every test mounts its own filesystem over a fresh backing directory. They need Linux,
//! `/dev/fuse` and root (or `fusermount3`); without them they fail saying why, unless
//! `MOTCUA_SKIP_FUSE=1` is set, in which case they pass without testing anything (and say so on
//! stderr).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::fs::{self, File, OpenOptions};
use std::io::{ErrorKind, Read as _, Write as _};
use std::os::unix::fs::{FileExt as _, OpenOptionsExt as _};
use std::path::{Path, PathBuf};

use motcua_powercut::{O_DSYNC, O_SYNC, PowerCutMount, SKIP_ENV, fuse_tests_enabled, is_mounted};
use tempfile::TempDir;

/// A mount over `<tmp>/backing` at `<tmp>/mnt`; the mount is dropped (unmounted) before the
/// directory is removed.
struct Fixture {
    mount: PowerCutMount,
    dir: TempDir,
}

impl Fixture {
    /// `None` when the tests are skipped (`MOTCUA_SKIP_FUSE=1`).
    fn new(test: &str) -> Option<Fixture> {
        Fixture::with_backing(test, |_| {})
    }

    /// Prepares the backing directory (the durable state at mount time) first.
    fn with_backing(test: &str, prepare: impl FnOnce(&Path)) -> Option<Fixture> {
        if !fuse_tests_enabled(test) {
            return None;
        }
        let dir = tempfile::Builder::new()
            .prefix("motcua-powercut-")
            .tempdir()
            .unwrap();
        fs::create_dir(dir.path().join("backing")).unwrap();
        fs::create_dir(dir.path().join("mnt")).unwrap();
        prepare(&dir.path().join("backing"));
        let mount = PowerCutMount::mount(dir.path().join("backing"), dir.path().join("mnt"))
            .unwrap_or_else(|e| {
                panic!("{test}: {e} (set {SKIP_ENV}=1 to skip the power-cut tests)")
            });
        Some(Fixture { mount, dir })
    }

    /// A path on the mount.
    fn live(&self, rel: &str) -> PathBuf {
        self.mount.mountpoint().join(rel)
    }

    /// A path in the backing (durable) directory.
    fn durable(&self, rel: &str) -> PathBuf {
        self.mount.backing_dir().join(rel)
    }

    fn cut(&mut self) -> motcua_powercut::CutReport {
        let report = self.mount.power_cut().unwrap();
        assert!(
            report.stats.errors.is_empty(),
            "model errors: {:?}",
            report.stats.errors
        );
        report
    }

    fn assert_no_model_errors(&self) {
        let stats = self.mount.stats();
        assert!(stats.errors.is_empty(), "model errors: {:?}", stats.errors);
    }
}

fn read(path: &Path) -> Option<Vec<u8>> {
    match fs::read(path) {
        Ok(bytes) => Some(bytes),
        Err(e) if e.kind() == ErrorKind::NotFound => None,
        Err(e) => panic!("reading {}: {e}", path.display()),
    }
}

fn sync_dir(path: &Path) {
    File::open(path).unwrap().sync_all().unwrap();
}

#[test]
fn a_write_without_fsync_is_lost() {
    let Some(mut fx) = Fixture::new("a_write_without_fsync_is_lost") else {
        return;
    };
    fs::write(fx.live("f"), b"hello").unwrap();
    // Visible through the mount, not durable.
    assert_eq!(read(&fx.live("f")).as_deref(), Some(&b"hello"[..]));
    assert_eq!(read(&fx.durable("f")), None);
    let stats = fx.mount.stats();
    assert_eq!(stats.pending_journal, 1, "{stats:?}");
    assert_eq!(stats.pending_bytes, 5, "{stats:?}");

    let report = fx.cut();
    assert_eq!(report.lost_journal_entries, 1);
    assert_eq!(report.lost_bytes, 5);
    assert_eq!(read(&fx.live("f")), None);
    assert_eq!(read(&fx.durable("f")), None);
}

#[test]
fn fsync_keeps_the_data_written_before_it_and_the_name() {
    let Some(mut fx) = Fixture::new("fsync_keeps_the_data_written_before_it_and_the_name") else {
        return;
    };
    let mut f = File::create(fx.live("f")).unwrap();
    f.write_all(b"synced").unwrap();
    f.sync_all().unwrap();
    assert_eq!(read(&fx.durable("f")).as_deref(), Some(&b"synced"[..]));
    f.write_all(b" and not").unwrap();
    drop(f);
    assert_eq!(read(&fx.live("f")).as_deref(), Some(&b"synced and not"[..]));

    fx.cut();
    assert_eq!(read(&fx.live("f")).as_deref(), Some(&b"synced"[..]));
    assert_eq!(read(&fx.durable("f")).as_deref(), Some(&b"synced"[..]));
}

#[test]
fn fdatasync_keeps_the_data_and_the_new_name() {
    let Some(mut fx) = Fixture::new("fdatasync_keeps_the_data_and_the_new_name") else {
        return;
    };
    let mut f = File::create(fx.live("f")).unwrap();
    f.write_all(b"data").unwrap();
    f.sync_data().unwrap();
    drop(f);
    fx.cut();
    assert_eq!(read(&fx.live("f")).as_deref(), Some(&b"data"[..]));
    assert_eq!(fx.mount.power_cuts(), 1);
}

#[test]
fn fsync_through_another_descriptor_counts() {
    // nats-server fsyncs its index file by opening it again (syncBlocks).
    let Some(mut fx) = Fixture::new("fsync_through_another_descriptor_counts") else {
        return;
    };
    let mut writer = File::create(fx.live("index.db")).unwrap();
    writer.write_all(b"state").unwrap();
    OpenOptions::new()
        .read(true)
        .write(true)
        .open(fx.live("index.db"))
        .unwrap()
        .sync_all()
        .unwrap();
    drop(writer);
    fx.cut();
    assert_eq!(read(&fx.live("index.db")).as_deref(), Some(&b"state"[..]));
}

#[test]
fn an_o_dsync_write_is_durable_when_it_returns() {
    let Some(mut fx) = Fixture::new("an_o_dsync_write_is_durable_when_it_returns") else {
        return;
    };
    let mut f = OpenOptions::new()
        .write(true)
        .create_new(true)
        .custom_flags(O_DSYNC)
        .open(fx.live("dsync"))
        .unwrap();
    f.write_all(b"first").unwrap();
    // Durable before close, with no fsync.
    assert_eq!(read(&fx.durable("dsync")).as_deref(), Some(&b"first"[..]));
    f.write_all(b"+second").unwrap();
    assert_eq!(
        read(&fx.durable("dsync")).as_deref(),
        Some(&b"first+second"[..])
    );
    drop(f);
    let stats = fx.mount.stats();
    assert!(stats.sync_writes >= 2, "{stats:?}");
    assert_eq!(stats.pending_bytes, 0, "{stats:?}");
    fx.cut();
    assert_eq!(
        read(&fx.live("dsync")).as_deref(),
        Some(&b"first+second"[..])
    );
}

#[test]
fn an_o_sync_write_is_durable_when_it_returns() {
    let Some(mut fx) = Fixture::new("an_o_sync_write_is_durable_when_it_returns") else {
        return;
    };
    let mut f = OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .custom_flags(O_SYNC)
        .open(fx.live("sync"))
        .unwrap();
    f.write_all(b"meta").unwrap();
    drop(f);
    fx.cut();
    assert_eq!(read(&fx.live("sync")).as_deref(), Some(&b"meta"[..]));
}

/// The way nats-server writes `meta.inf` with `sync_interval: always`: a temporary file opened
/// `O_SYNC`, a rename over the old file, an fsync of the directory.
fn write_atomically(fx: &Fixture, dir: &str, name: &str, content: &[u8], sync_dir_after: bool) {
    let tmp = fx.live(&format!("{dir}/{name}.tmp"));
    let mut f = OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .custom_flags(O_SYNC)
        .open(&tmp)
        .unwrap();
    f.write_all(content).unwrap();
    drop(f);
    fs::rename(&tmp, fx.live(&format!("{dir}/{name}"))).unwrap();
    if sync_dir_after {
        sync_dir(&fx.live(dir));
    }
}

fn stream_dir_with_old_meta(backing: &Path) {
    fs::create_dir_all(backing.join("streams/S")).unwrap();
    fs::write(backing.join("streams/S/meta.inf"), b"old").unwrap();
}

#[test]
fn a_rename_into_place_then_a_directory_fsync_is_durable() {
    let Some(mut fx) = Fixture::with_backing(
        "a_rename_into_place_then_a_directory_fsync_is_durable",
        stream_dir_with_old_meta,
    ) else {
        return;
    };
    write_atomically(&fx, "streams/S", "meta.inf", b"new", true);
    assert_eq!(fx.mount.stats().pending_journal, 0);
    fx.cut();
    assert_eq!(
        read(&fx.live("streams/S/meta.inf")).as_deref(),
        Some(&b"new"[..])
    );
    assert_eq!(read(&fx.live("streams/S/meta.inf.tmp")), None);
}

/// Without the directory fsync the rename is not durable (as on ext4 when no commit of its
/// transaction happened before the crash): the old file is back, and the temporary file, whose
/// creation and data were made durable by its O_SYNC write, is there beside it.
#[test]
fn a_rename_without_a_directory_fsync_is_lost() {
    let Some(mut fx) = Fixture::with_backing(
        "a_rename_without_a_directory_fsync_is_lost",
        stream_dir_with_old_meta,
    ) else {
        return;
    };
    write_atomically(&fx, "streams/S", "meta.inf", b"new", false);
    assert_eq!(
        read(&fx.live("streams/S/meta.inf")).as_deref(),
        Some(&b"new"[..])
    );
    let report = fx.cut();
    assert_eq!(
        report.lost_journal_entries, 1,
        "only the rename: {report:?}"
    );
    assert_eq!(
        read(&fx.live("streams/S/meta.inf")).as_deref(),
        Some(&b"old"[..])
    );
    assert_eq!(
        read(&fx.live("streams/S/meta.inf.tmp")).as_deref(),
        Some(&b"new"[..])
    );
}

/// A rename becomes durable with an fsync of the renamed file after it, too (its inode changed
/// in the rename's transaction, as on ext4).
#[test]
fn fsync_of_the_renamed_file_makes_the_rename_durable() {
    let Some(mut fx) = Fixture::new("fsync_of_the_renamed_file_makes_the_rename_durable") else {
        return;
    };
    fs::write(fx.live("a"), b"x").unwrap();
    fs::rename(fx.live("a"), fx.live("b")).unwrap();
    File::open(fx.live("b")).unwrap().sync_all().unwrap();
    fx.cut();
    assert_eq!(read(&fx.live("a")), None);
    assert_eq!(read(&fx.live("b")).as_deref(), Some(&b"x"[..]));
}

/// What nats-server relies on: a new file in new directories, fsynced, with no fsync of any
/// directory, survives (an ordered journal commits the mkdirs and the creation before it).
#[test]
fn fsync_of_a_new_file_makes_its_name_and_new_parents_durable() {
    let Some(mut fx) = Fixture::new("fsync_of_a_new_file_makes_its_name_and_new_parents_durable")
    else {
        return;
    };
    fs::create_dir_all(fx.live("jetstream/$G/streams/S/msgs")).unwrap();
    let mut f = File::create(fx.live("jetstream/$G/streams/S/msgs/1.blk")).unwrap();
    f.write_all(b"record").unwrap();
    f.sync_all().unwrap();
    // A later, unrelated creation is not carried along.
    fs::write(fx.live("jetstream/later"), b"").unwrap();
    drop(f);
    fx.cut();
    assert_eq!(
        read(&fx.live("jetstream/$G/streams/S/msgs/1.blk")).as_deref(),
        Some(&b"record"[..])
    );
    assert_eq!(read(&fx.live("jetstream/later")), None);
}

/// A directory survives once it, or something created after it, is fsynced: the journal is
/// committed as a prefix, so earlier changes ride along and later ones do not.
#[test]
fn a_directory_needs_an_fsync_to_survive() {
    let Some(mut fx) = Fixture::new("a_directory_needs_an_fsync_to_survive") else {
        return;
    };
    fs::create_dir(fx.live("earlier")).unwrap();
    fs::create_dir(fx.live("kept")).unwrap();
    sync_dir(&fx.live("kept"));
    fs::create_dir(fx.live("lost")).unwrap();
    fx.cut();
    assert!(fx.live("earlier").is_dir());
    assert!(fx.live("kept").is_dir());
    assert!(!fx.live("lost").exists());
}

#[test]
fn an_unlink_needs_a_directory_fsync_to_be_durable() {
    let Some(mut fx) = Fixture::with_backing(
        "an_unlink_needs_a_directory_fsync_to_be_durable",
        |backing| {
            fs::create_dir(backing.join("d")).unwrap();
            fs::write(backing.join("d/undone"), b"1").unwrap();
            fs::write(backing.join("d/done"), b"2").unwrap();
        },
    ) else {
        return;
    };
    fs::remove_file(fx.live("d/undone")).unwrap();
    fx.cut();
    assert_eq!(read(&fx.live("d/undone")).as_deref(), Some(&b"1"[..]));
    fs::remove_file(fx.live("d/done")).unwrap();
    sync_dir(&fx.live("d"));
    fx.cut();
    assert_eq!(read(&fx.live("d/done")), None);
    assert_eq!(read(&fx.durable("d/done")), None);
}

#[test]
fn a_truncation_is_metadata_and_needs_a_sync() {
    let Some(mut fx) =
        Fixture::with_backing("a_truncation_is_metadata_and_needs_a_sync", |backing| {
            fs::write(backing.join("t"), b"0123456789").unwrap();
        })
    else {
        return;
    };
    let f = OpenOptions::new().write(true).open(fx.live("t")).unwrap();
    f.set_len(4).unwrap();
    assert_eq!(read(&fx.live("t")).as_deref(), Some(&b"0123"[..]));
    drop(f);
    fx.cut();
    assert_eq!(read(&fx.live("t")).as_deref(), Some(&b"0123456789"[..]));

    let f = OpenOptions::new().write(true).open(fx.live("t")).unwrap();
    f.set_len(4).unwrap();
    f.sync_all().unwrap();
    drop(f);
    fx.cut();
    assert_eq!(read(&fx.live("t")).as_deref(), Some(&b"0123"[..]));
}

#[test]
fn a_file_there_before_the_mount_reads_back_and_lists() {
    let Some(fx) =
        Fixture::with_backing("a_file_there_before_the_mount_reads_back_and_lists", |b| {
            fs::create_dir(b.join("dir")).unwrap();
            fs::write(b.join("dir/one"), b"1").unwrap();
            fs::write(b.join("dir/two"), vec![7u8; 300_000]).unwrap();
        })
    else {
        return;
    };
    let mut names: Vec<String> = fs::read_dir(fx.live("dir"))
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    names.sort();
    assert_eq!(names, ["one", "two"]);
    let mut big = Vec::new();
    File::open(fx.live("dir/two"))
        .unwrap()
        .read_to_end(&mut big)
        .unwrap();
    assert_eq!(big, vec![7u8; 300_000]);
    assert_eq!(fs::metadata(fx.live("dir/two")).unwrap().len(), 300_000);
    fx.assert_no_model_errors();
}

/// Overwrites, holes, shrinking and growing: after an fsync the backing file equals what the
/// mount shows, byte for byte (the dirty-span bookkeeping).
#[test]
fn after_fsync_the_backing_file_equals_the_live_file() {
    let Some(mut fx) =
        Fixture::with_backing("after_fsync_the_backing_file_equals_the_live_file", |b| {
            fs::write(b.join("f"), vec![b'a'; 10_000]).unwrap()
        })
    else {
        return;
    };
    let f = OpenOptions::new()
        .read(true)
        .write(true)
        .open(fx.live("f"))
        .unwrap();
    // A small deterministic generator: the same sequence on every run.
    let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut next = move |bound: u64| {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x % bound
    };
    for round in 0..200u64 {
        match next(10) {
            0 => f.set_len(next(30_000)).unwrap(),
            1..=7 => {
                let offset = next(40_000);
                let len = 1 + next(3_000) as usize;
                let byte = b'A' + (round % 26) as u8;
                f.write_all_at(&vec![byte; len], offset).unwrap();
            }
            _ => f.sync_data().unwrap(),
        }
    }
    // Changes after the last sync are lost; everything up to it is durable.
    f.sync_all().unwrap();
    let live = read(&fx.live("f")).unwrap();
    assert_eq!(read(&fx.durable("f")).unwrap(), live);
    f.write_all_at(b"lost", 0).unwrap();
    drop(f);
    fx.cut();
    assert_eq!(read(&fx.live("f")).unwrap(), live);
}

#[test]
fn a_power_cut_with_the_file_still_open_detaches_and_answers_eio() {
    let Some(mut fx) =
        Fixture::new("a_power_cut_with_the_file_still_open_detaches_and_answers_eio")
    else {
        return;
    };
    let mut f = File::create(fx.live("busy")).unwrap();
    f.write_all(b"x").unwrap();
    f.sync_all().unwrap();
    let report = fx.cut();
    assert!(report.forced_detach, "{report:?}");
    // The old descriptor belongs to the filesystem that lost power.
    assert!(f.write_all(b"y").is_err());
    assert!(f.sync_all().is_err());
    drop(f);
    // The new mount serves the durable state.
    assert_eq!(read(&fx.live("busy")).as_deref(), Some(&b"x"[..]));
}

#[test]
fn dropping_the_mount_unmounts_it() {
    let Some(fx) = Fixture::new("dropping_the_mount_unmounts_it") else {
        return;
    };
    let mountpoint = fx.mount.mountpoint().to_path_buf();
    assert!(is_mounted(&mountpoint));
    fs::write(fx.live("f"), b"x").unwrap();
    let Fixture { mount, dir } = fx;
    drop(mount);
    assert!(!is_mounted(&mountpoint));
    // The mount point is the plain empty directory again; nothing leaked into it.
    assert_eq!(fs::read_dir(&mountpoint).unwrap().count(), 0);
    drop(dir);
}

#[test]
fn a_panicking_test_still_unmounts() {
    if !fuse_tests_enabled("a_panicking_test_still_unmounts") {
        return;
    }
    let (tx, rx) = std::sync::mpsc::channel();
    let outcome = std::thread::spawn(move || {
        let fx = Fixture::new("a_panicking_test_still_unmounts").unwrap();
        tx.send(fx.mount.mountpoint().to_path_buf()).unwrap();
        fs::write(fx.live("f"), b"x").unwrap();
        panic!("deliberate panic with the filesystem mounted");
    })
    .join();
    assert!(outcome.is_err());
    let mountpoint = rx.recv().unwrap();
    assert!(
        !is_mounted(&mountpoint),
        "{} is still mounted",
        mountpoint.display()
    );
}
