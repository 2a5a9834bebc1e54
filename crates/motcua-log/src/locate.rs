//! Finding the nats-server binary and checking its version.
//!
//! The lookup order is the project's contract, shared by the test kit and (later) the `motcua`
//! binary: the explicit path in `MOTCUA_NATS_SERVER`, then the project-local tools folder that
//! `tools/install-nats-server` fills, then `nats-server` on `PATH`.
//! The first candidate found is the one used; a version below [`MINIMUM_VERSION`] is refused
//! rather than skipped, so a stale binary is reported instead of silently shadowed.
//!
//! The `motcua` binary uses it to find the server it embeds; the test kit uses it to find the
//! servers it starts.
//! [`locate`] and [`find_in`] take their inputs explicitly ([`Lookup`]), so tests never need to
//! set environment variables (which would race with other tests in the same process).

use std::ffi::OsString;
use std::fmt;
use std::io;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

/// Environment variable holding an explicit path to the nats-server binary.
pub const ENV_VAR: &str = "MOTCUA_NATS_SERVER";

/// The version the project installs and tests (keep in step with `tools/install-nats-server`).
pub const PINNED_VERSION: ServerVersion = ServerVersion::new(2, 14, 6);

/// The oldest version accepted, the project's floor (design: SYSTEM.md §3 and §10); Debian's
/// 2.9.10 is below it.
pub const MINIMUM_VERSION: ServerVersion = ServerVersion::new(2, 12, 0);

/// The binary's file name, in the tools folder and on `PATH`.
const BINARY_NAME: &str = "nats-server";

/// A nats-server release number, as printed by `nats-server --version`.
///
/// Pre-release suffixes (`-RC.1`, `-dev`) are ignored: `v2.12.0-RC.1` reads as 2.12.0.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ServerVersion {
    /// Major number.
    pub major: u32,
    /// Minor number.
    pub minor: u32,
    /// Patch number.
    pub patch: u32,
}

impl ServerVersion {
    /// A version from its three numbers.
    #[must_use]
    pub const fn new(major: u32, minor: u32, patch: u32) -> Self {
        Self {
            major,
            minor,
            patch,
        }
    }

    /// Parses a bare version as servers announce it in INFO: `2.14.6`, `v2.12.0-RC.1`.
    #[must_use]
    pub fn parse(text: &str) -> Option<Self> {
        Self::parse_version_output(&format!("nats-server: {}", text.trim()))
    }

    /// Parses the output of `nats-server --version`, e.g. `nats-server: v2.14.6`.
    ///
    /// Returns `None` for anything else.
    #[must_use]
    pub fn parse_version_output(output: &str) -> Option<Self> {
        let line = output.lines().map(str::trim).find(|l| !l.is_empty())?;
        let rest = line.strip_prefix("nats-server:")?.trim_start();
        let rest = rest.strip_prefix('v').unwrap_or(rest);
        let numbers = rest.split(['-', '+', ' ']).next()?;
        let mut parts = numbers.split('.');
        let major = parts.next()?.parse().ok()?;
        let minor = parts.next()?.parse().ok()?;
        let patch = parts.next()?.parse().ok()?;
        if parts.next().is_some() {
            return None;
        }
        Some(Self::new(major, minor, patch))
    }
}

impl fmt::Display for ServerVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}.{}", self.major, self.minor, self.patch)
    }
}

