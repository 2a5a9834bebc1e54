//! The write side's memory of recently commanded dossiers (ADR 0005).
//!
//! A command on a dossier in the cache decides on the state kept here and evolves it with its own
//! events: no read, no decoding, no replay. The cache is only a cache: an entry may be stale
//! (another node, or another `CommandService`, appended since), and the append's expected
//! subject sequence is what catches that; the command service then reads the dossier from the
//! stream and decides again.
//!
//! Concurrency: a command *takes* its dossier's entry out and puts the next one back after its
//! append, so two commands never share a `Dossier` value and nothing is cloned. A concurrent
//! command on the same dossier finds no entry and reads the stream; if both put an entry back,
//! the one further along the stream stays. The lock is held only for a map operation, never
//! across an `.await`.

use std::collections::HashMap;
use std::fmt;
use std::sync::{Mutex, MutexGuard, PoisonError};

use motcua_domain::dossier::{
    Command, CommandBody, Context, Dossier, Event, EventBody, Status, decide,
};
use motcua_log::{DossierKey, StoredCommit};
use uuid::Uuid;

use crate::Outcome;

/// A commit as the write side keeps it: enough to answer a repeated command without the stream.
#[derive(Debug, Clone)]
pub(crate) struct CachedCommit {
    pub(crate) stream_seq: u64,
    /// The message id: the command's id, or the batch id of an imported history.
    pub(crate) command_id: Uuid,
    pub(crate) events: Vec<Event>,
}

/// A dossier as the write side knows it: its commits, where the next append must find the
/// subject, and the fold of every event (kept so that no command replays the history).
#[derive(Debug, Clone, Default)]
pub(crate) struct History {
    /// The dossier's last subject sequence (0 for none).
    pub(crate) last_seq: u64,
    /// Chain hash of the last message.
    pub(crate) last_hash: String,
    pub(crate) commits: Vec<CachedCommit>,
    /// `Dossier::replay` of the events of `commits`.
    pub(crate) state: Dossier,
}

impl History {
    /// A history as read from the stream: decoded and folded once.
    pub(crate) fn from_stream(stored: &[StoredCommit]) -> History {
        let commits: Vec<CachedCommit> = stored
            .iter()
            .map(|c| CachedCommit {
                stream_seq: c.stream_seq,
                command_id: c.envelope.commandid,
                events: c.envelope.events(),
            })
            .collect();
        History {
            last_seq: stored.last().map_or(0, |c| c.stream_seq),
            last_hash: stored.last().map(|c| c.hash.clone()).unwrap_or_default(),
            state: Dossier::replay(commits.iter().flat_map(|c| c.events.iter())),
            commits,
        }
    }

    /// The answer a command got the first time, if it is in this history.
    pub(crate) fn outcome_of(&self, key: &DossierKey, command_id: Uuid) -> Option<Outcome> {
        // The usual case, a new command, answered without walking every event: the fold records
        // the command id of every event it applied, so only a message id (an import's batch id)
        // can be missing from it.
        if !self.state.applied_commands.contains(&command_id)
            && !self.commits.iter().any(|c| c.command_id == command_id)
        {
            return None;
        }
        // An imported history holds many original commands in one message.
        let idx = self.commits.iter().position(|c| {
            c.command_id == command_id || c.events.iter().any(|e| e.command_id == command_id)
        })?;
        let commit = &self.commits[idx];
        let outcome = |state: &Dossier| Outcome {
            key: key.clone(),
            stream_seq: commit.stream_seq,
            events: commit.events.clone(),
            code: state.code.clone(),
            status_code: state.status().map(Status::national_code),
        };
        if idx + 1 == self.commits.len() {
            // The usual retry: of the last command, whose state is the one kept.
            return Some(outcome(&self.state));
        }
        let before = Dossier::replay(self.commits[..=idx].iter().flat_map(|c| c.events.iter()));
        Some(outcome(&before))
    }

    /// Whether `command` is the request whose events are stored under its id: decided again on
    /// the dossier as it was just before those events, at their time, it gives the same events.
    /// A command id promises that a retry is the same request; a different request under a used
    /// id is refused rather than answered with the first one's outcome. An id found only as an
    /// imported history's batch id names no single command's events, and is not a repeat.
    pub(crate) fn repeats_stored(&self, command: &Command, ctx: &Context<'_>) -> bool {
        let events: Vec<&Event> = self.commits.iter().flat_map(|c| c.events.iter()).collect();
        let Some(start) = events.iter().position(|e| e.command_id == command.id) else {
            return false;
        };
        let stored: Vec<Event> = events[start..]
            .iter()
            .take_while(|e| e.command_id == command.id)
            .map(|e| (*e).clone())
            .collect();
        let Some(at) = stored.first().map(|e| e.at) else {
            return false;
        };
        let before = Dossier::replay(events[..start].iter().copied());
        let mut again = command.clone();
        if let CommandBody::Receive {
            code: code @ None, ..
        } = &mut again.body
        {
            // The service drew the code the first time; the request did not name one either.
            *code = stored.iter().find_map(|e| match &e.body {
                EventBody::Received { code, .. } => Some(code.clone()),
                _ => None,
            });
        }
        matches!(decide(&before, &again, at, ctx), Ok(decided) if decided == stored)
    }
}

