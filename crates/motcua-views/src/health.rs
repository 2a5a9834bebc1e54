//! What a projector tells about itself while it runs: its phase, its checkpoint and the stream's
//! last sequence (their difference is the lag), dead letters, and the progress of a rebuild.
//!
//! Plain atomics behind an `Arc`, written by the projector and read by whoever exports them:
//! the binary turns them into Prometheus metrics and `/readyz` answers. This crate knows nothing
//! of HTTP or of a metrics library.

use std::sync::Mutex;
use std::sync::atomic::{AtomicU8, AtomicU64, Ordering};

use serde::Serialize;

use crate::apply::BatchOutcome;
use crate::error::ViewError;
use crate::store::{T_DEAD, Views};

/// Where a projector is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Phase {
    /// Opening and checking its views (not following the stream yet).
    Starting,
    /// Rebuilding its views from the stream (self-heal); see [`ProjectorStats::rebuild`].
    Rebuilding,
    /// Following the stream.
    Running,
    /// Stopped on an error ([`ProjectorStats::last_error`]); its supervisor may start it again.
    Failed,
    /// Stopped on request.
    Stopped,
}

impl Phase {
    /// A stable name (`starting`, `rebuilding`, `running`, `failed`, `stopped`).
    pub fn as_str(self) -> &'static str {
        match self {
            Phase::Starting => "starting",
            Phase::Rebuilding => "rebuilding",
            Phase::Running => "running",
            Phase::Failed => "failed",
            Phase::Stopped => "stopped",
        }
    }

    fn from_u8(v: u8) -> Phase {
        match v {
            1 => Phase::Rebuilding,
            2 => Phase::Running,
            3 => Phase::Failed,
            4 => Phase::Stopped,
            _ => Phase::Starting,
        }
    }
}

/// Counters and gauges of a projector (what `/metrics` and `/readyz` export).
///
/// The counters only grow for the life of the value; a supervisor that starts a projector again
/// after a failure hands it the same value
/// ([`crate::Projector::start_with_stats`]), so they keep growing.
#[derive(Debug, Default)]
pub struct ProjectorStats {
    /// Batches committed.
    pub batches: AtomicU64,
    /// Commits applied.
    pub commits: AtomicU64,
    /// Events applied.
    pub events: AtomicU64,
    /// Messages skipped (at or below the checkpoint).
    pub skipped: AtomicU64,
    /// Dead letters written.
    pub dead: AtomicU64,
    /// Consumer resets after fetch errors or missed messages.
    pub resets: AtomicU64,
    /// Times the projector stopped on an error.
    pub failures: AtomicU64,
    /// Rebuilds from the stream (self-heal at start or while running).
    pub rebuilds: AtomicU64,
    phase: AtomicU8,
    checkpoint: AtomicU64,
    stream_last: AtomicU64,
    rebuild_seq: AtomicU64,
    rebuild_target: AtomicU64,
    dead_stored: AtomicU64,
    last_error: Mutex<Option<String>>,
}

/// A rebuild's position.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct RebuildProgress {
    /// Last sequence applied.
    pub seq: u64,
    /// The stream's last sequence when the rebuild started.
    pub target: u64,
}

/// A projector's state at one instant.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ProjectorStatus {
    /// Where it is.
    pub phase: Phase,
    /// The last sequence applied (durably: it moves only after the batch's flush).
    pub checkpoint: u64,
    /// The stream's last sequence as last seen (refreshed after batches and every idle second).
    pub stream_last: u64,
    /// `stream_last − checkpoint` (0 when the checkpoint is ahead).
    pub lag: u64,
    /// Dead letters in the store.
    pub dead_letters: u64,
    /// While rebuilding: how far.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rebuild: Option<RebuildProgress>,
    /// Why it stopped, when it failed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

impl ProjectorStats {
    pub(crate) fn record(&self, o: &BatchOutcome) {
        self.batches.fetch_add(1, Ordering::Relaxed);
        self.commits.fetch_add(o.commits, Ordering::Relaxed);
        self.events.fetch_add(o.events, Ordering::Relaxed);
        self.skipped.fetch_add(o.skipped, Ordering::Relaxed);
        self.dead.fetch_add(o.dead, Ordering::Relaxed);
        self.set_checkpoint(o.checkpoint);
        if o.dead > 0 {
            self.dead_stored.fetch_add(o.dead, Ordering::Relaxed);
        }
    }

    /// The phase.
    pub fn phase(&self) -> Phase {
        Phase::from_u8(self.phase.load(Ordering::Relaxed))
    }

    pub(crate) fn set_phase(&self, phase: Phase) {
        self.phase.store(phase as u8, Ordering::Relaxed);
        if phase != Phase::Rebuilding {
            self.rebuild_target.store(0, Ordering::Relaxed);
            self.rebuild_seq.store(0, Ordering::Relaxed);
        }
    }

