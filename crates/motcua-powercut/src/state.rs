//! The model behind the mount: the live tree the mount shows (in memory), the durable tree (the
//! backing directory, nothing else), and the journal of metadata changes between the two.
//!
//! See the crate documentation for the durability rules; this module implements them:
//!
//! - every namespace or size change (mkdir, create, unlink, rmdir, rename, truncate, chmod) is
//!   done in the live tree at once and appended to the journal, a FIFO in the order the
//!   operations happened;
//! - file data is written to the in-memory copy of the file only, and the byte span written
//!   since the last durability event of that file is remembered;
//! - a durability event applies a *prefix* of the journal to the backing directory (replaying
//!   the operations in order) and, for a file, writes the dirty span and the size;
//! - a power cut forgets the journal and every in-memory copy: what the backing directory
//!   holds is what survived.

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::ffi::{OsStr, OsString};
use std::fs::{self, OpenOptions};
use std::io;
use std::os::unix::fs::{FileExt as _, MetadataExt as _, OpenOptionsExt as _, PermissionsExt as _};
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use fuser::{Errno, FileAttr, FileType, INodeNo, TimeOrNow};

use crate::flags;

/// The root directory's inode number (FUSE's).
pub(crate) const ROOT: u64 = 1;

/// Counters and the pending state of one mount; see [`crate::PowerCutMount::stats`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Stats {
    /// `write` requests served.
    pub writes: u64,
    /// Bytes written by them.
    pub bytes_written: u64,
    /// `fsync` requests on files (not `fdatasync`).
    pub fsyncs: u64,
    /// `fdatasync` requests on files.
    pub fdatasyncs: u64,
    /// `fsync` requests on directories.
    pub dir_fsyncs: u64,
    /// Writes made durable at once because the file was opened with `O_SYNC` or `O_DSYNC`.
    pub sync_writes: u64,
    /// Journal entries (metadata changes) applied to the backing directory.
    pub journal_applied: u64,
    /// Bytes of file data written to the backing directory by durability events.
    pub bytes_made_durable: u64,
    /// Journal entries not durable yet (lost by a power cut now).
    pub pending_journal: usize,
    /// Files holding data not durable yet.
    pub pending_files: usize,
    /// Bytes in the dirty spans of those files.
    pub pending_bytes: u64,
    /// Failures to update the backing directory (each one a bug of the model or a full disk);
    /// the request that hit it got `EIO`.
    pub errors: Vec<String>,
}

/// What a power cut dropped.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct CutReport {
    /// Metadata changes that were not durable (creations, renames, removals, truncations).
    pub lost_journal_entries: usize,
    /// Files whose unsynced data was dropped.
    pub lost_files: usize,
    /// Bytes of unsynced data dropped (the dirty spans).
    pub lost_bytes: u64,
    /// Whether the mount was still in use and had to be detached lazily.
    pub forced_detach: bool,
    /// The counters at the instant of the cut (the pending figures are what was lost).
    pub stats: Stats,
}

/// When a file opened with synchronous flags makes its writes durable.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum SyncMode {
    None,
    /// `O_DSYNC`: every write is followed by the equivalent of `fdatasync`.
    Data,
    /// `O_SYNC`: every write is followed by the equivalent of `fsync`.
    Full,
}

impl SyncMode {
    fn of(open_flags: i32) -> Self {
        if open_flags & flags::O_SYNC == flags::O_SYNC {
            SyncMode::Full
        } else if open_flags & flags::O_DSYNC != 0 {
            SyncMode::Data
        } else {
            SyncMode::None
        }
    }

    fn max(self, other: SyncMode) -> SyncMode {
        match (self, other) {
            (SyncMode::Full, _) | (_, SyncMode::Full) => SyncMode::Full,
            (SyncMode::Data, _) | (_, SyncMode::Data) => SyncMode::Data,
            _ => SyncMode::None,
        }
    }
}

#[derive(Debug)]
enum Data {
    /// Not read yet: equal to the durable file (a file that was there at mount time and has not
    /// been opened or resized since).
    OnDisk(u64),
    /// The live content.
    Loaded(Vec<u8>),
}

impl Data {
    fn len(&self) -> u64 {
        match self {
            Data::OnDisk(len) => *len,
            Data::Loaded(bytes) => bytes.len() as u64,
        }
    }
}

#[derive(Debug)]
enum Body {
    Dir(BTreeMap<OsString, u64>),
    File {
        data: Data,
        /// The byte span `[lo, hi)` written (or exposed by a truncation) since the file's last
        /// durability event; any superset of the changed bytes is correct, since a durability
        /// event makes the whole live content durable.
        dirty: Option<(u64, u64)>,
    },
}

