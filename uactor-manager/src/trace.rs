//! Tracing across processes (feature `tracing`): spans for spawn, connect,
//! call and serve, and the trace context a call carries to its actor.
//!
//! A call made inside a `call` span sends, in front of its arguments, the
//! span's trace id and its own span id (a
//! [`FLAG_TRACE_CONTEXT`](uactor_core::frame::FLAG_TRACE_CONTEXT) request);
//! the actor's `serve` span records both, so one trace id runs through every
//! process a call reaches, and each `serve` names the `call` it answers
//! (`parent_id` = the caller's `span_id`). A call made while serving
//! continues the trace it serves. The ids are uactor's own, random u64s
//! printed in hex: a plain `tracing-subscriber` fmt layer shows them, no
//! OpenTelemetry needed.
//!
//! Nothing is sent when the call span is disabled (no subscriber, or a
//! filter that leaves `uactor` out), and without the feature this module
//! only strips a context a traced peer sent ([`split`]); the caller's path
//! does not change at all.

use uactor_core::frame::{FLAG_TRACE_CONTEXT, Header, TRACE_CONTEXT_LEN};

/// The trace a call belongs to and the span that made it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Context {
    pub(crate) trace_id: u64,
    pub(crate) span_id: u64,
}

impl Context {
    fn read(bytes: &[u8]) -> Option<Context> {
        let trace_id = u64::from_le_bytes(bytes.get(..8)?.try_into().ok()?);
        let span_id = u64::from_le_bytes(bytes.get(8..16)?.try_into().ok()?);
        Some(Context { trace_id, span_id })
    }
}

/// Splits a request's payload into the trace context it may start with and
/// its arguments. Every host calls it, with the feature or without, so
/// traced and untraced builds talk to each other.
#[inline]
pub(crate) fn split(header: Header, payload: &[u8]) -> (Option<Context>, &[u8]) {
    if header.flags & FLAG_TRACE_CONTEXT == 0 {
        return (None, payload);
    }
    match payload.split_at_checked(TRACE_CONTEXT_LEN) {
        Some((context, arguments)) => (Context::read(context), arguments),
        // Too short to hold a context: the arguments will not decode either,
        // and the caller hears about it.
        None => (None, payload),
    }
}

#[cfg(feature = "tracing")]
pub(crate) use enabled::*;

#[cfg(feature = "tracing")]
mod enabled {
    use std::cell::Cell;
    use std::future::Future;
    use std::hash::{BuildHasher, Hasher};
    use std::pin::Pin;
    use std::sync::OnceLock;
    use std::sync::atomic::{AtomicU64, Ordering};
    use std::task::Poll;

    use tracing::Span;
    use tracing::field::{Empty, display};
    use uactor_core::frame::{FLAG_TRACE_CONTEXT, Header};
    use uactor_core::{Deferred, Result};

    use super::Context;

    thread_local! {
        /// The uactor span this thread is in: a call being made, or a call
        /// being served. Calls made meanwhile carry it to their actor.
        static CURRENT: Cell<Option<Context>> = const { Cell::new(None) };
    }

    /// A random id, never 0: a per-process random seed mixed with a counter
    /// (splitmix64), so ids from different processes do not collide.
    fn new_id() -> u64 {
        static SEED: OnceLock<u64> = OnceLock::new();
        static NEXT: AtomicU64 = AtomicU64::new(1);
        let seed = *SEED.get_or_init(|| {
            let mut hasher = std::hash::RandomState::new().build_hasher();
            hasher.write_u32(std::process::id());
            hasher.finish()
        });
        let mut z = seed.wrapping_add(
            NEXT.fetch_add(1, Ordering::Relaxed)
                .wrapping_mul(0x9e37_79b9_7f4a_7c15),
        );
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        (z ^ (z >> 31)).max(1)
    }

