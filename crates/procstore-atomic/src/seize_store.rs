//! A store on seize (the scheme papaya runs on): the state behind an
//! `AtomicPtr`, read under a guard of the store's `Collector`, and replaced
//! states retired in batches that are freed once every thread that was
//! active when they were retired has left. One collector per store, so
//! everything it retired is freed when it and its readers are gone.

use std::convert::Infallible;
use std::sync::Arc;
use std::sync::atomic::{AtomicPtr, Ordering};

use procstore_core::{ProcessState, StateReader, StateStore, UpdateError};
use seize::{Collector, Guard, reclaim};

struct Shared {
    current: AtomicPtr<ProcessState>,
    collector: Collector,
}

impl Drop for Shared {
    fn drop(&mut self) {
        // SAFETY: `Shared` is dropped when the store and every reader are
        // gone, so no guard can load `current` again. The last state came
        // from `Box::into_raw` and was never retired (only replaced ones
        // are); the collector, dropped next, frees everything retired.
        unsafe { drop(Box::from_raw(*self.current.get_mut())) };
    }
}

/// The state behind an `AtomicPtr`, reclaimed by a seize `Collector`.
///
/// Each read enters the collector (a guard on the thread's own slot, made
/// the first time the thread enters); a replaced state is retired into the
/// thread's batch and freed when every thread active at its retirement has
/// left. A reader that stays inside its read delays only the batches
/// retired while it is there.
pub struct SeizeStore {
    shared: Arc<Shared>,
}

/// A reader of a [`SeizeStore`]. It holds nothing of its own: seize keeps
/// its per-thread state in the collector, by thread.
pub struct SeizeReader {
    shared: Arc<Shared>,
}

impl StateStore for SeizeStore {
    // A reader descheduled inside its read holds back all that is retired meanwhile.
    const GARBAGE_IS_BOUNDED: bool = false;

    type Reader = SeizeReader;

    fn new(initial: ProcessState) -> Self {
        let current = AtomicPtr::new(Box::into_raw(Box::new(initial)));
        SeizeStore { shared: Arc::new(Shared { current, collector: Collector::new() }) }
    }

    fn reader(&self) -> Self::Reader {
        SeizeReader { shared: Arc::clone(&self.shared) }
    }

    fn update<E, F>(&self, mut f: F) -> Result<ProcessState, UpdateError<E>>
    where
        F: FnMut(&ProcessState) -> Result<ProcessState, E>,
    {
        let guard = self.shared.collector.enter();
        let mut current = guard.protect(&self.shared.current, Ordering::Acquire);
        loop {
            // SAFETY: `current` is never null, was loaded through `guard`,
            // and a state is freed only after it was unlinked and every
            // guard active then has gone.
            let next = unsafe { &*current }.successor(&mut f)?;
            let published = next.clone();
            let next = Box::into_raw(Box::new(next));
            // The guard keeps `current` from being freed and its address
            // from being reused while we compare: no ABA.
            match guard.compare_exchange(
                &self.shared.current,
                current,
                next,
                Ordering::AcqRel,
                Ordering::Acquire,
            ) {
                Ok(_) => {
                    // SAFETY: our CAS unlinked `current`, so no thread that
                    // enters later can load it; only the CAS winner retires
                    // it, once; it came from `Box::into_raw`.
                    unsafe { guard.defer_retire(current, reclaim::boxed) };
                    return Ok(published);
                }
                Err(actual) => {
                    // SAFETY: `next` lost the race and was never shared.
                    drop(unsafe { Box::from_raw(next) });
                    current = actual;
                }
            }
        }
    }
}

impl StateReader for SeizeReader {
    type Error = Infallible;

    #[inline]
    fn read<R>(&mut self, f: impl FnOnce(&ProcessState) -> R) -> Result<R, Infallible> {
        let guard = self.shared.collector.enter();
        let current = guard.protect(&self.shared.current, Ordering::Acquire);
        // SAFETY: as in `update`: never null, loaded through `guard`, not
        // freed while it is active.
        Ok(f(unsafe { &*current }))
    }
}

opaque_debug!(SeizeStore, SeizeReader);
