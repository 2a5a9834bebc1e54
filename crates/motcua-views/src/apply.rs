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
use jiff::Timestamp;
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
use crate::history::{History, StoredCommit, entry_key, scan_raw};
use crate::keys::ts_bytes;
use crate::keys::{Cells, Gran, counter_key};
use crate::store::{
    META_CHECKPOINT, META_CHECKPOINT_HASH, META_LATEST_EVENT, META_SEALED, T_CODES, T_COUNTERS,
    T_DEAD, T_DOSSIERS, T_DUE, T_HISTORY, T_META, T_NAMES, T_PARKED, T_QUEUE, TREES, Views,
    corrupt,
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

/// What the second pass of a rebuild ([`Views::derive_all`]) found.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Derivation {
    /// Dossiers derived.
    pub(crate) dossiers: u64,
    /// Commits admitted.
    pub(crate) commits: u64,
    /// Events in them.
    pub(crate) events: u64,
    /// Messages that became dead letters.
    pub(crate) dead: u64,
    /// The time of the latest event admitted.
    pub(crate) latest: Option<Timestamp>,
}

/// A chunk of a rebuild's second pass: its writes, and its counter deltas, to be added to the
/// stored counters when it is written.
#[derive(Default)]
struct Chunk {
    writes: Writes,
    deltas: BTreeMap<Vec<u8>, Cells>,
}

/// The checkpoint a batch ending with `last` writes: its sequence and the SHA-256 of its
/// message (so that a replaced stream is caught at the next start).
fn checkpoint_writes(writes: &mut Writes, last: &Delivery) {
    writes.insert(T_META, META_CHECKPOINT, &last.seq.to_be_bytes());
    let hash: [u8; 32] = Sha256::digest(&last.payload).into();
    writes.insert(T_META, META_CHECKPOINT_HASH, &hash);
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
    /// The time of the latest event applied by the batch.
    latest: Option<Timestamp>,
}

/// The writes of a batch: one sled batch per tree, and which trees have any.
struct Writes {
    batches: Vec<sled::Batch>,
    touched: [bool; TREES.len()],
}

