//! A store on arcshift: each reader owns an `ArcShift` that moves forward
//! along the chain of published states when it reads.

use std::convert::Infallible;
use std::sync::{Mutex, PoisonError};

use arcshift::ArcShift;
use procstore_core::{ProcessState, StateReader, StateStore, UpdateError};

/// The state in an `ArcShift` chain.
///
/// A read is `ArcShift::get`: one load and a compare while nothing
/// changed, a move to the newest state (and a release of the old one)
/// otherwise. Updates go through the store's own `ArcShift`, whose `rcu`
/// needs `&mut`, so they take its lock; reads never do. A state stays
/// alive until every reader that saw it has read again. The states
/// published after it are dropped as soon as no reader holds them, but a
/// reader that stops reading keeps one small node per later state.
pub struct ArcShiftStore {
    root: Mutex<ArcShift<ProcessState>>,
}

/// A reader of an [`ArcShiftStore`]: its own `ArcShift`, cloned from the
/// store's, which pins the last state it saw until its next read or its drop.
pub struct ArcShiftReader {
    shift: ArcShift<ProcessState>,
}

impl ArcShiftStore {
    fn root(&self) -> std::sync::MutexGuard<'_, ArcShift<ProcessState>> {
        // A panic in an update's closure publishes nothing: the root is intact.
        self.root.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl StateStore for ArcShiftStore {
    type Reader = ArcShiftReader;

    fn new(initial: ProcessState) -> Self {
        ArcShiftStore { root: Mutex::new(ArcShift::new(initial)) }
    }

    fn reader(&self) -> Self::Reader {
        ArcShiftReader { shift: self.root().clone() }
    }

    fn update<E, F>(&self, mut f: F) -> Result<ProcessState, UpdateError<E>>
    where
        F: FnMut(&ProcessState) -> Result<ProcessState, E>,
    {
        let mut root = self.root();
        let mut refused = None;
        let updated = root.rcu_maybe(|current| {
            // Only the last attempt's answer counts (no attempt races
            // another under the lock, but `rcu_maybe` may retry).
            refused = None;
            current.successor(&mut f).map_err(|error| refused = Some(error)).ok()
        });
        match refused {
            Some(error) => Err(error),
            None => {
                debug_assert!(updated, "an attempt that was not refused publishes");
                Ok(root.shared_non_reloading_get().clone())
            }
        }
    }
}

impl StateReader for ArcShiftReader {
    type Error = Infallible;

    #[inline]
    fn read<R>(&mut self, f: impl FnOnce(&ProcessState) -> R) -> Result<R, Infallible> {
        Ok(f(self.shift.get()))
    }
}

opaque_debug!(ArcShiftStore, ArcShiftReader);
