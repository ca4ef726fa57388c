use std::any::type_name;
use std::convert::Infallible;
use std::fmt;
use std::sync::Arc;

use procstore_core::{ProcessState, StateReader, StateStore, UpdateError};

use crate::Lock;

/// One process's state by value under a lock `L`.
pub struct LockStore<L> {
    state: Arc<L>,
}

/// A reader of a [`LockStore`]: a second handle on the same lock.
pub struct LockStoreReader<L> {
    state: Arc<L>,
}

impl<L: Lock<ProcessState>> StateStore for LockStore<L> {
    type Reader = LockStoreReader<L>;

    fn new(initial: ProcessState) -> Self {
        LockStore { state: Arc::new(L::new(initial)) }
    }

    fn reader(&self) -> Self::Reader {
        LockStoreReader { state: Arc::clone(&self.state) }
    }

    fn update<E, F>(&self, mut f: F) -> Result<ProcessState, UpdateError<E>>
    where
        F: FnMut(&ProcessState) -> Result<ProcessState, E>,
    {
        self.state.write(|current| {
            let next = current.successor(&mut f)?;
            *current = next.clone();
            Ok(next)
        })
    }
}

impl<L: Lock<ProcessState>> StateReader for LockStoreReader<L> {
    type Error = Infallible;

    #[inline]
    fn read<R>(&mut self, f: impl FnOnce(&ProcessState) -> R) -> Result<R, Infallible> {
        Ok(self.state.read(f))
    }
}

impl<L: Lock<ProcessState>> fmt::Debug for LockStore<L> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LockStore").field("lock", &type_name::<L>()).finish_non_exhaustive()
    }
}

impl<L: Lock<ProcessState>> fmt::Debug for LockStoreReader<L> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LockStoreReader").field("lock", &type_name::<L>()).finish_non_exhaustive()
    }
}
