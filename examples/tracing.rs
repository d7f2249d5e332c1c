//! One call crossing two processes, as one trace: the caller's `call` span
//! and the actor's `serve` span share a `trace_id`, and the `serve` span's
//! `parent_id` is the `call` span's `span_id`.
//!
//! Run with `cargo run --example tracing --features tracing` (the filter is
//! `RUST_LOG`, `info` by default; spawned actors inherit the variable, so
//! the filter is the same in every process).
//!
//! Each process installs the same fmt subscriber: `main` for itself, and
//! `uactor::on_actor_start!` for every actor process (which is this binary
//! started again and never runs `main`).

use std::io::IsTerminal;

use tracing::info;
use tracing_subscriber::EnvFilter;
use tracing_subscriber::fmt::format::FmtSpan;

#[derive(Default)]
pub struct Greeter;

#[uactor::actor]
impl Greeter {
    pub fn hello(&self, name: String) -> String {
        info!(pid = std::process::id(), "greeting {name}");
        format!("Hello, {name}, from process {}!", std::process::id())
    }
}

/// The subscriber of every process: the fmt layer, which prints a line per
/// event and one when each span closes (with its busy and idle times).
fn install_subscriber() {
    tracing_subscriber::fmt()
        .with_env_filter(
            EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info")),
        )
        .with_span_events(FmtSpan::CLOSE)
        .with_ansi(std::io::stdout().is_terminal())
        .init();
}

uactor::on_actor_start!(install_subscriber);

fn main() -> uactor::Result<()> {
    uactor::init();
    install_subscriber();
    let greeter = Greeter::spawn()?;
    info!(pid = std::process::id(), actor = greeter.pid(), "spawned");
    let greeting = greeter.hello("world".to_owned())?;
    info!(pid = std::process::id(), "{greeting}");
    greeter.shutdown()
}
