//! A store on crossbeam-epoch: the state behind an `Atomic`, read under a
//! pin of the reader's own `LocalHandle`, and replaced states retired with
//! `defer_destroy`. One `Collector` per store, so that everything the store
//! retired is freed once it and its readers are gone.

use std::convert::Infallible;
use std::sync::PoisonError;
use std::sync::atomic::Ordering;

use crossbeam_epoch::{Atomic, Collector, LocalHandle, Owned};
use procstore_core::{ProcessState, StateReader, StateStore, UpdateError};

use crate::sync::{Arc, Mutex};

/// A `LocalHandle` with one owner at a time, on whichever thread that is.
struct OwnedHandle(LocalHandle);

// SAFETY: crossbeam-epoch makes `LocalHandle` `!Send` because clones of one
// handle once shared its thread-unsafe `Local` between threads
// (crossbeam-epoch #65); a handle can no longer be cloned. This one was
// registered for its owner alone, and every guard pinned from it is dropped
// before the method that pinned it returns, so only its one owner ever
// touches the `Local`'s thread-unsafe parts (other threads read only its
// atomic epoch), and moving the owner to another thread synchronizes like
// any move. Miri checks this in `reader_moves_between_threads`.
unsafe impl Send for OwnedHandle {}

struct Shared {
    current: Atomic<ProcessState>,
    /// Handles for updates, which may come from any thread: each update
    /// takes one and puts it back, so updates register nothing in the
    /// steady state and never wait for one another.
    spare: Mutex<Vec<OwnedHandle>>,
    /// Dropped after every handle (fields drop in order, and readers drop
    /// their handle before their `Arc`): when a `LocalHandle` is the last
    /// reference to its collector, crossbeam-epoch 0.9 frees that handle's
    /// `Local` while a method borrowing it still runs, which Miri reports
    /// as undefined behaviour (crossbeam issue #545).
    collector: Collector,
}

impl Drop for Shared {
    fn drop(&mut self) {
        // SAFETY: `Shared` is dropped when the store and every reader are
        // gone, so no guard of this collector can load `current` again.
        // The last state was published and never retired (only replaced
        // ones are); everything retired is freed when the collector's last
        // handle goes, just after.
        unsafe { drop(self.current.load(Ordering::Relaxed, crossbeam_epoch::unprotected()).into_owned()) };
    }
}

/// The state behind a crossbeam-epoch `Atomic`.
///
/// A read pins the reader's own `LocalHandle`; a replaced state is retired
/// with `defer_destroy` and freed once every thread pinned when it was
/// replaced has unpinned. One reader pinned for a long time holds every
/// state retired since: epochs cannot advance past it.
pub struct EpochStore {
    shared: Arc<Shared>,
}

/// A reader of an [`EpochStore`]: owns its `LocalHandle`, registered with
/// the store's collector once, and pins it for each read.
pub struct EpochReader {
    // Released before the `Arc` that holds the collector: see `Shared::collector`.
    handle: OwnedHandle,
    shared: Arc<Shared>,
}

/// An update's handle, put back into the pool when the update ends, also
/// by an early return or a panic in its closure.
struct Lent<'a> {
    pool: &'a Mutex<Vec<OwnedHandle>>,
    handle: Option<OwnedHandle>,
}

impl Drop for Lent<'_> {
    fn drop(&mut self) {
        if let Some(handle) = self.handle.take() {
            self.pool.lock().unwrap_or_else(PoisonError::into_inner).push(handle);
        }
    }
}

impl EpochStore {
    fn lend_handle(&self) -> Lent<'_> {
        let pool = &self.shared.spare;
        let spare = pool.lock().unwrap_or_else(PoisonError::into_inner).pop();
        let handle = spare.unwrap_or_else(|| OwnedHandle(self.shared.collector.register()));
        Lent { pool, handle: Some(handle) }
    }
}

impl StateStore for EpochStore {
    // A reader descheduled inside its read holds back all that is retired meanwhile.
    const GARBAGE_IS_BOUNDED: bool = false;

    type Reader = EpochReader;

    fn new(initial: ProcessState) -> Self {
        let shared = Shared {
            current: Atomic::new(initial),
            spare: Mutex::new(Vec::new()),
            collector: Collector::new(),
        };
        EpochStore { shared: Arc::new(shared) }
    }

    fn reader(&self) -> Self::Reader {
        EpochReader {
            handle: OwnedHandle(self.shared.collector.register()),
            shared: Arc::clone(&self.shared),
        }
    }

    fn update<E, F>(&self, mut f: F) -> Result<ProcessState, UpdateError<E>>
    where
        F: FnMut(&ProcessState) -> Result<ProcessState, E>,
    {
        let lent = self.lend_handle();
        let guard = lent.handle.as_ref().expect("lent until dropped").0.pin();
        let mut current = self.shared.current.load(Ordering::Acquire, &guard);
        loop {
            // SAFETY: `current` is never null, and a state is destroyed only
            // after it was unlinked and every guard pinned before that has
            // gone; `guard` is pinned.
            let next = unsafe { current.deref() }.successor(&mut f)?;
            let published = next.clone();
            // The pin keeps `current` from being freed and its address from
            // being reused while we compare: no ABA.
            match self.shared.current.compare_exchange(
                current,
                Owned::new(next),
                Ordering::AcqRel,
                Ordering::Acquire,
                &guard,
            ) {
                Ok(_) => {
                    // SAFETY: our CAS unlinked `current`, so no later load
                    // returns it; only the CAS winner retires it, once; every
                    // load of it was under a pin of this collector.
                    unsafe { guard.defer_destroy(current) };
                    return Ok(published);
                }
                Err(lost) => current = lost.current,
            }
        }
    }
}

impl StateReader for EpochReader {
    type Error = Infallible;

    #[inline]
    fn read<R>(&mut self, f: impl FnOnce(&ProcessState) -> R) -> Result<R, Infallible> {
        let guard = self.handle.0.pin();
        let current = self.shared.current.load(Ordering::Acquire, &guard);
        // SAFETY: as in `update`: never null, and not destroyed while `guard` is pinned.
        Ok(f(unsafe { current.deref() }))
    }
}

opaque_debug!(EpochStore, EpochReader);
