//! Taking a slot and writing a request: the bound on calls in flight,
//! the frame, and the queue it goes out through.

use std::sync::PoisonError;
use std::sync::atomic::Ordering;
use std::task::{Context, Poll};

use uactor_core::frame::{self, Header, Kind};
use uactor_core::{Error, Result};

use super::{Deadline, Encode, Encoding, Link, Tickets};
use crate::wire::Frame;

impl Link {
    /// Sends a frame of `kind` to `object`, its payload written by `encode`;
    /// waits for a free slot and for room in the queue, at most until
    /// `deadline`. Returns the request id its reply will carry.
    pub(crate) fn send(
        &self,
        kind: Kind,
        object: u64,
        method: u16,
        encode: impl FnOnce(&mut Vec<u8>) -> Result<()>,
        deadline: Option<Deadline>,
    ) -> Result<u64> {
        let request = self.reserve(deadline)?;
        let sent = self
            .frame(request, kind, object, method, encode)
            .and_then(|frame| {
                if !self.inner.outbox.wait_room(deadline.map(|at| at.at()))? {
                    return Err(deadline.map_or(Error::Closed, |deadline| deadline.error()));
                }
                self.inner.outbox.send(request, frame)
            });
        match sent {
            Ok(()) => Ok(request),
            Err(error) => {
                self.release(request);
                Err(if error.is_fatal() {
                    self.inner.break_with(error)
                } else {
                    error
                })
            }
        }
    }

    /// The future's side of [`send`](Self::send): takes a slot and room in
    /// the queue if there are some, else stays pending (and is woken when
    /// some free). `encode` is taken only once the frame goes.
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn poll_send(
        &self,
        context: &mut Context<'_>,
        tickets: &mut Tickets,
        kind: Kind,
        object: u64,
        method: u16,
        encode: &mut Option<Encode>,
    ) -> Poll<Result<u64>> {
        match self.inner.outbox.poll_room(context, &mut tickets.room) {
            Poll::Ready(Ok(())) => {}
            Poll::Ready(Err(error)) => return Poll::Ready(Err(error)),
            Poll::Pending => return Poll::Pending,
        }
        let (request, busy) = match self.poll_reserve(context, &mut tickets.slot) {
            Poll::Ready(Ok(reserved)) => reserved,
            Poll::Ready(Err(error)) => return Poll::Ready(Err(error)),
            Poll::Pending => return Poll::Pending,
        };
        let Some(encode) = encode.take() else {
            self.release(request);
            return Poll::Ready(Err(Error::proxy("a call was sent twice")));
        };
        let sent = self
            .frame(request, kind, object, method, encode)
            .and_then(|frame| {
                // Others in flight: the writer thread takes this frame with
                // theirs in one write. Alone: it goes now.
                if busy {
                    self.inner.outbox.send_soon(request, frame)
                } else {
                    self.inner.outbox.send(request, frame)
                }
            });
        match sent {
            Ok(()) => Poll::Ready(Ok(request)),
            Err(error) => {
                self.release(request);
                Poll::Ready(Err(if error.is_fatal() {
                    self.inner.break_with(error)
                } else {
                    error
                }))
            }
        }
    }

    /// Encodes a frame for `request`, outside every lock: a proxy among the
    /// arguments may itself make a round trip on another connection.
    pub(super) fn frame(
        &self,
        request: u64,
        kind: Kind,
        object: u64,
        method: u16,
        encode: impl FnOnce(&mut Vec<u8>) -> Result<()>,
    ) -> Result<Frame> {
        let mut buffer = self.inner.outbox.buffer();
        frame::start(&mut buffer);
        let mut flags = 0;
        if kind == Kind::Request {
            // A request made inside a traced call carries its trace context
            // (only then: without a subscriber nothing is added), then the
            // chain of the method this thread runs, if it runs one.
            #[cfg(feature = "tracing")]
            if let Some(context) = crate::trace::outgoing() {
                flags |= crate::trace::write(context, &mut buffer);
            }
            flags |= crate::call::chain::write(&mut buffer);
        }
        // On a byte stream, `Bytes` among the arguments go beside the
        // payload, written from their own buffers.
        let (encoded, attached) =
            uactor_core::bytes::encoding(self.inner.outbox.attaches(), || {
                let _encoding = Encoding::enter(&self.inner);
                encode(&mut buffer)
            });
        encoded?;
        let mut header = Header::new(kind, request).object(object).method(method);
        header.flags = flags;
        let stream = self.inner.outbox.attaches();
        Frame::seal(
            buffer,
            header,
            attached,
            self.inner.settings.max_frame_size,
            stream,
        )
    }

