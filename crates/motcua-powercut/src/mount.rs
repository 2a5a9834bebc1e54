//! Mounting, cutting the power, and unmounting (also on drop, also during a panic).

use std::fs::OpenOptions;
use std::io;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex, MutexGuard, mpsc};
use std::time::Duration;

use fuser::{BackgroundSession, MountOption};

use crate::fault::{DiskFault, FaultSwitch};
use crate::fs::{PowerCutFs, is_within};
use crate::state::{CutReport, State, Stats};

/// How long an unmount may take before the mount is detached lazily instead.
pub const UNMOUNT_TIMEOUT: Duration = Duration::from_secs(20);

/// The environment variable that skips the power-cut tests on a machine without FUSE
/// (`MOTCUA_SKIP_FUSE=1`); without it such a machine fails them, saying why.
pub const SKIP_ENV: &str = "MOTCUA_SKIP_FUSE";

/// Why mounting, cutting or unmounting failed.
#[derive(Debug, thiserror::Error)]
pub enum PowerCutError {
    /// This machine cannot mount FUSE filesystems.
    #[error("FUSE is not available here: {0}")]
    Unavailable(String),
    /// The mount point and the backing directory overlap (the filesystem would serve itself).
    #[error(
        "the mount point {mountpoint} and the backing directory {backing} must not contain each other"
    )]
    Overlap {
        /// The mount point.
        mountpoint: PathBuf,
        /// The backing directory.
        backing: PathBuf,
    },
    /// Something is mounted there already.
    #[error("{0} is a mount point already")]
    AlreadyMounted(PathBuf),
    /// An I/O error, with what was being done.
    #[error("{what}: {source}")]
    Io {
        /// What was being done.
        what: String,
        /// The error.
        source: io::Error,
    },
    /// The mount could be neither unmounted nor detached.
    #[error("could not unmount {mountpoint}: {reason}")]
    Unmount {
        /// The mount point.
        mountpoint: PathBuf,
        /// Why.
        reason: String,
    },
}

impl PowerCutError {
    fn io(what: impl Into<String>, source: io::Error) -> Self {
        PowerCutError::Io {
            what: what.into(),
            source,
        }
    }
}

/// A mounted power-cut filesystem over a backing directory.
///
/// The mount shows the backing directory's tree and lets programs change it; the backing
/// directory only ever receives what has been made durable (see the crate documentation).
/// [`PowerCutMount::power_cut`] drops everything else and mounts again on what is left.
/// Dropping the value unmounts (lazily if a process still uses the mount), bounded by
/// [`UNMOUNT_TIMEOUT`]; it never blocks forever.
pub struct PowerCutMount {
    backing: PathBuf,
    mountpoint: PathBuf,
    state: Arc<Mutex<State>>,
    session: Option<BackgroundSession>,
    power_cuts: u32,
    fault: Arc<FaultSwitch>,
}

impl std::fmt::Debug for PowerCutMount {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PowerCutMount")
            .field("backing", &self.backing)
            .field("mountpoint", &self.mountpoint)
            .field("mounted", &self.session.is_some())
            .field("power_cuts", &self.power_cuts)
            .finish_non_exhaustive()
    }
}

impl PowerCutMount {
    /// Mounts the filesystem at `mountpoint` (an existing, empty directory) over `backing` (an
    /// existing directory, whose current content counts as durable). Neither may contain the
    /// other.
    ///
    /// Mounts with mount(2) directly when root (no `fusermount3` needed); otherwise `fuser`
    /// falls back to the setuid `fusermount3` of Debian's `fuse3` package.
    ///
    /// # Errors
    /// [`PowerCutError::Unavailable`] without usable FUSE, [`PowerCutError::Overlap`],
    /// [`PowerCutError::AlreadyMounted`], or [`PowerCutError::Io`] (e.g. the kernel refused the
    /// mount; the message says why).
    pub fn mount(
        backing: impl AsRef<Path>,
        mountpoint: impl AsRef<Path>,
    ) -> Result<PowerCutMount, PowerCutError> {
        if let Some(reason) = unavailable_reason() {
            return Err(PowerCutError::Unavailable(reason));
        }
        let canonical = |p: &Path| {
            p.canonicalize()
                .map_err(|e| PowerCutError::io(format!("resolving {}", p.display()), e))
        };
        let backing = canonical(backing.as_ref())?;
        let mountpoint = canonical(mountpoint.as_ref())?;
        if is_within(&backing, &mountpoint) || is_within(&mountpoint, &backing) {
            return Err(PowerCutError::Overlap {
                mountpoint,
                backing,
            });
        }
        if is_mounted(&mountpoint) {
            return Err(PowerCutError::AlreadyMounted(mountpoint));
        }
        let state = State::load(&backing)
            .map_err(|e| PowerCutError::io(format!("reading {}", backing.display()), e))?;
        let state = Arc::new(Mutex::new(state));
        let fault = Arc::new(FaultSwitch::default());
        let session = start_session(&state, &fault, &mountpoint)?;
        Ok(PowerCutMount {
            backing,
            mountpoint,
            state,
            session: Some(session),
            power_cuts: 0,
            fault,
        })
    }

