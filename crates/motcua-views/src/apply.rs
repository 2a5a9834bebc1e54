//! Applying a batch of stream messages: decode, fold, derive, diff, and write everything with the
//! checkpoint in one sled transaction.
//!
//! All reads happen before the transaction, under the shard's writer lock (the projector is the
//! only writer of its trees), so the transaction itself only writes and holds sled's global
//! write lock for as short a time as possible.
//!
//! The work state of recently applied dossiers (history, folded state, derived contributions,
//! parked mark) stays in memory between batches ([`DossierCache`], behind the writer lock), so
//! a dossier touched again soon is neither read nor decoded, folded and derived again. The cache
//! only ever holds what the committed trees hold: entries are taken out while a batch works on
//! them and put back only after its transaction committed, and any error clears it.

use std::collections::{BTreeMap, HashMap};

use bytes::Bytes;
use motcua_domain::units::UnitCode;
use motcua_log::envelope::{EnvelopeError, SCHEMA_VERSION, chain_hash};
use motcua_log::{DossierKey, Envelope};
use serde::Serialize;
use sha2::{Digest as _, Sha256};
use sled::Transactional;

use crate::dead::{DeadLetter, DeadReason, ReplayOutcome};
use crate::derive::{CounterPoint, Derived, IndexTree, check, derive};
use crate::error::ViewError;
use crate::facts::Folded;
use crate::history::{History, StoredCommit};
use crate::keys::{Cells, Gran, counter_key};
use crate::store::{
    META_CHECKPOINT, META_CHECKPOINT_HASH, META_SEALED, T_CODES, T_COUNTERS, T_DEAD, T_DOSSIERS,
    T_DUE, T_HISTORY, T_META, T_NAMES, T_PARKED, T_QUEUE, TREES, Views, corrupt,
};
use motcua_domain::Reference;

/// One message as the stream delivered it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Delivery {
    /// Stream sequence.
    pub seq: u64,
    /// Subject (`motcua.dossier.<province>.<uuid>`).
    pub subject: String,
    /// The stored envelope.
    pub payload: Bytes,
}

/// What a batch did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct BatchOutcome {
    /// Commits applied.
    pub commits: u64,
    /// Events in them.
    pub events: u64,
    /// Messages at or below the checkpoint, skipped.
    pub skipped: u64,
    /// Messages that became dead letters.
    pub dead: u64,
    /// The checkpoint after the batch.
    pub checkpoint: u64,
}

/// A dossier as the committed trees hold it: its history, the fold of it, what it derives and
/// its parked mark.
pub(crate) struct Cached {
    history: History,
    folded: Folded,
    derived: Derived,
    parked: Option<u64>,
}

/// The work state of the most recently applied dossiers, bounded by a number of dossiers.
///
/// Two generations instead of an exact LRU: entries go into the young map; when it is full it
/// becomes the old map (dropping the previous old one), and an entry found in the old map moves
/// back to the young one. So at most `capacity` entries are held, every entry used within the
/// last `capacity / 2` insertions is kept, and no access pays for bookkeeping.
///
/// Validity: an entry is exactly what the trees hold for its dossier at `checkpoint`. The
/// projector is the only writer of a shard and writes through one `Views` (clones share the
/// cache); the checkpoint check at each batch still drops everything if the trees moved under
/// another writer.
pub(crate) struct DossierCache {
    young: HashMap<String, Cached>,
    old: HashMap<String, Cached>,
    half: usize,
    /// The checkpoint the entries are valid at; `None` when nothing is known.
    checkpoint: Option<u64>,
    /// Whether the entries hold their dossiers' derived contributions (not so after a
    /// history-only batch).
    derived: bool,
}

impl DossierCache {
    /// Dossiers held by default. An entry takes ~40 KB (measured: 4,096 entries add ~165 MiB
    /// of RSS in a rebuild; the derived counter points are most of it), and the rebuild target
    /// is 512 MiB; 4,096 already gave most of the gain of an unbounded cache (rebuild of 50 k
    /// events: 9.8 s without, 7.0 s with 4,096, 6.7 s unbounded).
    pub(crate) const DEFAULT_CAPACITY: usize = 4_096;

    pub(crate) fn new(capacity: usize) -> DossierCache {
        DossierCache {
            young: HashMap::new(),
            old: HashMap::new(),
            half: capacity / 2,
            checkpoint: None,
            derived: true,
        }
    }