/// Why no usable nats-server was found.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum LocateError {
    /// An explicitly named binary (`MOTCUA_NATS_SERVER`, or a path given in code) is not an
    /// executable file.
    #[error(
        "{origin} is {}, which is not an executable file; point it at nats-server \
         {PINNED_VERSION} (run tools/install-nats-server to install it into .tools/)",
        path.display()
    )]
    ExplicitNotExecutable {
        /// Who named it, e.g. `MOTCUA_NATS_SERVER`.
        origin: &'static str,
        /// The path named.
        path: PathBuf,
    },
    /// Neither the tools folder nor `PATH` has a nats-server.
    #[error(
        "nats-server not found (looked at {ENV_VAR}, {}, then PATH); run \
         tools/install-nats-server to install nats-server {PINNED_VERSION} into .tools/",
        tools_binary.display()
    )]
    NotFound {
        /// Where the tools folder binary was expected.
        tools_binary: PathBuf,
    },
    /// The binary found is older than [`MINIMUM_VERSION`].
    #[error(
        "nats-server at {} is v{found}, below the floor {MINIMUM_VERSION} (Debian's 2.9.10, for \
         one, has no `sync_interval: always`, so no fsync before ack, and a clustered \
         expected-sequence race); run tools/install-nats-server to install {PINNED_VERSION} \
         into .tools/, or point {ENV_VAR} at a newer binary",
        path.display()
    )]
    TooOld {
        /// The binary that was found.
        path: PathBuf,
        /// The version it reported.
        found: ServerVersion,
    },
    /// Running `<path> --version` failed.
    #[error("could not run `{} --version`: {source}", path.display())]
    Run {
        /// The binary.
        path: PathBuf,
        /// Why it could not run.
        #[source]
        source: io::Error,
    },
    /// `<path> --version` printed something that is not `nats-server: vX.Y.Z`.
    #[error(
        "`{} --version` printed {output:?}, not `nats-server: vX.Y.Z`; is it nats-server?",
        path.display()
    )]
    UnreadableVersion {
        /// The binary.
        path: PathBuf,
        /// What it printed (stdout, then stderr).
        output: String,
    },
}

/// The inputs of the lookup, made explicit so the order can be tested without the environment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Lookup {
    /// The value of `MOTCUA_NATS_SERVER`, if set and not empty.
    pub explicit: Option<PathBuf>,
    /// Where `tools/install-nats-server` puts the pinned binary.
    pub tools_binary: PathBuf,
    /// The value of `PATH`, if set.
    pub path_var: Option<OsString>,
}

impl Lookup {
    /// The lookup as this process sees it: `MOTCUA_NATS_SERVER`, this checkout's tools folder
    /// and `PATH`.
    #[must_use]
    pub fn from_env() -> Self {
        Self {
            explicit: std::env::var_os(ENV_VAR)
                .filter(|v| !v.is_empty())
                .map(PathBuf::from),
            tools_binary: tools_binary(),
            path_var: std::env::var_os("PATH"),
        }
    }
}

/// The repository root, known at compile time (this crate lives in `<root>/crates/<name>`).
#[must_use]
pub fn repo_root() -> PathBuf {
    let manifest_dir = Path::new(env!("CARGO_MANIFEST_DIR"));
    manifest_dir
        .ancestors()
        .nth(2)
        .expect("the crate sits two levels below the repository root")
        .to_path_buf()
}

/// Where `tools/install-nats-server` installs the pinned binary:
/// `<repo root>/.tools/nats-server-<pinned>/nats-server`.
#[must_use]
pub fn tools_binary() -> PathBuf {
    repo_root()
        .join(".tools")
        .join(format!("{BINARY_NAME}-{PINNED_VERSION}"))
        .join(BINARY_NAME)
}

/// The first candidate in lookup order, without checking its version.
///
/// An explicit path that is not an executable file is an error (it is never skipped: the
/// caller asked for that binary).
///
/// # Errors
/// [`LocateError::ExplicitNotExecutable`] or [`LocateError::NotFound`].
pub fn locate(lookup: &Lookup) -> Result<PathBuf, LocateError> {
    if let Some(path) = &lookup.explicit {
        return check_explicit(path, ENV_VAR).map(|()| path.clone());
    }
    if is_executable_file(&lookup.tools_binary) {
        return Ok(lookup.tools_binary.clone());
    }
    lookup
        .path_var
        .as_deref()
        .into_iter()
        .flat_map(std::env::split_paths)
        .filter(|dir| !dir.as_os_str().is_empty())
        .map(|dir| dir.join(BINARY_NAME))
        .find(|candidate| is_executable_file(candidate))
        .ok_or_else(|| LocateError::NotFound {
            tools_binary: lookup.tools_binary.clone(),
        })
}

/// Refuses an explicitly named binary (`origin` says who named it) that is not an executable
/// file; an explicit choice is never silently replaced by another candidate.
///
/// # Errors
/// [`LocateError::ExplicitNotExecutable`].
pub fn check_explicit(path: &Path, origin: &'static str) -> Result<(), LocateError> {
    if is_executable_file(path) {
        Ok(())
    } else {
        Err(LocateError::ExplicitNotExecutable {
            origin,
            path: path.to_path_buf(),
        })
    }
}

