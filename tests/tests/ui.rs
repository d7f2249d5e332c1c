//! What `#[uactor::actor]`, `#[uactor::remote]` and `#[uactor::interface]`
//! accept and what they refuse, with the errors the user sees (tokio's
//! `tests-build`, tarpc's hygiene test).
//!
//! Regenerate the `.stderr` files after a deliberate change of a message
//! with `TRYBUILD=overwrite cargo test -p tests --test ui`, then review them.

#[test]
fn ui() {
    let t = trybuild::TestCases::new();
    t.pass("ui/pass/*.rs");
    t.compile_fail("ui/fail/*.rs");
}