    /// Forgets everything.
    pub(crate) fn clear(&mut self) {
        self.young = HashMap::new();
        self.old = HashMap::new();
        self.checkpoint = None;
    }

    pub(crate) fn set_capacity(&mut self, capacity: usize) {
        self.clear();
        self.half = capacity / 2;
    }

    /// Takes a dossier's entry out: while a batch works on it, the cache does not hold it.
    fn take(&mut self, key: &str) -> Option<Cached> {
        self.young.remove(key).or_else(|| self.old.remove(key))
    }

    fn put(&mut self, key: String, entry: Cached) {
        if self.half == 0 {
            return;
        }
        if self.young.len() >= self.half {
            self.old = std::mem::take(&mut self.young);
        }
        self.young.insert(key, entry);
    }
}

struct DossierWork {
    history: History,
    folded: Folded,
    before: Derived,
    /// Commits were applied in this batch: `after` is to be derived.
    changed: bool,
    after: Option<Derived>,
    parked: Option<u64>,
    parked_before: Option<u64>,
}

struct Work<'v> {
    views: &'v Views,
    /// Where loads look first; `None` reads everything from the trees.
    cache: Option<&'v mut DossierCache>,
    dossiers: BTreeMap<String, DossierWork>,
    dead: BTreeMap<u64, DeadLetter>,
    dead_removed: Vec<u64>,
    outcome: BatchOutcome,
    /// Whether the batch derives and writes the dossiers' views, or only their histories (the
    /// first pass of a rebuild, see [`Views::derive_all`]).
    derive: bool,
}

/// The writes of a batch: one sled batch per tree, and which trees have any.
struct Writes {
    batches: Vec<sled::Batch>,
    touched: [bool; TREES.len()],
}

impl Writes {
    fn new() -> Writes {
        Writes {
            batches: TREES.iter().map(|_| sled::Batch::default()).collect(),
            touched: [false; TREES.len()],
        }
    }

    fn insert(&mut self, tree: usize, k: impl Into<sled::IVec>, v: impl Into<sled::IVec>) {
        self.touched[tree] = true;
        self.batches[tree].insert(k, v);
    }

    fn remove(&mut self, tree: usize, k: impl Into<sled::IVec>) {
        self.touched[tree] = true;
        self.batches[tree].remove(k);
    }
}

