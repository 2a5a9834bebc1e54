//! The nats-server version floor.
//!
//! motcua needs nats-server ≥ 2.12: `sync_interval: always` (an ack means the event is on disk),
//! the clustered expected-sequence check without the race of the 2.9 line, direct gets by
//! subject, and message counters. Debian's 2.9.10 is below the floor.

pub use crate::locate::{MINIMUM_VERSION as FLOOR, PINNED_VERSION, ServerVersion};

/// The refusal for a server below the floor, in one line.
pub fn below_floor_message(found: &str) -> String {
    format!(
        "nats-server {found} is below motcua's floor {FLOOR}: it cannot fsync before acknowledging (sync_interval: always) and its clustered expected-sequence check races; install the pinned {PINNED_VERSION} with tools/install-nats-server and point --nats-url or NATS_URL at it"
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
