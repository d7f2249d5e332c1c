//! One direction of a link: a ring of records in the segment, with one
//! producer and one consumer, each in its own process.
//!
//! A record is an 8-byte header (length, kind) and that many bytes, padded
//! to 8. Positions are byte counts that only grow; a record never wraps
//! around the end of the ring: where one would, the producer writes a
//! `PAD` record that sends the consumer back to the start.
//!
//! - `WHOLE`: one whole frame, length field included; the consumer reads
//!   it in place.
//! - `PIECE`: the next bytes of a frame too large for one record; the
//!   consumer gathers the pieces in a buffer of its own.
//! - `PAD`: nothing; the rest of the ring up to its end is skipped.
//!
//! Neither side trusts what the other wrote in the segment: every position
//! and length read from it is read once, checked, and only then used.

use uactor_core::{Error, Result};

use super::segment::{Ring, Segment};

/// A record holding one whole frame.
const WHOLE: u32 = 1;
/// A record holding a piece of a frame.
const PIECE: u32 = 2;
/// The rest of the ring is skipped.
const PAD: u32 = 3;

/// Bytes of a record's header.
const RECORD_HEADER: usize = 8;

/// While the producer has written no further than this into the ring, it
/// goes on; past it, it goes back to the start whenever the ring is empty,
/// so that a stream of small frames keeps touching the same few pages.
pub(super) const HOT: usize = 64 * 1024;

/// Frames up to this size count as small (see [`Producer`]'s page release).
const SMALL: usize = uactor_core::frame::SMALL_FRAME;

/// Bytes a record of `len` bytes takes in the ring.
fn record_size(len: usize) -> usize {
    (RECORD_HEADER + len).next_multiple_of(8)
}

/// What is found at a position of the ring.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Record {
    /// Nothing has been written there yet.
    Empty,
    /// A pad: the next record is at `next`.
    Pad {
        /// Where the next record starts.
        next: u64,
    },
    /// A whole frame at `offset`, `len` bytes; the next record at `next`.
    Whole {
        /// Where its bytes start in the ring.
        offset: usize,
        /// How many bytes.
        len: usize,
        /// Where the next record starts.
        next: u64,
    },
    /// A piece of a frame, laid out as `Whole`.
    Piece {
        /// Where its bytes start in the ring.
        offset: usize,
        /// How many bytes.
        len: usize,
        /// Where the next record starts.
        next: u64,
    },
}

fn corrupt(what: &str) -> Error {
    Error::protocol(format!("the peer's shared-memory ring {what}"))
}

/// The writing side of a ring.
#[derive(Debug)]
pub(super) struct Producer {
    ring: Ring,
    capacity: usize,
    /// How far this side has written; the segment's copy is only ever
    /// written from here, never read back.
    head: u64,
    /// The head the consumer was last told of.
    published: u64,
    /// Bytes of a frame being sent in pieces that are still to come.
    partial: usize,
    /// The furthest offset written since pages were last released.
    touched: usize,
    /// Small frames in a row.
    small_run: u32,
}

impl Producer {
    pub(super) fn new(ring: Ring, capacity: usize) -> Self {
        Producer {
            ring,
            capacity,
            head: 0,
            published: 0,
            partial: 0,
            touched: 0,
            small_run: 0,
        }
    }

    /// The largest frame sent as one record: half the ring, so that an
    /// empty ring always has room for it wherever the producer stands.
    fn max_whole(&self) -> usize {
        self.capacity / 2 - RECORD_HEADER
    }

    /// The largest piece: a quarter of the ring, so the consumer copies
    /// one out while the producer writes the next.
    fn max_piece(&self) -> usize {
        self.capacity / 4 - RECORD_HEADER
    }

    /// Free bytes in the ring.
    fn free(&self, segment: &Segment) -> Result<usize> {
        let tail = segment
            .tail(self.ring)
            .load(std::sync::atomic::Ordering::SeqCst);
        match self.head.checked_sub(tail) {
            Some(used) if used <= self.capacity as u64 => Ok(self.capacity - used as usize),
            _ => Err(corrupt("says more was read than was written")),
        }
    }

    fn offset(&self) -> usize {
        (self.head % self.capacity as u64) as usize
    }

    /// Writes a pad from here to the end of the ring.
    fn pad(&mut self, segment: &Segment) {
        let offset = self.offset();
        segment.set_record(self.ring, offset, 0, PAD);
        self.head += (self.capacity - offset) as u64;
    }