    /// An id as the fmt layer prints it: 16 hex digits.
    fn hex(id: u64) -> tracing::field::DisplayValue<String> {
        display(format!("{id:016x}"))
    }

    /// A uactor span entered on this thread, with its context made current;
    /// leaving restores what was current before.
    #[must_use = "the span ends when the scope is dropped"]
    pub(crate) struct Scope {
        span: tracing::span::EnteredSpan,
        previous: Option<Context>,
    }

    impl Scope {
        fn enter(span: Span, context: Option<Context>) -> Scope {
            let previous = CURRENT.with(|current| current.replace(context.or(current.get())));
            Scope {
                span: span.entered(),
                previous,
            }
        }

        /// The span, to record more fields in.
        pub(crate) fn span(&self) -> &Span {
            &self.span
        }

        /// Records the id of the request this call sent.
        pub(crate) fn sent(&self, request: u64) {
            self.span.record("request", request);
        }
    }

    impl Drop for Scope {
        fn drop(&mut self) {
            CURRENT.with(|current| current.set(self.previous));
        }
    }

    impl std::fmt::Debug for Scope {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.debug_struct("Scope")
                .field("previous", &self.previous)
                .finish()
        }
    }

    /// The span of spawning actor `actor`; its pid is recorded once known.
    pub(crate) fn spawn(actor: &'static str) -> Scope {
        let span = tracing::info_span!(target: "uactor", "spawn", actor, pid = Empty);
        Scope::enter(span, None)
    }

    /// The span of connecting to actor `actor` at `address`.
    pub(crate) fn connect(actor: &'static str, address: &uactor_core::Address) -> Scope {
        let span = tracing::info_span!(target: "uactor", "connect", actor, address = %address, pid = Empty);
        Scope::enter(span, None)
    }

    /// The span of a call to method `method` of actor `actor`: it continues
    /// the trace this thread is in, or starts one.
    pub(crate) fn call(actor: &'static str, method: u16) -> Scope {
        let span = tracing::info_span!(
            target: "uactor",
            "call",
            actor,
            method = Empty,
            request = Empty,
            trace_id = Empty,
            span_id = Empty,
        );
        if span.is_disabled() {
            return Scope::enter(span, None);
        }
        match crate::registry::method_name(actor, method) {
            Some(name) => span.record("method", name),
            None => span.record("method", method),
        };
        let trace_id = CURRENT
            .with(Cell::get)
            .map_or_else(new_id, |context| context.trace_id);
        let context = Context {
            trace_id,
            span_id: new_id(),
        };
        span.record("trace_id", hex(context.trace_id));
        span.record("span_id", hex(context.span_id));
        Scope::enter(span, Some(context))
    }

    /// The span of serving one request, linked to the call that sent it.
    pub(crate) fn serve(served: &'static str, header: Header, caller: Option<Context>) -> Scope {
        let span = tracing::info_span!(
            target: "uactor",
            "serve",
            actor = served,
            method = Empty,
            object = Empty,
            request = header.request,
            trace_id = Empty,
            parent_id = Empty,
            span_id = Empty,
        );
        if span.is_disabled() {
            return Scope::enter(span, None);
        }
        if header.object == uactor_core::frame::ACTOR_OBJECT {
            match crate::registry::method_name(served, header.method) {
                Some(name) => span.record("method", name),
                None => span.record("method", header.method),
            };
        } else {
            span.record("object", header.object);
            span.record("method", header.method);
        }
        let context = Context {
            trace_id: caller.map_or_else(new_id, |caller| caller.trace_id),
            span_id: new_id(),
        };
        span.record("trace_id", hex(context.trace_id));
        if let Some(caller) = caller {
            span.record("parent_id", hex(caller.span_id));
        }
        span.record("span_id", hex(context.span_id));
        Scope::enter(span, Some(context))
    }

    /// The context a request sent now carries, with the flag announcing it:
    /// the current uactor span's, if one is entered and enabled.
    #[inline]
    pub(crate) fn outgoing() -> Option<Context> {
        CURRENT.with(Cell::get)
    }

    /// Writes `context` in front of a request's arguments and returns the
    /// header flags that announce it.
    pub(crate) fn write(context: Context, out: &mut Vec<u8>) -> u8 {
        out.extend_from_slice(&context.trace_id.to_le_bytes());
        out.extend_from_slice(&context.span_id.to_le_bytes());
        FLAG_TRACE_CONTEXT
    }

    /// Reports, inside its `serve` span, a call answered with an error.
    pub(crate) fn failed(error: &uactor_core::Error) {
        tracing::debug!(target: "uactor", %error, "answered with an error");
    }

    /// A deferred reply that runs in the span (and trace context) current
    /// now: an `async` method's work stays inside its `serve` span.
    pub(crate) fn follow(deferred: Deferred) -> Deferred {
        let span = Span::current();
        let context = CURRENT.with(Cell::get);
        Box::new(move || -> Pin<Box<dyn Future<Output = Result<Vec<u8>>>>> {
            let future = {
                let _entered = span.enter();
                deferred()
            };
            Box::pin(InContext {
                future,
                span,
                context,
            })
        })
    }

    /// A deferred reply's future, polled inside a span and trace context.
    struct InContext {
        future: Pin<Box<dyn Future<Output = Result<Vec<u8>>>>>,
        span: Span,
        context: Option<Context>,
    }

    impl Future for InContext {
        type Output = Result<Vec<u8>>;

        fn poll(mut self: Pin<&mut Self>, cx: &mut std::task::Context<'_>) -> Poll<Self::Output> {
            let this = &mut *self;
            let _entered = this.span.enter();
            let previous = CURRENT.with(|current| current.replace(this.context));
            let poll = this.future.as_mut().poll(cx);
            CURRENT.with(|current| current.set(previous));
            poll
        }
    }

    #[cfg(test)]
    mod tests {
        use super::*;

        #[test]
        fn ids_are_distinct_and_never_zero() {
            let ids: std::collections::HashSet<u64> = (0..10_000).map(|_| new_id()).collect();
            assert_eq!(ids.len(), 10_000);
            assert!(!ids.contains(&0));
        }

        #[test]
        fn a_context_round_trips_through_a_request() {
            let context = Context {
                trace_id: 0x0123_4567_89ab_cdef,
                span_id: 42,
            };
            let mut payload = Vec::new();
            let flags = write(context, &mut payload);
            payload.extend_from_slice(b"args");
            let header = Header {
                flags,
                ..Header::new(uactor_core::frame::Kind::Request, 1)
            };
            assert_eq!(
                super::super::split(header, &payload),
                (Some(context), &b"args"[..])
            );
        }

        #[test]
        fn without_a_subscriber_nothing_is_sent() {
            let scope = call("tests::Nobody", 0);
            assert!(scope.span().is_disabled());
            assert_eq!(outgoing(), None);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use uactor_core::frame::Kind;

    #[test]
    fn an_unflagged_payload_is_all_arguments() {
        let header = Header::new(Kind::Request, 1);
        assert_eq!(
            split(header, b"0123456789abcdefargs"),
            (None, &b"0123456789abcdefargs"[..])
        );
    }

    #[test]
    fn a_flagged_payload_starts_with_its_context() {
        let header = Header {
            flags: FLAG_TRACE_CONTEXT,
            ..Header::new(Kind::Request, 1)
        };
        let mut payload = 7u64.to_le_bytes().to_vec();
        payload.extend_from_slice(&9u64.to_le_bytes());
        payload.extend_from_slice(b"args");
        let (context, arguments) = split(header, &payload);
        assert_eq!(
            context,
            Some(Context {
                trace_id: 7,
                span_id: 9
            })
        );
        assert_eq!(arguments, b"args");
        assert_eq!(split(header, b"short"), (None, &b"short"[..]));
    }
}
