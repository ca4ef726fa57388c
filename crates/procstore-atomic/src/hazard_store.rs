//! A store on haphazard hazard pointers, with one reclamation domain per
//! store so that everything it retired is freed when it is dropped.

use std::convert::Infallible;

use haphazard::{AtomicPtr, Domain, HazardPointer};
use procstore_core::{ProcessState, StateReader, StateStore, UpdateError};

use crate::sync::Arc;

/// The domain family of every store's own domain. Not a `Singleton`: each
/// store makes its own `Domain<StoreFamily>`, and the `unsafe` blocks below
/// carry the proof that pointers and hazard pointers never cross stores.
struct StoreFamily;

struct Shared {
    current: AtomicPtr<ProcessState, StoreFamily>,
    domain: Domain<StoreFamily>,
}

impl Drop for Shared {
    fn drop(&mut self) {
        let last = self.current.load_ptr();
        // SAFETY: `Shared` is dropped when the store and every reader are
        // gone; each of them held the `Arc`, so no hazard pointer of this
        // domain exists and no load can return `last` again. `last` was
        // published and never retired (only replaced states are), and it
        // stays valid until `domain`, dropped next, reclaims it with
        // everything retired earlier.
        unsafe { self.domain.retire_ptr::<ProcessState, Box<ProcessState>>(last) };
    }
}

/// The state behind a hazard-pointer-protected atomic pointer.
///
/// Readers own a hazard pointer from the store's domain; a replaced state is
/// retired and freed by a later reclamation pass that finds no hazard
/// pointer on it, or when the store's last handle is dropped.
pub struct HazardStore {
    shared: Arc<Shared>,
}

/// A reader of a [`HazardStore`]: owns one hazard pointer, which keeps the
/// last state it read alive until its next read or its drop.
pub struct HazardReader {
    // Field order matters: the hazard pointer is released into the domain
    // before the `Arc` that keeps the domain alive is dropped.
    //
    // Boxed so that its `&Domain` sits behind a pointer rather than in a
    // field: a reader passed by value into a function that drops the last
    // `Arc` would otherwise carry a protected reference to the domain being
    // freed, which Miri (Stacked Borrows) rightly reports as undefined
    // behaviour.
    hazard: Box<HazardPointer<'static, StoreFamily>>,
    shared: Arc<Shared>,
}

impl HazardStore {
    fn hazard_pointer(&self) -> HazardPointer<'static, StoreFamily> {
        let domain: *const Domain<StoreFamily> = &self.shared.domain;
        // SAFETY: the domain lives inside the `Arc<Shared>` allocation, which
        // never moves and outlives every hazard pointer made here: readers
        // drop theirs before their `Arc`, and `update` drops its own before
        // returning while `self` holds the `Arc`.
        HazardPointer::new_in_domain(unsafe { &*domain })
    }
}

impl StateStore for HazardStore {
    type Reader = HazardReader;

    fn new(initial: ProcessState) -> Self {
        let shared =
            Shared { current: AtomicPtr::from(Box::new(initial)), domain: Domain::new(&StoreFamily) };
        HazardStore { shared: Arc::new(shared) }
    }

    fn reader(&self) -> Self::Reader {
        HazardReader { hazard: Box::new(self.hazard_pointer()), shared: Arc::clone(&self.shared) }
    }

    fn update<E, F>(&self, mut f: F) -> Result<ProcessState, UpdateError<E>>
    where
        F: FnMut(&ProcessState) -> Result<ProcessState, E>,
    {
        let mut hazard = self.hazard_pointer();
        loop {
            // SAFETY: every state stored in `current` is retired through
            // `shared.domain`, the domain `hazard` belongs to.
            let current = unsafe { self.shared.current.load(&mut hazard) }.expect("never null");
            let next = current.successor(&mut f)?;
            let published = next.clone();
            // The hazard pointer keeps `current` from being freed and its
            // address from being reused while we compare: no ABA.
            let expected = std::ptr::from_ref(current).cast_mut();
            if let Ok(replaced) = self.shared.current.compare_exchange(expected, Box::new(next)) {
                let replaced = replaced.expect("never null");
                // SAFETY: our CAS unlinked `replaced`, so no later load
                // returns it; only the CAS winner retires it, once; every
                // load of `current` used a hazard pointer of this domain.
                unsafe { replaced.retire_in(&self.shared.domain) };
                return Ok(published);
            }
        }
    }
}

impl StateReader for HazardReader {
    type Error = Infallible;

    #[inline]
    fn read<R>(&mut self, f: impl FnOnce(&ProcessState) -> R) -> Result<R, Infallible> {
        // SAFETY: every state stored in `current` is retired through
        // `shared.domain`, the domain `hazard` belongs to.
        let state = unsafe { self.shared.current.load(&mut self.hazard) }.expect("never null");
        Ok(f(state))
    }
}

opaque_debug!(HazardStore, HazardReader);
