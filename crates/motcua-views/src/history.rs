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