impl Default for Writes {
    fn default() -> Writes {
        Writes::new()
    }
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
            latest: None,
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
            let before = derive(key, &history, self.views.reference())
                .map_err(|e| corrupt("history", format!("{k}: {e}")))?;
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
        if let Some(key) = key
            && let Some(w) = self.dossiers.get_mut(&key.to_string())
            && w.parked.is_none()
        {
            w.parked = Some(msg.seq);
        }
        self.outcome.dead += 1;
        self.dead.insert(
            msg.seq,
            dead_letter(msg.seq, &msg.subject, &msg.payload, key, reason),
        );
    }

    fn message(&mut self, msg: &Delivery) -> Result<(), ViewError> {
        let Some(key) = canonical_key(&msg.subject, &self.views.shard().province) else {
            self.kill(msg, None, DeadReason::WrongSubject(msg.subject.clone()));
            return Ok(());
        };
        let reference = self.views.inner.reference.clone();
        let w = self.load(&key)?;
        let admission = admit(
            &w.history,
            &mut w.folded,
            w.parked,
            &key,
            msg.seq,
            &msg.payload,
            &reference,
        );
        match admission {
            Admission::Applied(commit) => {
                let n = commit.events.len() as u64;
                let latest = commit.latest_at();
                w.history.push_new(commit, msg.payload.clone());
                // Derived once per dossier and batch, when the batch's writes are built.
                w.changed = true;
                self.latest = self.latest.max(latest);
                self.outcome.commits += 1;
                self.outcome.events += n;
            }
            Admission::Skipped => self.outcome.skipped += 1,
            Admission::Dead(reason) => self.kill(msg, Some(&key), reason),
        }
        Ok(())
    }

    /// The writes of the batch, one sled batch per tree.
    fn writes(&mut self) -> Result<Writes, ViewError> {
        let mut batches = Writes::new();
        let mut deltas: BTreeMap<Vec<u8>, Cells> = BTreeMap::new();
        let reference = self.views.inner.reference.clone();
        for (k, w) in &mut self.dossiers {
            if w.changed {
                for (hk, hv) in w.history.unstored(k) {
                    batches.insert(T_HISTORY, hk, hv.as_ref());
                }
            }
            if w.changed {
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
        if let Some(t) = self.latest
            && self
                .views
                .latest_event_at()?
                .is_none_or(|stored| t > stored)
        {
            batches.insert(T_META, META_LATEST_EVENT, &ts_bytes(t));
        }
        batches.remove(T_META, META_SEALED);
        Ok(batches)
    }
}

/// The dossier a subject names when it is the canonical spelling of a dossier subject of
/// `province`. A UUID parses from other spellings too (upper case, no hyphens, braces), and a
/// message on such a subject escapes the dossier's optimistic-concurrency check and its chain
/// as the write side and `motcua verify` read them.
fn canonical_key(subject: &str, province: &UnitCode) -> Option<DossierKey> {
    DossierKey::from_subject(subject)
        .ok()
        .filter(|k| k.province() == province && k.subject() == subject)
}

/// A dead letter of the message at `seq`, logged by its code only: a decoding error's text may
/// quote the payload (personal data).
fn dead_letter(
    seq: u64,
    subject: &str,
    payload: &[u8],
    key: Option<&DossierKey>,
    reason: DeadReason,
) -> DeadLetter {
    tracing::warn!(seq, subject, reason = reason.code(), "dead letter");
    DeadLetter {
        seq,
        subject: subject.to_owned(),
        reason,
        dossier: key.map(ToString::to_string),
        payload_hex: hex::encode(payload),
    }
}

/// What becomes of one message of a dossier.
enum Admission {
    /// It enters the history as this commit (the state is folded with it).
    Applied(StoredCommit),
    /// The history already holds it.
    Skipped,
    /// It is a dead letter, for this reason (the state is as it was).
    Dead(DeadReason),
}

/// The checks a message of `key` passes before it enters the dossier's history, the same for
/// the live projector and for a rebuild: not parked, decodes, names its subject, continues the
/// hash chain, applies no command twice, and leaves a state that keeps the aggregate's
/// invariants and that the reference data resolves. `folded` is the fold of `history`; it is
/// folded with the commit when the commit is applied, and left as it was otherwise.
fn admit(
    history: &History,
    folded: &mut Folded,
    parked: Option<u64>,
    key: &DossierKey,
    seq: u64,
    payload: &[u8],
    reference: &Reference,
) -> Admission {
    if let Some(first_seq) = parked {
        return Admission::Dead(DeadReason::Parked { first_seq });
    }
    let envelope = match Envelope::decode(payload) {
        Ok(e) => e,
        Err(EnvelopeError::TooNew { found }) => {
            return Admission::Dead(DeadReason::NewerSchema {
                found,
                supported: SCHEMA_VERSION,
            });
        }
        Err(e) => return Admission::Dead(DeadReason::Undecodable(e.to_string())),
    };
    if envelope.subject != *key {
        return Admission::Dead(DeadReason::SubjectMismatch {
            envelope: envelope.subject.to_string(),
        });
    }
    if seq <= history.last_seq() {
        return Admission::Skipped;
    }
    if envelope.prevhash != history.last_hash() {
        return Admission::Dead(DeadReason::BrokenChain {
            expected: history.last_hash().to_owned(),
            found: envelope.prevhash,
        });
    }
    let events = envelope.events();
    if events
        .iter()
        .any(|e| folded.state.applied_commands.contains(&e.command_id))
    {
        return Admission::Dead(DeadReason::BrokenHistory(
            "the command was applied before".to_owned(),
        ));
    }
    // Folded in place, not on a copy: a message that breaks the state is rare, and then the
    // state is folded again from the history, which it has not entered.
    for e in &events {
        folded.apply(e);
    }
    let first_at = history.events().chain(&events).next().map(|e| e.at);
    let verdict = match folded.state.check_invariants() {
        Err(m) => Err(DeadReason::BrokenHistory(m)),
        Ok(()) => first_at.map_or(Ok(()), |t| check(folded, t, reference)),
    };
    if let Err(reason) = verdict {
        *folded = Folded::replay(history.events());
        return Admission::Dead(reason);
    }
    Admission::Applied(StoredCommit {
        seq,
        hash: chain_hash(payload),
        events,
    })
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
        self.apply_as(batch)
    }

    fn apply_as(&self, batch: &[Delivery]) -> Result<BatchOutcome, ViewError> {
        let mut w = self.lock()?;
        let checkpoint = self.checkpoint()?;
        if w.cache.checkpoint != Some(checkpoint) {
            // The trees moved without this cache (or it was never filled): it says nothing.
            w.cache.clear();
        }
        let result = self.apply_locked(&mut w.cache, checkpoint, batch);
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
    ) -> Result<BatchOutcome, ViewError> {
        let mut work = Work::new(self, Some(cache));
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
        checkpoint_writes(&mut writes, last);
        self.commit(&writes)?;
        let mut outcome = work.outcome;
        outcome.checkpoint = last.seq;
        work.into_cache(last.seq);
        Ok(outcome)
    }

    /// The first pass of a rebuild: every message of the batch above the checkpoint is put in
    /// its dossier's history as the stream stored it, unchecked, with the checkpoint, in one
    /// transaction; a message on a subject that is not a canonical dossier subject of the shard
    /// is a dead letter at once (that check needs no history). The second pass,
    /// [`Views::derive_all`], checks every dossier's messages in order and derives its views.
    /// Returns the messages staged (as `commits`; their events are counted by the second pass)
    /// and the dead letters.
    pub(crate) fn stage(&self, batch: &[Delivery]) -> Result<BatchOutcome, ViewError> {
        let mut w = self.lock()?;
        // The histories change under whatever it held.
        w.cache.clear();
        let checkpoint = self.checkpoint()?;
        let mut outcome = BatchOutcome::default();
        let mut writes = Writes::new();
        let mut last: Option<&Delivery> = None;
        for msg in batch {
            if msg.seq <= last.map_or(checkpoint, |l| l.seq) {
                outcome.skipped += 1;
                continue;
            }
            last = Some(msg);
            match canonical_key(&msg.subject, &self.shard().province) {
                Some(key) => {
                    let k = entry_key(&key.to_string(), msg.seq);
                    writes.insert(T_HISTORY, k, msg.payload.as_ref());
                    outcome.commits += 1;
                }
                None => {
                    let reason = DeadReason::WrongSubject(msg.subject.clone());
                    let letter = dead_letter(msg.seq, &msg.subject, &msg.payload, None, reason);
                    let v = serde_json::to_vec(&letter).map_err(|e| corrupt("dead", e))?;
                    writes.insert(T_DEAD, &msg.seq.to_be_bytes(), v);
                    outcome.dead += 1;
                }
            }
        }
        let Some(last) = last else {
            outcome.checkpoint = checkpoint;
            return Ok(outcome);
        };
        checkpoint_writes(&mut writes, last);
        writes.remove(T_META, META_SEALED);
        self.write_rebuilding(writes)?;
        outcome.checkpoint = last.seq;
        Ok(outcome)
    }

    /// The second pass of a rebuild: reads every dossier's staged history once, in key order,
    /// admits its messages in stream order with the live projector's checks ([`admit`]: a
    /// message that fails becomes a dead letter, leaves the history and parks the dossier, as
    /// live), derives the dossier once from what was admitted and writes its row, index
    /// entries and counters, a chunk of dossiers at a time ([`Views::write_rebuilding`]).
    /// Expects views whose histories were written by [`Views::stage`] and whose other trees
    /// hold only the staging pass's dead letters. Every check is a function of one dossier's messages in order, so
    /// the views are the same as applying the messages one batch at a time, at a fraction of
    /// the writes: a dossier's row and entries are written once instead of at each of its
    /// commits, a counter once per chunk, and a message only once, by the first pass. Blocking.
    pub(crate) fn derive_all(&self) -> Result<Derivation, ViewError> {
        let mut w = self.lock()?;
        w.cache.clear();
        self.derive_chunks(|Chunk { mut writes, deltas }| {
            counter_writes(self, deltas, &mut writes)?;
            self.write_rebuilding(writes)
        })
    }

    /// Every dossier's staged history admitted and derived, handed to `write` a chunk of
    /// dossiers at a time.
    fn derive_chunks(
        &self,
        mut write: impl FnMut(Chunk) -> Result<(), ViewError>,
    ) -> Result<Derivation, ViewError> {
        /// Dossiers per chunk: bounds the memory a chunk's writes take.
        const CHUNK: usize = 1_024;
        let reference = self.inner.reference.clone();
        let mut chunk = Chunk::default();
        let mut out = Derivation::default();
        let mut in_chunk = 0usize;
        let none = Derived::default();
        for item in scan_raw(self.tree(T_HISTORY)) {
            let (k, entries) = item?;
            let key: DossierKey = k
                .parse()
                .map_err(|e| corrupt("history", format!("dossier key {k}: {e}")))?;
            let mut history = History::default();
            let mut folded = Folded::new();
            let mut parked: Option<u64> = None;
            for (seq, bytes) in entries {
                match admit(&history, &mut folded, parked, &key, seq, &bytes, &reference) {
                    Admission::Applied(commit) => {
                        out.events += commit.events.len() as u64;
                        out.latest = out.latest.max(commit.latest_at());
                        out.commits += 1;
                        history.push_stored(commit);
                    }
                    Admission::Skipped => {
                        return Err(corrupt("history", format!("{k}: {seq} staged twice")));
                    }
                    Admission::Dead(reason) => {
                        let letter = dead_letter(seq, &key.subject(), &bytes, Some(&key), reason);
                        let v = serde_json::to_vec(&letter).map_err(|e| corrupt("dead", e))?;
                        chunk.writes.insert(T_DEAD, &seq.to_be_bytes(), v);
                        chunk.writes.remove(T_HISTORY, entry_key(&k, seq));
                        parked.get_or_insert(seq);
                        out.dead += 1;
                    }
                }
            }
            if let Some(seq) = parked {
                chunk
                    .writes
                    .insert(T_PARKED, k.as_bytes(), &seq.to_be_bytes());
            }
            let derived = derive_checked(&k, &history, &reference)?;
            write_derived(&k, &none, &derived, &mut chunk.writes, &mut chunk.deltas)?;
            out.dossiers += 1;
            in_chunk += 1;
            if in_chunk == CHUNK {
                write(std::mem::take(&mut chunk))?;
                in_chunk = 0;
            }
        }
        chunk.writes.remove(T_META, META_SEALED);
        if let Some(t) = out.latest {
            chunk.writes.insert(T_META, META_LATEST_EVENT, &ts_bytes(t));
        }
        write(chunk)?;
        Ok(out)
    }

    /// Sets how many dossiers' work state the writer keeps between batches (0: none), and
    /// forgets what it kept.
    pub fn set_cache_capacity(&self, dossiers: usize) -> Result<(), ViewError> {
        self.lock()?.cache.set_capacity(dossiers);
        Ok(())
    }

    /// Writes a rebuild's batch tree by tree (each tree's batch atomic on its own), without a
    /// transaction and without a flush. A rebuild's views are not whole until it ends (the reset
    /// marker says so, and a crash before the end rebuilds again), so atomicity across trees and
    /// durability per batch buy it nothing, while a sled transaction reads every key it writes
    /// first (more than half of a staging batch's cost, measured) and a flush per batch waits on
    /// the disk. [`Views::set_resetting`] flushes everything before it clears the marker.
    fn write_rebuilding(&self, writes: Writes) -> Result<(), ViewError> {
        let trees = self
            .inner
            .trees
            .iter()
            .zip(writes.batches)
            .zip(writes.touched);
        for ((tree, batch), touched) in trees {
            if touched {
                tree.apply_batch(batch)?;
            }
        }
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