    /// Writes as much of `bytes` as the ring takes now and returns how much
    /// it took. `bytes` is a whole frame, or, while one is being sent in
    /// pieces, the rest of it. A frame that fits one record is taken whole
    /// or not at all; a larger one goes in pieces, as room allows.
    pub(super) fn offer(&mut self, segment: &Segment, bytes: &[u8]) -> Result<usize> {
        let mut free = self.free(segment)?;
        if self.partial == 0 {
            let whole = bytes.len() <= self.max_whole();
            if free == self.capacity {
                self.rewind(segment, whole.then(|| record_size(bytes.len())));
                free = self.free(segment)?;
            }
            if whole {
                let size = record_size(bytes.len());
                let offset = self.offset();
                let need = if offset + size <= self.capacity {
                    size
                } else {
                    self.capacity - offset + size
                };
                if need > free {
                    return Ok(0);
                }
                if offset + size > self.capacity {
                    self.pad(segment);
                }
                let offset = self.offset();
                // `max_whole` is far below 4 GiB.
                segment.set_record(self.ring, offset, bytes.len() as u32, WHOLE);
                segment.write(self.ring, offset + RECORD_HEADER, bytes);
                self.head += size as u64;
                self.wrote(offset + size, bytes.len() <= SMALL);
                return Ok(bytes.len());
            }
            self.partial = bytes.len();
        }
        let mut taken = 0;
        while taken < bytes.len() && self.partial > 0 {
            let offset = self.offset();
            let to_end = self.capacity - offset;
            let room = free.min(to_end);
            if room < RECORD_HEADER + 8 {
                if free > to_end {
                    // Too little before the end for a piece: start over.
                    free -= to_end;
                    self.pad(segment);
                    continue;
                }
                break;
            }
            let piece = (room - RECORD_HEADER)
                .min(self.max_piece())
                .min(self.partial)
                .min(bytes.len() - taken);
            segment.set_record(self.ring, offset, piece as u32, PIECE);
            segment.write(
                self.ring,
                offset + RECORD_HEADER,
                &bytes[taken..taken + piece],
            );
            let size = record_size(piece);
            self.head += size as u64;
            free -= size;
            taken += piece;
            self.partial -= piece;
            self.wrote(offset + size, false);
        }
        Ok(taken)
    }

    /// With the ring empty, before a new frame (of `size` bytes if it goes
    /// as one record): goes back to the start once past the hot pages, if
    /// the frame fits before where the producer stands (the pad is not
    /// free until the consumer has passed it); and gives back the pages
    /// beyond the hot ones after a run of small frames (as frame buffers
    /// do), since large frames that come and go would otherwise keep them
    /// resident for good.
    fn rewind(&mut self, segment: &Segment, size: Option<usize>) {
        let offset = self.offset();
        if offset > HOT && size.is_some_and(|size| size <= offset) {
            self.pad(segment);
        }
        if self.touched > HOT && self.small_run >= uactor_core::frame::SMALL_FRAMES_BEFORE_SHRINK {
            segment.discard(self.ring, HOT, self.touched);
            self.touched = HOT;
        }
    }

    fn wrote(&mut self, end: usize, small: bool) {
        self.touched = self.touched.max(end);
        self.small_run = if small {
            self.small_run.saturating_add(1)
        } else {
            0
        };
    }

    /// Tells the consumer what was written since the last call; returns
    /// whether it sleeps and must be woken.
    pub(super) fn publish(&mut self, segment: &Segment) -> bool {
        use std::sync::atomic::Ordering::SeqCst;
        if self.head == self.published {
            return false;
        }
        self.published = self.head;
        segment.head(self.ring).store(self.head, SeqCst);
        // Paired with the consumer's store to `asleep` and its load of
        // `head`: one of the two sees the other's store.
        let asleep = segment.asleep(self.ring);
        asleep.load(SeqCst) == 1 && asleep.swap(0, SeqCst) == 1
    }
}

/// The reading side of a ring.
#[derive(Debug)]
pub(super) struct Consumer {
    ring: Ring,
    capacity: usize,
    /// The next record to look at.
    pub(super) read: u64,
    /// How far this side has released (the producer may write below it).
    released: u64,
}

impl Consumer {
    pub(super) fn new(ring: Ring, capacity: usize) -> Self {
        Consumer {
            ring,
            capacity,
            read: 0,
            released: 0,
        }
    }

