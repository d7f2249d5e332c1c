//! The memory one shm link shares: an anonymous, sealed memfd mapped by
//! both processes. This is the only module of the crate that touches raw
//! memory; everything above it goes through bounds-checked methods.
//!
//! Layout: one control page, then two rings of `capacity` bytes each (ring
//! 0 carries the client's frames, ring 1 the server's). The control page
//! holds a header (magic, version, capacity) and, per ring, the producer's
//! `head`, the consumer's `tail`, the consumer's "asleep" flag and the
//! producer's "waiting for room" futex word, each on a line of its own so
//! the two processes do not fight over cache lines.
//!
//! The memfd has no name in any file system: only a process that holds its
//! descriptor can map it, and it is freed when the last mapping and
//! descriptor go, however the processes end. It is sealed against
//! shrinking before it is sent, and the receiver checks the seal, so a
//! peer cannot make this process fault (SIGBUS) by truncating it.

// Mapping memory and viewing it as atomics and bytes is unsafe by nature;
// each block says why it holds.
#![allow(unsafe_code)]

use std::ffi::c_void;
use std::os::fd::{AsFd, OwnedFd};
use std::ptr::NonNull;
use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};

use rustix::fs::{MemfdFlags, SealFlags};
use rustix::mm::{MapFlags, ProtFlags};
use uactor_core::{Error, Result};

/// Bytes of the control page before the first ring.
pub(super) const CONTROL: usize = 4096;

/// The smallest and largest ring a peer's segment may declare.
const MIN_CAPACITY: usize = 64 * 1024;
const MAX_CAPACITY: usize = 1 << 30;

const MAGIC: u64 = u64::from_le_bytes(*b"uactorSH");
const VERSION: u32 = 1;

/// Distance between two control fields: two cache lines, so adjacent-line
/// prefetching does not pair them either.
const LINE: usize = 128;

/// The seals a segment must carry: its size is fixed for good.
const SEALS: SealFlags = SealFlags::SHRINK
    .union(SealFlags::GROW)
    .union(SealFlags::SEAL);

/// Which ring: the client's frames (0) or the server's (1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Ring {
    /// Client → server.
    FromClient,
    /// Server → client.
    FromServer,
}

impl Ring {
    fn index(self) -> usize {
        match self {
            Ring::FromClient => 0,
            Ring::FromServer => 1,
        }
    }
}

/// A control field of a ring.
#[derive(Debug, Clone, Copy)]
enum Field {
    Head = 0,
    Tail = 1,
    Asleep = 2,
    Waiting = 3,
}

/// One mapped segment. Dropping it unmaps it.
#[derive(Debug)]
pub(super) struct Segment {
    base: NonNull<u8>,
    len: usize,
    capacity: usize,
}

// SAFETY: the segment is a plain memory mapping owned by this value; every
// access goes through atomics or through ring positions that the ring
// protocol hands to one side at a time, so sharing it between threads is
// as safe as sharing it between the two processes.
unsafe impl Send for Segment {}
// SAFETY: as above.
unsafe impl Sync for Segment {}

impl Segment {
    /// Makes a fresh segment with rings of `capacity` bytes (a power of two
    /// of at least 64 KiB), sealed, mapped and initialised; returns it and
    /// its descriptor, to send to the peer.
    pub(super) fn create(capacity: usize) -> Result<(Segment, OwnedFd)> {
        if !valid_capacity(capacity) {
            return Err(Error::spawn(format!(
                "a shm ring of {capacity} bytes: it must be a power of two from 64 KiB to 1 GiB"
            )));
        }
        let len = CONTROL + 2 * capacity;
        let fd = rustix::fs::memfd_create(
            "uactor-shm",
            MemfdFlags::CLOEXEC | MemfdFlags::ALLOW_SEALING,
        )
        .map_err(|error| Error::io("creating a shared-memory segment (memfd)", error.into()))?;
        rustix::fs::ftruncate(&fd, len as u64)
            .map_err(|error| Error::io("sizing a shared-memory segment", error.into()))?;
        rustix::fs::fcntl_add_seals(&fd, SEALS)
            .map_err(|error| Error::io("sealing a shared-memory segment", error.into()))?;
        let segment = Segment::map(&fd, len, capacity)?;
        let header = segment.header();
        header.1.store(VERSION, Ordering::Relaxed);
        header.2.store(capacity.trailing_zeros(), Ordering::Relaxed);
        header.0.store(MAGIC, Ordering::Release);
        Ok((segment, fd))
    }