/// The first candidate in lookup order, refused when older than [`MINIMUM_VERSION`].
///
/// # Errors
/// Any [`LocateError`].
pub fn find_in(lookup: &Lookup) -> Result<PathBuf, LocateError> {
    let path = locate(lookup)?;
    let found = server_version(&path)?;
    check_floor(&path, found)?;
    Ok(path)
}

/// Refuses a version below [`MINIMUM_VERSION`].
///
/// # Errors
/// [`LocateError::TooOld`].
pub fn check_floor(path: &Path, found: ServerVersion) -> Result<(), LocateError> {
    if found < MINIMUM_VERSION {
        return Err(LocateError::TooOld {
            path: path.to_path_buf(),
            found,
        });
    }
    Ok(())
}

/// Runs `<path> --version` and parses its answer.
///
/// # Errors
/// [`LocateError::Run`] when it cannot run, [`LocateError::UnreadableVersion`] when the output is
/// not a nats-server version line.
pub fn server_version(path: &Path) -> Result<ServerVersion, LocateError> {
    let output = run_version(path).map_err(|source| LocateError::Run {
        path: path.to_path_buf(),
        source,
    })?;
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    ServerVersion::parse_version_output(&stdout)
        .or_else(|| ServerVersion::parse_version_output(&stderr))
        .ok_or_else(|| LocateError::UnreadableVersion {
            path: path.to_path_buf(),
            output: format!("{stdout}{stderr}").trim().to_owned(),
        })
}

fn run_version(path: &Path) -> io::Result<std::process::Output> {
    // A binary written moments ago can fail with ETXTBSY when another thread of this process
    // forked while the file was still open for writing; that clears up within milliseconds.
    let mut attempts = 0;
    loop {
        match Command::new(path).arg("--version").output() {
            Err(e) if e.kind() == io::ErrorKind::ExecutableFileBusy && attempts < 20 => {
                attempts += 1;
                std::thread::sleep(Duration::from_millis(25));
            }
            other => return other,
        }
    }
}

fn is_executable_file(path: &Path) -> bool {
    let Ok(meta) = std::fs::metadata(path) else {
        return false;
    };
    if !meta.is_file() {
        return false;
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        meta.permissions().mode() & 0o111 != 0
    }
    #[cfg(not(unix))]
    {
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_version_lines() {
        let cases = [
            ("nats-server: v2.14.6\n", Some(ServerVersion::new(2, 14, 6))),
            ("nats-server: v2.9.10", Some(ServerVersion::new(2, 9, 10))),
            (
                "nats-server: v2.12.0-RC.1",
                Some(ServerVersion::new(2, 12, 0)),
            ),
            ("nats-server: 2.11.3", Some(ServerVersion::new(2, 11, 3))),
            (
                "\n  nats-server: v2.10.0-dev\n",
                Some(ServerVersion::new(2, 10, 0)),
            ),
            ("nats-server: v2.14", None),
            ("nats-server: v2.14.6.1", None),
            ("gnatsd: v1.4.1", None),
            ("", None),
        ];
        for (input, expected) in cases {
            assert_eq!(
                ServerVersion::parse_version_output(input),
                expected,
                "{input:?}"
            );
        }
    }

    #[test]
    fn versions_order_numerically() {
        assert!(ServerVersion::new(2, 9, 10) < MINIMUM_VERSION);
        assert!(ServerVersion::new(2, 11, 99) < MINIMUM_VERSION);
        assert!(ServerVersion::new(2, 12, 0) >= MINIMUM_VERSION);
        assert!(PINNED_VERSION >= MINIMUM_VERSION);
        assert_eq!(PINNED_VERSION.to_string(), "2.14.6");
    }

    #[test]
    fn floor_refuses_debian_package_version() {
        let err = check_floor(
            Path::new("/usr/sbin/nats-server"),
            ServerVersion::new(2, 9, 10),
        )
        .unwrap_err();
        let message = err.to_string();
        assert!(message.contains("v2.9.10"), "{message}");
        assert!(message.contains("tools/install-nats-server"), "{message}");
        assert!(check_floor(Path::new("x"), ServerVersion::new(2, 12, 0)).is_ok());
    }

    #[test]
    fn tools_binary_is_under_repo_root() {
        let path = tools_binary();
        assert!(
            path.ends_with(".tools/nats-server-2.14.6/nats-server"),
            "{path:?}"
        );
        assert!(repo_root().join("Cargo.toml").is_file());
    }
}