#[derive(Debug)]
struct Node {
    body: Body,
    perm: u16,
    uid: u32,
    gid: u32,
    atime: SystemTime,
    mtime: SystemTime,
    ctime: SystemTime,
    /// The live parent (for `..` and for the rename loop check).
    parent: u64,
    /// Whether the node still has a name in the live tree.
    linked: bool,
    /// Where the node is in the backing directory: (durable parent, name). `None` while its
    /// creation is not durable, or once its removal is. The root is special-cased.
    durable: Option<(u64, OsString)>,
    /// The last journal entry that touched the node (0: none since mount).
    last_seq: u64,
    /// The last journal entry that changed what is needed to read the file's data back
    /// (creation, size); what `fdatasync` commits.
    last_data_seq: u64,
    /// Open file handles.
    open: u32,
}

impl Node {
    fn new(body: Body, perm: u16, uid: u32, gid: u32, parent: u64) -> Self {
        let now = SystemTime::now();
        Node {
            body,
            perm,
            uid,
            gid,
            atime: now,
            mtime: now,
            ctime: now,
            parent,
            linked: true,
            durable: None,
            last_seq: 0,
            last_data_seq: 0,
            open: 0,
        }
    }

    fn from_metadata(body: Body, meta: &fs::Metadata, parent: u64) -> Self {
        let mtime = meta.modified().unwrap_or(UNIX_EPOCH);
        Node {
            body,
            perm: (meta.mode() & 0o7777) as u16,
            uid: meta.uid(),
            gid: meta.gid(),
            atime: meta.accessed().unwrap_or(mtime),
            mtime,
            ctime: mtime,
            parent,
            linked: true,
            durable: None,
            last_seq: 0,
            last_data_seq: 0,
            open: 0,
        }
    }

    fn is_dir(&self) -> bool {
        matches!(self.body, Body::Dir(_))
    }
}

/// One metadata change, replayed on the backing directory when it becomes durable.
#[derive(Debug)]
enum Op {
    Mkdir {
        parent: u64,
        name: OsString,
        ino: u64,
        perm: u16,
    },
    Create {
        parent: u64,
        name: OsString,
        ino: u64,
        perm: u16,
    },
    Unlink {
        parent: u64,
        name: OsString,
        ino: u64,
    },
    Rmdir {
        parent: u64,
        name: OsString,
        ino: u64,
    },
    Rename {
        parent: u64,
        name: OsString,
        newparent: u64,
        newname: OsString,
        ino: u64,
        replaced: Option<u64>,
    },
    SetLen {
        ino: u64,
        len: u64,
    },
    Chmod {
        ino: u64,
        perm: u16,
    },
}

#[derive(Debug)]
struct Entry {
    seq: u64,
    op: Op,
}

#[derive(Debug)]
enum Handle {
    File {
        ino: u64,
        sync: SyncMode,
    },
    Dir {
        entries: Vec<(u64, FileType, OsString)>,
    },
}

/// One entry of a directory listing.
pub(crate) type DirEntry = (u64, FileType, OsString);

/// The whole model of one mount.
#[derive(Debug)]
pub(crate) struct State {
    backing: PathBuf,
    nodes: HashMap<u64, Node>,
    next_ino: u64,
    journal: VecDeque<Entry>,
    next_seq: u64,
    handles: HashMap<u64, Handle>,
    next_fh: u64,
    /// Set by a power cut: every later request fails with `EIO`.
    dead: bool,
    stats: Stats,
}

type Res<T> = Result<T, Errno>;

impl State {
    /// The live tree of `backing` as it is now, all of it durable.
    pub(crate) fn load(backing: &Path) -> io::Result<State> {
        let meta = fs::metadata(backing)?;
        if !meta.is_dir() {
            return Err(io::Error::other(format!(
                "{} is not a directory",
                backing.display()
            )));
        }
        let mut state = State {
            backing: backing.to_path_buf(),
            nodes: HashMap::new(),
            next_ino: ROOT + 1,
            journal: VecDeque::new(),
            next_seq: 1,
            handles: HashMap::new(),
            next_fh: 1,
            dead: false,
            stats: Stats::default(),
        };
        state.nodes.insert(
            ROOT,
            Node::from_metadata(Body::Dir(BTreeMap::new()), &meta, ROOT),
        );
        let mut pending = vec![(ROOT, backing.to_path_buf())];
        while let Some((dir_ino, dir_path)) = pending.pop() {
            for item in fs::read_dir(&dir_path)? {
                let item = item?;
                let name = item.file_name();
                let path = item.path();
                let meta = fs::symlink_metadata(&path)?;
                let body = if meta.is_dir() {
                    Body::Dir(BTreeMap::new())
                } else if meta.is_file() {
                    Body::File {
                        data: Data::OnDisk(meta.len()),
                        dirty: None,
                    }
                } else {
                    return Err(io::Error::other(format!(
                        "{} is neither a file nor a directory: the power-cut filesystem models only those",
                        path.display()
                    )));
                };
                let ino = state.next_ino;
                state.next_ino += 1;
                let mut node = Node::from_metadata(body, &meta, dir_ino);
                node.durable = Some((dir_ino, name.clone()));
                if node.is_dir() {
                    pending.push((ino, path));
                }
                state.nodes.insert(ino, node);
                if let Some(Body::Dir(entries)) = state.nodes.get_mut(&dir_ino).map(|n| &mut n.body)
                {
                    entries.insert(name, ino);
                }
            }
        }
        Ok(state)
    }

