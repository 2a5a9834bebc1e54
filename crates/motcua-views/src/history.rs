//! A dossier's applied history, and how the `history` tree keeps it: one entry per applied
//! commit, keyed `dossier key ‖ 0 ‖ sequence`, written once and never rewritten. (A history kept
//! as one value per dossier is rewritten whole at every commit: quadratic in a dossier's length,
//! and most of the views' disk.)

use motcua_domain::dossier::Event;
use serde::{Deserialize, Serialize};

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

/// A dossier's applied history.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct History {
    /// Commits in stream order.
    pub commits: Vec<StoredCommit>,
    /// How many of `commits` the tree already holds.
    stored: usize,
}

/// The value of one entry (the sequence is in the key).
#[derive(Serialize)]
struct RecordOut<'a> {
    hash: &'a str,
    events: &'a [Event],
}

#[derive(Deserialize)]
struct RecordIn {
    hash: String,
    events: Vec<Event>,
}

fn prefix(dossier: &str) -> Vec<u8> {
    let mut k = Vec::with_capacity(dossier.len() + 9);
    k.extend_from_slice(dossier.as_bytes());
    k.push(0);
    k
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

    /// The history of `dossier` as `tree` (the `history` tree) holds it.
    pub(crate) fn load(tree: &sled::Tree, dossier: &str) -> Result<History, ViewError> {
        let prefix = prefix(dossier);
        let mut commits = Vec::new();
        for kv in tree.scan_prefix(&prefix) {
            let (k, v) = kv?;
            let seq = k
                .get(prefix.len()..)
                .and_then(|b| <[u8; 8]>::try_from(b).ok())
                .map(u64::from_be_bytes)
                .ok_or_else(|| corrupt("history", format!("{dossier}: bad key")))?;
            let r: RecordIn = serde_json::from_slice(&v).map_err(|e| corrupt("history", e))?;
            commits.push(StoredCommit {
                seq,
                hash: r.hash,
                events: r.events,
            });
        }
        let stored = commits.len();
        Ok(History { commits, stored })
    }

    /// Every dossier's history in `tree` (the `history` tree), in key order, each read once.
    pub(crate) fn scan_all(
        tree: &sled::Tree,
    ) -> impl Iterator<Item = Result<(String, History), ViewError>> {
        let mut entries = tree.iter().peekable();
        std::iter::from_fn(move || {
            let mut current: Option<(String, History)> = None;
            loop {
                let dossier_of = |k: &[u8]| -> Result<String, ViewError> {
                    let end = k
                        .iter()
                        .position(|&b| b == 0)
                        .ok_or_else(|| corrupt("history", "key without a separator"))?;
                    String::from_utf8(k[..end].to_vec()).map_err(|e| corrupt("history", e))
                };
                // Whether the next entry belongs to the dossier being read.
                let next_is_same = match (entries.peek(), &current) {
                    (None, _) => false,
                    (Some(Err(_)), _) | (Some(Ok(_)), None) => true,
                    (Some(Ok((k, _))), Some((d, _))) => {
                        k.len() > d.len() && &k[..d.len()] == d.as_bytes() && k[d.len()] == 0
                    }
                };
                if !next_is_same {
                    return current.map(|(d, mut h)| {
                        h.stored = h.commits.len();
                        Ok((d, h))
                    });
                }
                let (k, v) = match entries.next()? {
                    Ok(kv) => kv,
                    Err(e) => return Some(Err(e.into())),
                };
                let dossier = match dossier_of(&k) {
                    Ok(d) => d,
                    Err(e) => return Some(Err(e)),
                };
                let seq = k
                    .get(dossier.len() + 1..)
                    .and_then(|b| <[u8; 8]>::try_from(b).ok())
                    .map(u64::from_be_bytes);
                let record = serde_json::from_slice::<RecordIn>(&v);
                let (Some(seq), Ok(r)) = (seq, record) else {
                    return Some(Err(corrupt("history", format!("{dossier}: bad entry"))));
                };
                let h = &mut current
                    .get_or_insert_with(|| (dossier, History::default()))
                    .1;
                h.commits.push(StoredCommit {
                    seq,
                    hash: r.hash,
                    events: r.events,
                });
            }
        })
    }

    /// The entries of the commits the tree does not hold yet, as key and value.
    pub(crate) fn unstored(
        &self,
        dossier: &str,
    ) -> impl Iterator<Item = Result<(Vec<u8>, Vec<u8>), ViewError>> {
        let prefix = prefix(dossier);
        self.commits[self.stored.min(self.commits.len())..]
            .iter()
            .map(move |c| {
                let mut k = prefix.clone();
                k.extend_from_slice(&c.seq.to_be_bytes());
                let v = serde_json::to_vec(&RecordOut {
                    hash: &c.hash,
                    events: &c.events,
                })
                .map_err(|e| corrupt("history", e))?;
                Ok((k, v))
            })
    }

    /// Records that the tree now holds every commit (call once the entries of
    /// [`History::unstored`] are committed).
    pub(crate) fn mark_stored(&mut self) {
        self.stored = self.commits.len();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn commit(seq: u64) -> StoredCommit {
        StoredCommit {
            seq,
            hash: format!("h{seq}"),
            events: Vec::new(),
        }
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
                h.commits.push(commit(s));
            }
        }
        for (d, h) in [("79-a", &mut a), ("79-ab", &mut ab)] {
            for e in h.unstored(d) {
                let (k, v) = e.unwrap();
                tree.insert(k, v).unwrap();
            }
            h.mark_stored();
            assert_eq!(h.unstored(d).count(), 0);
        }
        // A later commit is appended alone.
        a.commits.push(commit(1000));
        let fresh: Vec<_> = a.unstored("79-a").map(Result::unwrap).collect();
        assert_eq!(fresh.len(), 1);
        tree.insert(fresh[0].0.clone(), fresh[0].1.clone()).unwrap();
        a.mark_stored();

        let loaded = History::load(&tree, "79-a").unwrap();
        assert_eq!(loaded, a);
        assert_eq!(loaded.last_seq(), 1000);
        assert_eq!(loaded.last_hash(), "h1000");
        assert_eq!(History::load(&tree, "79-ab").unwrap(), ab);
        assert!(History::load(&tree, "79-").unwrap().commits.is_empty());

        let all: Vec<(String, History)> = History::scan_all(&tree).map(Result::unwrap).collect();
        assert_eq!(all, vec![("79-a".to_owned(), a), ("79-ab".to_owned(), ab)]);
    }
}