    /// Where the filesystem is mounted (canonical).
    #[must_use]
    pub fn mountpoint(&self) -> &Path {
        &self.mountpoint
    }

    /// The backing directory (canonical): exactly the durable state after a power cut.
    #[must_use]
    pub fn backing_dir(&self) -> &Path {
        &self.backing
    }

    /// Switches a disk fault on (`Some`) or off (`None`), at once, for every process using the
    /// mount (see [`DiskFault`] for which calls fail how). It survives a power cut.
    pub fn set_fault(&self, fault: Option<DiskFault>) {
        self.fault.set(fault);
    }

    /// The disk fault switched on, if any.
    #[must_use]
    pub fn fault(&self) -> Option<DiskFault> {
        self.fault.get()
    }

    /// How many power cuts this mount has been through.
    #[must_use]
    pub fn power_cuts(&self) -> u32 {
        self.power_cuts
    }

    /// The counters since the last (re)mount and what is pending now.
    #[must_use]
    pub fn stats(&self) -> Stats {
        lock(&self.state).stats()
    }

    /// Loses power, then comes back: at one instant everything not durable is dropped (a
    /// process still using the mount gets `EIO` from then on), the filesystem is unmounted
    /// (lazily detached if still in use), and mounted again on what the backing directory
    /// holds, i.e. the durable state only.
    ///
    /// Kill the programs using the mount first (`kill -9`, as a power failure would): a process
    /// that survives a real power cut does not exist. For several mounts losing power at once,
    /// kill every program first, then cut each mount: nothing can become durable in between.
    ///
    /// # Errors
    /// [`PowerCutError::Unmount`] when the old mount can be neither unmounted nor detached, or
    /// the errors of [`PowerCutMount::mount`] for the new one.
    pub fn power_cut(&mut self) -> Result<CutReport, PowerCutError> {
        let mut report = lock(&self.state).cut();
        report.forced_detach = self.unmount_session()?;
        let state = State::load(&self.backing)
            .map_err(|e| PowerCutError::io(format!("reading {}", self.backing.display()), e))?;
        self.state = Arc::new(Mutex::new(state));
        self.session = Some(start_session(&self.state, &self.fault, &self.mountpoint)?);
        self.power_cuts += 1;
        Ok(report)
    }

    /// Unmounts cleanly (pending writes are lost, as at a power cut: an unmount is no sync).
    ///
    /// # Errors
    /// [`PowerCutError::Unmount`] when it can be neither unmounted nor detached.
    pub fn unmount(mut self) -> Result<(), PowerCutError> {
        lock(&self.state).cut();
        self.unmount_session().map(|_| ())
    }

    /// Unmounts and joins the session thread, bounded; detaches lazily if the mount is busy or
    /// the unmount does not finish in time. Returns whether it had to detach.
    fn unmount_session(&mut self) -> Result<bool, PowerCutError> {
        let Some(session) = self.session.take() else {
            return Ok(false);
        };
        let (tx, rx) = mpsc::channel();
        let spawned = std::thread::Builder::new()
            .name("powercut-umount".to_owned())
            .spawn(move || {
                let _ = tx.send(session.umount_and_join());
            });
        let outcome = match spawned {
            Ok(_) => rx.recv_timeout(UNMOUNT_TIMEOUT),
            Err(_) => Err(mpsc::RecvTimeoutError::Disconnected),
        };
        if matches!(outcome, Ok(Ok(()))) || !is_mounted(&self.mountpoint) {
            return Ok(false);
        }
        let why = match outcome {
            Ok(Err(e)) => e.to_string(),
            _ => format!("no answer within {UNMOUNT_TIMEOUT:?}"),
        };
        lazy_detach(&self.mountpoint).map_err(|reason| PowerCutError::Unmount {
            mountpoint: self.mountpoint.clone(),
            reason: format!("{why}; then {reason}"),
        })?;
        Ok(true)
    }
}

impl Drop for PowerCutMount {
    fn drop(&mut self) {
        if self.session.is_some() {
            lock(&self.state).cut();
            if let Err(e) = self.unmount_session() {
                eprintln!("motcua-powercut: {e}");
            }
        }
    }
}

fn lock(state: &Mutex<State>) -> MutexGuard<'_, State> {
    match state.lock() {
        Ok(guard) => guard,
        Err(poisoned) => poisoned.into_inner(),
    }
}

fn start_session(
    state: &Arc<Mutex<State>>,
    fault: &Arc<FaultSwitch>,
    mountpoint: &Path,
) -> Result<BackgroundSession, PowerCutError> {
    let mut config = fuser::Config::default();
    config.mount_options = vec![
        MountOption::FSName("motcua-powercut".to_owned()),
        MountOption::Subtype("motcua-powercut".to_owned()),
        MountOption::RW,
        MountOption::NoDev,
        MountOption::NoSuid,
    ];
    let fs = PowerCutFs {
        state: Arc::clone(state),
        fault: Arc::clone(fault),
    };
    fuser::spawn_mount(fs, mountpoint, &config).map_err(|e| {
        PowerCutError::io(
            format!(
                "mounting the power-cut filesystem at {} (as root it mounts directly; \
                 otherwise it needs fusermount3 from Debian's fuse3 package)",
                mountpoint.display()
            ),
            e,
        )
    })
}

