//! What `#[uactor::actor]`, `#[uactor::remote]` and `#[uactor::interface]`
//! accept and what they refuse, with the errors the user sees (tokio's
//! `tests-build`, tarpc's hygiene test).
//!
//! Regenerate the `.stderr` files after a deliberate change of a message
//! with `TRYBUILD=overwrite cargo test -p tests --test ui`, then review them.

use std::os::unix::fs::FileTypeExt;

#[test]
fn ui() {
    // Shown only if the test fails (the harness keeps a passing test's
    // output): the one cause of a failure that is not in this repository.
    if let Some(note) = null_device_note() {
        eprintln!("{note}");
    }
    let t = trybuild::TestCases::new();
    t.pass("ui/pass/*.rs");
    t.compile_fail("ui/fail/*.rs");
}

/// What to say when `/dev/null` is not the null device.
///
/// trybuild runs cargo with its standard input from `/dev/null`, and cargo,
/// in a target directory it has not used before, asks rustc about the
/// target by compiling standard input (`rustc - --print=cfg …`). Where
/// `/dev/null` is a regular file that something wrote text into, rustc
/// fails to parse that text, cargo stops before compiling any case, and
/// trybuild, seeing no error for a case, reports every `ui/fail` case as
/// "expected to fail, but it succeeded". Cargo keeps rustc's answers in
/// `target/tests/trybuild/.rustc_info.json`, the failed one too: a target
/// directory that holds a good answer hides the problem, one that holds the
/// failure keeps failing until that file is removed.
fn null_device_note() -> Option<String> {
    let metadata = std::fs::metadata("/dev/null").ok()?;
    (!metadata.file_type().is_char_device()).then(|| {
        format!(
            "note: /dev/null on this machine is not the null device but a file of {} bytes; \
             cargo, run by trybuild with its standard input from /dev/null, compiles that \
             file's text when it first asks rustc about the target, fails, and every \
             `ui/fail` case then looks as if it compiled; cargo also remembers that failure \
             in target/tests/trybuild/.rustc_info.json. Run this test where /dev/null is \
             the null device (`ls -l /dev/null` shows `c`), after removing that file.",
            metadata.len()
        )
    })
}
