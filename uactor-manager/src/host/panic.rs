//! How a panic in the actor becomes its caller's error: the message and
//! where it happened, as [`Error::Remote`]; the actor goes on serving. And
//! whether the actor's process prints it too ([`Panics`]).

use std::any::Any;
use std::cell::RefCell;
use std::panic::{self, AssertUnwindSafe};
use std::sync::Once;
use std::sync::atomic::{AtomicBool, Ordering};

use serde::{Deserialize, Serialize};
use uactor_core::{Error, Result};

/// Whether the process that hosts an actor prints the panics of the
/// actor's code (its methods, its constructor, the tasks it starts), set
/// with `Options::panics`.
///
/// The caller learns of a panic either way: its call fails with
/// `Error::Remote` carrying the panic's message and where it happened
/// (`Error::Spawn` for the constructor's), and the actor goes on serving.
/// Printing is for whoever reads the actor's standard error, which is its
/// parent's: the terminal of the program that spawned it.
///
/// ```
/// # // This crate's doc test, with the paths users write:
/// # mod uactor { pub use uactor_manager::Options; pub mod options { pub use uactor_manager::Panics; } }
/// use uactor::options::Panics;
/// // Tests that make an actor panic on purpose keep their output clean:
/// let options = uactor::Options::new().panics(Panics::Quiet);
/// # let _ = options;
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[non_exhaustive]
pub enum Panics {
    /// Printed on the actor's standard error by the panic hook in place
    /// (Rust's: `thread '…' panicked at …`, or the program's own), as any
    /// Rust program does: the default.
    #[default]
    Print,
    /// Not printed: the caller's error is the only report. The setting
    /// holds for the whole process that hosts the actor: a spawned actor's,
    /// or the one that runs `Server::run`.
    Quiet,
}

/// Whether the hook passes panics on to the hook it replaced.
static PRINT: AtomicBool = AtomicBool::new(true);

thread_local! {
    /// The message and location of the last panic on this thread, recorded
    /// by the hook so the caller learns where its call went wrong.
    static LAST_PANIC: RefCell<Option<String>> = const { RefCell::new(None) };
}

/// Records each panic's message and location for [`message`], then lets
/// the previous hook print it as usual (on the actor's stderr), unless
/// `panics` is [`Panics::Quiet`]. The hook is installed once per process;
/// a later call only changes whether it prints.
pub(crate) fn record_panics(panics: Panics) {
    static INSTALLED: Once = Once::new();
    PRINT.store(panics == Panics::Print, Ordering::Relaxed);
    INSTALLED.call_once(install);
}

fn install() {
    let previous = panic::take_hook();
    panic::set_hook(Box::new(move |info| {
        let payload = info.payload();
        let message = payload
            .downcast_ref::<&str>()
            .copied()
            .or_else(|| payload.downcast_ref::<String>().map(String::as_str))
            .unwrap_or("a panic without a message");
        let recorded = match info.location() {
            Some(at) => format!("{message} (at {}:{})", at.file(), at.line()),
            None => message.to_owned(),
        };
        LAST_PANIC.with(|last| *last.borrow_mut() = Some(recorded));
        if PRINT.load(Ordering::Relaxed) {
            previous(info);
        }
    }));
}

/// The message of a caught panic.
pub(crate) fn message(payload: &(dyn Any + Send)) -> String {
    LAST_PANIC
        .with(|last| last.borrow_mut().take())
        .unwrap_or_else(|| {
            payload
                .downcast_ref::<&str>()
                .map(|text| (*text).to_owned())
                .or_else(|| payload.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "a panic without a message".to_owned())
        })
}

/// Runs `f`, turning a panic into [`Error::Remote`].
pub(crate) fn catch<T>(f: impl FnOnce() -> Result<T>) -> Result<T> {
    panic::catch_unwind(AssertUnwindSafe(f)).unwrap_or_else(|panic| {
        Err(Error::Remote {
            message: message(&*panic),
        })
    })
}