/// `umount -l`, or `fusermount3 -uz`: the mount disappears now, and the kernel ends it once
/// its last user is gone.
fn lazy_detach(mountpoint: &Path) -> Result<(), String> {
    let attempts: [(&str, &[&str]); 3] = [
        ("umount", &["-l"]),
        ("fusermount3", &["-u", "-z"]),
        ("fusermount", &["-u", "-z"]),
    ];
    let mut tried = Vec::new();
    for (program, args) in attempts {
        let status = Command::new(program)
            .args(args)
            .arg(mountpoint)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
        match status {
            Ok(s) if s.success() && !is_mounted(mountpoint) => return Ok(()),
            Ok(s) => tried.push(format!("{program}: {s}")),
            Err(e) => tried.push(format!("{program}: {e}")),
        }
    }
    Err(format!("lazy detach failed ({})", tried.join("; ")))
}

/// Why this machine cannot mount the filesystem, or `None` when it can (as far as can be told
/// without mounting).
#[must_use]
pub fn unavailable_reason() -> Option<String> {
    if !cfg!(target_os = "linux") {
        return Some("the power-cut filesystem needs Linux".to_owned());
    }
    let dev = Path::new("/dev/fuse");
    if !dev.exists() {
        return Some(
            "/dev/fuse does not exist (no FUSE in this kernel or container: load the `fuse` \
             module, or give the container `--device /dev/fuse --cap-add SYS_ADMIN`)"
                .to_owned(),
        );
    }
    if let Err(e) = OpenOptions::new().read(true).write(true).open(dev) {
        return Some(format!(
            "cannot open /dev/fuse: {e} (run the tests as root, or give the container the device)"
        ));
    }
    if !is_root() && !on_path("fusermount3") && !on_path("fusermount") {
        return Some(
            "not root and no fusermount3 on PATH: run the tests as root (mount(2) directly), or \
             install Debian's fuse3 package for the setuid helper"
                .to_owned(),
        );
    }
    None
}

/// Whether the power-cut tests should run: `false` (after saying so on stderr) when
/// `MOTCUA_SKIP_FUSE=1`; `true` when FUSE is usable.
///
/// # Panics
/// When FUSE is not usable and the tests were not told to skip: a test that cannot run must
/// not pass silently.
#[must_use]
pub fn fuse_tests_enabled(test: &str) -> bool {
    if std::env::var(SKIP_ENV).is_ok_and(|v| v == "1") {
        eprintln!("{test}: SKIPPED because {SKIP_ENV}=1 (the power-cut FUSE tests did not run)");
        return false;
    }
    if let Some(reason) = unavailable_reason() {
        panic!(
            "{test}: cannot mount the power-cut FUSE filesystem: {reason}. \
             Set {SKIP_ENV}=1 to skip the power-cut tests on a machine without FUSE."
        );
    }
    true
}

/// Whether `path` is a mount point of this process's mount namespace.
#[must_use]
pub fn is_mounted(path: &Path) -> bool {
    let Ok(table) = std::fs::read_to_string("/proc/self/mountinfo") else {
        return false;
    };
    let wanted = path.to_string_lossy();
    table
        .lines()
        .filter_map(|line| line.split(' ').nth(4))
        .any(|field| unescape_mountinfo(field) == wanted)
}

/// Undoes mountinfo's octal escapes (`\040` for a space, and so on).
fn unescape_mountinfo(field: &str) -> String {
    let bytes = field.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'\\'
            && i + 3 < bytes.len()
            && bytes[i + 1..i + 4]
                .iter()
                .all(|b| (b'0'..=b'7').contains(b))
        {
            let value =
                (bytes[i + 1] - b'0') * 64 + (bytes[i + 2] - b'0') * 8 + (bytes[i + 3] - b'0');
            out.push(value);
            i += 4;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn is_root() -> bool {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|status| {
            status
                .lines()
                .find(|l| l.starts_with("Uid:"))
                .and_then(|l| l.split_whitespace().nth(2).map(|euid| euid == "0"))
        })
        .unwrap_or(false)
}

fn on_path(program: &str) -> bool {
    std::env::var_os("PATH")
        .is_some_and(|paths| std::env::split_paths(&paths).any(|dir| dir.join(program).is_file()))
}

#[cfg(test)]
mod tests {
    #[test]
    fn mountinfo_escapes() {
        assert_eq!(super::unescape_mountinfo(r"/tmp/a\040b"), "/tmp/a b");
        assert_eq!(super::unescape_mountinfo(r"/tmp/x"), "/tmp/x");
        assert_eq!(super::unescape_mountinfo(r"/t\134x"), r"/t\x");
    }
}