impl<'v> Work<'v> {
    fn new(views: &'v Views, cache: Option<&'v mut DossierCache>) -> Work<'v> {
        Work {
            views,
            cache,
            dossiers: BTreeMap::new(),
            dead: BTreeMap::new(),
            dead_removed: Vec::new(),
            outcome: BatchOutcome::default(),
            derive: true,
        }
    }

    /// Hands the batch's dossiers to the cache: call only once the batch's transaction has
    /// committed, with the checkpoint it wrote.
    fn into_cache(self, checkpoint: u64) {
        let Some(cache) = self.cache else {
            return;
        };
        for (k, mut w) in self.dossiers {
            w.history.mark_stored();
            let entry = Cached {
                history: w.history,
                folded: w.folded,
                derived: w.after.unwrap_or(w.before),
                parked: w.parked,
            };
            cache.put(k, entry);
        }
        cache.checkpoint = Some(checkpoint);
        cache.derived = self.derive;
    }

    fn load(&mut self, key: &DossierKey) -> Result<&mut DossierWork, ViewError> {
        let k = key.to_string();
        if !self.dossiers.contains_key(&k)
            && let Some(c) = self.cache.as_mut().and_then(|c| c.take(&k))
        {
            self.dossiers.insert(
                k.clone(),
                DossierWork {
                    history: c.history,
                    folded: c.folded,
                    before: c.derived,
                    changed: false,
                    after: None,
                    parked: c.parked,
                    parked_before: c.parked,
                },
            );
        }
        if !self.dossiers.contains_key(&k) {
            let history = History::load(self.views.tree(T_HISTORY), &k)?;
            let parked = self
                .views
                .tree(T_PARKED)
                .get(k.as_bytes())?
                .and_then(|v| <[u8; 8]>::try_from(v.as_ref()).ok())
                .map(u64::from_be_bytes);
            let folded = Folded::replay(history.events());
            // A stored history always derived when it was stored (same reference data: checked
            // at open); failing now means the store is not what this build wrote.
            let before = if self.derive {
                derive(key, &history, self.views.reference())
                    .map_err(|e| corrupt("history", format!("{k}: {e}")))?
            } else {
                Derived::default()
            };
            self.dossiers.insert(
                k.clone(),
                DossierWork {
                    history,
                    folded,
                    before,
                    changed: false,
                    after: None,
                    parked,
                    parked_before: parked,
                },
            );
        }
        self.dossiers
            .get_mut(&k)
            .ok_or_else(|| ViewError::Task("dossier work vanished".to_owned()))
    }

    fn kill(&mut self, msg: &Delivery, key: Option<&DossierKey>, reason: DeadReason) {
        // Only the code: a decoding error's text may quote the payload (personal data).
        tracing::warn!(
            seq = msg.seq,
            subject = %msg.subject,
            reason = reason.code(),
            "dead letter"
        );
        if let Some(key) = key
            && let Some(w) = self.dossiers.get_mut(&key.to_string())
            && w.parked.is_none()
        {
            w.parked = Some(msg.seq);
        }
        self.outcome.dead += 1;
        self.dead.insert(
            msg.seq,
            DeadLetter {
                seq: msg.seq,
                subject: msg.subject.clone(),
                reason,
                dossier: key.map(ToString::to_string),
                payload_hex: hex::encode(&msg.payload),
            },
        );
    }

    fn message(&mut self, msg: &Delivery) -> Result<(), ViewError> {
        let province = &self.views.shard().province;
        // Only the canonical spelling of a dossier's subject: a UUID parses from other
        // spellings too (upper case, no hyphens, braces), and a message on such a subject
        // escapes the dossier's optimistic-concurrency check and its chain as the write side
        // and `motcua verify` read them.
        let key = match DossierKey::from_subject(&msg.subject) {
            Ok(k) if k.province() == province && k.subject() == msg.subject => k,
            _ => {
                self.kill(msg, None, DeadReason::WrongSubject(msg.subject.clone()));
                return Ok(());
            }
        };
        // Load first so that a dead letter parks the dossier.
        let parked = self.load(&key)?.parked;
        if let Some(first_seq) = parked {
            self.kill(msg, Some(&key), DeadReason::Parked { first_seq });
            return Ok(());
        }
        let envelope = match Envelope::decode(&msg.payload) {
            Ok(e) => e,
            Err(EnvelopeError::TooNew { found }) => {
                let reason = DeadReason::NewerSchema {
                    found,
                    supported: SCHEMA_VERSION,
                };
                self.kill(msg, Some(&key), reason);
                return Ok(());
            }
            Err(e) => {
                self.kill(msg, Some(&key), DeadReason::Undecodable(e.to_string()));
                return Ok(());
            }
        };
        if envelope.subject != key {
            let reason = DeadReason::SubjectMismatch {
                envelope: envelope.subject.to_string(),
            };
            self.kill(msg, Some(&key), reason);
            return Ok(());
        }
        let events = envelope.events();
        let reference = self.views.inner.reference.clone();
        let w = self.load(&key)?;
        if msg.seq <= w.history.last_seq() {
            self.outcome.skipped += 1;
            return Ok(());
        }
        if envelope.prevhash != w.history.last_hash() {
            let reason = DeadReason::BrokenChain {
                expected: w.history.last_hash().to_owned(),
                found: envelope.prevhash.clone(),
            };
            self.kill(msg, Some(&key), reason);
            return Ok(());
        }
        if events
            .iter()
            .any(|e| w.folded.state.applied_commands.contains(&e.command_id))
        {
            let reason = DeadReason::BrokenHistory("the command was applied before".to_owned());
            self.kill(msg, Some(&key), reason);
            return Ok(());
        }
        // Folded in place, not on a copy: a message that breaks the state is rare, and then
        // the state is folded again from the history, which it has not entered.
        for e in &events {
            w.folded.apply(e);
        }
        let first_at = w.history.events().chain(&events).next().map(|e| e.at);
        let verdict = match w.folded.state.check_invariants() {
            Err(m) => Err(DeadReason::BrokenHistory(m)),
            Ok(()) => first_at.map_or(Ok(()), |t| check(&w.folded, t, &reference)),
        };
        if let Err(reason) = verdict {
            w.folded = Folded::replay(w.history.events());
            self.kill(msg, Some(&key), reason);
            return Ok(());
        }
        let n = events.len() as u64;
        w.history.commits.push(StoredCommit {
            seq: msg.seq,
            hash: chain_hash(&msg.payload),
            events,
        });
        // Derived once per dossier and batch, when the batch's writes are built.
        w.changed = true;
        self.outcome.commits += 1;
        self.outcome.events += n;
        Ok(())
    }

    /// The writes of the batch, one sled batch per tree.
    fn writes(&mut self) -> Result<Writes, ViewError> {
        let mut batches = Writes::new();
        let mut deltas: BTreeMap<Vec<u8>, Cells> = BTreeMap::new();
        let reference = self.views.inner.reference.clone();
        for (k, w) in &mut self.dossiers {
            if w.changed {
                for entry in w.history.unstored(k) {
                    let (hk, hv) = entry?;
                    batches.insert(T_HISTORY, hk, hv);
                }
            }
            if w.changed && self.derive {
                let after = derive_checked(k, &w.history, &reference)?;
                write_derived(k, &w.before, &after, &mut batches, &mut deltas)?;
                w.after = Some(after);
            }
            if w.parked != w.parked_before {
                match w.parked {
                    Some(seq) => batches.insert(T_PARKED, k.as_bytes(), &seq.to_be_bytes()),
                    None => batches.remove(T_PARKED, k.as_bytes()),
                }
            }
        }
        for seq in &self.dead_removed {
            batches.remove(T_DEAD, &seq.to_be_bytes());
        }
        for (seq, letter) in &self.dead {
            let v = serde_json::to_vec(letter).map_err(|e| corrupt("dead", e))?;
            batches.insert(T_DEAD, &seq.to_be_bytes(), v);
        }
        counter_writes(self.views, deltas, &mut batches)?;
        batches.remove(T_META, META_SEALED);
        Ok(batches)
    }
}

