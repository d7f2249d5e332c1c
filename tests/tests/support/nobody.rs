//! Running the `stranger` binary as another user (`nobody`), for the
//! tests that a local socket and shared memory are private to their user
//! (tests/hostile.rs, tests/shm.rs).

use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::Command;

/// Runs the `stranger` binary as user `nobody` against `socket`; `None`
/// (with the reason printed) when this machine cannot.
pub(crate) fn as_nobody(socket: &Path) -> Option<String> {
    if rustix::process::geteuid().as_raw() != 0 {
        println!(
            "skipped: running as another user needs root; this test runs as uid {}",
            rustix::process::geteuid().as_raw()
        );
        return None;
    }
    if Command::new("setpriv").arg("--version").output().is_err() {
        println!("skipped: setpriv (util-linux) is not installed");
        return None;
    }
    // A copy that `nobody` can execute, whatever the build directory's mode.
    let dir = std::env::temp_dir().join(format!("uactor-stranger-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("a directory for the stranger");
    std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o755)).expect("chmod");
    let program = dir.join("stranger");
    std::fs::copy(env!("CARGO_BIN_EXE_stranger"), &program).expect("copy the stranger");
    std::fs::set_permissions(&program, std::fs::Permissions::from_mode(0o755)).expect("chmod");
    let output = Command::new("setpriv")
        .args(["--reuid=65534", "--regid=65534", "--clear-groups"])
        .arg(&program)
        .arg(socket)
        .output();
    let _ = std::fs::remove_dir_all(&dir);
    match output {
        Ok(output) if output.status.success() => {
            Some(String::from_utf8_lossy(&output.stdout).trim().to_owned())
        }
        Ok(output) => {
            println!(
                "skipped: the stranger could not run as nobody ({}): {}",
                output.status,
                String::from_utf8_lossy(&output.stderr).trim()
            );
            None
        }
        Err(error) => {
            println!("skipped: setpriv failed to start: {error}");
            None
        }
    }
}
