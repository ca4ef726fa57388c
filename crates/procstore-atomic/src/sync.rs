//! The synchronization types of our own code: loom's under `cfg(loom)`, so
//! the models in `tests/loom.rs` see every reference count of the hazard
//! store (haphazard switches its atomics to loom's under the same cfg),
//! every handoff of the epoch store's pooled handles and every word of the
//! sequence-lock store, and std's otherwise.

#[cfg(loom)]
pub(crate) use loom::sync::atomic::{AtomicU64, fence};
#[cfg(loom)]
pub(crate) use loom::sync::{Arc, Mutex};
#[cfg(not(loom))]
pub(crate) use std::sync::atomic::{AtomicU64, fence};
#[cfg(not(loom))]
pub(crate) use std::sync::{Arc, Mutex};

/// What a reader does before it tries again: under loom, yield, so the
/// model lets the writer run instead of exploring an endless spin.
#[inline]
pub(crate) fn retry_pause() {
    #[cfg(loom)]
    loom::thread::yield_now();
    #[cfg(not(loom))]
    std::hint::spin_loop();
}