/// The contributions of a history whose every message passed [`check`] when it was applied.
fn derive_checked(k: &str, history: &History, reference: &Reference) -> Result<Derived, ViewError> {
    let key: DossierKey = k
        .parse()
        .map_err(|e| ViewError::Task(format!("dossier key {k}: {e}")))?;
    derive(&key, history, reference)
        .map_err(|e| ViewError::Task(format!("{k} does not derive: {e}")))
}

/// A dossier's row, and the difference between two derivations in its index entries and
/// counters (the counters' as day-level deltas, for [`counter_writes`]).
fn write_derived(
    k: &str,
    before: &Derived,
    after: &Derived,
    batches: &mut Writes,
    deltas: &mut BTreeMap<Vec<u8>, Cells>,
) -> Result<(), ViewError> {
    if let Some(row) = &after.row {
        let row = serde_json::to_vec(row).map_err(|e| corrupt("dossiers", e))?;
        batches.insert(T_DOSSIERS, k.as_bytes(), row);
    }
    diff_entries(before, after, batches);
    diff_counters(before, after, deltas);
    Ok(())
}

/// Adds counter deltas to the stored cells (a cell summing to zero is removed).
fn counter_writes(
    views: &Views,
    deltas: BTreeMap<Vec<u8>, Cells>,
    batches: &mut Writes,
) -> Result<(), ViewError> {
    let counters = views.tree(T_COUNTERS);
    for (key, delta) in deltas {
        if delta.is_zero() {
            continue;
        }
        let mut cells = match counters.get(&key)? {
            Some(v) => Cells::from_bytes(&v).ok_or_else(|| corrupt("counters", "bad cell"))?,
            None => Cells::default(),
        };
        cells.add(&delta);
        if cells.is_zero() {
            batches.remove(T_COUNTERS, key);
        } else {
            batches.insert(T_COUNTERS, key, cells.to_bytes());
        }
    }
    Ok(())
}

fn diff_entries(before: &Derived, after: &Derived, batches: &mut Writes) {
    let tree = |t: IndexTree| match t {
        IndexTree::Codes => T_CODES,
        IndexTree::Names => T_NAMES,
        IndexTree::Queue => T_QUEUE,
        IndexTree::Due => T_DUE,
    };
    for (k, _) in before.entries.iter() {
        if !after.entries.contains_key(k) {
            batches.remove(tree(k.0), k.1.as_slice());
        }
    }
    for (k, v) in after.entries.iter() {
        if before.entries.get(k) != Some(v) {
            batches.insert(tree(k.0), k.1.as_slice(), v.as_slice());
        }
    }
}

