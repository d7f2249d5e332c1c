//! Frames: the unit every transport carries.
//!
//! On a byte stream a frame is laid out as follows (little endian):
//!
//! | offset | size | field |
//! |---|---|---|
//! | 0 | 4 | length of everything after this field (header rest + payload) |
//! | 4 | 1 | [`Kind`] |
//! | 5 | 1 | flags |
//! | 6 | 2 | method index |
//! | 8 | 8 | request id |
//! | 16 | 8 | object id |
//! | 24 | … | payload, encoded by the connection's codec |
//!
//! Message transports carry the same bytes, length field included, so one
//! parser serves all. A reader checks the length field against its limit
//! ([`check_length`]) before it allocates anything for the frame.

use crate::{Error, Result};

/// Bytes before the payload, length field included.
pub const HEADER_LEN: usize = 24;

/// Bytes of the length field.
pub const LENGTH_LEN: usize = 4;

/// The default largest frame a connection accepts: 64 MiB.
pub const DEFAULT_MAX_FRAME: u32 = 64 * 1024 * 1024;

/// The largest frame accepted before a peer has authenticated.
pub const HANDSHAKE_MAX_FRAME: u32 = 256;

/// Frames up to this size never make a buffer grow past it.
pub const SMALL_FRAME: usize = 64 * 1024;

/// A buffer above this size is released after its frame.
pub const KEEP_LIMIT: usize = 16 * 1024 * 1024;

/// A grown buffer is released after this many small frames in a row.
pub const SMALL_FRAMES_BEFORE_SHRINK: u32 = 64;

/// The object id of the actor itself; other ids name objects it handed out.
pub const ACTOR_OBJECT: u64 = 0;

/// Flag of a [`Kind::Request`]: the payload starts with a trace context of
/// [`TRACE_CONTEXT_LEN`] bytes (the caller's trace id and span id, u64 LE
/// each) before the arguments. Only a caller built with uactor's `tracing`
/// feature sets it, and only while its call span is enabled; every host
/// understands it, so builds with and without the feature talk to each
/// other.
pub const FLAG_TRACE_CONTEXT: u8 = 1;

/// Bytes of the trace context that [`FLAG_TRACE_CONTEXT`] announces.
pub const TRACE_CONTEXT_LEN: usize = 16;

/// Flag of a [`Kind::Request`]: after the trace context (if any), the
/// payload carries the call chain it was made in: a count byte, then that
/// many actor ids (u64 LE), each naming an actor whose method is waiting,
/// directly or through other actors, for this call. An actor that finds
/// its own id there refuses the call at once (`Error::Reentrant`) instead
/// of waiting for a method that waits for it.
pub const FLAG_CALL_CHAIN: u8 = 2;

/// The most actor ids a call chain carries; a longer chain keeps its most
/// recent ones.
pub const MAX_CALL_CHAIN: usize = 32;

/// Flag of a [`Kind::Request`] or [`Kind::Reply`]: the frame carries
/// attachments, the bytes of [`Bytes`](crate::Bytes) values that travel
/// beside the payload instead of in it (see [`attach`]). After the header
/// come a u32 LE payload length, the payload, a u32 LE count of
/// attachments, their u32 LE lengths, and then their bytes, in order; the
/// length field counts them all. A reader that reads the attachments into
/// buffers of their own ([`FrameRead::read_frame_attached`]) hands over the
/// frame without them, its length field saying so.
///
/// [`FrameRead::read_frame_attached`]: crate::FrameRead::read_frame_attached
pub const FLAG_ATTACHED: u8 = 4;

/// The most attachments one frame carries.
pub const MAX_ATTACHMENTS: usize = 4096;

/// What a frame is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[repr(u8)]
#[non_exhaustive]
pub enum Kind {
    /// Client → server: protocol magic, version and codec.
    Hello = 1,
    /// Server → client: the server's nonce.
    Challenge = 2,
    /// Client → server: the client's proof and its own nonce.
    Response = 3,
    /// Server → client: the server's proof; the connection is open.
    Welcome = 4,
    /// Server → client: authentication failed. Carries nothing else.
    Refused = 5,
    /// A method call on an object.
    Request = 16,
    /// A method's result.
    Reply = 17,
    /// A call failed; the payload is an [`Error`].
    Failure = 18,
    /// Client → server: run the shutdown hook and end the process.
    Shutdown = 19,
    /// Server → client: the actor is shutting down; no more replies come.
    Goodbye = 20,
    /// Client → server: one more reference to an object is on its way to
    /// another process (a proxy was serialized). No reply.
    IncRef = 21,
    /// Client → server: this connection drops one reference to an object.
    /// No reply.
    DecRef = 22,
    /// Client → server: this connection takes over a reference that was on
    /// its way (a proxy was deserialized). No reply.
    Adopt = 23,
    /// Client → server: how the actor is doing. The host answers it itself
    /// (a `Reply` carrying its counters), so no method of the actor can
    /// shadow it.
    Stats = 24,
    /// Client → server: the caller gave up on request `request` (a timeout,
    /// a dropped future or handle). A reply that is still to come is
    /// withdrawn where it can be: a method waiting on the actor's runtime
    /// is dropped at its next await point, a built-in wait takes nothing.
    /// Every request still gets exactly one reply (then a `Failure`). No
    /// reply of its own.
    Cancel = 25,
}