    /// Marks the projector failed with `reason` (the projector does it itself when its run ends
    /// on an error; a supervisor does it when the start fails).
    pub fn fail(&self, reason: impl Into<String>) {
        self.failures.fetch_add(1, Ordering::Relaxed);
        *self.last_error.lock().unwrap_or_else(|p| p.into_inner()) = Some(reason.into());
        self.set_phase(Phase::Failed);
    }

    /// Marks the projector as being started again by its supervisor.
    pub fn restarting(&self) {
        self.set_phase(Phase::Starting);
    }

    /// Why it last failed.
    pub fn last_error(&self) -> Option<String> {
        self.last_error
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    /// The last sequence applied.
    pub fn checkpoint(&self) -> u64 {
        self.checkpoint.load(Ordering::Relaxed)
    }

    pub(crate) fn set_checkpoint(&self, seq: u64) {
        self.checkpoint.store(seq, Ordering::Relaxed);
    }

    /// The stream's last sequence as last seen.
    pub fn stream_last(&self) -> u64 {
        self.stream_last.load(Ordering::Relaxed)
    }

    /// Sets the stream's last sequence (an exact answer of the server).
    pub(crate) fn set_stream_last(&self, seq: u64) {
        self.stream_last.store(seq, Ordering::Relaxed);
    }

    /// Raises the stream's last sequence to at least `seq` (a lower bound learnt from a
    /// delivery: its sequence plus the messages pending after it).
    pub(crate) fn saw_stream_last(&self, seq: u64) {
        self.stream_last.fetch_max(seq, Ordering::Relaxed);
    }

    /// Messages in the stream not applied yet: stream last sequence − checkpoint.
    pub fn lag(&self) -> u64 {
        self.stream_last().saturating_sub(self.checkpoint())
    }

    /// The rebuild's position, while rebuilding.
    pub fn rebuild(&self) -> Option<RebuildProgress> {
        (self.phase() == Phase::Rebuilding).then(|| RebuildProgress {
            seq: self.rebuild_seq.load(Ordering::Relaxed),
            target: self.rebuild_target.load(Ordering::Relaxed),
        })
    }

    pub(crate) fn rebuilding(&self, seq: u64, target: u64) {
        self.rebuild_seq.store(seq, Ordering::Relaxed);
        self.rebuild_target.store(target, Ordering::Relaxed);
        self.set_checkpoint(seq);
        self.saw_stream_last(target);
    }

    /// Dead letters in the store (counted at start and kept up by the batches).
    pub fn dead_letters(&self) -> u64 {
        self.dead_stored.load(Ordering::Relaxed)
    }

    pub(crate) fn set_dead_letters(&self, n: u64) {
        self.dead_stored.store(n, Ordering::Relaxed);
    }

    /// Everything at once.
    pub fn status(&self) -> ProjectorStatus {
        let phase = self.phase();
        ProjectorStatus {
            phase,
            checkpoint: self.checkpoint(),
            stream_last: self.stream_last(),
            lag: self.lag(),
            dead_letters: self.dead_letters(),
            rebuild: self.rebuild(),
            error: (phase == Phase::Failed)
                .then(|| self.last_error())
                .flatten(),
        }
    }
}

impl Views {
    /// How many dead letters the store holds (a scan of the dead-letter tree: they are few).
    pub fn dead_letter_count(&self) -> Result<u64, ViewError> {
        let mut n = 0u64;
        for k in self.tree(T_DEAD).iter().keys() {
            k?;
            n += 1;
        }
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lag_phase_and_rebuild_progress() {
        let s = ProjectorStats::default();
        assert_eq!(s.phase(), Phase::Starting);
        s.set_phase(Phase::Rebuilding);
        s.rebuilding(40, 100);
        assert_eq!(
            s.rebuild(),
            Some(RebuildProgress {
                seq: 40,
                target: 100
            })
        );
        assert_eq!(s.lag(), 60);
        s.set_phase(Phase::Running);
        assert_eq!(s.rebuild(), None);
        s.saw_stream_last(90);
        assert_eq!(s.stream_last(), 100, "a lower bound never lowers it");
        s.set_stream_last(120);
        s.set_checkpoint(130);
        assert_eq!(s.lag(), 0, "a checkpoint ahead is no negative lag");
        s.fail("sled: No space left on device");
        let status = s.status();
        assert_eq!(status.phase, Phase::Failed);
        assert_eq!(
            status.error.as_deref(),
            Some("sled: No space left on device")
        );
        s.restarting();
        assert_eq!(s.status().error, None);
        assert_eq!(s.failures.load(Ordering::Relaxed), 1);
    }
}
