//! The view store: one shard's sled trees, their metadata, the digest and the reset.

use std::fmt;
use std::path::Path;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use motcua_domain::Reference;
use motcua_domain::units::UnitCode;
use serde::{Deserialize, Serialize};
use sha2::{Digest as _, Sha256};

use crate::apply::DossierCache;
use crate::derive::Days;
use crate::error::{IntegrityProblem, ViewError};

/// The page cache sled may keep for a views database. sled's default (1 GiB) alone would pass
/// the 512 MiB a rebuild may take (SYSTEM.md §8); the views' hot pages (today's counters, the
/// open dossiers' rows and index entries) fit in much less. 128 MiB rather than 256: a rebuild
/// of 1 M events was no slower with it and peaked ~140 MiB lower (docs/benchmarks.md).
pub const SLED_CACHE_BYTES: u64 = 128 * 1024 * 1024;

/// How a views database is opened: the one sled configuration of the views (the benchmark's raw
/// baseline opens its store the same way).
pub fn sled_config(path: &Path) -> sled::Config {
    sled::Config::new()
        .path(path)
        .cache_capacity(SLED_CACHE_BYTES)
}

/// How long [`open_db`] waits for the store's lock to be released.
pub const LOCK_WAIT: Duration = Duration::from_secs(10);

/// Opens the views database at `path` with [`sled_config`], waiting up to [`LOCK_WAIT`] for its
/// file lock. sled's own background threads keep a database's files (and so its lock) for a
/// moment after its last handle is dropped, so a store closed in this process a moment ago
/// would otherwise refuse to open; a lock still held after the wait is another live handle,
/// and its error is returned as sled gives it.
pub fn open_db(path: &Path) -> sled::Result<sled::Db> {
    let started = Instant::now();
    loop {
        match sled_config(path).open() {
            Err(e) if is_lock_held(&e) && started.elapsed() < LOCK_WAIT => {
                std::thread::sleep(Duration::from_millis(20));
            }
            other => return other,
        }
    }
}

/// Whether sled refused to open a database because another handle holds its lock.
pub fn is_lock_held(e: &sled::Error) -> bool {
    matches!(e, sled::Error::Io(io) if io.to_string().contains("could not acquire lock"))
}

/// The version of the tree and key layout; a store of another version is rebuilt.
pub const FORMAT_VERSION: u32 = 7;

/// One projector's slice of the world: a province's stream under a projector name. The name is
/// the durable consumer's name and prefixes the shard's sled trees, so several shards can share
/// one sled database or use one each.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Shard {
    /// The province whose stream the shard consumes.
    pub province: UnitCode,
    /// Projector name: letters, digits, `-` and `_`.
    pub name: String,
}

impl Shard {
    /// The default shard of a province, named `views-<province>`.
    pub fn province(province: UnitCode) -> Shard {
        let name = format!("views-{province}");
        Shard { province, name }
    }

    /// A shard with an explicit projector name.
    pub fn named(province: UnitCode, name: impl Into<String>) -> Result<Shard, ViewError> {
        let name = name.into();
        let ok = !name.is_empty()
            && name.len() <= 64
            && name
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
        if !ok {
            return Err(ViewError::InvalidQuery(format!(
                "projector name {name:?}: use 1-64 letters, digits, '-' or '_'"
            )));
        }
        Ok(Shard { province, name })
    }

    fn label(&self) -> String {
        format!("{}/{}", self.province, self.name)
    }
}

impl fmt::Display for Shard {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.label())
    }
}

/// A SHA-256 over every view of a shard.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Digest(pub [u8; 32]);

impl fmt::Display for Digest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&hex::encode(self.0))
    }
}

impl fmt::Debug for Digest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Digest({self})")
    }
}

/// Logical tree names, in digest order.
pub(crate) const TREES: [&str; 10] = [
    "meta", "history", "dossiers", "codes", "names", "queue", "due", "counters", "dead", "parked",
];

pub(crate) const T_META: usize = 0;
pub(crate) const T_HISTORY: usize = 1;
pub(crate) const T_DOSSIERS: usize = 2;
pub(crate) const T_CODES: usize = 3;
pub(crate) const T_NAMES: usize = 4;
pub(crate) const T_QUEUE: usize = 5;
pub(crate) const T_DUE: usize = 6;
pub(crate) const T_COUNTERS: usize = 7;
pub(crate) const T_DEAD: usize = 8;
pub(crate) const T_PARKED: usize = 9;