impl Kind {
    /// The kind a header byte names.
    pub fn from_byte(byte: u8) -> Result<Self> {
        Ok(match byte {
            1 => Kind::Hello,
            2 => Kind::Challenge,
            3 => Kind::Response,
            4 => Kind::Welcome,
            5 => Kind::Refused,
            16 => Kind::Request,
            17 => Kind::Reply,
            18 => Kind::Failure,
            19 => Kind::Shutdown,
            20 => Kind::Goodbye,
            21 => Kind::IncRef,
            22 => Kind::DecRef,
            23 => Kind::Adopt,
            24 => Kind::Stats,
            25 => Kind::Cancel,
            other => return Err(Error::protocol(format!("unknown frame kind {other}"))),
        })
    }
}

/// The fixed part of a frame.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Header {
    /// What the frame is for.
    pub kind: Kind,
    /// Bits whose meaning depends on the kind; zero unless stated.
    pub flags: u8,
    /// The method index of a request.
    pub method: u16,
    /// The id that pairs a reply with its request.
    pub request: u64,
    /// The object a request addresses ([`ACTOR_OBJECT`] for the actor).
    pub object: u64,
}

impl Header {
    /// A header of `kind` for request `request`, other fields zero.
    pub fn new(kind: Kind, request: u64) -> Self {
        Header {
            kind,
            flags: 0,
            method: 0,
            request,
            object: ACTOR_OBJECT,
        }
    }

    /// The same header with this method index.
    pub fn method(mut self, method: u16) -> Self {
        self.method = method;
        self
    }

    /// The same header with this object id.
    pub fn object(mut self, object: u64) -> Self {
        self.object = object;
        self
    }

    /// Splits a whole frame (length field included) into its header and
    /// payload, checking that the length field matches.
    pub fn parse(frame: &[u8]) -> Result<(Header, &[u8])> {
        if frame.len() < HEADER_LEN {
            return Err(Error::protocol(format!(
                "a frame of {} bytes is shorter than its {HEADER_LEN}-byte header",
                frame.len()
            )));
        }
        let declared = read_u32(frame, 0) as usize;
        if declared != frame.len() - LENGTH_LEN {
            return Err(Error::protocol(format!(
                "a frame declares {declared} bytes but carries {}",
                frame.len() - LENGTH_LEN
            )));
        }
        let header = Header {
            kind: Kind::from_byte(frame[4])?,
            flags: frame[5],
            method: u16::from_le_bytes([frame[6], frame[7]]),
            request: read_u64(frame, 8),
            object: read_u64(frame, 16),
        };
        Ok((header, &frame[HEADER_LEN..]))
    }

    fn write(&self, out: &mut [u8], length: u32) {
        out[0..4].copy_from_slice(&length.to_le_bytes());
        out[4] = self.kind as u8;
        out[5] = self.flags;
        out[6..8].copy_from_slice(&self.method.to_le_bytes());
        out[8..16].copy_from_slice(&self.request.to_le_bytes());
        out[16..24].copy_from_slice(&self.object.to_le_bytes());
    }
}

/// Checks a length field against `max` before anything is allocated for the
/// frame. `length` counts the bytes after the length field.
#[inline]
pub fn check_length(length: u32, max: u32) -> Result<()> {
    if (length as usize) < HEADER_LEN - LENGTH_LEN {
        return Err(Error::protocol(format!(
            "a frame declares {length} bytes, fewer than its header"
        )));
    }
    if length > max {
        return Err(Error::FrameTooLarge {
            size: u64::from(length),
            max: u64::from(max),
        });
    }
    Ok(())
}

/// A reusable buffer that builds one frame at a time: the header space is
/// reserved first, the payload is encoded straight after it, and the header
/// is written last, so a frame is one contiguous slice (one write).
#[derive(Debug, Default)]
pub struct FrameBuffer {
    bytes: Vec<u8>,
    /// Frames in a row that used a small part of a grown buffer.
    small_frames: u32,
}