    /// Refuses every request after a power cut.
    pub(crate) fn check_alive(&self) -> Res<()> {
        if self.dead { Err(Errno::EIO) } else { Ok(()) }
    }

    /// Records a failure of the model (reported through [`Stats::errors`]).
    pub(crate) fn record_error(&mut self, message: String) {
        self.stats.errors.push(message);
    }

    pub(crate) fn stats(&self) -> Stats {
        let mut stats = self.stats.clone();
        stats.pending_journal = self.journal.len();
        let (files, bytes) = self.pending_data();
        stats.pending_files = files;
        stats.pending_bytes = bytes;
        stats
    }

    fn pending_data(&self) -> (usize, u64) {
        let mut files = 0;
        let mut bytes = 0;
        for node in self.nodes.values() {
            if let Body::File {
                data,
                dirty: Some((lo, hi)),
            } = &node.body
            {
                files += 1;
                bytes += hi.min(&data.len()).saturating_sub(*lo);
            }
        }
        (files, bytes)
    }

    /// Loses power: everything not durable is forgotten and the mount answers `EIO` from now
    /// on. The backing directory is left exactly as the durable state.
    pub(crate) fn cut(&mut self) -> CutReport {
        let stats = self.stats();
        self.dead = true;
        self.journal.clear();
        self.handles.clear();
        for node in self.nodes.values_mut() {
            if let Body::File { data, dirty } = &mut node.body {
                *data = Data::Loaded(Vec::new());
                *dirty = None;
            }
        }
        CutReport {
            lost_journal_entries: stats.pending_journal,
            lost_files: stats.pending_files,
            lost_bytes: stats.pending_bytes,
            forced_detach: false,
            stats,
        }
    }

    // ---------------------------------------------------------------------------------------
    // Lookups and attributes

    fn node(&self, ino: u64) -> Res<&Node> {
        self.nodes.get(&ino).ok_or(Errno::ENOENT)
    }

    fn node_mut(&mut self, ino: u64) -> Res<&mut Node> {
        self.nodes.get_mut(&ino).ok_or(Errno::ENOENT)
    }

    fn entries(&self, dir: u64) -> Res<&BTreeMap<OsString, u64>> {
        match &self.node(dir)?.body {
            Body::Dir(entries) => Ok(entries),
            Body::File { .. } => Err(Errno::ENOTDIR),
        }
    }

    fn entries_mut(&mut self, dir: u64) -> Res<&mut BTreeMap<OsString, u64>> {
        match &mut self.node_mut(dir)?.body {
            Body::Dir(entries) => Ok(entries),
            Body::File { .. } => Err(Errno::ENOTDIR),
        }
    }

    fn child(&self, parent: u64, name: &OsStr) -> Res<u64> {
        self.entries(parent)?
            .get(name)
            .copied()
            .ok_or(Errno::ENOENT)
    }

    pub(crate) fn attr(&self, ino: u64) -> Res<FileAttr> {
        let node = self.node(ino)?;
        let (kind, size, nlink) = match &node.body {
            Body::Dir(entries) => {
                let subdirs = entries
                    .values()
                    .filter(|child| self.nodes.get(child).is_some_and(Node::is_dir))
                    .count();
                (
                    FileType::Directory,
                    4096,
                    2 + u32::try_from(subdirs).unwrap_or(u32::MAX - 2),
                )
            }
            Body::File { data, .. } => (FileType::RegularFile, data.len(), u32::from(node.linked)),
        };
        Ok(FileAttr {
            ino: INodeNo(ino),
            size,
            blocks: size.div_ceil(512),
            atime: node.atime,
            mtime: node.mtime,
            ctime: node.ctime,
            crtime: node.ctime,
            kind,
            perm: node.perm,
            nlink,
            uid: node.uid,
            gid: node.gid,
            rdev: 0,
            blksize: 4096,
            flags: 0,
        })
    }

