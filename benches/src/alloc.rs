//! A global allocator that counts, for the Memory/Op column.

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering::Relaxed};

static COUNTING: AtomicBool = AtomicBool::new(false);
static BYTES: AtomicU64 = AtomicU64::new(0);
static ALLOCATIONS: AtomicU64 = AtomicU64::new(0);

/// The system allocator, counting bytes and allocations (from every thread,
/// as Go's allocs/op does) while [`count_allocations`] runs.
#[derive(Debug)]
pub struct CountingAllocator;

// SAFETY: every call is forwarded unchanged to `System`; counting only
// touches atomics.
unsafe impl GlobalAlloc for CountingAllocator {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        record(layout.size());
        // SAFETY: the caller upholds `GlobalAlloc::alloc`'s contract.
        unsafe { System.alloc(layout) }
    }
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        record(layout.size());
        // SAFETY: the caller upholds `GlobalAlloc::alloc_zeroed`'s contract.
        unsafe { System.alloc_zeroed(layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        record(new_size);
        // SAFETY: the caller upholds `GlobalAlloc::realloc`'s contract.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: the caller upholds `GlobalAlloc::dealloc`'s contract.
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[inline]
fn record(bytes: usize) {
    if COUNTING.load(Relaxed) {
        BYTES.fetch_add(bytes as u64, Relaxed);
        ALLOCATIONS.fetch_add(1, Relaxed);
    }
}

/// Heap use of `ops` operations.
#[derive(Clone, Copy, Debug)]
pub struct AllocationsPerOp {
    /// Bytes allocated per operation.
    pub bytes: f64,
    /// Allocations per operation.
    pub allocations: f64,
}

/// Runs `run(ops)` with counting on and returns the heap use per operation.
/// Only meaningful when the binary's global allocator is [`CountingAllocator`]
/// and no other benchmark thread is busy.
pub fn count_allocations(ops: u64, run: impl FnOnce(u64)) -> AllocationsPerOp {
    BYTES.store(0, Relaxed);
    ALLOCATIONS.store(0, Relaxed);
    COUNTING.store(true, Relaxed);
    run(ops);
    COUNTING.store(false, Relaxed);
    AllocationsPerOp {
        bytes: BYTES.load(Relaxed) as f64 / ops as f64,
        allocations: ALLOCATIONS.load(Relaxed) as f64 / ops as f64,
    }
}
