//! Stores on arc-swap: one `ArcSwap` of the state, read by `load` or through
//! a per-reader `Cache`.

use std::convert::Infallible;
use std::sync::Arc;

use arc_swap::{ArcSwap, Cache};
use procstore_core::{ProcessState, StateReader, StateStore, UpdateError};

/// Publishes `current.successor(f)` into `swap` with a CAS loop.
fn cas_update<E, F>(swap: &ArcSwap<ProcessState>, mut f: F) -> Result<ProcessState, UpdateError<E>>
where
    F: FnMut(&ProcessState) -> Result<ProcessState, E>,
{
    let mut current = swap.load_full();
    loop {
        let next = Arc::new(current.successor(&mut f)?);
        // Holding `current` keeps its address from being reused: no ABA.
        let previous = swap.compare_and_swap(&current, Arc::clone(&next));
        if Arc::ptr_eq(&previous, &current) {
            return Ok(ProcessState::clone(&next));
        }
        current = arc_swap::Guard::into_inner(previous);
    }
}

/// The state in an `ArcSwap`; each read is an arc-swap `load`.
#[derive(Debug)]
pub struct ArcSwapStore {
    swap: Arc<ArcSwap<ProcessState>>,
}

/// A reader of an [`ArcSwapStore`].
#[derive(Debug)]
pub struct ArcSwapLoadReader {
    swap: Arc<ArcSwap<ProcessState>>,
}

impl StateStore for ArcSwapStore {
    type Reader = ArcSwapLoadReader;

    fn new(initial: ProcessState) -> Self {
        ArcSwapStore { swap: Arc::new(ArcSwap::from_pointee(initial)) }
    }

    fn reader(&self) -> Self::Reader {
        ArcSwapLoadReader { swap: Arc::clone(&self.swap) }
    }

    fn update<E, F>(&self, f: F) -> Result<ProcessState, UpdateError<E>>
    where
        F: FnMut(&ProcessState) -> Result<ProcessState, E>,
    {
        cas_update(&self.swap, f)
    }
}

impl StateReader for ArcSwapLoadReader {
    type Error = Infallible;

    #[inline]
    fn read<R>(&mut self, f: impl FnOnce(&ProcessState) -> R) -> Result<R, Infallible> {
        Ok(f(&self.swap.load()))
    }
}

/// The state in an `ArcSwap`; each reader keeps an `arc_swap::Cache`, so a
/// read that finds nothing changed is one atomic load and a compare.
#[derive(Debug)]
pub struct ArcSwapCacheStore {
    swap: Arc<ArcSwap<ProcessState>>,
}

/// A reader of an [`ArcSwapCacheStore`]: pins the last state it saw until
/// its next read or its drop.
#[derive(Debug)]
pub struct ArcSwapCacheReader {
    cache: Cache<Arc<ArcSwap<ProcessState>>, Arc<ProcessState>>,
}

impl StateStore for ArcSwapCacheStore {
    type Reader = ArcSwapCacheReader;

    fn new(initial: ProcessState) -> Self {
        ArcSwapCacheStore { swap: Arc::new(ArcSwap::from_pointee(initial)) }
    }

    fn reader(&self) -> Self::Reader {
        ArcSwapCacheReader { cache: Cache::new(Arc::clone(&self.swap)) }
    }

    fn update<E, F>(&self, f: F) -> Result<ProcessState, UpdateError<E>>
    where
        F: FnMut(&ProcessState) -> Result<ProcessState, E>,
    {
        cas_update(&self.swap, f)
    }
}

impl StateReader for ArcSwapCacheReader {
    type Error = Infallible;

    #[inline]
    fn read<R>(&mut self, f: impl FnOnce(&ProcessState) -> R) -> Result<R, Infallible> {
        Ok(f(self.cache.load()))
    }
}
