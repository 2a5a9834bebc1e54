//! A dossier's applied history, and how the `history` tree keeps it: one entry per applied
//! commit, keyed `dossier key ‖ 0 ‖ sequence`, holding the message exactly as the stream stored
//! it, written once and never rewritten. (A history kept as one value per dossier is rewritten
//! whole at every commit: quadratic in a dossier's length, and most of the views' disk.)
//!
//! The stored bytes, not a re-encoding of their events: writing a commit costs no encoding, the
//! chain hash of an entry is the hash of its bytes, and a rebuild can put every message in
//! place before it looks at any of them ([`crate::Views::derive_all`] checks them dossier by
//! dossier).

use bytes::Bytes;
use motcua_domain::dossier::Event;
use motcua_log::Envelope;
use motcua_log::envelope::chain_hash;

use crate::error::ViewError;
use crate::store::corrupt;

/// One applied commit.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredCommit {
    /// Stream sequence of the message.
    pub seq: u64,
    /// Chain hash (`motcua_log::envelope::chain_hash`) of the message as stored: the `prevhash`
    /// the dossier's next message must name.
    pub hash: String,
    /// Its events, in order.
    pub events: Vec<Event>,
}

impl StoredCommit {
    /// The time of its latest event.
    pub fn latest_at(&self) -> Option<jiff::Timestamp> {
        self.events.iter().map(|e| e.at).max()
    }
}

/// A dossier's applied history.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct History {
    /// Commits in stream order.
    pub commits: Vec<StoredCommit>,
    /// The stored bytes of the last `pending.len()` commits, which the tree does not hold yet.
    pending: Vec<Bytes>,
}

/// The key of a dossier's entries without the sequence.
pub(crate) fn prefix(dossier: &str) -> Vec<u8> {
    let mut k = Vec::with_capacity(dossier.len() + 9);
    k.extend_from_slice(dossier.as_bytes());
    k.push(0);
    k
}

/// The key of one entry.
pub(crate) fn entry_key(dossier: &str, seq: u64) -> Vec<u8> {
    let mut k = prefix(dossier);
    k.extend_from_slice(&seq.to_be_bytes());
    k
}

/// The dossier and sequence of an entry's key.
pub(crate) fn split_key(k: &[u8]) -> Result<(&str, u64), ViewError> {
    let end = k
        .iter()
        .position(|&b| b == 0)
        .ok_or_else(|| corrupt("history", "key without a separator"))?;
    let dossier = std::str::from_utf8(&k[..end]).map_err(|e| corrupt("history", e))?;
    let seq = k
        .get(end + 1..)
        .and_then(|b| <[u8; 8]>::try_from(b).ok())
        .map(u64::from_be_bytes)
        .ok_or_else(|| corrupt("history", format!("{dossier}: bad key")))?;
    Ok((dossier, seq))
}

/// A stored entry read back. Every entry was decoded when it was applied, by this build's
/// format (checked at open), so one that does not decode now is damage.
fn read_entry(dossier: &str, seq: u64, v: &[u8]) -> Result<StoredCommit, ViewError> {
    let envelope =
        Envelope::decode(v).map_err(|e| corrupt("history", format!("{dossier} at {seq}: {e}")))?;
    Ok(StoredCommit {
        seq,
        hash: chain_hash(v),
        events: envelope.events(),
    })
}

impl History {
    /// Every event in order.
    pub fn events(&self) -> impl Iterator<Item = &Event> {
        self.commits.iter().flat_map(|c| c.events.iter())
    }

    /// Stream sequence of the last applied commit (0 for none).
    pub fn last_seq(&self) -> u64 {
        self.commits.last().map_or(0, |c| c.seq)
    }

    /// The chain hash the dossier's next message must name (empty when nothing is applied).
    pub fn last_hash(&self) -> &str {
        self.commits.last().map_or("", |c| c.hash.as_str())
    }

    /// Appends a commit the tree does not hold yet, with the bytes the stream stored.
    pub(crate) fn push_new(&mut self, commit: StoredCommit, stored: Bytes) {
        self.commits.push(commit);
        self.pending.push(stored);
    }

    /// Appends a commit the tree already holds.
    pub(crate) fn push_stored(&mut self, commit: StoredCommit) {
        debug_assert!(self.pending.is_empty(), "stored commits come first");
        self.commits.push(commit);
    }

    /// The history of `dossier` as `tree` (the `history` tree) holds it.
    pub(crate) fn load(tree: &sled::Tree, dossier: &str) -> Result<History, ViewError> {
        let mut h = History::default();
        for kv in tree.scan_prefix(prefix(dossier)) {
            let (k, v) = kv?;
            let (_, seq) = split_key(&k)?;
            h.push_stored(read_entry(dossier, seq, &v)?);
        }
        Ok(h)
    }

    /// The entries of the commits the tree does not hold yet, as key and value.
    pub(crate) fn unstored<'a>(
        &'a self,
        dossier: &'a str,
    ) -> impl Iterator<Item = (Vec<u8>, Bytes)> + 'a {
        let first = self.commits.len() - self.pending.len();
        self.commits[first..]
            .iter()
            .zip(&self.pending)
            .map(move |(c, bytes)| (entry_key(dossier, c.seq), bytes.clone()))
    }

    /// Records that the tree now holds every commit (call once the entries of
    /// [`History::unstored`] are committed).
    pub(crate) fn mark_stored(&mut self) {
        self.pending.clear();
    }
}