    pub(crate) fn lookup(&self, parent: u64, name: &OsStr) -> Res<FileAttr> {
        let ino = self.child(parent, name)?;
        self.attr(ino)
    }

    // ---------------------------------------------------------------------------------------
    // The journal

    fn log(&mut self, op: Op) -> u64 {
        let seq = self.next_seq;
        self.next_seq += 1;
        self.journal.push_back(Entry { seq, op });
        seq
    }

    /// Marks `ino` as touched by journal entry `seq` (`data`: also for `fdatasync`).
    fn touch(&mut self, ino: u64, seq: u64, data: bool) {
        if let Some(node) = self.nodes.get_mut(&ino) {
            node.last_seq = node.last_seq.max(seq);
            if data {
                node.last_data_seq = node.last_data_seq.max(seq);
            }
        }
    }

    fn touch_dir_times(&mut self, dir: u64) {
        if let Some(node) = self.nodes.get_mut(&dir) {
            let now = SystemTime::now();
            node.mtime = now;
            node.ctime = now;
        }
    }

    /// Where `ino` is in the backing directory, if its creation is durable and its removal not.
    fn durable_path(&self, ino: u64) -> Option<PathBuf> {
        if ino == ROOT {
            return Some(self.backing.clone());
        }
        let (parent, name) = self.nodes.get(&ino)?.durable.as_ref()?;
        // A durable node's durable parent is durable: operations are replayed in order.
        Some(self.durable_path(*parent)?.join(name))
    }

    fn durable_child(&self, parent: u64, name: &OsStr) -> io::Result<PathBuf> {
        self.durable_path(parent)
            .map(|p| p.join(name))
            .ok_or_else(|| io::Error::other(format!("parent inode {parent} is not durable")))
    }

    /// Makes the journal durable up to and including entry `seq`, replaying it on the backing
    /// directory in order.
    fn commit_to(&mut self, seq: u64) -> Res<()> {
        let mut failed = false;
        while self.journal.front().is_some_and(|e| e.seq <= seq) {
            let Some(entry) = self.journal.pop_front() else {
                break;
            };
            let description = format!("{:?}", entry.op);
            if let Err(e) = self.apply(entry.op) {
                self.record_error(format!("applying {description}: {e}"));
                failed = true;
            }
            self.stats.journal_applied += 1;
        }
        if failed { Err(Errno::EIO) } else { Ok(()) }
    }

    fn apply(&mut self, op: Op) -> io::Result<()> {
        match op {
            Op::Mkdir {
                parent,
                name,
                ino,
                perm,
            } => {
                let path = self.durable_child(parent, &name)?;
                fs::create_dir(&path)?;
                fs::set_permissions(&path, fs::Permissions::from_mode(u32::from(perm)))?;
                self.set_durable(ino, Some((parent, name)));
            }
            Op::Create {
                parent,
                name,
                ino,
                perm,
            } => {
                let path = self.durable_child(parent, &name)?;
                OpenOptions::new()
                    .write(true)
                    .create_new(true)
                    .mode(u32::from(perm))
                    .open(&path)?;
                fs::set_permissions(&path, fs::Permissions::from_mode(u32::from(perm)))?;
                self.set_durable(ino, Some((parent, name)));
            }
            Op::Unlink { parent, name, ino } => {
                fs::remove_file(self.durable_child(parent, &name)?)?;
                self.clear_durable(ino, parent, &name);
            }
            Op::Rmdir { parent, name, ino } => {
                fs::remove_dir(self.durable_child(parent, &name)?)?;
                self.clear_durable(ino, parent, &name);
            }
            Op::Rename {
                parent,
                name,
                newparent,
                newname,
                ino,
                replaced,
            } => {
                let from = self.durable_child(parent, &name)?;
                let to = self.durable_child(newparent, &newname)?;
                fs::rename(&from, &to)?;
                if let Some(replaced) = replaced {
                    self.clear_durable(replaced, newparent, &newname);
                }
                self.set_durable(ino, Some((newparent, newname)));
            }
            Op::SetLen { ino, len } => {
                // A file whose removal is durable has nowhere to go.
                if let Some(path) = self.durable_path(ino) {
                    OpenOptions::new().write(true).open(&path)?.set_len(len)?;
                }
            }
            Op::Chmod { ino, perm } => {
                if let Some(path) = self.durable_path(ino) {
                    fs::set_permissions(&path, fs::Permissions::from_mode(u32::from(perm)))?;
                }
            }
        }
        Ok(())
    }

    fn set_durable(&mut self, ino: u64, at: Option<(u64, OsString)>) {
        if let Some(node) = self.nodes.get_mut(&ino) {
            node.durable = at;
        }
    }