    /// Takes a slot for a new request, waiting for one at most until
    /// `deadline`.
    pub(super) fn reserve(&self, deadline: Option<Deadline>) -> Result<u64> {
        let inner = &*self.inner;
        let mut state = inner.state();
        loop {
            if let Some(error) = &state.broken {
                return Err(error.clone());
            }
            if state.slots.len() < inner.settings.max_in_flight {
                let request = inner.next_request.fetch_add(1, Ordering::Relaxed);
                state.insert(request);
                return Ok(request);
            }
            // Full: the replies that free slots must be read by someone.
            if !state.reading {
                self.inner.read_in_background(&mut state);
            }
            state.sleepers += 1;
            let waited = match deadline {
                None => Ok(inner
                    .wake
                    .wait(state)
                    .unwrap_or_else(PoisonError::into_inner)),
                Some(deadline) => match deadline.left() {
                    Some(left) => Ok(inner
                        .wake
                        .wait_timeout(state, left)
                        .unwrap_or_else(PoisonError::into_inner)
                        .0),
                    None => Err((state, deadline)),
                },
            };
            state = match waited {
                Ok(state) => state,
                Err((mut state, deadline)) => {
                    state.sleepers -= 1;
                    return Err(deadline.error());
                }
            };
            state.sleepers -= 1;
        }
    }

    /// The future's side of [`reserve`](Self::reserve): the future holding
    /// `ticket` is woken when a slot frees. The slot is the future's, whose
    /// reply the reader thread reads; also says whether other calls are in
    /// flight.
    pub(super) fn poll_reserve(
        &self,
        context: &mut Context<'_>,
        ticket: &mut Option<u64>,
    ) -> Poll<Result<(u64, bool)>> {
        let inner = &*self.inner;
        let mut state = inner.state();
        if let Some(error) = &state.broken {
            return Poll::Ready(Err(error.clone()));
        }
        if state.slots.len() < inner.settings.max_in_flight {
            state.slot_waiters.leave(ticket);
            let request = inner.next_request.fetch_add(1, Ordering::Relaxed);
            state.insert(request);
            self.inner.unattend(&mut state, request);
            return Poll::Ready(Ok((request, state.slots.len() > 1)));
        }
        state.slot_waiters.wait(ticket, context.waker());
        if !state.reading {
            self.inner.read_in_background(&mut state);
        }
        Poll::Pending
    }

    /// The future holding `tickets` waits for nothing any more; a turn it
    /// was given and did not take goes to the next waiter.
    pub(crate) fn leave(&self, tickets: &mut Tickets) {
        if tickets.slot.is_some() {
            let mut state = self.inner.state();
            if state.slot_waiters.leave(&mut tickets.slot) {
                let waker = state.slot_waiters.first();
                drop(state);
                if let Some(waker) = waker {
                    waker.wake();
                }
            }
        }
        self.inner.outbox.leave(&mut tickets.room);
    }

    /// Frees `request`'s slot without a reply (it was never sent).
    pub(super) fn release(&self, request: u64) {
        let mut state = self.inner.state();
        state.remove(request);
        self.inner.freed(state);
    }

    /// Marks `request`'s reply as one no waiting thread reads (a future's or
    /// a handle's), and makes sure the reader thread reads it.
    pub(crate) fn unattend(&self, request: u64) {
        let mut state = self.inner.state();
        self.inner.unattend(&mut state, request);
    }
}