fn diff_counters(before: &Derived, after: &Derived, deltas: &mut BTreeMap<Vec<u8>, Cells>) {
    // Points whose scope did not change are netted before being multiplied out to units and
    // granularities (most are unchanged by a commit); the others are added and removed apart.
    let mut netted: BTreeMap<&CounterPoint, Cells> = BTreeMap::new();
    let mut spread = |p: &CounterPoint, units: &[UnitCode], delta: &Cells| {
        for u in units {
            for gran in Gran::ALL {
                let key = counter_key(p.family, u.as_str(), gran, p.day, &p.dims);
                deltas.entry(key).or_default().add(delta);
            }
        }
    };
    for (p, c) in &after.counters {
        if before.scope(p.family) == after.scope(p.family) {
            netted.entry(p).or_default().add(c);
        } else {
            spread(p, after.scope(p.family), c);
        }
    }
    for (p, c) in &before.counters {
        if before.scope(p.family) == after.scope(p.family) {
            netted.entry(p).or_default().sub(c);
        } else {
            let mut minus = Cells::default();
            minus.sub(c);
            spread(p, before.scope(p.family), &minus);
        }
    }
    for (p, delta) in netted {
        if !delta.is_zero() {
            spread(p, after.scope(p.family), &delta);
        }
    }
}

impl Views {
    /// Applies a batch of messages in one sled transaction together with the checkpoint (the
    /// largest sequence of the batch), then flushes. Messages at or below the checkpoint are
    /// skipped; one that cannot be decoded or applied becomes a dead letter in the same
    /// transaction. Blocking: call it from a blocking thread in async code.
    pub fn apply(&self, batch: &[Delivery]) -> Result<BatchOutcome, ViewError> {
        self.apply_as(batch, true)
    }

    /// [`Views::apply`] that writes only the histories, dead letters, parked marks and the
    /// checkpoint: the first pass of a rebuild, whose second pass is [`Views::derive_all`].
    /// The other views are left as they were (empty, in a rebuild).
    pub(crate) fn apply_histories(&self, batch: &[Delivery]) -> Result<BatchOutcome, ViewError> {
        self.apply_as(batch, false)
    }

    fn apply_as(&self, batch: &[Delivery], derive: bool) -> Result<BatchOutcome, ViewError> {
        let mut w = self.lock()?;
        let checkpoint = self.checkpoint()?;
        if w.cache.checkpoint != Some(checkpoint) || w.cache.derived != derive {
            // The trees moved without this cache (or it was never filled), or it was filled in
            // the other mode: it says nothing.
            w.cache.clear();
        }
        let result = self.apply_locked(&mut w.cache, checkpoint, batch, derive);
        if result.is_err() {
            // Entries of the failed batch were taken out and are gone; the rest would still be
            // right, but nothing is kept that an error path has not been reasoned about for.
            w.cache.clear();
        }
        result
    }

    fn apply_locked(
        &self,
        cache: &mut DossierCache,
        checkpoint: u64,
        batch: &[Delivery],
        derive: bool,
    ) -> Result<BatchOutcome, ViewError> {
        let mut work = Work::new(self, Some(cache));
        work.derive = derive;
        let mut last: Option<&Delivery> = None;
        for msg in batch {
            if msg.seq <= last.map_or(checkpoint, |l| l.seq) {
                work.outcome.skipped += 1;
                continue;
            }
            work.message(msg)?;
            last = Some(msg);
        }
        let Some(last) = last else {
            work.outcome.checkpoint = checkpoint;
            return Ok(work.outcome);
        };
        let mut writes = work.writes()?;
        writes.insert(T_META, META_CHECKPOINT, &last.seq.to_be_bytes());
        let hash: [u8; 32] = Sha256::digest(&last.payload).into();
        writes.insert(T_META, META_CHECKPOINT_HASH, &hash);
        self.commit(&writes)?;
        let mut outcome = work.outcome;
        outcome.checkpoint = last.seq;
        work.into_cache(last.seq);
        Ok(outcome)
    }

