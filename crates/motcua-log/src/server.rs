//! The nats-server version floor.
//!
//! motcua needs nats-server ≥ 2.12: `sync_interval: always` (an ack means the event is on disk),
//! the clustered expected-sequence check without the race of the 2.9 line, direct gets by
//! subject, and message counters. Debian's 2.9.10 is below the floor.

use std::fmt;

/// The lowest server version motcua accepts.
pub const FLOOR: ServerVersion = ServerVersion {
    major: 2,
    minor: 12,
    patch: 0,
};

/// The version the project pins and tests (installed by `tools/install-nats-server`).
pub const PINNED: &str = "2.14.6";

/// A server's `major.minor.patch`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct ServerVersion {
    /// Major.
    pub major: u32,
    /// Minor.
    pub minor: u32,
    /// Patch.
    pub patch: u32,
}

impl ServerVersion {
    /// Parses `2.14.6`, `v2.14.6` or `2.12.0-beta.1` (the pre-release part is ignored).
    pub fn parse(text: &str) -> Option<ServerVersion> {
        let core = text.trim().trim_start_matches('v');
        let core = core.split(['-', '+']).next()?;
        let mut parts = core.split('.').map(|p| p.parse::<u32>().ok());
        let major = parts.next()??;
        let minor = parts.next()??;
        let patch = parts.next().flatten().unwrap_or(0);
        Some(ServerVersion {
            major,
            minor,
            patch,
        })
    }
}

impl fmt::Display for ServerVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}.{}", self.major, self.minor, self.patch)
    }
}

/// The refusal for a server below the floor, in one line.
pub fn below_floor_message(found: &str) -> String {
    format!(
        "nats-server {found} is below motcua's floor {FLOOR}: it cannot fsync before acknowledging (sync_interval: always) and its clustered expected-sequence check races; install the pinned {PINNED} with tools/install-nats-server and point --nats-url or NATS_URL at it"
    )
}

/// Accepts a server version string at or above the floor.
pub fn check_version(found: &str) -> Result<ServerVersion, String> {
    match ServerVersion::parse(found) {
        Some(v) if v >= FLOOR => Ok(v),
        _ => Err(below_floor_message(found)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn floor() {
        assert!(check_version("2.14.6").is_ok());
        assert!(check_version("2.12.0").is_ok());
        assert!(check_version("v3.0.0").is_ok());
        assert!(check_version("2.12.1-RC.2").is_ok());
        for old in ["2.9.10", "2.11.9", "1.4.1", "", "garbage"] {
            let err = check_version(old).unwrap_err();
            assert!(err.contains("below motcua's floor 2.12.0"), "{err}");
            assert!(err.contains("tools/install-nats-server"), "{err}");
        }
    }
}