    fn clear_durable(&mut self, ino: u64, parent: u64, name: &OsStr) {
        if let Some(node) = self.nodes.get_mut(&ino)
            && node
                .durable
                .as_ref()
                .is_some_and(|(p, n)| *p == parent && n == name)
        {
            node.durable = None;
        }
    }

    // ---------------------------------------------------------------------------------------
    // Durability events

    /// `fsync` (or, with `datasync`, `fdatasync`) of a file or directory.
    ///
    /// Commits the journal up to the last entry that touched the node (for `fdatasync` of a
    /// file: the last that changed its creation or size), then, for a file, writes its dirty
    /// span and its size to the backing file.
    pub(crate) fn sync(&mut self, ino: u64, datasync: bool) -> Res<()> {
        let node = self.node(ino)?;
        let upto = if datasync && !node.is_dir() {
            node.last_data_seq
        } else {
            node.last_seq
        };
        self.commit_to(upto)?;
        let path = self.durable_path(ino);
        let node = self.node_mut(ino)?;
        let Body::File { data, dirty } = &mut node.body else {
            return Ok(());
        };
        let Some((lo, hi)) = dirty.take() else {
            return Ok(());
        };
        let Data::Loaded(bytes) = data else {
            // Dirty data is always loaded; nothing to write otherwise.
            return Ok(());
        };
        let Some(path) = path else {
            // Removed, and the removal is durable: the data is unreachable.
            return Ok(());
        };
        let len = bytes.len() as u64;
        let end = hi.min(len);
        let start = lo.min(end);
        let written = usize::try_from(start)
            .ok()
            .zip(usize::try_from(end).ok())
            .map(|(s, e)| &bytes[s..e]);
        let result = (|| -> io::Result<u64> {
            let file = OpenOptions::new().write(true).open(&path)?;
            let mut n = 0;
            if let Some(slice) = written {
                file.write_all_at(slice, start)?;
                n = slice.len() as u64;
            }
            file.set_len(len)?;
            Ok(n)
        })();
        match result {
            Ok(n) => {
                self.stats.bytes_made_durable += n;
                Ok(())
            }
            Err(e) => {
                self.record_error(format!("writing the data of {}: {e}", path.display()));
                Err(Errno::EIO)
            }
        }
    }

    pub(crate) fn fsync(&mut self, ino: u64, datasync: bool) -> Res<()> {
        if datasync {
            self.stats.fdatasyncs += 1;
        } else {
            self.stats.fsyncs += 1;
        }
        self.sync(ino, datasync)
    }

    pub(crate) fn fsyncdir(&mut self, ino: u64) -> Res<()> {
        self.stats.dir_fsyncs += 1;
        if !self.node(ino)?.is_dir() {
            return Err(Errno::ENOTDIR);
        }
        self.sync(ino, false)
    }

    // ---------------------------------------------------------------------------------------
    // Namespace changes

    fn new_ino(&mut self) -> u64 {
        let ino = self.next_ino;
        self.next_ino += 1;
        ino
    }

    fn check_new_name(&self, parent: u64, name: &OsStr) -> Res<()> {
        let parent_node = self.node(parent)?;
        if !parent_node.linked {
            return Err(Errno::ENOENT);
        }
        if self.entries(parent)?.contains_key(name) {
            return Err(Errno::EEXIST);
        }
        if name.len() > 255 {
            return Err(Errno::ENAMETOOLONG);
        }
        Ok(())
    }

    pub(crate) fn mkdir(
        &mut self,
        parent: u64,
        name: &OsStr,
        mode: u32,
        uid: u32,
        gid: u32,
    ) -> Res<FileAttr> {
        self.check_new_name(parent, name)?;
        let perm = (mode & 0o7777) as u16;
        let ino = self.new_ino();
        self.nodes.insert(
            ino,
            Node::new(Body::Dir(BTreeMap::new()), perm, uid, gid, parent),
        );
        self.entries_mut(parent)?.insert(name.to_owned(), ino);
        self.touch_dir_times(parent);
        let seq = self.log(Op::Mkdir {
            parent,
            name: name.to_owned(),
            ino,
            perm,
        });
        self.touch(parent, seq, false);
        self.touch(ino, seq, true);
        self.attr(ino)
    }

