//! What `#[uactor::actor]`, `#[uactor::remote]` and `#[uactor::interface]`
//! accept and what they refuse, with the errors the user sees (tokio's
//! `tests-build`, tarpc's hygiene test).
//!
//! Regenerate the `.stderr` files after a deliberate change of a message
//! with `TRYBUILD=overwrite cargo test -p tests --test ui`, then review them.

use std::os::unix::fs::FileTypeExt;
use std::path::{Path, PathBuf};
use std::process::Command;

/// Set in the copy of this test that runs behind a private `/dev/null`.
const INNER: &str = "UACTOR_UI_PRIVATE_NULL";

#[test]
fn ui() {
    if !null_is_a_device() && std::env::var_os(INNER).is_none() {
        // Shown only if the test fails (the harness keeps a passing test's
        // output).
        eprintln!("{}", null_device_note());
        if let Some(passed) = run_behind_a_private_null() {
            assert!(
                passed,
                "the ui cases failed (run behind a private /dev/null, above)"
            );
            return;
        }
        eprintln!("note: this machine cannot give the test a private /dev/null; running as is");
    }
    let t = trybuild::TestCases::new();
    t.pass("ui/pass/*.rs");
    t.compile_fail("ui/fail/*.rs");
}

fn null_is_a_device() -> bool {
    std::fs::metadata("/dev/null").is_ok_and(|metadata| metadata.file_type().is_char_device())
}

/// Why this test may run itself again.
///
/// trybuild runs cargo, and cargo, in a target directory it has not used
/// before, asks rustc about the target by compiling standard input
/// (`rustc - --print=cfg …`), which `std::process::Command::output` takes
/// from `/dev/null`. Where `/dev/null` is a regular file that something wrote
/// text into, rustc fails to parse that text, cargo stops before compiling
/// any case, and trybuild, seeing no error for a case, reports every
/// `ui/fail` case as "expected to fail, but it succeeded". Cargo keeps
/// rustc's answers in `target/tests/trybuild/.rustc_info.json`, the failed
/// one too.
fn null_device_note() -> String {
    let size = std::fs::metadata("/dev/null").map_or(0, |metadata| metadata.len());
    format!(
        "note: /dev/null on this machine is not the null device but a file of {size} bytes, \
         which rustc would read as the source of cargo's first question about the target; \
         this test runs itself again in a private mount namespace where /dev/null is the \
         null device (or, where no device can be made, an empty file)"
    )
}

/// Runs this test again in a private mount namespace (`unshare --mount`)
/// where `/dev/null` is a null device this test made (`mknod`), or an empty
/// file where devices cannot be made. Nothing outside this process tree
/// sees the change. `None` when the machine does not allow it (not root,
/// no `unshare`).
fn run_behind_a_private_null() -> Option<bool> {
    let dir = std::env::temp_dir().join(format!("uactor-ui-null-{}", std::process::id()));
    std::fs::create_dir_all(&dir).ok()?;
    let device = dir.join("null");
    let _ = Command::new("mknod")
        .args(["-m", "666"])
        .arg(&device)
        .args(["c", "1", "3"])
        .output();
    let empty = dir.join("empty");
    std::fs::write(&empty, b"").ok()?;
    // A target directory that remembers rustc's failed answer keeps
    // failing: cargo asks again when the file is gone.
    let _ = std::fs::remove_file(trybuild_target().join(".rustc_info.json"));
    let exe = std::env::current_exe().ok()?;
    let status = Command::new("unshare")
        .args(["--mount", "--propagation", "private", "sh", "-c"])
        // The device, unless it cannot be opened (a temporary directory
        // mounted `nodev`, or no device made); else the empty file.
        .arg(
            r#"device=$0 empty=$1; shift
            { mount --bind "$device" /dev/null && ( : </dev/null >/dev/null ) 2>&-; } ||
            { umount /dev/null 2>&-; mount --bind "$empty" /dev/null; } || exit 99
            exec "$@""#,
        )
        .arg(&device)
        .arg(&empty)
        .arg(exe)
        .args(["ui", "--exact", "--nocapture"])
        .env(INNER, "1")
        .status();
    let _ = std::fs::remove_dir_all(&dir);
    // The test harness exits 0 or 101; anything else is `unshare`, `mount`
    // or `sh` refusing before the test ran (they said why on stderr).
    match status.ok()?.code() {
        Some(0) => Some(true),
        Some(101) => Some(false),
        _ => None,
    }
}

/// Where trybuild builds the cases.
fn trybuild_target() -> PathBuf {
    let target = std::env::var_os("CARGO_TARGET_DIR").map_or_else(
        || Path::new(env!("CARGO_MANIFEST_DIR")).join("../target"),
        PathBuf::from,
    );
    target.join("tests/trybuild")
}