    /// How far the producer has written, checked against what was read.
    pub(super) fn head(&self, segment: &Segment) -> Result<u64> {
        let head = segment
            .head(self.ring)
            .load(std::sync::atomic::Ordering::SeqCst);
        match head.checked_sub(self.released) {
            Some(used) if used <= self.capacity as u64 && head >= self.read => Ok(head),
            _ => Err(corrupt("went backwards or past its capacity")),
        }
    }

    /// The record at position `at`, below `head`.
    pub(super) fn look(&self, segment: &Segment, at: u64, head: u64) -> Result<Record> {
        if at == head {
            return Ok(Record::Empty);
        }
        let offset = (at % self.capacity as u64) as usize;
        let available = head - at;
        let (len, kind) = segment.record(self.ring, offset);
        let len = len as usize;
        match kind {
            PAD => {
                let next = at + (self.capacity - offset) as u64;
                if next > head {
                    return Err(corrupt("pads past what was written"));
                }
                Ok(Record::Pad { next })
            }
            WHOLE | PIECE => {
                let size = record_size(len);
                if offset + size > self.capacity || size as u64 > available {
                    return Err(corrupt("holds a record past its end"));
                }
                let (offset, next) = (offset + RECORD_HEADER, at + size as u64);
                Ok(if kind == WHOLE {
                    Record::Whole { offset, len, next }
                } else {
                    Record::Piece { offset, len, next }
                })
            }
            other => Err(corrupt(&format!("holds a record of unknown kind {other}"))),
        }
    }