    /// The second pass of a rebuild: derives every dossier once from its whole stored history
    /// and writes its row, index entries and counters, a chunk of dossiers per transaction.
    /// Expects views whose histories were written by [`Views::apply_histories`] and whose other
    /// trees are empty. The result is the same as applying the messages one batch at a time
    /// (the views are a function of the histories), at a fraction of the writes: a dossier's
    /// row and entries are written once instead of at each of its commits, and a counter once
    /// per chunk. Returns the number of dossiers derived.
    pub(crate) fn derive_all(&self) -> Result<u64, ViewError> {
        /// Dossiers per transaction: bounds the memory a chunk's writes take.
        const CHUNK: usize = 1_024;
        let mut w = self.lock()?;
        w.cache.clear();
        let reference = self.inner.reference.clone();
        let mut writes = Writes::new();
        let mut deltas: BTreeMap<Vec<u8>, Cells> = BTreeMap::new();
        let (mut done, mut in_chunk) = (0u64, 0usize);
        let none = Derived::default();
        for item in History::scan_all(self.tree(T_HISTORY)) {
            let (k, history) = item?;
            let derived = derive_checked(&k, &history, &reference)?;
            write_derived(&k, &none, &derived, &mut writes, &mut deltas)?;
            done += 1;
            in_chunk += 1;
            if in_chunk == CHUNK {
                counter_writes(self, std::mem::take(&mut deltas), &mut writes)?;
                self.commit(&std::mem::replace(&mut writes, Writes::new()))?;
                in_chunk = 0;
            }
        }
        counter_writes(self, deltas, &mut writes)?;
        writes.remove(T_META, META_SEALED);
        self.commit(&writes)?;
        Ok(done)
    }

    /// Sets how many dossiers' work state the writer keeps between batches (0: none), and
    /// forgets what it kept.
    pub fn set_cache_capacity(&self, dossiers: usize) -> Result<(), ViewError> {
        self.lock()?.cache.set_capacity(dossiers);
        Ok(())
    }

    fn commit(&self, writes: &Writes) -> Result<(), ViewError> {
        // Only the trees written to take part: each costs the transaction a lock and a commit.
        let (trees, batches): (Vec<&sled::Tree>, Vec<&sled::Batch>) = self
            .inner
            .trees
            .iter()
            .zip(&writes.batches)
            .zip(writes.touched)
            .filter(|(_, touched)| *touched)
            .map(|(tb, _)| tb)
            .unzip();
        trees
            .as_slice()
            .transaction(|tx| {
                for (t, b) in tx.iter().zip(&batches) {
                    t.apply_batch(b)?;
                }
                Ok::<(), sled::transaction::ConflictableTransactionError<()>>(())
            })
            .map_err(|e| match e {
                sled::transaction::TransactionError::Storage(e) => ViewError::Sled(e),
                sled::transaction::TransactionError::Abort(()) => {
                    ViewError::Task("transaction aborted".to_owned())
                }
            })?;
        self.inner.db.flush()?;
        Ok(())
    }

    /// The dead letters, oldest first, at most `limit`.
    pub fn list_dead_letters(&self, limit: usize) -> Result<Vec<DeadLetter>, ViewError> {
        self.tree(T_DEAD)
            .iter()
            .values()
            .take(limit)
            .map(|v| {
                let v = v?;
                serde_json::from_slice(&v).map_err(|e| corrupt("dead", e))
            })
            .collect()
    }

    /// Applies every dead letter again, in stream order, as if it arrived now: those that apply
    /// are removed, the others stay with their (possibly new) reason. The checkpoint does not
    /// move. Call it after fixing the cause (reference data, a newer build).
    pub fn replay_dead_letters(&self) -> Result<ReplayOutcome, ViewError> {
        let mut w = self.lock()?;
        // Rare, and it changes dossiers without moving the checkpoint: the cache is not used,
        // and forgotten.
        w.cache.clear();
        let letters = self.list_dead_letters(usize::MAX)?;
        let mut work = Work::new(self, None);
        for l in &letters {
            if let Some(key) = l
                .dossier
                .as_ref()
                .and_then(|d| d.parse::<DossierKey>().ok())
            {
                work.load(&key)?.parked = None;
            }
        }
        for l in &letters {
            work.dead_removed.push(l.seq);
            let msg = Delivery {
                seq: l.seq,
                subject: l.subject.clone(),
                payload: Bytes::from(l.payload()),
            };
            work.message(&msg)?;
        }
        let still_dead = work.dead.len() as u64;
        let writes = work.writes()?;
        self.commit(&writes)?;
        let outcome = ReplayOutcome {
            applied: letters.len() as u64 - still_dead,
            still_dead,
        };
        tracing::info!(
            applied = outcome.applied,
            still_dead = outcome.still_dead,
            "dead letters replayed"
        );
        Ok(outcome)
    }
}