/// Recently commanded dossiers, bounded by their number: two generations of at most half the
/// capacity each; when the young one is full it becomes the old one and the old one is dropped,
/// and an entry used again moves to the young one. Cheaper than an LRU list, and a dossier in
/// use is never the one dropped.
pub(crate) struct DossierCache {
    inner: Mutex<Generations>,
}

#[derive(Default)]
struct Generations {
    young: HashMap<DossierKey, History>,
    old: HashMap<DossierKey, History>,
    /// Entries per generation; 0 keeps nothing.
    half: usize,
}

impl DossierCache {
    /// A cache of at most `capacity` dossiers (rounded up to an even number); 0 keeps nothing.
    pub(crate) fn new(capacity: usize) -> DossierCache {
        DossierCache {
            inner: Mutex::new(Generations {
                half: capacity.div_ceil(2),
                ..Generations::default()
            }),
        }
    }

    fn lock(&self) -> MutexGuard<'_, Generations> {
        // The maps are whole after every operation (a panic can only come from an allocation
        // before a map is changed), so a poisoned lock still guards a usable cache.
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Takes a dossier's entry out: until it is put back, a command on the same dossier reads
    /// the stream.
    pub(crate) fn take(&self, key: &DossierKey) -> Option<History> {
        let mut g = self.lock();
        g.young.remove(key).or_else(|| g.old.remove(key))
    }

    /// Puts a dossier's history back (or in for the first time). If another command put one
    /// meanwhile, the one further along the stream stays: either may be stale, and the older is
    /// surely so.
    pub(crate) fn put(&self, key: DossierKey, history: History) {
        let dropped = {
            let mut g = self.lock();
            if g.half == 0 {
                return;
            }
            let present = g.young.remove(&key).or_else(|| g.old.remove(&key));
            let keep = match present {
                Some(p) if p.last_seq > history.last_seq => p,
                _ => history,
            };
            let dropped = if g.young.len() >= g.half {
                let young = std::mem::take(&mut g.young);
                Some(std::mem::replace(&mut g.old, young))
            } else {
                None
            };
            g.young.insert(key, keep);
            dropped
        };
        // Freeing half the cache's histories takes a while: not under the lock.
        drop(dropped);
    }

    /// Dossiers held.
    pub(crate) fn len(&self) -> usize {
        let g = self.lock();
        g.young.len() + g.old.len()
    }

    /// The most dossiers held.
    pub(crate) fn capacity(&self) -> usize {
        self.lock().half * 2
    }
}

impl fmt::Debug for DossierCache {
    // Sizes only: the entries hold applicants' data.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DossierCache")
            .field("len", &self.len())
            .field("capacity", &self.capacity())
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(n: u128) -> DossierKey {
        #[allow(clippy::unwrap_used)]
        DossierKey::new("79".parse().unwrap(), Uuid::from_u128(n)).unwrap()
    }

    fn at(seq: u64) -> History {
        History {
            last_seq: seq,
            ..History::default()
        }
    }

    #[test]
    fn holds_at_most_its_capacity_and_keeps_what_is_used() {
        let cache = DossierCache::new(4);
        for n in 1..=4 {
            cache.put(key(n), at(n as u64));
        }
        // Used again: moves to the young generation.
        let one = cache.take(&key(1)).map(|h| h.last_seq);
        assert_eq!(one, Some(1));
        cache.put(key(1), at(1));
        for n in 5..=6 {
            cache.put(key(n), at(n as u64));
        }
        assert!(cache.len() <= 4, "{}", cache.len());
        assert!(cache.take(&key(1)).is_some(), "the dossier in use stayed");
        assert!(cache.take(&key(2)).is_none(), "the oldest went");
    }

    #[test]
    fn the_entry_further_along_the_stream_stays() {
        let cache = DossierCache::new(8);
        cache.put(key(1), at(7));
        cache.put(key(1), at(5));
        assert_eq!(cache.take(&key(1)).map(|h| h.last_seq), Some(7));
        cache.put(key(1), at(5));
        cache.put(key(1), at(9));
        assert_eq!(cache.take(&key(1)).map(|h| h.last_seq), Some(9));
        assert!(cache.take(&key(1)).is_none(), "taken means gone");
    }

    #[test]
    fn capacity_zero_keeps_nothing() {
        let cache = DossierCache::new(0);
        cache.put(key(1), at(1));
        assert_eq!(cache.len(), 0);
        assert!(cache.take(&key(1)).is_none());
    }
}