    /// Creates an empty regular file; with `open_flags`, also opens it.
    pub(crate) fn create(
        &mut self,
        parent: u64,
        name: &OsStr,
        mode: u32,
        uid: u32,
        gid: u32,
        open_flags: Option<i32>,
    ) -> Res<(FileAttr, Option<u64>)> {
        if let Ok(existing) = self.child(parent, name) {
            let Some(open_flags) = open_flags else {
                return Err(Errno::EEXIST);
            };
            if open_flags & flags::O_EXCL != 0 {
                return Err(Errno::EEXIST);
            }
            if self.node(existing)?.is_dir() {
                return Err(Errno::EISDIR);
            }
            if open_flags & flags::O_TRUNC != 0 {
                self.set_len(existing, 0)?;
            }
            let fh = self.open(existing, open_flags)?;
            return Ok((self.attr(existing)?, Some(fh)));
        }
        self.check_new_name(parent, name)?;
        let perm = (mode & 0o7777) as u16;
        let ino = self.new_ino();
        self.nodes.insert(
            ino,
            Node::new(
                Body::File {
                    data: Data::Loaded(Vec::new()),
                    dirty: None,
                },
                perm,
                uid,
                gid,
                parent,
            ),
        );
        self.entries_mut(parent)?.insert(name.to_owned(), ino);
        self.touch_dir_times(parent);
        let seq = self.log(Op::Create {
            parent,
            name: name.to_owned(),
            ino,
            perm,
        });
        self.touch(parent, seq, false);
        self.touch(ino, seq, true);
        let fh = match open_flags {
            Some(flags) => Some(self.open(ino, flags)?),
            None => None,
        };
        Ok((self.attr(ino)?, fh))
    }

    /// Forgets the content of a file nobody can reach any more.
    fn drop_if_unreachable(&mut self, ino: u64) {
        if let Some(node) = self.nodes.get_mut(&ino)
            && !node.linked
            && node.open == 0
            && let Body::File { data, dirty } = &mut node.body
        {
            *data = Data::Loaded(Vec::new());
            *dirty = None;
        }
    }

    pub(crate) fn unlink(&mut self, parent: u64, name: &OsStr) -> Res<()> {
        let ino = self.child(parent, name)?;
        if self.node(ino)?.is_dir() {
            return Err(Errno::EISDIR);
        }
        self.entries_mut(parent)?.remove(name);
        self.touch_dir_times(parent);
        let node = self.node_mut(ino)?;
        node.linked = false;
        node.ctime = SystemTime::now();
        let seq = self.log(Op::Unlink {
            parent,
            name: name.to_owned(),
            ino,
        });
        self.touch(parent, seq, false);
        self.touch(ino, seq, false);
        self.drop_if_unreachable(ino);
        Ok(())
    }

    pub(crate) fn rmdir(&mut self, parent: u64, name: &OsStr) -> Res<()> {
        let ino = self.child(parent, name)?;
        if !self.entries(ino)?.is_empty() {
            return Err(Errno::ENOTEMPTY);
        }
        self.entries_mut(parent)?.remove(name);
        self.touch_dir_times(parent);
        self.node_mut(ino)?.linked = false;
        let seq = self.log(Op::Rmdir {
            parent,
            name: name.to_owned(),
            ino,
        });
        self.touch(parent, seq, false);
        self.touch(ino, seq, false);
        Ok(())
    }

    pub(crate) fn rename(
        &mut self,
        parent: u64,
        name: &OsStr,
        newparent: u64,
        newname: &OsStr,
        noreplace: bool,
    ) -> Res<()> {
        let ino = self.child(parent, name)?;
        self.entries(newparent)?;
        if !self.node(newparent)?.linked {
            return Err(Errno::ENOENT);
        }
        let src_is_dir = self.node(ino)?.is_dir();
        if src_is_dir {
            // No directory may move into itself or below itself.
            let mut at = newparent;
            loop {
                if at == ino {
                    return Err(Errno::EINVAL);
                }
                if at == ROOT {
                    break;
                }
                at = self.node(at)?.parent;
            }
        }
        let replaced = self.entries(newparent)?.get(newname).copied();
        if replaced == Some(ino) {
            return Ok(());
        }
        if let Some(dst) = replaced {
            if noreplace {
                return Err(Errno::EEXIST);
            }
            let dst_is_dir = self.node(dst)?.is_dir();
            match (src_is_dir, dst_is_dir) {
                (true, false) => return Err(Errno::ENOTDIR),
                (false, true) => return Err(Errno::EISDIR),
                (true, true) if !self.entries(dst)?.is_empty() => {
                    return Err(Errno::ENOTEMPTY);
                }
                _ => {}
            }
        }
        if newname.len() > 255 {
            return Err(Errno::ENAMETOOLONG);
        }
        self.entries_mut(parent)?.remove(name);
        self.entries_mut(newparent)?.insert(newname.to_owned(), ino);
        self.touch_dir_times(parent);
        self.touch_dir_times(newparent);
        let node = self.node_mut(ino)?;
        node.parent = newparent;
        node.ctime = SystemTime::now();
        if let Some(dst) = replaced {
            self.node_mut(dst)?.linked = false;
        }
        let seq = self.log(Op::Rename {
            parent,
            name: name.to_owned(),
            newparent,
            newname: newname.to_owned(),
            ino,
            replaced,
        });
        self.touch(parent, seq, false);
        self.touch(newparent, seq, false);
        self.touch(ino, seq, false);
        if let Some(dst) = replaced {
            self.touch(dst, seq, false);
            self.drop_if_unreachable(dst);
        }
        Ok(())
    }

