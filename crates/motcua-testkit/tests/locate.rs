//! The binary lookup: order, refusals and their messages.
//!
//! Every case passes its inputs explicitly (`Lookup`), so no test sets an environment variable
//! (that would race with the other tests of this process).

use std::fs;
use std::path::{Path, PathBuf};

use motcua_testkit::locate::{self, LocateError, Lookup};
use motcua_testkit::{MINIMUM_VERSION, NatsServer, PINNED_VERSION, ServerVersion, TestkitError};
use tempfile::TempDir;

/// Writes an executable `nats-server` stand-in into `dir` that prints `version_line`.
fn fake_server(dir: &Path, version_line: &str) -> PathBuf {
    let path = dir.join("nats-server");
    fs::write(&path, format!("#!/bin/sh\necho '{version_line}'\n")).expect("temp dir is writable");
    make_executable(&path);
    path
}

fn make_executable(path: &Path) {
    use std::os::unix::fs::PermissionsExt;
    fs::set_permissions(path, fs::Permissions::from_mode(0o755)).expect("own file");
}

fn lookup(explicit: Option<&Path>, tools_binary: &Path, path_dirs: &[&Path]) -> Lookup {
    Lookup {
        explicit: explicit.map(Path::to_path_buf),
        tools_binary: tools_binary.to_path_buf(),
        path_var: Some(std::env::join_paths(path_dirs).expect("temp paths hold no ':'")),
    }
}

#[test]
fn missing_explicit_binary_is_refused_with_the_install_command() {
    let nowhere = TempDir::new().unwrap();
    let on_path = TempDir::new().unwrap();
    fake_server(on_path.path(), "nats-server: v2.14.6");
    let l = lookup(
        Some(Path::new("/nonexistent")),
        &nowhere.path().join("nats-server"),
        &[on_path.path()],
    );

    let err = locate::find_in(&l).unwrap_err();

    assert!(
        matches!(&err, LocateError::ExplicitNotExecutable { path, .. } if path == Path::new("/nonexistent")),
        "{err:?}"
    );
    let message = err.to_string();
    assert!(message.contains("MOTCUA_NATS_SERVER"), "{message}");
    assert!(message.contains("/nonexistent"), "{message}");
    assert!(message.contains("tools/install-nats-server"), "{message}");
}

#[test]
fn nothing_found_says_to_run_the_install_script() {
    let empty = TempDir::new().unwrap();
    let l = lookup(None, &empty.path().join("nats-server"), &[empty.path()]);

    let err = locate::find_in(&l).unwrap_err();

    assert!(matches!(err, LocateError::NotFound { .. }), "{err:?}");
    let message = err.to_string();
    assert!(message.contains("tools/install-nats-server"), "{message}");
    assert!(message.contains("2.14.6"), "{message}");
}

#[test]
fn lookup_order_is_explicit_then_tools_folder_then_path() {
    let explicit_dir = TempDir::new().unwrap();
    let tools_dir = TempDir::new().unwrap();
    let path_dir = TempDir::new().unwrap();
    let explicit = fake_server(explicit_dir.path(), "nats-server: v2.14.6");
    let tools = fake_server(tools_dir.path(), "nats-server: v2.14.6");
    let on_path = fake_server(path_dir.path(), "nats-server: v2.14.6");

    let all = lookup(Some(&explicit), &tools, &[path_dir.path()]);
    assert_eq!(locate::locate(&all).unwrap(), explicit);

    let no_explicit = lookup(None, &tools, &[path_dir.path()]);
    assert_eq!(locate::locate(&no_explicit).unwrap(), tools);

    let missing_tools = tools_dir.path().join("absent");
    let only_path = lookup(None, &missing_tools, &[path_dir.path()]);
    assert_eq!(locate::locate(&only_path).unwrap(), on_path);
}

#[test]
fn path_search_skips_non_executable_files_and_keeps_path_order() {
    let not_executable = TempDir::new().unwrap();
    fs::write(not_executable.path().join("nats-server"), "not a program").unwrap();
    let first = TempDir::new().unwrap();
    let second = TempDir::new().unwrap();
    let expected = fake_server(first.path(), "nats-server: v2.14.6");
    fake_server(second.path(), "nats-server: v2.12.0");
    let l = lookup(
        None,
        Path::new("/nonexistent/tools/nats-server"),
        &[not_executable.path(), first.path(), second.path()],
    );

    assert_eq!(locate::locate(&l).unwrap(), expected);
}