pub(crate) const META_FORMAT: &[u8] = b"format";
pub(crate) const META_SHARD: &[u8] = b"shard";
pub(crate) const META_REFERENCE: &[u8] = b"reference";
pub(crate) const META_CHECKPOINT: &[u8] = b"checkpoint";
pub(crate) const META_CHECKPOINT_HASH: &[u8] = b"checkpoint_hash";
pub(crate) const META_SEALED: &[u8] = b"sealed";
pub(crate) const META_RESETTING: &[u8] = b"resetting";
/// The time of the latest event the views hold (`keys::ts_bytes`): a live report cannot be
/// judged before it.
pub(crate) const META_LATEST_EVENT: &[u8] = b"latest_event";

/// Meta keys that enter the digest: the same events give the same values. The shard name (two
/// nodes may name their projectors differently) and the sealed digest are left out.
const META_IN_DIGEST: [&[u8]; 5] = [
    META_FORMAT,
    META_REFERENCE,
    META_CHECKPOINT,
    META_CHECKPOINT_HASH,
    META_LATEST_EVENT,
];

/// A digest sealed at a clean shutdown, with the checkpoint it belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Sealed {
    pub(crate) checkpoint: u64,
    pub(crate) digest: Digest,
}

pub(crate) struct Inner {
    pub(crate) db: sled::Db,
    pub(crate) shard: Shard,
    pub(crate) reference: Arc<Reference>,
    pub(crate) trees: Vec<sled::Tree>,
    pub(crate) days: Days,
    /// One writer at a time: batches, replays, resets and digests take it. What it guards is
    /// the writer's own state, so that nothing but a writer can reach it.
    pub(crate) write_lock: Mutex<Writer>,
}

/// State only the writer touches, behind [`Inner::write_lock`].
pub(crate) struct Writer {
    /// The work state of recently applied dossiers, so that a batch need not read, decode,
    /// fold and derive them again (see [`DossierCache`]).
    pub(crate) cache: DossierCache,
}

/// The read models of one shard. Cheap to clone; queries may run concurrently with a projector.
///
/// Consistency: every batch is one sled transaction, so a point lookup sees a batch entirely or
/// not at all; a multi-key read (a report's range scans) may straddle two batches and momentarily
/// see one half of a batch. The digest takes the writer lock and never straddles.
#[derive(Clone)]
pub struct Views {
    pub(crate) inner: Arc<Inner>,
}

impl fmt::Debug for Views {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Views")
            .field("shard", &self.inner.shard)
            .finish_non_exhaustive()
    }
}

/// A fingerprint of the reference data the views depend on (catalogue, calendar, rule sets, unit
/// lists). Views built with other reference data are rebuilt.
fn reference_fingerprint(r: &Reference) -> [u8; 32] {
    let mut h = Sha256::new();
    h.update(r.catalogue.lock().as_bytes());
    h.update(format!("{:?}", r.calendar.config()).as_bytes());
    h.update(format!("{:?}", r.rules).as_bytes());
    for g in r.agencies.registry().graphs() {
        h.update(g.id().as_str().as_bytes());
        h.update(g.units().len().to_be_bytes());
    }
    h.finalize().into()
}

impl Views {
    /// Opens (or creates) the views of `shard` in a sled database at `path`. No healing here: see
    /// [`crate::Projector::start`] for the self-healing open.
    pub fn open(path: &Path, shard: Shard, reference: Arc<Reference>) -> Result<Views, ViewError> {
        let db = open_db(path)?;
        Views::open_in(&db, shard, reference)
    }

    /// Opens (or creates) the views of `shard` in an open sled database (several shards may
    /// share one).
    pub fn open_in(
        db: &sled::Db,
        shard: Shard,
        reference: Arc<Reference>,
    ) -> Result<Views, ViewError> {
        let trees = TREES
            .iter()
            .map(|t| db.open_tree(format!("{}/{t}", shard.name)))
            .collect::<Result<Vec<_>, _>>()?;
        let views = Views {
            inner: Arc::new(Inner {
                db: db.clone(),
                days: Days::new(&reference),
                shard,
                reference,
                trees,
                write_lock: Mutex::new(Writer {
                    cache: DossierCache::new(DossierCache::DEFAULT_CAPACITY),
                }),
            }),
        };
        if views.is_blank() {
            views.write_fresh_meta()?;
        }
        Ok(views)
    }

