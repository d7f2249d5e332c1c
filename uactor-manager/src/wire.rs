//! How a connection moves bytes, on both sides of it.
//!
//! The rule: no thread ever blocks writing while the bytes it waits for can
//! only be read by itself or by a thread it blocks; no lock is held across
//! a round trip; every wait has a bound; an abandoned call leaves no trace.
//!
//! [`Outbox`] is the one writer of a connection. Every frame goes into its
//! queue; whoever finds the queue's writer free drains it with writes that
//! never wait ([`FrameWrite::try_write`]), coalescing every frame queued
//! meanwhile into one vectored write. What the socket does not take at once
//! goes to the connection's flusher thread, which alone waits for the peer
//! to read, and, where a deadline is set, gives up on a peer that stops
//! reading and shuts the connection down. A transport that cannot write
//! without waiting writes only from its flusher thread.
//!
//! The queue is bounded in bytes: a caller that would add past the bound
//! waits (a blocking caller, within its own deadline) or stays pending (a
//! future) until the peer has read enough; the actor's runtime never waits
//! (what it queues is bounded by the requests its connection thread reads,
//! and that thread stops reading while the queue is full).

mod outbox;

pub(crate) use outbox::{Frame, Limits, Outbox};

/// The payload of a frame just read (`payload`, after its header) and its
/// attachments: those the reader read apart (`separated`), or else those
/// the frame carries itself (see `FLAG_ATTACHED`).
pub(crate) fn unpack<'a>(
    header: &uactor_core::frame::Header,
    payload: &'a [u8],
    separated: Option<Vec<Vec<u8>>>,
) -> uactor_core::Result<(&'a [u8], Vec<Vec<u8>>)> {
    if header.flags & uactor_core::frame::FLAG_ATTACHED == 0 {
        return Ok((payload, Vec::new()));
    }
    let attached = uactor_core::frame::Attached::parse(payload)?;
    let buffers = attached.buffers(separated)?;
    Ok((attached.payload, buffers))
}

mod spin;
mod waiters;

pub(crate) use spin::Spin;
pub(crate) use waiters::Waiters;