    /// Maps a segment a peer made, after checking that its size is sealed
    /// and matches its header.
    pub(super) fn open(fd: &OwnedFd) -> Result<Segment> {
        let refuse = |what: &str| Error::protocol(format!("the peer's shared memory {what}"));
        let seals =
            rustix::fs::fcntl_get_seals(fd).map_err(|_| refuse("is not a sealable memfd"))?;
        if !seals.contains(SEALS) {
            return Err(refuse("is not sealed against resizing"));
        }
        let stat = rustix::fs::fstat(fd)
            .map_err(|error| Error::io("inspecting a segment", error.into()))?;
        let len = usize::try_from(stat.st_size).map_err(|_| refuse("has a negative size"))?;
        let capacity = len.checked_sub(CONTROL).map(|rings| rings / 2).unwrap_or(0);
        if !valid_capacity(capacity) || len != CONTROL + 2 * capacity {
            return Err(refuse(&format!(
                "has a size of {len} bytes, not a uactor segment's"
            )));
        }
        let segment = Segment::map(fd, len, capacity)?;
        let (magic, version, log2) = segment.header();
        if magic.load(Ordering::Acquire) != MAGIC
            || version.load(Ordering::Relaxed) != VERSION
            || log2.load(Ordering::Relaxed) != capacity.trailing_zeros()
        {
            return Err(refuse(
                "does not carry a uactor segment header of this version",
            ));
        }
        Ok(segment)
    }

    fn map(fd: &impl AsFd, len: usize, capacity: usize) -> Result<Segment> {
        // SAFETY: a fresh shared mapping of a sealed file of exactly `len`
        // bytes, at an address the kernel picks; nothing else refers to it.
        let pointer = unsafe {
            rustix::mm::mmap(
                std::ptr::null_mut(),
                len,
                ProtFlags::READ | ProtFlags::WRITE,
                MapFlags::SHARED,
                fd,
                0,
            )
        }
        .map_err(|error| Error::io("mapping a shared-memory segment", error.into()))?;
        let base = NonNull::new(pointer.cast::<u8>())
            .ok_or_else(|| Error::protocol("the kernel mapped a segment at address zero"))?;
        Ok(Segment {
            base,
            len,
            capacity,
        })
    }

    /// Where the mapping starts, to find it in `/proc/self/smaps`.
    #[cfg(test)]
    pub(super) fn address(&self) -> usize {
        self.base.as_ptr() as usize
    }

    /// Bytes in each ring.
    pub(super) fn capacity(&self) -> usize {
        self.capacity
    }

    fn header(&self) -> (&AtomicU64, &AtomicU32, &AtomicU32) {
        (self.word64(0), self.word32(8), self.word32(12))
    }

    fn field_offset(ring: Ring, field: Field) -> usize {
        LINE * (1 + 4 * ring.index() + field as usize)
    }

    fn word64(&self, offset: usize) -> &AtomicU64 {
        assert!(offset.is_multiple_of(8) && offset + 8 <= CONTROL);
        // SAFETY: in bounds of the control page and aligned (the mapping is
        // page-aligned); the memory lives as long as `self`, and is only
        // ever accessed atomically.
        unsafe { &*self.base.as_ptr().add(offset).cast::<AtomicU64>() }
    }

    fn word32(&self, offset: usize) -> &AtomicU32 {
        assert!(offset.is_multiple_of(4) && offset + 4 <= CONTROL);
        // SAFETY: as in `word64`.
        unsafe { &*self.base.as_ptr().add(offset).cast::<AtomicU32>() }
    }

    /// How far the producer of `ring` has written (a byte count that only
    /// grows).
    pub(super) fn head(&self, ring: Ring) -> &AtomicU64 {
        self.word64(Self::field_offset(ring, Field::Head))
    }

    /// How far the consumer of `ring` has released.
    pub(super) fn tail(&self, ring: Ring) -> &AtomicU64 {
        self.word64(Self::field_offset(ring, Field::Tail))
    }

    /// 1 while the consumer of `ring` sleeps (or is about to) and wants a
    /// wake-up byte on the socket.
    pub(super) fn asleep(&self, ring: Ring) -> &AtomicU32 {
        self.word32(Self::field_offset(ring, Field::Asleep))
    }