impl FrameBuffer {
    /// An empty buffer.
    pub fn new() -> Self {
        FrameBuffer {
            bytes: Vec::with_capacity(256),
            small_frames: 0,
        }
    }

    /// Starts a new frame, dropping the previous one but keeping capacity.
    #[inline]
    pub fn start(&mut self) {
        self.bytes.clear();
        self.bytes.resize(HEADER_LEN, 0);
    }

    /// The payload so far, to append to.
    #[inline]
    pub fn payload(&mut self) -> &mut Vec<u8> {
        &mut self.bytes
    }

    /// Writes the header and returns the whole frame.
    ///
    /// # Panics
    ///
    /// If [`start`](Self::start) was not called first, or the frame exceeds
    /// 4 GiB; callers check the size against their limit first with
    /// [`FrameBuffer::len`].
    #[inline]
    pub fn finish(&mut self, header: Header) -> &[u8] {
        let length = u32::try_from(self.bytes.len() - LENGTH_LEN)
            .expect("frame length checked against the limit by the caller");
        header.write(&mut self.bytes[..HEADER_LEN], length);
        &self.bytes
    }

    /// The frame's size so far, header included.
    pub fn len(&self) -> usize {
        self.bytes.len()
    }

    /// Whether the buffer holds nothing (not even a started header).
    pub fn is_empty(&self) -> bool {
        self.bytes.is_empty()
    }

    /// Gives memory back once a large buffer stops being needed: at once
    /// above [`KEEP_LIMIT`], or after [`SMALL_FRAMES_BEFORE_SHRINK`] small
    /// frames in a row. Keeping it meanwhile spares repeated large calls
    /// the page faults of fresh memory, which cost more than the copy.
    pub fn shrink(&mut self) {
        let capacity = self.bytes.capacity();
        if capacity <= SMALL_FRAME {
            return;
        }
        if capacity > KEEP_LIMIT {
            self.bytes = Vec::with_capacity(256);
            self.small_frames = 0;
        } else if self.bytes.len() > SMALL_FRAME {
            self.small_frames = 0;
        } else {
            self.small_frames += 1;
            if self.small_frames >= SMALL_FRAMES_BEFORE_SHRINK {
                self.bytes = Vec::with_capacity(256);
                self.small_frames = 0;
            }
        }
    }
}

/// Starts a frame in `buffer`: clears it and reserves the header, so the
/// payload can be encoded straight after it ([`finish`] writes the header).
#[inline]
pub fn start(buffer: &mut Vec<u8>) {
    buffer.clear();
    buffer.resize(HEADER_LEN, 0);
}

/// Writes `header` into a frame begun with [`start`], whose payload is
/// complete; fails if the frame exceeds `max` bytes after its length field
/// (nothing is sent then).
#[inline]
pub fn finish(buffer: &mut [u8], header: Header, max: u32) -> Result<()> {
    let size = buffer.len() - LENGTH_LEN;
    let length = u32::try_from(size)
        .ok()
        .filter(|length| *length <= max)
        .ok_or(Error::FrameTooLarge {
            size: size as u64,
            max: u64::from(max),
        })?;
    header.write(&mut buffer[..HEADER_LEN], length);
    Ok(())
}

/// Makes the frame in `buffer` (begun with [`start`], its payload encoded)
/// carry `attachments`: moves the payload 4 bytes on to put its length
/// first, and appends their count and lengths. The attachments' bytes are
/// written after the buffer, from their own buffers; [`finish_attached`]
/// counts them. Returns how many bytes they are.
pub fn attach(buffer: &mut Vec<u8>, attachments: &[crate::Bytes]) -> usize {
    let payload = buffer.len() - HEADER_LEN;
    let prefix = u32::try_from(payload).unwrap_or(u32::MAX).to_le_bytes();
    buffer.splice(HEADER_LEN..HEADER_LEN, prefix);
    let count = u32::try_from(attachments.len()).unwrap_or(u32::MAX);
    buffer.extend_from_slice(&count.to_le_bytes());
    let mut total = 0;
    for attachment in attachments {
        let length = u32::try_from(attachment.len()).unwrap_or(u32::MAX);
        buffer.extend_from_slice(&length.to_le_bytes());
        total += attachment.len();
    }
    total
}