    // ---------------------------------------------------------------------------------------
    // Attributes

    #[allow(clippy::too_many_arguments)]
    pub(crate) fn setattr(
        &mut self,
        ino: u64,
        mode: Option<u32>,
        uid: Option<u32>,
        gid: Option<u32>,
        size: Option<u64>,
        atime: Option<TimeOrNow>,
        mtime: Option<TimeOrNow>,
    ) -> Res<FileAttr> {
        if let Some(size) = size {
            self.set_len(ino, size)?;
        }
        if let Some(mode) = mode {
            let perm = (mode & 0o7777) as u16;
            let node = self.node_mut(ino)?;
            node.perm = perm;
            node.ctime = SystemTime::now();
            let seq = self.log(Op::Chmod { ino, perm });
            self.touch(ino, seq, false);
        }
        let node = self.node_mut(ino)?;
        // Ownership and times live only in memory: the durable files keep the daemon's.
        if let Some(uid) = uid {
            node.uid = uid;
        }
        if let Some(gid) = gid {
            node.gid = gid;
        }
        let resolve = |t: TimeOrNow| match t {
            TimeOrNow::SpecificTime(t) => t,
            TimeOrNow::Now => SystemTime::now(),
        };
        if let Some(t) = atime {
            node.atime = resolve(t);
        }
        if let Some(t) = mtime {
            node.mtime = resolve(t);
        }
        self.attr(ino)
    }

    /// Truncates or extends a file (a journaled metadata change, as on ext4).
    fn set_len(&mut self, ino: u64, len: u64) -> Res<()> {
        self.load_file(ino)?;
        let new_len = usize::try_from(len).map_err(|_| Errno::EFBIG)?;
        let node = self.node_mut(ino)?;
        let Body::File { data, dirty } = &mut node.body else {
            return Err(Errno::EISDIR);
        };
        let Data::Loaded(bytes) = data else {
            return Err(Errno::EIO);
        };
        bytes.resize(new_len, 0);
        // Bytes past the new end read as zeros if the file grows again: the span must cover them.
        *dirty = Some(match *dirty {
            Some((lo, hi)) => (lo.min(len), hi.max(len)),
            None => (len, len),
        });
        let now = SystemTime::now();
        node.mtime = now;
        node.ctime = now;
        let seq = self.log(Op::SetLen { ino, len });
        self.touch(ino, seq, true);
        Ok(())
    }

    // ---------------------------------------------------------------------------------------
    // Files

    /// Reads a file that was there at mount time into memory.
    fn load_file(&mut self, ino: u64) -> Res<()> {
        let node = self.node(ino)?;
        let Body::File { data, .. } = &node.body else {
            return Err(Errno::EISDIR);
        };
        let Data::OnDisk(len) = data else {
            return Ok(());
        };
        let len = *len;
        let Some(path) = self.durable_path(ino) else {
            self.record_error(format!(
                "inode {ino} is unread but not in the backing directory"
            ));
            return Err(Errno::EIO);
        };
        let bytes = match fs::read(&path) {
            Ok(bytes) if bytes.len() as u64 == len => bytes,
            Ok(bytes) => {
                self.record_error(format!(
                    "{} changed behind the mount: {} bytes, expected {len}",
                    path.display(),
                    bytes.len()
                ));
                return Err(Errno::EIO);
            }
            Err(e) => {
                self.record_error(format!("reading {}: {e}", path.display()));
                return Err(Errno::EIO);
            }
        };
        if let Body::File { data, .. } = &mut self.node_mut(ino)?.body {
            *data = Data::Loaded(bytes);
        }
        Ok(())
    }

    pub(crate) fn open(&mut self, ino: u64, open_flags: i32) -> Res<u64> {
        if self.node(ino)?.is_dir() {
            return Err(Errno::EISDIR);
        }
        self.load_file(ino)?;
        self.node_mut(ino)?.open += 1;
        let fh = self.next_fh;
        self.next_fh += 1;
        self.handles.insert(
            fh,
            Handle::File {
                ino,
                sync: SyncMode::of(open_flags),
            },
        );
        Ok(fh)
    }