    /// 1 while the producer of `ring` waits for room (a futex word).
    pub(super) fn waiting(&self, ring: Ring) -> &AtomicU32 {
        self.word32(Self::field_offset(ring, Field::Waiting))
    }

    /// The start of `ring`'s bytes, and a check that `offset..offset + len`
    /// lies inside it.
    fn at(&self, ring: Ring, offset: usize, len: usize) -> *mut u8 {
        assert!(
            offset
                .checked_add(len)
                .is_some_and(|end| end <= self.capacity),
            "ring access out of bounds"
        );
        let start = CONTROL + ring.index() * self.capacity + offset;
        debug_assert!(start + len <= self.len);
        // SAFETY: in bounds of the mapping, checked above.
        unsafe { self.base.as_ptr().add(start) }
    }

    /// The two 32-bit words of the record header at `offset` (8-aligned).
    pub(super) fn record(&self, ring: Ring, offset: usize) -> (u32, u32) {
        assert!(offset.is_multiple_of(8));
        let pointer = self.at(ring, offset, 8).cast::<AtomicU32>();
        // SAFETY: in bounds and aligned (checked by `at` and above); record
        // headers are only read and written atomically, so a peer writing
        // one at the same time gives a value, never undefined behaviour.
        unsafe {
            (
                (*pointer).load(Ordering::Relaxed),
                (*pointer.add(1)).load(Ordering::Relaxed),
            )
        }
    }

    /// Writes the record header at `offset` (8-aligned).
    pub(super) fn set_record(&self, ring: Ring, offset: usize, len: u32, kind: u32) {
        assert!(offset.is_multiple_of(8));
        let pointer = self.at(ring, offset, 8).cast::<AtomicU32>();
        // SAFETY: as in `record`.
        unsafe {
            (*pointer).store(len, Ordering::Relaxed);
            (*pointer.add(1)).store(kind, Ordering::Relaxed);
        }
    }

    /// Copies `bytes` into `ring` at `offset`.
    pub(super) fn write(&self, ring: Ring, offset: usize, bytes: &[u8]) {
        let target = self.at(ring, offset, bytes.len());
        // SAFETY: in bounds (checked by `at`); the ring protocol gives this
        // range to the producer alone until it publishes it, and `bytes`
        // is private memory, so the two do not overlap.
        unsafe { std::ptr::copy_nonoverlapping(bytes.as_ptr(), target, bytes.len()) }
    }

    /// The bytes of `ring` at `offset..offset + len`, in place.
    ///
    /// The ring protocol gives a published record to the consumer alone
    /// until it releases it; a peer that breaks the protocol and writes
    /// into it anyway can make the consumer read garbage, never out of
    /// bounds, since every bound was read once and checked before.
    pub(super) fn bytes(&self, ring: Ring, offset: usize, len: usize) -> &[u8] {
        let source = self.at(ring, offset, len);
        // SAFETY: in bounds (checked by `at`), and the mapping lives as long
        // as `self`; see above for who may write there meanwhile.
        unsafe { std::slice::from_raw_parts(source, len) }
    }

    /// Gives the pages of `ring` in `from..to` back to the system (they read
    /// as zeros after), for both processes: what a burst of large frames
    /// made resident. Whole pages only; a failure only leaves them resident.
    pub(super) fn discard(&self, ring: Ring, from: usize, to: usize) {
        let page = 4096;
        let from = from.next_multiple_of(page);
        let to = to.min(self.capacity) / page * page;
        if from >= to {
            return;
        }
        let start = self.at(ring, from, to - from);
        // SAFETY: a page-aligned range inside this shared mapping, which the
        // producer owns (the ring is empty); MADV_REMOVE frees the pages of
        // the memfd behind it, and later accesses read zeros.
        let _ = unsafe {
            rustix::mm::madvise(
                start.cast::<c_void>(),
                to - from,
                rustix::mm::Advice::LinuxRemove,
            )
        };
    }
}

impl Drop for Segment {
    fn drop(&mut self) {
        // SAFETY: the mapping made in `map`, of this length; every borrow of
        // it is tied to `self`, so none outlives this.
        let _ = unsafe { rustix::mm::munmap(self.base.as_ptr().cast::<c_void>(), self.len) };
    }
}

fn valid_capacity(capacity: usize) -> bool {
    capacity.is_power_of_two() && (MIN_CAPACITY..=MAX_CAPACITY).contains(&capacity)
}