/// [`finish`] for a frame made with [`attach`], whose attachments are
/// `attached` bytes more: sets [`FLAG_ATTACHED`] and counts them.
pub fn finish_attached(
    buffer: &mut [u8],
    mut header: Header,
    attached: usize,
    max: u32,
) -> Result<()> {
    let size = (buffer.len() - LENGTH_LEN) as u64 + attached as u64;
    let length = u32::try_from(size)
        .ok()
        .filter(|length| *length <= max)
        .ok_or(Error::FrameTooLarge {
            size,
            max: u64::from(max),
        })?;
    header.flags |= FLAG_ATTACHED;
    header.write(&mut buffer[..HEADER_LEN], length);
    Ok(())
}

/// The parts of the payload of a frame with [`FLAG_ATTACHED`] (what
/// follows its header).
#[derive(Debug)]
pub struct Attached<'a> {
    /// The payload proper.
    pub payload: &'a [u8],
    /// The attachments' lengths.
    pub lengths: Vec<usize>,
    /// Their bytes, when the reader left them in the frame (empty when it
    /// read them into buffers of their own).
    pub inline: &'a [u8],
}

impl<'a> Attached<'a> {
    /// Splits `after_header`, the rest of a frame with [`FLAG_ATTACHED`].
    pub fn parse(after_header: &'a [u8]) -> Result<Self> {
        let malformed = || Error::protocol("a frame with attachments is malformed");
        let payload_len = read_u32_at(after_header, 0).ok_or_else(malformed)? as usize;
        let payload = after_header.get(4..4 + payload_len).ok_or_else(malformed)?;
        let table = 4 + payload_len;
        let count = read_u32_at(after_header, table).ok_or_else(malformed)? as usize;
        if count > MAX_ATTACHMENTS {
            return Err(malformed());
        }
        let lengths = (0..count)
            .map(|index| read_u32_at(after_header, table + 4 + 4 * index).map(|len| len as usize))
            .collect::<Option<Vec<_>>>()
            .ok_or_else(malformed)?;
        let inline = &after_header[table + 4 + 4 * count..];
        let total: usize = lengths.iter().sum();
        if !inline.is_empty() && inline.len() != total {
            return Err(malformed());
        }
        Ok(Attached {
            payload,
            lengths,
            inline,
        })
    }

    /// How many bytes of the frame come before the attachments' bytes,
    /// length field included, for a frame whose first bytes are `frame`;
    /// `None` while `frame` is too short to tell.
    pub fn head_len(frame: &[u8]) -> Option<usize> {
        let payload_len = read_u32_at(frame, HEADER_LEN)? as usize;
        let table = HEADER_LEN + 4 + payload_len;
        let count = read_u32_at(frame, table)? as usize;
        Some(table + 4 + 4 * count.min(MAX_ATTACHMENTS + 1))
    }

    /// The attachments as buffers: `separated` when the reader read them
    /// apart, else copied out of the frame.
    pub fn buffers(&self, separated: Option<Vec<Vec<u8>>>) -> Result<Vec<Vec<u8>>> {
        match separated {
            Some(buffers) => {
                let fits = buffers.len() == self.lengths.len()
                    && buffers
                        .iter()
                        .zip(&self.lengths)
                        .all(|(buffer, length)| buffer.len() == *length);
                if fits {
                    Ok(buffers)
                } else {
                    Err(Error::protocol(
                        "a frame's attachments do not match its table",
                    ))
                }
            }
            None => {
                if self.inline.is_empty() && self.lengths.iter().any(|length| *length > 0) {
                    return Err(Error::protocol("a frame's attachments are missing"));
                }
                let mut at = 0;
                Ok(self
                    .lengths
                    .iter()
                    .map(|length| {
                        let buffer = self.inline[at..at + length].to_vec();
                        at += length;
                        buffer
                    })
                    .collect())
            }
        }
    }
}

fn read_u32_at(bytes: &[u8], at: usize) -> Option<u32> {
    let word = bytes.get(at..at.checked_add(4)?)?;
    Some(u32::from_le_bytes([word[0], word[1], word[2], word[3]]))
}

/// Builds a frame in a fresh buffer; for rare frames off the hot path.
pub fn encode(header: Header, payload: &[u8]) -> Vec<u8> {
    let mut buffer = FrameBuffer::new();
    buffer.start();
    buffer.payload().extend_from_slice(payload);
    buffer.finish(header);
    buffer.bytes
}

fn read_u32(bytes: &[u8], at: usize) -> u32 {
    let mut word = [0; 4];
    word.copy_from_slice(&bytes[at..at + 4]);
    u32::from_le_bytes(word)
}

fn read_u64(bytes: &[u8], at: usize) -> u64 {
    let mut word = [0; 8];
    word.copy_from_slice(&bytes[at..at + 8]);
    u64::from_le_bytes(word)
}

#[cfg(test)]
mod tests;