    pub(crate) fn release(&mut self, fh: u64) {
        if let Some(Handle::File { ino, .. }) = self.handles.remove(&fh) {
            if let Some(node) = self.nodes.get_mut(&ino) {
                node.open = node.open.saturating_sub(1);
            }
            self.drop_if_unreachable(ino);
        }
    }

    pub(crate) fn read(&mut self, ino: u64, offset: u64, size: u32) -> Res<Vec<u8>> {
        self.load_file(ino)?;
        let node = self.node_mut(ino)?;
        node.atime = SystemTime::now();
        let Body::File {
            data: Data::Loaded(bytes),
            ..
        } = &node.body
        else {
            return Err(Errno::EISDIR);
        };
        let start = usize::try_from(offset)
            .unwrap_or(usize::MAX)
            .min(bytes.len());
        let end = start.saturating_add(size as usize).min(bytes.len());
        Ok(bytes[start..end].to_vec())
    }

    /// Writes to the in-memory copy; a file opened with `O_SYNC`/`O_DSYNC` (by its handle or
    /// the request's flags) then makes it durable at once.
    pub(crate) fn write(
        &mut self,
        ino: u64,
        fh: u64,
        offset: u64,
        data: &[u8],
        request_flags: i32,
    ) -> Res<u32> {
        self.load_file(ino)?;
        let handle_sync = match self.handles.get(&fh) {
            Some(Handle::File { sync, .. }) => *sync,
            _ => SyncMode::None,
        };
        let sync = handle_sync.max(SyncMode::of(request_flags));
        let written = u32::try_from(data.len()).map_err(|_| Errno::EINVAL)?;
        let end = offset.checked_add(data.len() as u64).ok_or(Errno::EFBIG)?;
        let start_idx = usize::try_from(offset).map_err(|_| Errno::EFBIG)?;
        let end_idx = usize::try_from(end).map_err(|_| Errno::EFBIG)?;
        let node = self.node_mut(ino)?;
        let Body::File {
            data: Data::Loaded(bytes),
            dirty,
        } = &mut node.body
        else {
            return Err(Errno::EISDIR);
        };
        if bytes.len() < end_idx {
            bytes.resize(end_idx, 0);
        }
        bytes[start_idx..end_idx].copy_from_slice(data);
        *dirty = Some(match *dirty {
            Some((lo, hi)) => (lo.min(offset), hi.max(end)),
            None => (offset, end),
        });
        let now = SystemTime::now();
        node.mtime = now;
        node.ctime = now;
        self.stats.writes += 1;
        self.stats.bytes_written += data.len() as u64;
        match sync {
            SyncMode::None => {}
            SyncMode::Data => {
                self.stats.sync_writes += 1;
                self.sync(ino, true)?;
            }
            SyncMode::Full => {
                self.stats.sync_writes += 1;
                self.sync(ino, false)?;
            }
        }
        Ok(written)
    }

    // ---------------------------------------------------------------------------------------
    // Directories

    /// Opens a directory: the listing is a snapshot, so entries removed meanwhile never make a
    /// reader skip others.
    pub(crate) fn opendir(&mut self, ino: u64) -> Res<u64> {
        let node = self.node(ino)?;
        let Body::Dir(entries) = &node.body else {
            return Err(Errno::ENOTDIR);
        };
        let mut listing: Vec<DirEntry> = Vec::with_capacity(entries.len() + 2);
        listing.push((ino, FileType::Directory, OsString::from(".")));
        listing.push((node.parent, FileType::Directory, OsString::from("..")));
        for (name, child) in entries {
            let kind = if self.nodes.get(child).is_some_and(Node::is_dir) {
                FileType::Directory
            } else {
                FileType::RegularFile
            };
            listing.push((*child, kind, name.clone()));
        }
        let fh = self.next_fh;
        self.next_fh += 1;
        self.handles.insert(fh, Handle::Dir { entries: listing });
        Ok(fh)
    }

    /// The snapshot's entries from `offset` on.
    pub(crate) fn readdir(&self, fh: u64, offset: u64) -> Res<&[DirEntry]> {
        match self.handles.get(&fh) {
            Some(Handle::Dir { entries }) => {
                let start = usize::try_from(offset)
                    .unwrap_or(usize::MAX)
                    .min(entries.len());
                Ok(&entries[start..])
            }
            _ => Err(Errno::EBADF),
        }
    }

    pub(crate) fn releasedir(&mut self, fh: u64) {
        self.handles.remove(&fh);
    }
}

/// Attribute and entry cache time given to the kernel: only this mount changes the tree.
pub(crate) const TTL: Duration = Duration::from_secs(1);
