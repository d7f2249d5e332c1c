//! How a panic in the actor becomes its caller's error: the message and
//! where it happened, as [`Error::Remote`]; the actor goes on serving. And
//! whether the actor's process prints it too (`Options::panics`).

use std::any::Any;
use std::cell::RefCell;
use std::panic::{self, AssertUnwindSafe};
use std::sync::Once;
use std::sync::atomic::{AtomicBool, Ordering};

use uactor_core::{Error, Result};

use crate::options::Panics;

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