    /// Lets the producer write again below `to`, and wakes it if it waits
    /// for room.
    pub(super) fn release(&mut self, segment: &Segment, to: u64) {
        use std::sync::atomic::Ordering::SeqCst;
        if to <= self.released {
            return;
        }
        self.released = to;
        segment.tail(self.ring).store(to, SeqCst);
        // Paired with the producer's store to `waiting` and its load of
        // `tail`.
        let waiting = segment.waiting(self.ring);
        if waiting.load(SeqCst) == 1 && waiting.swap(0, SeqCst) == 1 {
            let _ = rustix::thread::futex::wake(waiting, rustix::thread::futex::Flags::empty(), 1);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const CAPACITY: usize = 64 * 1024;

    fn frame(len: usize, fill: u8) -> Vec<u8> {
        let mut bytes = vec![fill; len];
        bytes[..4].copy_from_slice(&((len - 4) as u32).to_le_bytes());
        bytes
    }

    /// Reads everything the consumer can, whole frames and gathered pieces.
    fn drain(segment: &Segment, consumer: &mut Consumer, gathered: &mut Vec<u8>) -> Vec<Vec<u8>> {
        let mut frames = Vec::new();
        loop {
            let head = consumer.head(segment).unwrap();
            match consumer.look(segment, consumer.read, head).unwrap() {
                Record::Empty => return frames,
                Record::Pad { next } => consumer.read = next,
                Record::Whole { offset, len, next } => {
                    frames.push(segment.bytes(Ring::FromClient, offset, len).to_vec());
                    consumer.read = next;
                }
                Record::Piece { offset, len, next } => {
                    gathered.extend_from_slice(segment.bytes(Ring::FromClient, offset, len));
                    consumer.read = next;
                    let declared = u32::from_le_bytes(gathered[..4].try_into().unwrap());
                    if gathered.len() == declared as usize + 4 {
                        frames.push(std::mem::take(gathered));
                    }
                }
            }
            consumer.release(segment, consumer.read);
        }
    }

    #[test]
    fn whole_frames_wrap_with_pads_and_large_ones_go_in_pieces() {
        let (segment, _fd) = Segment::create(CAPACITY).unwrap();
        let mut producer = Producer::new(Ring::FromClient, CAPACITY);
        let mut consumer = Consumer::new(Ring::FromClient, CAPACITY);
        let mut gathered = Vec::new();
        // Sizes that wrap the ring many times, and some past half of it.
        let sizes = [24, 1000, 20_000, 30_000, 24, 40_000, 100_000, 33, 250_000];
        for round in 0..20u8 {
            for (index, &size) in sizes.iter().enumerate() {
                let sent = frame(size, round.wrapping_add(index as u8));
                let mut taken = 0;
                let mut received = Vec::new();
                while taken < sent.len() {
                    taken += producer.offer(&segment, &sent[taken..]).unwrap();
                    producer.publish(&segment);
                    received.extend(drain(&segment, &mut consumer, &mut gathered));
                }
                assert_eq!(received.len(), 1, "size {size}");
                assert!(received[0] == sent, "size {size} arrived changed");
            }
        }
    }

    #[test]
    fn a_full_ring_takes_nothing_until_released() {
        let (segment, _fd) = Segment::create(CAPACITY).unwrap();
        let mut producer = Producer::new(Ring::FromClient, CAPACITY);
        let mut consumer = Consumer::new(Ring::FromClient, CAPACITY);
        // Two fit, a third does not.
        let big = frame(CAPACITY * 2 / 5, 1);
        assert_eq!(producer.offer(&segment, &big).unwrap(), big.len());
        assert_eq!(producer.offer(&segment, &big).unwrap(), big.len());
        assert_eq!(producer.offer(&segment, &big).unwrap(), 0, "no room left");
        producer.publish(&segment);
        let head = consumer.head(&segment).unwrap();
        let Record::Whole { next, .. } = consumer.look(&segment, 0, head).unwrap() else {
            panic!("a whole frame")
        };
        consumer.release(&segment, next);
        assert_eq!(producer.offer(&segment, &big).unwrap(), big.len());
    }

    /// Resident KiB of the mapping that starts at `address`.
    fn resident_kib(address: usize) -> u64 {
        let smaps = std::fs::read_to_string("/proc/self/smaps").unwrap();
        let mut ours = false;
        for line in smaps.lines() {
            let first = line.split_whitespace().next().unwrap_or_default();
            if let Some((start, _)) = first.split_once('-')
                && let Ok(start) = usize::from_str_radix(start, 16)
            {
                ours = start == address;
                continue;
            }
            if let (true, Some(rest)) = (ours, line.strip_prefix("Rss:")) {
                return rest.trim().trim_end_matches("kB").trim().parse().unwrap();
            }
        }
        panic!("no mapping at {address:#x}")
    }

    #[test]
    fn pages_large_frames_made_resident_are_given_back_after_small_ones() {
        const CAPACITY: usize = 4 << 20;
        let (segment, _fd) = Segment::create(CAPACITY).unwrap();
        let mut producer = Producer::new(Ring::FromClient, CAPACITY);
        let mut consumer = Consumer::new(Ring::FromClient, CAPACITY);
        let mut gathered = Vec::new();
        let mut send = |bytes: &[u8]| {
            assert_eq!(producer.offer(&segment, bytes).unwrap(), bytes.len());
            producer.publish(&segment);
            assert_eq!(drain(&segment, &mut consumer, &mut gathered).len(), 1);
        };
        let fresh = resident_kib(segment.address());
        for _ in 0..4 {
            send(&frame(1_500_000, 9));
        }
        let large = resident_kib(segment.address());
        for _ in 0..100 {
            send(&frame(50, 1));
        }
        let small = resident_kib(segment.address());
        println!("resident: {fresh} KiB fresh, {large} after large frames, {small} after small");
        assert!(large >= fresh + 1400, "{fresh} → {large} KiB");
        assert!(small <= 4 + 64 + 8, "given back: {large} → {small} KiB");
    }

    #[test]
    fn positions_a_peer_corrupts_are_errors_not_accesses() {
        use std::sync::atomic::Ordering::SeqCst;
        let (segment, _fd) = Segment::create(CAPACITY).unwrap();
        let consumer = Consumer::new(Ring::FromClient, CAPACITY);
        segment
            .head(Ring::FromClient)
            .store(CAPACITY as u64 + 8, SeqCst);
        assert!(consumer.head(&segment).is_err(), "a head past the capacity");
        segment.head(Ring::FromClient).store(16, SeqCst);
        segment.set_record(Ring::FromClient, 0, 1 << 20, WHOLE);
        assert!(
            consumer.look(&segment, 0, 16).is_err(),
            "a record past its end"
        );
        segment.set_record(Ring::FromClient, 0, 8, 99);
        assert!(consumer.look(&segment, 0, 16).is_err(), "an unknown kind");

        let producer = Producer::new(Ring::FromClient, CAPACITY);
        segment.tail(Ring::FromClient).store(1 << 40, SeqCst);
        assert!(producer.free(&segment).is_err(), "a tail past the head");
    }
}