/// Every dossier's entries in `tree` (the `history` tree), in key order, grouped by dossier:
/// each dossier's key and its entries' sequences and bytes, not decoded.
pub(crate) fn scan_raw(
    tree: &sled::Tree,
) -> impl Iterator<Item = Result<(String, Vec<(u64, sled::IVec)>), ViewError>> {
    let mut entries = tree.iter().peekable();
    std::iter::from_fn(move || {
        let mut current: Option<(String, Vec<(u64, sled::IVec)>)> = None;
        loop {
            // Whether the next entry belongs to the dossier being read.
            let next_is_same = match (entries.peek(), &current) {
                (None, _) => false,
                (Some(Err(_)), _) | (Some(Ok(_)), None) => true,
                (Some(Ok((k, _))), Some((d, _))) => {
                    k.len() > d.len() && &k[..d.len()] == d.as_bytes() && k[d.len()] == 0
                }
            };
            if !next_is_same {
                return current.map(Ok);
            }
            let (k, v) = match entries.next()? {
                Ok(kv) => kv,
                Err(e) => return Some(Err(e.into())),
            };
            let (dossier, seq) = match split_key(&k) {
                Ok(ds) => ds,
                Err(e) => return Some(Err(e)),
            };
            current
                .get_or_insert_with(|| (dossier.to_owned(), Vec::new()))
                .1
                .push((seq, v));
        }
    })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;
    use motcua_domain::dossier::{Actor, EventBody};
    use motcua_log::{CommitMeta, DossierKey};

    /// A commit of one event at `seq`, and the bytes the stream would store for it.
    fn commit(seq: u64) -> (StoredCommit, Bytes) {
        let key = DossierKey::generate("79".parse().unwrap()).unwrap();
        let events = vec![Event {
            at: jiff::Timestamp::from_second(1_764_000_000 + seq as i64).unwrap(),
            actor: Actor::applicant("vneid.0000000001"),
            command_id: uuid::Uuid::now_v7(),
            body: EventBody::Assigned {
                officer: format!("cb.xuly.{seq:03}"),
            },
        }];
        let envelope =
            Envelope::for_commit(&key, None, None, &events, &CommitMeta::default(), "").unwrap();
        let bytes = Bytes::from(envelope.encode());
        let c = StoredCommit {
            seq,
            hash: chain_hash(&bytes),
            events,
        };
        (c, bytes)
    }

    fn store(tree: &sled::Tree, d: &str, h: &mut History) {
        for (k, v) in h.unstored(d) {
            tree.insert(k, v.as_ref()).unwrap();
        }
        h.mark_stored();
        assert_eq!(h.unstored(d).count(), 0);
    }

    #[test]
    fn appended_entries_read_back_per_dossier_and_all_at_once() {
        let db = sled::Config::new().temporary(true).open().unwrap();
        let tree = db.open_tree("history").unwrap();
        // "79-a" is a prefix of "79-ab": the separator keeps their entries apart.
        let mut a = History::default();
        let mut ab = History::default();
        for (h, seqs) in [(&mut a, [3u64, 300]), (&mut ab, [7, 8])] {
            for s in seqs {
                let (c, bytes) = commit(s);
                h.push_new(c, bytes);
            }
        }
        for (d, h) in [("79-a", &mut a), ("79-ab", &mut ab)] {
            store(&tree, d, h);
        }
        // A later commit is appended alone.
        let (c, bytes) = commit(1000);
        a.push_new(c, bytes);
        assert_eq!(a.unstored("79-a").count(), 1);
        store(&tree, "79-a", &mut a);

        let loaded = History::load(&tree, "79-a").unwrap();
        assert_eq!(loaded, a);
        assert_eq!(loaded.last_seq(), 1000);
        assert_eq!(loaded.last_hash(), a.commits[2].hash);
        assert_eq!(History::load(&tree, "79-ab").unwrap(), ab);
        assert!(History::load(&tree, "79-").unwrap().commits.is_empty());

        let all: Vec<(String, Vec<u64>)> = scan_raw(&tree)
            .map(Result::unwrap)
            .map(|(d, entries)| (d, entries.iter().map(|(s, _)| *s).collect()))
            .collect();
        assert_eq!(
            all,
            vec![
                ("79-a".to_owned(), vec![3, 300, 1000]),
                ("79-ab".to_owned(), vec![7, 8])
            ]
        );
    }

    #[test]
    fn an_entry_that_does_not_decode_is_damage() {
        let db = sled::Config::new().temporary(true).open().unwrap();
        let tree = db.open_tree("history").unwrap();
        tree.insert(entry_key("79-a", 1), b"{}".as_slice()).unwrap();
        assert!(matches!(
            History::load(&tree, "79-a"),
            Err(ViewError::Corrupt {
                tree: "history",
                ..
            })
        ));
    }
}