#[test]
fn a_version_below_the_floor_is_refused_not_skipped() {
    // Debian's package on PATH, nothing in the tools folder: refuse, even though a newer
    // binary sits further down PATH.
    let debian = TempDir::new().unwrap();
    let newer = TempDir::new().unwrap();
    let old = fake_server(debian.path(), "nats-server: v2.9.10");
    fake_server(newer.path(), "nats-server: v2.14.6");
    let l = lookup(
        None,
        Path::new("/nonexistent/tools/nats-server"),
        &[debian.path(), newer.path()],
    );

    let err = locate::find_in(&l).unwrap_err();

    match &err {
        LocateError::TooOld { path, found } => {
            assert_eq!(path, &old);
            assert_eq!(*found, ServerVersion::new(2, 9, 10));
        }
        other => panic!("expected TooOld, got {other:?}"),
    }
    let message = err.to_string();
    assert!(message.contains("v2.9.10"), "{message}");
    assert!(message.contains("2.12.0"), "{message}");
    assert!(message.contains("tools/install-nats-server"), "{message}");
}

#[test]
fn the_floor_version_itself_is_accepted() {
    let dir = TempDir::new().unwrap();
    let floor = fake_server(dir.path(), &format!("nats-server: v{MINIMUM_VERSION}"));
    let l = lookup(Some(&floor), Path::new("/nonexistent"), &[]);
    assert_eq!(locate::find_in(&l).unwrap(), floor);
}

#[test]
fn something_that_is_not_nats_server_is_refused() {
    let dir = TempDir::new().unwrap();
    let impostor = fake_server(dir.path(), "gnatsd version 1.4.1");
    let l = lookup(Some(&impostor), Path::new("/nonexistent"), &[]);

    let err = locate::find_in(&l).unwrap_err();

    assert!(
        matches!(&err, LocateError::UnreadableVersion { output, .. } if output.contains("gnatsd")),
        "{err:?}"
    );
}

#[test]
fn the_system_debian_server_is_refused_when_present() {
    let system = Path::new("/usr/sbin/nats-server");
    let Ok(version) = locate::server_version(system) else {
        // Not every machine has Debian's package; the fake-binary tests above cover the rule.
        return;
    };
    if version >= MINIMUM_VERSION {
        return;
    }
    let l = lookup(Some(system), Path::new("/nonexistent"), &[]);
    assert!(matches!(
        locate::find_in(&l),
        Err(LocateError::TooOld { .. })
    ));
}

#[tokio::test]
async fn builder_with_a_missing_binary_fails_before_starting_anything() {
    let err = NatsServer::builder()
        .binary("/nonexistent/nats-server")
        .start()
        .await
        .unwrap_err();

    assert!(
        matches!(
            err,
            TestkitError::Locate(LocateError::ExplicitNotExecutable { .. })
        ),
        "{err:?}"
    );
    assert!(
        err.to_string().contains("tools/install-nats-server"),
        "{err}"
    );
}

/// The one test that sets `MOTCUA_NATS_SERVER`: it does so only for a child process (this same
/// test binary, running just this test), so no other test sees the variable.
#[test]
fn find_nats_server_reads_the_env_var() {
    const CHILD_MARKER: &str = "MOTCUA_TESTKIT_ENV_CHILD";
    if std::env::var_os(CHILD_MARKER).is_some() {
        let err = motcua_testkit::find_nats_server().unwrap_err();
        assert!(
            matches!(
                &err,
                TestkitError::Locate(LocateError::ExplicitNotExecutable { path, .. })
                    if path == Path::new("/nonexistent")
            ),
            "{err:?}"
        );
        return;
    }
    let output = std::process::Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "find_nats_server_reads_the_env_var",
            "--test-threads=1",
        ])
        .env(CHILD_MARKER, "1")
        .env("MOTCUA_NATS_SERVER", "/nonexistent")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stdout}\n{stderr}");
    assert!(stdout.contains("1 passed"), "{stdout}");
}

#[test]
fn this_checkout_finds_the_pinned_server() {
    // Needs `tools/install-nats-server` to have run (or MOTCUA_NATS_SERVER set); the error says so.
    let path = motcua_testkit::find_nats_server().unwrap();
    let version = motcua_testkit::server_version(&path).unwrap();
    assert!(version >= MINIMUM_VERSION, "{path:?} is {version}");
}

#[test]
fn the_pinned_version_matches_the_install_script() {
    let script = locate::repo_root().join("tools/install-nats-server");
    let text = fs::read_to_string(&script).unwrap();
    let pinned = text
        .lines()
        .find_map(|l| l.strip_prefix("NATS_SERVER_VERSION="))
        .map(|v| v.trim_matches('"'))
        .unwrap();
    assert_eq!(pinned, PINNED_VERSION.to_string());
    assert_eq!(
        locate::tools_binary(),
        locate::repo_root()
            .join(".tools")
            .join(format!("nats-server-{PINNED_VERSION}"))
            .join("nats-server")
    );
}