    /// The shard.
    pub fn shard(&self) -> &Shard {
        &self.inner.shard
    }

    /// The reference data the views are derived with.
    pub fn reference(&self) -> &Reference {
        &self.inner.reference
    }

    /// The sled database.
    pub fn db(&self) -> &sled::Db {
        &self.inner.db
    }

    pub(crate) fn tree(&self, i: usize) -> &sled::Tree {
        &self.inner.trees[i]
    }

    pub(crate) fn lock(&self) -> Result<MutexGuard<'_, Writer>, ViewError> {
        self.inner
            .write_lock
            .lock()
            .map_err(|_| ViewError::Task("a writer panicked".to_owned()))
    }

    fn is_blank(&self) -> bool {
        self.inner.trees.iter().all(sled::Tree::is_empty)
    }

    fn write_fresh_meta(&self) -> Result<(), ViewError> {
        let meta = self.tree(T_META);
        let mut b = sled::Batch::default();
        b.insert(META_FORMAT, &FORMAT_VERSION.to_be_bytes());
        b.insert(META_SHARD, self.inner.shard.label().as_bytes());
        b.insert(
            META_REFERENCE,
            &reference_fingerprint(&self.inner.reference),
        );
        b.insert(META_CHECKPOINT, &0u64.to_be_bytes());
        meta.apply_batch(b)?;
        meta.flush()?;
        Ok(())
    }

    /// The last stream sequence applied (0 for none).
    pub fn checkpoint(&self) -> Result<u64, ViewError> {
        Ok(self
            .tree(T_META)
            .get(META_CHECKPOINT)?
            .and_then(|v| <[u8; 8]>::try_from(v.as_ref()).ok())
            .map_or(0, u64::from_be_bytes))
    }

    /// The time of the latest event applied, if any.
    pub fn latest_event_at(&self) -> Result<Option<jiff::Timestamp>, ViewError> {
        match self.tree(T_META).get(META_LATEST_EVENT)? {
            None => Ok(None),
            Some(v) => crate::keys::ts_from(&v)
                .map(Some)
                .ok_or_else(|| corrupt("meta", "bad latest event time")),
        }
    }

    /// SHA-256 of the payload of the message at the checkpoint, if any was applied.
    pub fn checkpoint_hash(&self) -> Result<Option<[u8; 32]>, ViewError> {
        Ok(self
            .tree(T_META)
            .get(META_CHECKPOINT_HASH)?
            .and_then(|v| <[u8; 32]>::try_from(v.as_ref()).ok()))
    }

    /// The checks that need no stream: metadata present and of this format, shard and reference
    /// data, no interrupted reset.
    pub fn verify_local(&self) -> Result<(), IntegrityProblem> {
        let meta = self.tree(T_META);
        let get = |k: &[u8]| meta.get(k).ok().flatten();
        if get(META_RESETTING).is_some() {
            return Err(IntegrityProblem::ResetInterrupted);
        }
        let Some(format) = get(META_FORMAT) else {
            return Err(IntegrityProblem::MissingMeta);
        };
        let found = <[u8; 4]>::try_from(format.as_ref()).map_or(0, u32::from_be_bytes);
        if found != FORMAT_VERSION {
            return Err(IntegrityProblem::FormatVersion {
                found,
                expected: FORMAT_VERSION,
            });
        }
        let shard = get(META_SHARD)
            .map(|v| String::from_utf8_lossy(&v).into_owned())
            .unwrap_or_default();
        if shard != self.inner.shard.label() {
            return Err(IntegrityProblem::ShardMismatch {
                found: shard,
                expected: self.inner.shard.label(),
            });
        }
        if get(META_REFERENCE).as_deref() != Some(&reference_fingerprint(&self.inner.reference)[..])
        {
            return Err(IntegrityProblem::ReferenceChanged);
        }
        if get(META_CHECKPOINT).is_none() {
            return Err(IntegrityProblem::MissingMeta);
        }
        Ok(())
    }

    /// Recomputes the digest and compares it with the one sealed at the last clean shutdown, if
    /// the views have not changed since. `Ok(false)` when there is nothing to compare with.
    pub fn verify_sealed_digest(&self) -> Result<bool, ViewError> {
        let Some(sealed) = self.sealed()? else {
            return Ok(false);
        };
        if sealed.checkpoint != self.checkpoint()? {
            return Ok(false);
        }
        if self.digest()? != sealed.digest {
            return Err(IntegrityProblem::DigestMismatch {
                checkpoint: sealed.checkpoint,
            }
            .into());
        }
        Ok(true)
    }

    pub(crate) fn sealed(&self) -> Result<Option<Sealed>, ViewError> {
        Ok(self
            .tree(T_META)
            .get(META_SEALED)?
            .and_then(|v| serde_json::from_slice(&v).ok()))
    }

    /// Computes the digest and stores it with the checkpoint, for [`Views::verify_sealed_digest`]
    /// at the next start. Any later write removes it.
    pub fn seal(&self) -> Result<Digest, ViewError> {
        let _w = self.lock()?;
        let digest = self.digest_locked()?;
        let sealed = Sealed {
            checkpoint: self.checkpoint()?,
            digest,
        };
        let bytes = serde_json::to_vec(&sealed).map_err(|e| ViewError::Corrupt {
            tree: "meta",
            reason: e.to_string(),
        })?;
        self.tree(T_META).insert(META_SEALED, bytes)?;
        self.inner.db.flush()?;
        Ok(digest)
    }

    /// A SHA-256 over every tree of the shard, key/value pairs in key order, each tree under its
    /// logical name (not the projector name). Of the metadata only the format, the reference
    /// fingerprint, the checkpoint and its message hash enter; the shard name and a sealed digest
    /// do not. The same events give the same bytes, so the same digest: compare two nodes, or a
    /// live node with a rebuild.
    pub fn digest(&self) -> Result<Digest, ViewError> {
        let _w = self.lock()?;
        self.digest_locked()
    }

    fn digest_locked(&self) -> Result<Digest, ViewError> {
        let mut h = Sha256::new();
        let mut feed = |k: &[u8], v: &[u8]| {
            h.update((k.len() as u64).to_be_bytes());
            h.update(k);
            h.update((v.len() as u64).to_be_bytes());
            h.update(v);
        };
        for (i, name) in TREES.iter().enumerate() {
            feed(b"tree", name.as_bytes());
            for kv in self.tree(i).iter() {
                let (k, v) = kv?;
                if i == T_META && !META_IN_DIGEST.contains(&k.as_ref()) {
                    continue;
                }
                feed(&k, &v);
            }
        }
        Ok(Digest(h.finalize().into()))
    }

    /// Empties every view of the shard and sets the checkpoint to 0, crash-safely: a marker is
    /// written (and flushed) first, so a crash in the middle is seen as an interrupted reset at
    /// the next start.
    pub fn reset(&self) -> Result<(), ViewError> {
        let mut w = self.lock()?;
        // Cleared first: whatever happens below, nothing cached survives the trees it mirrors.
        w.cache.clear();
        let meta = self.tree(T_META);
        meta.insert(META_RESETTING, &[1u8])?;
        meta.flush()?;
        for i in 0..TREES.len() {
            if i != T_META {
                self.tree(i).clear()?;
            }
        }
        self.inner.db.flush()?;
        meta.clear()?;
        self.write_fresh_meta()?;
        self.inner.db.flush()?;
        Ok(())
    }

    /// Sets or clears the reset marker (flushed): while it is set the views are not whole, and
    /// [`Views::verify_local`] says so.
    pub(crate) fn set_resetting(&self, on: bool) -> Result<(), ViewError> {
        let meta = self.tree(T_META);
        if on {
            meta.insert(META_RESETTING, &[1u8])?;
        } else {
            // Everything written while it was set is on disk before the marker goes: a rebuild
            // writes without flushing.
            self.inner.db.flush()?;
            meta.remove(META_RESETTING)?;
        }
        self.inner.db.flush()?;
        Ok(())
    }

    /// Waits until everything written is on disk.
    pub fn flush(&self) -> Result<(), ViewError> {
        self.inner.db.flush()?;
        Ok(())
    }
}

pub(crate) fn corrupt(tree: &'static str, e: impl fmt::Display) -> ViewError {
    ViewError::Corrupt {
        tree,
        reason: e.to_string(),
    }
}
